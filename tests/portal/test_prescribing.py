"""The prescription form: refusals in plain words, issue, the TPG page, correction."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from core.runtime import Runtime
from core.timeutil import to_ist, utcnow
from models import Consultation, ConsultationState, Prescription
from prescriptions.formulary import get_medicine
from tests.portal.conftest import AuthActions, Seeded


def rx_form(token: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "rows": "2",
        "patient_name": "Rani Kumari",
        "patient_age": "34",
        "patient_sex": "female",
        "diagnosis": "Viral fever",
        "m0": "paracetamol_tab|500 mg",
        "advice": "Plenty of fluids; come back if the fever lasts beyond 3 days",
        "action": "issue",
    }
    form.update(fields)
    return form


def post_rx(client: FlaskClient, auth: AuthActions, seeded: Seeded, **fields: str) -> TestResponse:
    url = f"/portal/consultations/{seeded.consultation_id}"
    token = auth.csrf(url)
    return client.post(f"{url}/prescription", data=rx_form(token, **fields))


def prescriptions(runtime: Runtime) -> list[Prescription]:
    with runtime.db.session() as s:
        return list(s.scalars(select(Prescription).order_by(Prescription.version)))


def test_a_prohibited_medicine_is_refused_with_the_reason(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    response = post_rx(client, auth, seeded, m1="morphine|10 mg")
    assert response.status_code == 422
    assert "Morphine is prohibited in telemedicine (NDPS narcotic)" in response.text
    assert 'id="why1"' in response.text  # said beside the row, too
    assert 'value="Viral fever"' not in response.text  # textarea keeps the text instead
    assert "Viral fever</textarea>" in response.text
    assert prescriptions(runtime) == []


def test_a_list_a_medicine_is_refused_in_an_audio_first_consultation(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    response = post_rx(client, auth, seeded, m0="amoxicillin|500 mg")
    assert response.status_code == 422
    assert "Amoxicillin is on List A" in response.text
    assert "not in an audio first consultation" in response.text


def test_the_refusal_is_in_hindi_for_a_hindi_doctor(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    client.get("/portal/lang/hi")
    response = post_rx(client, auth, seeded, m0="morphine|10 mg")
    assert "टेलीमेडिसिन में प्रतिबंधित है" in response.text


def test_add_row_keeps_what_was_typed(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    response = post_rx(client, auth, seeded, action="add_row")
    assert response.status_code == 200
    assert 'name="m2"' in response.text
    assert 'value="paracetamol_tab|500 mg" selected' in response.text
    assert prescriptions(runtime) == []


def test_issue_shows_every_tpg_field_and_queues_the_sms(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    follow_up = (to_ist(utcnow()).date() + timedelta(days=7)).isoformat()
    response = post_rx(
        client,
        auth,
        seeded,
        m1=f"ors|{get_medicine('ors').strengths[0]}",
        d1="",
        tests="CBC\nMalaria RDT",
        follow_up_on=follow_up,
        referral_to="PHC Kishanganj",
        referral_urgency="routine",
    )
    assert response.status_code == 302, response.text
    (rx,) = prescriptions(runtime)
    assert response.headers["Location"] == f"/portal/prescriptions/{rx.code}"
    page = client.get(response.headers["Location"]).text
    for text in (
        rx.code,
        "Dr. Anil Prasad",
        "MBBS, MD",
        "BMC-40001",
        "Sadar Hospital Kishanganj",
        "Rani Kumari, 34y, female",
        seeded.reference,
        "Viral fever",
        "Paracetamol 500 mg tablet",
        "1-1-1",  # the formulary's default frequency
        "CBC, Malaria RDT",
        "PHC Kishanganj",
    ):
        assert text in page, text
    assert re.search(r"Patient &bull;.*?(waiting to be sent|being sent)", page)
    assert "ANM &bull;" in page
    assert re.search(r"Hindi( \(Roman letters\))?, \d SMS parts?<", page)  # not "hi native"
    assert '<meta http-equiv="refresh" content="20">' in page  # until delivery is final
    with runtime.db.session() as s:
        c = s.get(Consultation, seeded.consultation_id)
        assert c is not None and c.state is ConsultationState.PRESCRIBED


def test_a_correction_is_a_new_version_that_says_what_it_replaces(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    first_url = post_rx(client, auth, seeded).headers["Location"]
    first_code = first_url.rsplit("/", 1)[-1]
    assert "Correct this prescription" in client.get(first_url).text
    form_page = client.get(f"{first_url}/correct")
    assert form_page.status_code == 200
    assert 'value="paracetamol_tab|500 mg" selected' in form_page.text
    token = auth.csrf(first_url)
    data = rx_form(token, rows="2", m0="paracetamol_tab|650 mg", reason="")
    assert client.post(f"{first_url}/correct", data=data).status_code == 422
    data["reason"] = "Wrong strength: 650 mg intended"
    response = client.post(f"{first_url}/correct", data=data)
    assert response.status_code == 302
    second = client.get(response.headers["Location"]).text
    assert f'Replaces <a href="/portal/prescriptions/{first_code}">{first_code}</a>' in second
    assert "Wrong strength: 650 mg intended" in second
    old = client.get(first_url).text
    assert "replaced by a correction" in old
    assert "Correct this prescription" not in old
    first, corrected = prescriptions(runtime)
    assert (first.version, corrected.version) == (1, 2)
    assert corrected.replaces_id == first.id and first.superseded_at is not None


def test_a_second_prescription_is_refused_use_a_correction(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    assert post_rx(client, auth, seeded).status_code == 302
    again = post_rx(client, auth, seeded)
    assert again.status_code == 422
    assert "already has prescription" in again.text and "issue a correction" in again.text


def test_pages_stay_small_for_a_slow_link(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    url = f"/portal/consultations/{seeded.consultation_id}"
    assert len(client.get(url).data) < 30_000  # the usual two medicine rows, uncompressed
    token = auth.csrf(url)
    full = client.post(
        f"{url}/prescription",
        data=rx_form(token, rows="7", action="add_row"),
        headers={"Accept-Encoding": "gzip"},
    )
    assert full.headers["Content-Encoding"] == "gzip"
    assert len(full.data) < 8_000  # eight rows of the whole formulary, compressed
    assert gzip.decompress(full.data).count(b'<select id="m') == 8
