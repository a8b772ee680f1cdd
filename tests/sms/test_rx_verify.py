"""RX <code> by SMS: a registered ANM or pharmacist learns who issued it, when, and whether
it is current; any other number learns nothing, and the attempt is audited."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from core.runtime import Runtime
from prescriptions.verify import parse_rx
from tests.builders import MiniDistrict
from tests.sms.conftest import PATIENT, PHARMACIST, audit, rows, signed_post

STRANGER = "+919812345678"


def _text(client: FlaskClient, from_: str, body: str, sid: str = "SM" + "7" * 32) -> None:
    params = {"MessageSid": sid, "From": from_, "To": "+916456220001", "Body": body}
    resp = signed_post(client, "/sms/inbound", params)
    assert resp.status_code == 200 and b"<Response />" in resp.data


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("RX RXNEW3", "RXNEW3"),
        ("rx rxnew3", "RXNEW3"),
        ("Rx: rxn-ew 3", "RXNEW3"),
        (" RX#K7 2P ", "K72P"),
        ("hello", None),
        ("RXNEW3", None),
        ("", None),
    ],
)
def test_parse_rx(body: str, code: str | None) -> None:
    assert parse_rx(body) == code


def test_registered_pharmacist_learns_issuer_date_and_status(
    client: FlaskClient, runtime: Runtime, prescriptions: dict[str, int]
) -> None:
    _text(client, PHARMACIST, "rx rxnew3", sid="SM" + "1" * 32)
    _text(client, "099904 00001", "RX RXOLD2", sid="SM" + "2" * 32)  # as a phone may send it
    current, replaced = rows(runtime)
    assert current.to_number == PHARMACIST and current.purpose == "rx_verify_reply"
    assert current.body == (
        "Sampark Rx RXNEW3\nIssued by Dr. Anil Prasad BMC-40001\n"
        "Sadar Hospital Kishanganj, 25-11-2026 14:05\nStatus: CURRENT"
    )
    assert "Status: REPLACED 25-11-2026 14:05, do not dispense" in replaced.body
    assert [j.args for j in runtime.queue("sms").get_jobs()] == [(current.id,), (replaced.id,)]
    events = audit(runtime, "rx_verify.answered")
    assert {e.subject_id for e in events} == set(prescriptions.values())


def test_registered_anm_gets_her_language_and_unknown_codes_are_said_plainly(
    client: FlaskClient, runtime: Runtime, mini: MiniDistrict, prescriptions: dict[str, int]
) -> None:
    _text(client, mini.anms["ANM-001"], "RX ZZZZ99")
    [reply] = rows(runtime)
    assert reply.language == "hi" and reply.template == "rx_verify_reply/hi.native.j2"
    assert reply.body == "सम्पर्क: कोड ZZZZ99 का कोई पर्चा नहीं मिला। कोड जाँचें।"


def test_same_inbound_message_twice_is_answered_once(
    client: FlaskClient, runtime: Runtime, prescriptions: dict[str, int]
) -> None:
    _text(client, PHARMACIST, "RX RXNEW3")
    _text(client, PHARMACIST, "RX RXNEW3")  # Twilio re-posted the webhook
    assert len(rows(runtime)) == 1


@pytest.mark.parametrize("sender", [STRANGER, PATIENT, "+919990400002", "+919990200001"])
def test_other_numbers_learn_nothing_and_are_audited(
    client: FlaskClient, runtime: Runtime, prescriptions: dict[str, int], sender: str
) -> None:
    """A stranger, the patient herself, an inactive pharmacist, a doctor: all refused."""
    _text(client, sender, "RX RXNEW3", sid="SM" + "3" * 32)
    _text(client, sender, "RX RXOLD2", sid="SM" + "4" * 32)
    [reply] = rows(runtime)  # one neutral reply a day, whatever they try
    assert reply.purpose == "rx_verify_refused" and reply.encoding == "GSM-7"
    assert reply.body == "Sampark: yeh seva is number ke liye uplabdh nahin hai."
    for secret in ("RXNEW3", "Anil", "Sabina", "Sadar", "BMC"):
        assert secret not in reply.body
    events = audit(runtime, "rx_verify.refused")
    assert [e.detail["code"] for e in events] == ["RXNEW3", "RXOLD2"]
    assert all(e.subject_id is None and e.detail["from"] == sender for e in events)


def test_landline_sender_is_audited_without_a_reply(
    client: FlaskClient, runtime: Runtime, prescriptions: dict[str, int]
) -> None:
    _text(client, "+916456222333", "RX RXNEW3")
    assert rows(runtime) == []
    assert len(audit(runtime, "rx_verify.refused")) == 1


def test_other_texts_get_no_reply(
    client: FlaskClient, runtime: Runtime, prescriptions: dict[str, int]
) -> None:
    _text(client, PHARMACIST, "Thank you")
    _text(client, STRANGER, "STOP")
    assert rows(runtime) == []
