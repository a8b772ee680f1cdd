"""The one caller-ID rule, one test per step, seen by every user of it.

The call legs (``workflows.store``), the SMS sender (``outbound.sms.queue_sms`` and
``sender_for``) and the number a prescription SMS tells the patient to ring
(``prescriptions.recipients``) all come out of ``outbound.caller_id``: the configured
outbound number (calls and SMS only: never printed for the patient to ring), else the
spoke's own number, else the line the patient called, else the district line, else each
one's last resort.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from core.runtime import Runtime
from core.settings import Settings, SettingsError
from models import Consultation, IvrSession, LegRole, NumberKind, ServiceNumber
from outbound.caller_id import NO_CALLER_ID, caller_id
from outbound.sms import queue_sms, sender_for
from prescriptions.recipients import call_from, callback_number
from sms_templates.config import load_config
from tests.builders import MiniDistrict
from tests.sms.conftest import PATIENT
from tests.sms.samples import SAMPLES
from workflows import store

UNREGISTERED = "+916456229999"
#: An international number of the account (what Twilio allows as caller ID for India).
OUTBOUND = "+14155550142"


@dataclass(frozen=True)
class Seen:
    rule: str | None  # outbound.caller_id.caller_id with no default
    leg: str  # a call leg's From (workflows.store.leg_for)
    workflow: str  # workflows.store.caller_id
    sms: str | None  # an SMS's From (queue_sms, then sender_for when it is sent)
    readout: str | None  # a read-aloud call's From (prescriptions.recipients.call_from)
    ring_back: str | None  # the prescription SMS's number to ring


def _consultation(
    s: Session, mini: MiniDistrict, *, spoke: str | None, called: list[str]
) -> Consultation:
    c = Consultation(
        reference=f"KSG-{len(called)}{spoke or 'X'}"[:12],
        caller_mobile=PATIENT,
        spoke_id=mini.spoke_ids[spoke] if spoke else None,
    )
    s.add(c)
    s.flush()
    for i, line in enumerate(called):
        s.add(
            IvrSession(
                call_sid=f"CA{c.id}x{i}",
                consultation_id=c.id,
                caller=PATIENT,
                dialled=line,
                node="end",
            )
        )
    s.flush()
    return c


def _seen(runtime: Runtime, mini: MiniDistrict, *, spoke: str | None, called: list[str]) -> Seen:
    settings = runtime.settings
    with runtime.db.session() as s:
        c = _consultation(s, mini, spoke=spoke, called=called)
        leg, _ = store.leg_for(
            s, c, purpose=f"c{c.id}:anm:1", role=LegRole.ANM, to="+919990000101", settings=settings
        )
        sms = queue_sms(
            s,
            to=PATIENT,
            purpose="could_not_reach",
            language="hi",
            context=SAMPLES["could_not_reach"],
            consultation_id=c.id,
            idempotency_key=f"c{c.id}:test",
        )
        return Seen(
            rule=caller_id(s, c, settings=settings),
            leg=leg.from_number,
            workflow=store.caller_id(s, c, settings),
            sms=sender_for(runtime, sms.from_number),
            readout=call_from(s, c, settings),
            ring_back=callback_number(s, c),
        )


def _unregister(runtime: Runtime, *numbers: str) -> None:
    with runtime.db.session() as s:
        s.execute(delete(ServiceNumber).where(ServiceNumber.number.in_(numbers)))


def _with_outbound(runtime: Runtime) -> Runtime:
    return replace(runtime, settings=runtime.settings.with_overrides(outbound_caller_id=OUTBOUND))


def test_1_the_configured_outbound_number_first(runtime: Runtime, mini: MiniDistrict) -> None:
    configured = _with_outbound(runtime)
    own = mini.spoke_numbers["HWC-001"]
    seen = _seen(configured, mini, spoke="HWC-001", called=[mini.district_number])
    # calls and SMS come from it; the number printed for the patient stays the line she
    # called (under India's rules the toll-free district line: the spoke's is not ours)
    assert seen == Seen(OUTBOUND, OUTBOUND, OUTBOUND, OUTBOUND, OUTBOUND, mini.district_number)
    seen = _seen(configured, mini, spoke="HWC-001", called=[])  # no call: the spoke's own
    assert seen.ring_back == own
    with configured.db.session() as s:
        s.execute(delete(ServiceNumber))
    seen = _seen(configured, mini, spoke=None, called=[])  # with no line at all, still it
    assert seen == Seen(OUTBOUND, OUTBOUND, OUTBOUND, OUTBOUND, OUTBOUND, None)


def test_2_else_the_spokes_own_number(runtime: Runtime, mini: MiniDistrict) -> None:
    own = mini.spoke_numbers["HWC-001"]
    line = mini.missed_call_number
    seen = _seen(runtime, mini, spoke="HWC-001", called=[line])
    # ... and the patient is told to ring the line she called (a missed call to it)
    assert seen == Seen(own, own, own, own, own, line)


def test_3_else_the_line_the_patient_called(runtime: Runtime, mini: MiniDistrict) -> None:
    _unregister(runtime, mini.spoke_numbers["HWC-002"])  # a spoke without a number of its own
    line = mini.missed_call_number
    # the first call counts; a number that is not ours (any more) never does
    seen = _seen(runtime, mini, spoke="HWC-002", called=[UNREGISTERED, line, mini.district_number])
    assert seen == Seen(line, line, line, line, line, line)


def test_4_else_the_district_line(runtime: Runtime, mini: MiniDistrict) -> None:
    district = mini.district_number
    seen = _seen(runtime, mini, spoke=None, called=[])
    assert seen == Seen(district, district, district, district, district, district)


def test_5_else_each_users_last_resort(runtime: Runtime, mini: MiniDistrict) -> None:
    with runtime.db.session() as s:
        s.execute(delete(ServiceNumber).where(ServiceNumber.kind != NumberKind.SPOKE))
    seen = _seen(runtime, mini, spoke=None, called=[UNREGISTERED])
    header = load_config().dlt_header
    assert seen == Seen(None, NO_CALLER_ID, NO_CALLER_ID, header, None, None)


def test_the_outbound_number_is_read_and_checked_at_start_up() -> None:
    assert Settings.from_env({}).outbound_caller_id is None
    spaced = Settings.from_env({"OUTBOUND_CALLER_ID": " +1 415 555 0142 "})
    assert spaced.outbound_caller_id == OUTBOUND
    for bad in ("14155550142", "+1-415-555-0142", "SMPARK", "+0415555", "+1415"):
        with pytest.raises(SettingsError, match="OUTBOUND_CALLER_ID"):
            Settings.from_env({"OUTBOUND_CALLER_ID": bad})
