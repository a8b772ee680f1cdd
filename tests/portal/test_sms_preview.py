"""The doctor sees every SMS her prescription sends, verbatim, before and after issuing
(issue 14 item 2): the preview's bodies are the ones queued, and the prescription page's
SMS list shows each message's whole text and its parts."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from core.runtime import Runtime
from models import SmsMessage
from prescriptions.formulary import get_medicine
from sms_templates import count_segments
from tests.portal.conftest import AuthActions, Seeded
from tests.portal.test_prescribing import post_rx, prescriptions

ADVICE = (
    "Drink plenty of fluids, rest. Return if fever persists beyond 3 days. Sponge with tap "
    "water if the fever is high; keep eating light food and come at once if drowsy."
)
ORS = "1 sachet in 1 litre of clean water; sip after each loose stool"
PREVIEWED = re.compile(r'<p class="sms-text" dir="auto">(.*?)</p>', re.S)
LISTED = re.compile(r'<td class="sms-text" data-label="[^"]*" dir="auto">(.*?)</td>', re.S)


def as_html(body: str) -> str:
    """A body as the portal prints it: escaped, one ``<br>`` per line break."""
    return "<br>".join(str(escape(line)) for line in body.split("\n"))


def as_text(fragment: str) -> str:
    return html.unescape(fragment.replace("<br>", "\n"))


def fields() -> dict[str, str]:
    return {
        "advice": ADVICE,
        "m1": f"ors|{get_medicine('ors').strengths[0]}",
        "i1": ORS,
        "tests": "Malaria RDT",
    }


def queued(runtime: Runtime) -> list[SmsMessage]:
    with runtime.db.session() as s:
        rows = list(s.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        s.expunge_all()
    return rows


def test_the_preview_shows_exactly_the_sms_then_queued(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    page = post_rx(client, auth, seeded, action="preview", **fields())
    assert page.status_code == 200, page.text
    assert 'id="sms-preview"' in page.text
    previewed = [as_text(b) for b in PREVIEWED.findall(page.text)]
    assert len(previewed) >= 3  # the patient's first SMS, its continuation, the ANM's
    assert prescriptions(runtime) == [] and queued(runtime) == []  # nothing issued yet
    to_patient = "\n".join(b for b in previewed if "Rani Kumari" in b or "(2/" in b)
    for text in (ADVICE, ORS):  # whole, words in order
        position = 0
        for word in text.split():
            position = to_patient.index(word, position) + len(word)
    assert "SMS parts" in page.text or "SMS part" in page.text

    issued = post_rx(client, auth, seeded, **fields())
    assert issued.status_code == 302, issued.text
    (rx,) = prescriptions(runtime)
    messages = queued(runtime)
    assert [m.body for m in messages] == previewed  # exactly what she read
    assert all(m.prescription_id == rx.id for m in messages)
    assert f"Parcha {rx.code}" in previewed[0] or f"पर्चा {rx.code}" in previewed[0]


def test_the_prescription_page_lists_every_sms_whole_with_its_parts(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    issued = post_rx(client, auth, seeded, **fields())
    assert issued.status_code == 302, issued.text
    page = client.get(issued.headers["Location"]).text
    messages = queued(runtime)
    assert {m.purpose for m in messages} >= {"prescription_patient", "prescription_more"}
    listed = LISTED.findall(page)
    assert listed == [as_html(m.body) for m in messages]
    for m in messages:
        parts = count_segments(m.body).segments
        assert m.segments == parts
        label = f"{parts} SMS part{'s' if parts > 1 else ''}<"
        assert label in page
    assert page.count("Patient &bull;") == sum(m.to_number == "+919990300001" for m in messages)
