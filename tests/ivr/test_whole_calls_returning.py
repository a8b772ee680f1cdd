"""Whole calls of a returning caller through the stand-in: the latest prescription (press 5)
and the SMS script chosen on the phone."""

from __future__ import annotations

import pytest
from rq import SimpleWorker

from core.runtime import install_process_runtime
from ivr.catalog import catalog
from models import SmsMessage
from standin import PhoneScript
from tests.ivr.conftest import PATIENT, stored
from tests.ivr.phoned import COMPLETE, call, said
from tests.ivr.prescribed import MEDICINE, add_prescription

pytestmark = pytest.mark.slow


# -- a returning caller: the latest prescription, the SMS script --------------------------
def test_a_returning_caller_presses_5_and_hears_their_prescription(
    si, runtime, mini, handoffs
) -> None:
    with runtime.db.session() as s:
        add_prescription(s, mini, PATIENT)
    # 5: the prescription; silence after it is read; 2: end the call
    sid = call(si, mini.spoke_numbers["HWC-002"], PhoneScript(digits=["5", None, "2"]))
    assert si.errors() == []
    hindi = catalog("hi")
    words = said(si, sid)
    assert words[:2] == [hindi.spoken("welcome"), hindi.spoken("rx_offer")]
    assert any(MEDICINE in w for w in words)  # the prescription is read
    assert words[-2:] == [hindi.spoken("rx_next"), hindi.spoken("rx_goodbye")]
    assert si.calls[sid]["status"] == "completed"
    newest = stored(runtime)[0]
    assert newest["state"] == "cancelled" and handoffs == []


def test_after_hearing_it_a_new_consultation_in_the_same_call(si, runtime, mini, handoffs) -> None:
    with runtime.db.session() as s:
        add_prescription(s, mini, PATIENT, language="ur")
    # 5, listen, 1: new consultation; consent, self (known), fever, 2 days, no, no
    digits = ["5", None, "1", "1", "1", "1", "2#", "2", "2", None]
    sid = call(si, mini.spoke_numbers["HWC-001"], PhoneScript(digits=digits, record_seconds=[6]))
    urdu = catalog("ur")
    words = said(si, sid)
    assert any(MEDICINE in w for w in words) and urdu.spoken("consent") in words
    assert words[-1] == urdu.spoken("end_next")
    row = stored(runtime)[0]
    assert row["state"] == "intake_complete" and row["language"] == "ur"
    assert handoffs == [(row["id"], "intake_complete")]


def test_a_caller_without_a_prescription_never_hears_the_option(si, runtime, mini) -> None:
    with runtime.db.session() as s:
        add_prescription(s, mini, "+919431055555")  # someone else's
    sid = call(
        si,
        mini.spoke_numbers["HWC-001"],
        PhoneScript(digits=[*COMPLETE["hi"], "1"], record_seconds=[3, 9]),
    )
    words = said(si, sid)
    assert catalog("hi").spoken("rx_offer") not in words
    assert not any(MEDICINE in w for w in words)
    assert stored(runtime)[0]["state"] == "intake_complete"


def test_the_sms_script_chosen_on_the_phone_is_used_for_later_sms(si, runtime, mini) -> None:
    from models import Patient
    from outbound.sms import SMS_QUEUE, enqueue_delivery, queue_sms

    runtime.settings = runtime.settings.with_overrides(twilio_api_base_url=si.start())
    digits = [*COMPLETE["hi"], "2"]  # 2: "my phone cannot show Hindi letters"
    sid = call(si, mini.spoke_numbers["HWC-001"], PhoneScript(digits=digits, record_seconds=[3, 9]))
    assert catalog("hi").spoken("sms_script") in said(si, sid)
    [row] = stored(runtime)
    with runtime.db.session() as s:
        patient = s.get(Patient, row["patient"]["id"])
        assert patient is not None and patient.sms_script == "roman"
        sms = queue_sms(
            s,
            to=PATIENT,
            purpose="could_not_reach",
            language="hi",
            context={"callback_number": mini.spoke_numbers["HWC-001"]},
            consultation_id=row["id"],
            idempotency_key=f"test:{row['id']}",
        )
        sms_id = sms.id
    install_process_runtime(runtime)
    try:
        enqueue_delivery(runtime, sms_id)
        SimpleWorker([runtime.queue(SMS_QUEUE)], connection=runtime.redis).work(burst=True)
        si.run_until_idle()
    finally:
        install_process_runtime(None)
    [message] = si.inbox(PATIENT)
    assert message["body"].isascii()  # romanised Hindi: any phone can show it
    with runtime.db.session() as s:
        stored_sms = s.get(SmsMessage, sms_id)
        assert stored_sms is not None
        assert (stored_sms.script, stored_sms.encoding) == ("roman", "GSM-7")
