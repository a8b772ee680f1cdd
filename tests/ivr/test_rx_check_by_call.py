"""RX verification by phone call, through the stand-in: India has no two-way SMS, so a
pharmacist or ANM calls a service line, presses 2, keys a prescription's code, and hears
who issued it, where, when, whether it is current, and the medicines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from core.runtime import Runtime
from ivr.catalog import catalog
from models import AuditEvent, Patient, Staff, StaffRole
from prescriptions.codes import keypad_code
from prescriptions.draft import DraftItem
from prescriptions.service import issue_prescription
from prescriptions.speech import voice_for
from standin import PhoneScript, StandIn
from tests.builders import MiniDistrict
from tests.ivr.conftest import PATIENT, stored
from tests.ivr.phoned import call, said
from tests.ivr.prescribed import add_prescription
from tests.ivr.signing import signed_post
from tests.prescriptions.helpers import add_consultation, fever_draft

pytestmark = pytest.mark.slow

PHARMACIST = "+919990500001"
EN = catalog("en")
SPEECH = voice_for("en")


@pytest.fixture
def pharmacist(runtime: Runtime, mini: MiniDistrict) -> Iterator[str]:
    """A registered pharmacist; English is the first of her languages the IVR speaks."""
    with runtime.db.session() as s:
        district_id = s.scalars(select(Staff.district_id).where(Staff.code == "ANM-001")).one()
        s.add(
            Staff(
                code="PH-001",
                name="Kishanganj Medical Hall",
                role=StaffRole.PHARMACIST,
                mobile=PHARMACIST,
                languages=["mai", "en", "hi"],  # Maithili: not spoken by the IVR
                district_id=district_id,
                fictional=True,
            )
        )
    yield PHARMACIST


def _issue(
    runtime: Runtime,
    mini: MiniDistrict,
    *,
    corrected: bool = False,
    code: str | None = None,
    mobile: str = "+919431077777",
) -> dict[str, Any]:
    """A prescription issued as the doctor's workspace issues it (and its correction);
    ``code``: the code its preview showed."""
    with runtime.db.session() as s:
        patient = Patient(mobile=mobile, name="Rukhsana", age_years=34, sex="female")
        s.add(patient)
        s.flush()
        consultation = add_consultation(s, mini, patient=patient)
        doctor_id = consultation.doctor_id or 0
        rx = issue_prescription(
            s, consultation_id=consultation.id, doctor_id=doctor_id, draft=fever_draft(), code=code
        )
        first = {"code": rx.code, "keys": rx.keypad_code, "id": rx.id}
        if corrected:
            issue_prescription(
                s,
                consultation_id=consultation.id,
                doctor_id=doctor_id,
                draft=fever_draft(
                    items=[DraftItem("paracetamol_tab", "650 mg", "1 tab", "1-1-1", 3)]
                ),
                replaces_code=rx.code,
                correction_reason="Wrong strength",
            )
        doctor = s.get(Staff, doctor_id)
        assert doctor is not None and doctor.hub is not None
        return {
            **first,
            "doctor": doctor.name,
            "reg": doctor.registration_number,
            "hub": doctor.hub.name,
        }


def _audits(runtime: Runtime, action: str = "rx_verify.call") -> list[AuditEvent]:
    with runtime.db.session() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return list(rows)


def _requests(si: StandIn, sid: str, path: str) -> int:
    return sum(1 for w in si.webhooks(subject=sid) if path in w.get("url", ""))


def test_a_pharmacist_keys_a_code_on_the_district_line_and_hears_the_prescription(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, pharmacist: str
) -> None:
    rx = _issue(runtime, mini)
    assert rx["keys"] == keypad_code(rx["code"]) and len(rx["keys"]) == 6  # set at issue
    # 2: check a code; the keys, then #; after the reading 3: end the call
    script = PhoneScript(digits=["2", f"{rx['keys']}#", "3"])
    sid = call(si, mini.district_number, script, caller=pharmacist)
    assert si.errors() == []
    words = said(si, sid)
    assert words[:2] == [EN.spoken("welcome"), EN.spoken("rx_check_offer")]  # in her language
    heard = " ".join(words)
    assert ", ".join(rx["code"]) in heard  # the code, letter by letter
    for fact in (rx["doctor"], rx["reg"], rx["hub"], "Paracetamol"):
        assert fact in heard, fact
    assert SPEECH.say("check_current") in words
    assert words[-2:] == [EN.spoken("rx_check_next"), EN.spoken("rx_check_goodbye")]
    assert si.calls[sid]["status"] == "completed"
    [audit] = _audits(runtime)
    assert (audit.actor, audit.subject_id) == ("PH-001", rx["id"])
    assert audit.detail == {
        "code": rx["keys"],
        "found": True,
        "codes": [rx["code"]],
        "call_sid": sid,
    }
    newest = stored(runtime)[0]  # nothing was asked of a patient: nothing is handed on
    assert newest["state"] == "cancelled"


def test_a_superseded_prescription_is_said_to_be_superseded(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, pharmacist: str
) -> None:
    rx = _issue(runtime, mini, corrected=True)
    script = PhoneScript(digits=["2", f"{rx['keys']}#", None])
    sid = call(si, mini.spoke_numbers["HWC-001"], script, caller=pharmacist)
    words = said(si, sid)
    heard = " ".join(words)
    assert SPEECH.say("check_current") not in words
    assert "This prescription is not current: a corrected prescription replaced it on" in heard
    assert words[-1] == EN.spoken("rx_check_goodbye")  # silence after the reading: goodbye
    [audit] = _audits(runtime)
    assert audit.detail["found"] is True


def test_a_wrong_code_is_said_and_asked_again_then_the_call_ends_politely(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, pharmacist: str
) -> None:
    rx = _issue(runtime, mini)
    wrong = "".join("2" if k != "2" else "3" for k in rx["keys"])  # no key in common
    # a wrong code, keys that are no code (1 is on no letter), silence: three tries
    script = PhoneScript(digits=["2", f"{wrong}#", "123#", None])
    sid = call(si, mini.district_number, script, caller=pharmacist)
    words = said(si, sid)
    assert SPEECH.say("check_not_found", keys=", ".join(wrong)) in words
    assert SPEECH.say("check_invalid", keys="1, 2, 3") in words
    assert SPEECH.say("check_silence") in words
    assert words.count(SPEECH.say("check_ask")) == 3
    assert words[-1] == SPEECH.say("check_give_up")
    assert si.calls[sid]["status"] == "completed"
    [audit] = _audits(runtime)  # one look-up: keys that are no code are not looked up
    assert audit.detail == {"code": wrong, "found": False, "codes": [], "call_sid": sid}
    assert stored(runtime)[0]["state"] == "cancelled"  # the hang-up after the goodbye


def test_a_code_shared_by_two_prescriptions_reads_both_with_their_codes(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, pharmacist: str
) -> None:
    assert keypad_code("K7M2PX") == keypad_code("J7N2QZ") == "576279"
    issued = [
        _issue(runtime, mini, code=code, mobile=f"+91943106666{n}")["code"]
        for n, code in enumerate(("K7M2PX", "J7N2QZ"))
    ]
    assert issued == ["K7M2PX", "J7N2QZ"]
    sid = call(
        si, mini.district_number, PhoneScript(digits=["2", "576279#", "3"]), caller=pharmacist
    )
    words = said(si, sid)
    assert SPEECH.say("check_several", count="two") in words
    heard = " ".join(words)
    assert "K, 7, M, 2, P, X" in heard and "J, 7, N, 2, Q, Z" in heard


def test_a_patient_never_hears_the_offer_nor_reaches_the_check(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, pharmacist: str
) -> None:
    with runtime.db.session() as s:
        add_prescription(s, mini, PATIENT)  # a patient with a prescription of her own
    # her first menu is her own prescription's; 2 there is a wrong key, never a code check
    sid = call(si, mini.district_number, PhoneScript(digits=["2", "1"]))
    words = said(si, sid)
    assert all(
        catalog(lang).spoken("rx_check_offer") not in words for lang in ("hi", "ur", "bn", "en")
    )
    assert words[1] == catalog("hi").spoken("rx_offer")
    # a caller who never rang before: 2 at the first menu is Urdu (the language menu)
    other = call(si, mini.district_number, PhoneScript(digits=["2"]), caller="+919431088888")
    assert catalog("ur").spoken("spoke_code") in said(si, other)
    assert _requests(si, other, "/rx/check") == 0
    assert _requests(si, sid, "/rx/check") == 0
    assert _audits(runtime) == []


def test_an_inactive_pharmacist_is_not_offered_the_check(
    si: StandIn, runtime: Runtime, mini: MiniDistrict, pharmacist: str
) -> None:
    with runtime.db.session() as s:
        s.scalars(select(Staff).where(Staff.code == "PH-001")).one().active = False
    sid = call(si, mini.district_number, PhoneScript(digits=[None]), caller=pharmacist)
    assert EN.spoken("rx_check_offer") not in said(si, sid)


def test_the_check_refuses_a_caller_who_is_not_a_verifier(
    client: Any, runtime: Runtime, mini: MiniDistrict
) -> None:
    """Even a request that reaches ``/rx/check`` (signed, as only Twilio can) looks nothing up."""
    rx = _issue(runtime, mini)
    url = "/rx/check?lang=en&after=http%3A%2F%2Fsampark.test%2Fivr%2Fstep&t=0&asked=1"
    form = {"From": PATIENT, "To": mini.district_number, "CallSid": "CA9", "Digits": rx["keys"]}
    body = signed_post(client, url, form).data.decode()
    assert SPEECH.say("check_refused") in body and rx["doctor"] not in body
    assert _audits(runtime) == []
    [refused] = _audits(runtime, "rx_verify.call_refused")
    assert refused.detail == {"call_sid": "CA9"}
