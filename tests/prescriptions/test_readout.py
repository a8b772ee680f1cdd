"""The prescription read aloud: TwiML per language, repeat on 1, never an error to the caller."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from unittest.mock import patch

import pytest
from flask.testing import FlaskClient

from core.runtime import Runtime
from prescriptions.service import issue_prescription
from prescriptions.voice import latest_prescription_twiml
from tests.prescriptions.helpers import PATIENT_MOBILE, build_setting, fever_draft, signed_post

VOICES = {
    "hi": ("Google.hi-IN-Standard-A", "hi-IN"),
    "ur": ("Google.hi-IN-Standard-A", "hi-IN"),
    "bn": ("Google.bn-IN-Standard-A", "bn-IN"),
    "en": ("Google.en-IN-Standard-A", "en-IN"),
}
#: What a listener must hear for "Paracetamol 500 mg, 1-0-1 for 5 days", in words.
DOSING = {
    "hi": "सुबह एक गोली, रात को एक गोली, पाँच दिन तक",
    "ur": "सुबह एक गोली, रात को एक गोली, पाँच दिन तक",
    "bn": "সকালে এক বড়ি, রাতে এক বড়ি, পাঁচ দিন",
    "en": "one tablet in the morning, one tablet at night, for five days",
}
#: The formulary's "After food", as the listener hears it.
AFTER_FOOD = {"hi": "खाना खाने के बाद", "ur": "खाना खाने के बाद", "bn": "খাওয়ার পরে", "en": "After food"}
REPEAT = {
    "hi": "फिर से सुनने के लिए 1 दबाएँ।",
    "ur": "दोबारा सुनने के लिए 1 दबाइए।",
    "bn": "আবার শুনতে 1 টিপুন।",
    "en": "To hear it again, press 1.",
}


def _issue(runtime: Runtime, language: str = "hi") -> int:
    with runtime.db.session() as s:
        setting = build_setting(s, language=language)
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
        )
        return rx.id


def _parse(body: bytes | str) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == "Response"
    return root


@pytest.mark.parametrize("language", ["hi", "ur", "bn", "en"])
def test_the_prescription_is_read_in_the_patients_language(
    runtime: Runtime, client: FlaskClient, language: str
) -> None:
    rx_id = _issue(runtime, language)
    response = signed_post(client, f"/rx/{rx_id}/read?lang={language}", {"CallSid": "CA1"})
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = _parse(response.data)
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action", "").startswith(f"http://sampark.test/rx/{rx_id}/read?")
    says = gather.findall("Say")
    voice, say_language = VOICES[language]
    assert all(s.get("voice") == voice and s.get("language") == say_language for s in says)
    spoken = " ".join(s.text or "" for s in says)
    assert DOSING[language] in spoken
    assert AFTER_FOOD[language] in spoken
    assert "Paracetamol" in spoken and "Rukhsana Begum" in spoken and "Dr. Anil Prasad" in spoken
    assert says[-1].text == REPEAT[language]
    assert [child.tag for child in root][-2:] == ["Say", "Hangup"]  # goodbye after no key


def test_press_1_reads_it_again_and_other_keys_say_goodbye(
    runtime: Runtime, client: FlaskClient
) -> None:
    rx_id = _issue(runtime)
    again = _parse(signed_post(client, f"/rx/{rx_id}/read?lang=hi&n=1", {"Digits": "1"}).data)
    assert again.find("Gather") is not None
    bye = _parse(signed_post(client, f"/rx/{rx_id}/read?lang=hi&n=1", {"Digits": "7"}).data)
    assert bye.find("Gather") is None and bye.find("Hangup") is not None
    enough = _parse(signed_post(client, f"/rx/{rx_id}/read?lang=hi&n=9", {"Digits": "1"}).data)
    assert enough.find("Gather") is None and enough.find("Hangup") is not None


def test_unsigned_requests_are_refused(runtime: Runtime, client: FlaskClient) -> None:
    rx_id = _issue(runtime)
    assert client.post(f"/rx/{rx_id}/read?lang=hi", data={"CallSid": "CA1"}).status_code == 403


def test_failures_are_an_apology_never_an_error(runtime: Runtime, client: FlaskClient) -> None:
    missing = signed_post(client, "/rx/999999/read?lang=hi", {"CallSid": "CA1"})
    assert missing.status_code == 200
    assert _parse(missing.data).find("Hangup") is not None
    rx_id = _issue(runtime)
    with patch("prescriptions.voice.readout_twiml", side_effect=RuntimeError("db down")):
        broken = signed_post(client, f"/rx/{rx_id}/read?lang=en", {"CallSid": "CA1"})
    assert broken.status_code == 200
    root = _parse(broken.data)
    assert "Sorry, we cannot read your prescription right now" in (root.find("Say").text or "")  # type: ignore[union-attr]


def test_a_caller_hears_the_latest_current_prescription(runtime: Runtime, app) -> None:  # type: ignore[no-untyped-def]
    with runtime.db.session() as s:
        none = _parse(latest_prescription_twiml(s, PATIENT_MOBILE, "en", base_url="http://x"))
        assert "We found no prescription" in (none.find("Say").text or "")  # type: ignore[union-attr]
    with runtime.db.session() as s:
        setting = build_setting(s)
    with runtime.db.session() as s:
        first = issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(),
        )
        code = first.code
    with runtime.db.session() as s:
        issue_prescription(
            s,
            consultation_id=setting.consultation_id,
            doctor_id=setting.doctor_id,
            draft=fever_draft(diagnosis="Dengue suspected (provisional)"),
            replaces_code=code,
            correction_reason="Platelets low",
        )
    with app.test_request_context(), runtime.db.session() as s:
        root = _parse(
            latest_prescription_twiml(
                s, PATIENT_MOBILE, "en", after_url="http://sampark.test/ivr/menu"
            )
        )
    spoken = " ".join(e.text or "" for e in root.iter("Say"))
    assert "Dengue suspected" in spoken and "corrected prescription" in spoken
    assert root.find("Redirect").text == "http://sampark.test/ivr/menu"  # type: ignore[union-attr]


def test_the_ivr_can_redirect_a_caller_to_their_latest_prescription(
    runtime: Runtime, client: FlaskClient
) -> None:
    _issue(runtime, "en")
    mine = _parse(
        signed_post(
            client,
            "/rx/latest?lang=en&after=http%3A%2F%2Fsampark.test%2Fivr%2Fmenu",
            {"From": PATIENT_MOBILE, "CallSid": "CA9"},
        ).data
    )
    spoken = " ".join(e.text or "" for e in mine.iter("Say"))
    assert "Rukhsana Begum" in spoken and "one tablet in the morning" in spoken
    assert mine.find("Redirect").text == "http://sampark.test/ivr/menu"  # type: ignore[union-attr]
    # pressing 1 posts to the Gather action exactly as written (an encoded URL inside it)
    action = mine.find("Gather").get("action", "")  # type: ignore[union-attr]
    assert "after=http%3A%2F%2Fsampark.test%2Fivr%2Fmenu" in action
    again = _parse(signed_post(client, action, {"Digits": "1", "CallSid": "CA9"}).data)
    assert again.find("Gather") is not None
    done = _parse(signed_post(client, action, {"Digits": "9", "CallSid": "CA9"}).data)
    assert done.find("Redirect").text == "http://sampark.test/ivr/menu"  # type: ignore[union-attr]
    stranger = _parse(
        signed_post(client, "/rx/latest?lang=en", {"From": "+919990399999", "CallSid": "CA8"}).data
    )
    spoken = " ".join(e.text or "" for e in stranger.iter("Say"))
    assert "We found no prescription" in spoken and "Rukhsana" not in spoken
