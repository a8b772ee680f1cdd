"""The workflow's webhooks answer valid TwiML, refuse forgeries, and never an error."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from core.runtime import Runtime
from models import Consultation, ConsultationState, Patient
from sampark.app import create_app
from tests.builders import build_mini_district
from tests.conftest import TEST_AUTH_TOKEN

BASE = "http://sampark.test"


def post(
    client: FlaskClient, path: str, form: Mapping[str, str], *, signed: bool = True
) -> ET.Element:
    sig = RequestValidator(TEST_AUTH_TOKEN).compute_signature(BASE + path, dict(form))
    headers = {"X-Twilio-Signature": sig if signed else "forged"}
    response = client.post(path, data=dict(form), headers=headers, base_url=BASE)
    if not signed:
        assert response.status_code == 403
        return ET.Element("Forbidden")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def new_consultation(runtime: Runtime, consent: bool = True) -> int:
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        c = Consultation(
            reference="K7001", caller_mobile="+919812300001", spoke_id=mini.spoke_ids["HWC-001"],
            patient=Patient(mobile="+919812300001", age_years=30), language="ur", consent=consent,
            complaint="fever", days=2,
        )  # fmt: skip
        s.add(c)
        s.flush()
        c.transition(ConsultationState.INTAKE_COMPLETE, "ivr-complete")
        return c.id


def test_a_patient_staying_on_the_line_waits_in_the_conference(
    runtime: Runtime, client: FlaskClient
) -> None:
    cid = new_consultation(runtime)
    twiml = post(client, f"/calls/consultations/{cid}/join", {"CallSid": "CA" + "1" * 32})
    conference = twiml.find("Dial/Conference")
    assert conference is not None and conference.text == "sampark-K7001"
    assert conference.get("participantLabel") == "patient"
    assert conference.get("startConferenceOnEnter") == "false"
    assert conference.get("endConferenceOnExit") == "false"
    assert conference.get("record") == "record-from-start"  # consent given at intake
    assert conference.get("waitUrl") == f"{BASE}/calls/wait?lang=ur"
    assert conference.get("statusCallback") == f"{BASE}/calls/consultations/{cid}/conference"


def test_without_consent_the_conference_is_not_recorded(
    runtime: Runtime, client: FlaskClient
) -> None:
    cid = new_consultation(runtime, consent=False)
    twiml = post(client, f"/calls/consultations/{cid}/join", {"CallSid": "CA" + "2" * 32})
    conference = twiml.find("Dial/Conference")
    assert conference is not None and conference.get("record") == "do-not-record"


def test_wait_music_is_a_short_message_then_music(client: FlaskClient) -> None:
    twiml = post(client, "/calls/wait?lang=hi", {})
    assert [child.tag for child in twiml] == ["Say", "Play"]
    assert twiml[0].get("language") == "hi-IN"
    assert twiml[1].get("loop") == "0"


def test_a_forged_request_is_refused(runtime: Runtime, client: FlaskClient) -> None:
    cid = new_consultation(runtime)
    post(client, f"/calls/consultations/{cid}/join", {"CallSid": "CA1"}, signed=False)
    post(client, "/calls/legs/1/status", {"CallStatus": "completed"}, signed=False)


def test_an_unknown_leg_gets_a_polite_goodbye_not_an_error(client: FlaskClient) -> None:
    twiml = post(client, "/calls/legs/999/answer", {"CallSid": "CA" + "3" * 32})
    assert [child.tag for child in twiml] == ["Say", "Hangup"]
    assert len(post(client, "/calls/legs/999/status", {"CallStatus": "ringing"})) == 0


def test_the_database_down_gives_an_apology_and_keeps_the_call(runtime: Runtime) -> None:
    broken = runtime.settings.with_overrides(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    app = create_app(broken, runtime=Runtime.from_settings(broken), TESTING=True)
    client = app.test_client()
    twiml = post(client, "/calls/legs/5/menu", {"CallSid": "CA" + "4" * 32, "Digits": "1"})
    assert [child.tag for child in twiml] == ["Say", "Hangup"]
    assert "माफ़" in (twiml[0].text or "")  # the Hindi apology
    assert (
        len(
            post(
                client,
                "/calls/consultations/1/conference",
                {"StatusCallbackEvent": "participant-join"},
            )
        )
        == 0
    )
