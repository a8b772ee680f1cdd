"""A missed call is a promise to call back: kept even when Redis loses the call-back job."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select, update

from core.runtime import Runtime
from core.timeutil import utcnow
from ivr.missed_calls import call_back_forgotten
from models import CallLeg, IvrSession, LegRole
from tests.builders import MiniDistrict
from tests.ivr.caller import Caller
from tests.ivr.conftest import PATIENT, full_day

OUTBOUND = "+14155550142"  # an international number of the account


def _age(runtime: Runtime, minutes: int, call_sid: str | None = None) -> None:
    rows = update(IvrSession)
    if call_sid is not None:
        rows = rows.where(IvrSession.call_sid == call_sid)
    with runtime.db.session() as s:
        s.execute(rows.values(created_at=utcnow() - timedelta(minutes=minutes)))


def test_a_missed_call_whose_call_back_job_was_lost_is_scheduled_again(
    runtime: Runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    full_day(runtime)
    phone = Caller(client, PATIENT, mini.missed_call_number)
    phone.dial()
    assert runtime.redis is not None and len(runtime.queue("calls").jobs) == 1
    runtime.redis.flushdb()  # Redis keeps nothing on disk
    assert call_back_forgotten(runtime) == 0  # a job just queued is not yet taken as lost
    _age(runtime, 5)
    assert call_back_forgotten(runtime) == 1
    [job] = runtime.queue("calls").jobs
    assert list(job.args) == [
        PATIENT,
        mini.missed_call_number,
        f"missed-callback:{phone.call_sid}",
        False,
    ]


def test_a_missed_call_called_back_or_a_day_old_is_left_alone(
    runtime: Runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    full_day(runtime)
    called = Caller(client, PATIENT, mini.missed_call_number)
    called.dial()
    old = Caller(client, "+919431012346", mini.missed_call_number)
    old.dial()
    assert runtime.redis is not None
    runtime.redis.flushdb()
    with runtime.db.session() as s:
        s.add(
            CallLeg(
                purpose=f"missed-callback:{called.call_sid}",
                role=LegRole.PATIENT_CALLBACK,
                to_number=PATIENT,
                from_number=mini.missed_call_number,
            )
        )
    _age(runtime, 5, called.call_sid)
    _age(runtime, 25 * 60, old.call_sid)
    assert call_back_forgotten(runtime) == 0
    assert runtime.queue("calls").jobs == []


def test_a_call_back_waits_while_another_of_our_calls_rings_the_patient(
    si, runtime: Runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    from ivr.callback import place_callback

    full_day(runtime)
    runtime.settings = runtime.settings.with_overrides(twilio_api_base_url=si.start())
    with runtime.db.session() as s:
        ringing = CallLeg(purpose="c1:patient:1", role=LegRole.PATIENT_CALLBACK,
                          to_number=PATIENT, from_number=mini.missed_call_number,
                          status="ringing", call_sid="CA" + "9" * 32)  # fmt: skip
        s.add(ringing)
    phone = Caller(client, PATIENT, mini.missed_call_number)
    phone.dial()
    purpose = f"missed-callback:{phone.call_sid}"
    assert place_callback(runtime, PATIENT, mini.missed_call_number, purpose) == ""
    assert si.calls == {} or all(c["to"] != PATIENT for c in si.calls.values())
    with runtime.db.session() as s:
        s.execute(update(CallLeg).where(CallLeg.purpose == "c1:patient:1").values(
            status="completed"))  # fmt: skip
    _age(runtime, 5, phone.call_sid)
    assert call_back_forgotten(runtime) == 1  # the sweeper schedules it again
    sid = place_callback(runtime, PATIENT, mini.missed_call_number, purpose)
    assert sid and si.calls[sid]["to"] == PATIENT


def test_a_call_back_from_the_configured_outbound_number_still_knows_its_line(
    si, runtime: Runtime, client: FlaskClient, mini: MiniDistrict
) -> None:
    """OUTBOUND_CALLER_ID: the call-back comes from it, and the intake it starts is on the
    missed-call line the patient rang (named in the answer URL)."""
    from ivr.callback import place_callback

    full_day(runtime)
    runtime.settings = runtime.settings.with_overrides(
        twilio_api_base_url=si.start(), outbound_caller_id=OUTBOUND
    )
    si.add_number(OUTBOUND, voice_url="http://sampark.test/ivr/incoming")
    phone = Caller(client, PATIENT, mini.missed_call_number)
    phone.dial()
    sid = place_callback(
        runtime, PATIENT, mini.missed_call_number, f"missed-callback:{phone.call_sid}"
    )
    placed = si.calls[sid]
    assert (placed["from"], placed["to"]) == (OUTBOUND, PATIENT)
    url = urlsplit(si.engine.calls[sid].url or "")
    assert parse_qs(url.query) == {"line": [mini.missed_call_number]}
    answered = Caller(client, PATIENT, OUTBOUND, call_sid=sid, direction="outbound-api")
    welcome = answered._post(f"{url.path}?{url.query}", answered._form())
    assert welcome.find("Gather") is not None  # the intake, not "not our number"
    with runtime.db.session() as s:
        session = s.scalars(select(IvrSession).where(IvrSession.call_sid == sid)).one()
        assert session.dialled == mini.missed_call_number
