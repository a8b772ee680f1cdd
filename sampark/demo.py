"""``make demo``: Sampark on embedded defaults, with the sample district and a local Twilio.

One process holds everything a bare laptop needs: SQLite under ``instance/``, the
in-process Redis stand-in, the local Twilio stand-in (real clock), the web app
and an RQ worker with its scheduler. A scripted patient calls a spoke, the
spoke's ANM and a specialist answer and accept, and the scripted doctor issues a
prescription unless a person does it first in the portal. Every state change is
printed as it happens.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.serving import make_server

from models import Consultation, ConsultationState, Spoke, Staff, StaffRole
from sampark.app import create_app
from sampark.logs import configure_logging
from sampark.migrate import upgrade
from sampark.runtime import Runtime, install_process_runtime
from sampark.settings import PROJECT_ROOT, Settings
from sampark.timeutil import IST, format_ist, utcnow
from telephony.standin import PhoneScript, RealClock, StandIn
from workflows import clock as wclock

SAMPLE_DISTRICT = PROJECT_ROOT / "data" / "kishanganj.yaml"
DEMO_PASSWORD = "sampark-demo-2026"
#: The Hindi intake: language, consent, for self, name, age, sex, complaint (fever), days,
#: and "no" to the two danger-sign questions (see ivr/flow.py).
PATIENT_KEYS: list[str | None] = ["1", "1", "1", "34#", "1", "1", "3#", "2", "2"]
PATIENT = "+919990099001"
SCRIPTED_DOCTOR_DELAY_S = 45
QUEUES = ("workflow", "calls", "sms", "default")


@dataclass
class ShiftedClock:
    """Real time moved by a fixed offset (the demo's clinic hours, whatever the hour here)."""

    offset: timedelta

    def now(self) -> datetime:
        return utcnow() + self.offset


def clinic_offset(now: datetime) -> timedelta:
    """Zero inside weekday clinic hours (IST 09:00-16:00); else the shift to 10:30 IST."""
    local = now.astimezone(IST)
    if local.weekday() < 6 and 9 <= local.hour < 16:
        return timedelta(0)
    target = local.replace(hour=10, minute=30, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    while target.weekday() == 6:
        target += timedelta(days=1)
    return target - local


def _serve(app: object, port: int) -> None:
    server = make_server("127.0.0.1", port, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, name="sampark-web", daemon=True).start()


def _prepare(runtime: Runtime) -> tuple[str, str]:
    """Migrate, load the district, set the demo doctor's password; the demo spoke and numbers."""
    from portal.security import hash_password
    from sampark.registry import import_file

    upgrade(runtime.settings.database_url)
    report = import_file(runtime.db, SAMPLE_DISTRICT)
    print(f"  sample district loaded: {report}")
    with runtime.db.session() as s:
        spoke = s.scalars(
            select(Spoke).options(selectinload(Spoke.numbers)).order_by(Spoke.id).limit(1)
        ).one()
        doctors = s.scalars(
            select(Staff).where(Staff.role == StaffRole.DOCTOR).order_by(Staff.id)
        ).all()
        for doctor in doctors:
            doctor.password_hash = doctor.password_hash or hash_password(DEMO_PASSWORD)
        return spoke.name, spoke.numbers[0].number


def _script_staff(standin: StandIn, runtime: Runtime) -> None:
    """ANMs and doctors answer after a few rings and press 1 to take the case."""
    with runtime.db.session() as s:
        staff = s.scalars(select(Staff).where(Staff.role.in_([StaffRole.ANM, StaffRole.DOCTOR])))
        for person in staff:
            standin.script(
                person.mobile, PhoneScript(answer_after=4.0, digits=["1"], hangup_after=150.0)
            )


def _watch(runtime: Runtime, stop: threading.Event, scripted_doctor: bool) -> None:
    """Print every consultation state change; let the scripted doctor prescribe."""
    from prescriptions.scripted import issue_scripted_prescription

    seen: dict[int, ConsultationState] = {}
    waiting_since: dict[int, float] = {}
    while not stop.wait(1.0):
        try:
            with runtime.db.session() as s:
                rows = s.scalars(select(Consultation).order_by(Consultation.id)).all()
                for c in rows:
                    if seen.get(c.id) != c.state:
                        seen[c.id] = c.state
                        stamp = format_ist(wclock.now(), "%H:%M:%S IST")
                        print(f"  [{stamp}] consultation {c.reference}: {c.state.value}")
                        if c.state is ConsultationState.AWAITING_PRESCRIPTION and c.doctor:
                            print(
                                f"    {c.doctor.name} can prescribe in the portal: login "
                                f"{c.doctor.mobile} / {DEMO_PASSWORD}"
                            )
                    if c.state is ConsultationState.AWAITING_PRESCRIPTION and scripted_doctor:
                        first = waiting_since.setdefault(c.id, time.monotonic())
                        if time.monotonic() - first > SCRIPTED_DOCTOR_DELAY_S:
                            rx = issue_scripted_prescription(s, c.id, runtime=runtime)
                            print(f"  scripted doctor issued prescription {rx.code}")
        except Exception as exc:  # the demo keeps going; the product's own logs say more
            print(f"  (watcher: {exc!r})")


def _sweeper(runtime: Runtime, stop: threading.Event) -> None:
    """Enqueue the sweeper every minute, as ``sampark worker`` does with RQ's cron."""
    while not stop.wait(60.0):
        try:
            runtime.queue("workflow").enqueue("workflows.jobs.sweep")
        except Exception as exc:
            print(f"  (sweeper: {exc!r})")


def main(argv: list[str] | None = None) -> None:
    """Run the demo until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "5000")))
    parser.add_argument("--twilio-port", type=int, default=8765)
    parser.add_argument("--no-journey", action="store_true", help="no scripted patient call")
    parser.add_argument("--no-scripted-doctor", action="store_true")
    args = parser.parse_args(argv)

    configure_logging(os.environ.get("SAMPARK_LOG_LEVEL", "WARNING"))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    public = f"http://127.0.0.1:{args.port}"
    twilio = f"http://127.0.0.1:{args.twilio_port}"
    settings = Settings.from_env().with_overrides(
        public_base_url=public, twilio_api_base_url=twilio
    )
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    runtime = Runtime.from_settings(settings)
    install_process_runtime(runtime)
    print("Sampark demo")
    print(f"  database: {settings.database_url}")
    redis_name = "embedded in-process stand-in" if settings.uses_embedded_redis else "REDIS_URL"
    print(f"  redis:    {redis_name}")
    spoke_name, spoke_number = _prepare(runtime)

    standin = StandIn(settings.twilio_account_sid, settings.twilio_auth_token, clock=RealClock())
    with runtime.db.session() as s:
        from models import ServiceNumber

        for number in s.scalars(select(ServiceNumber.number)):
            standin.add_number(
                number,
                voice_url=f"{public}/ivr/incoming",
                status_callback=f"{public}/ivr/status",
                sms_url=f"{public}/sms/inbound",
            )
    _script_staff(standin, runtime)
    standin.start(port=args.twilio_port)
    _serve(create_app(settings, runtime=runtime), args.port)

    offset = clinic_offset(utcnow())
    stop = threading.Event()
    with wclock.use_clock(ShiftedClock(offset)):
        if offset:
            print(
                f"  workflow clock: {format_ist(wclock.now(), '%a %H:%M IST')} "
                "(moved into clinic hours so the sample rosters have people on duty)"
            )
        print(f"\n  web app:        {public}/healthz")
        print(f"  doctor portal:  {public}/portal/  (every doctor's password: {DEMO_PASSWORD})")
        print(f"  local Twilio:   {twilio}/_standin/timeline  (see telephony/standin/README.md)")
        print(
            f"  call a spoke:   curl -X POST {twilio}/_standin/dial-in "
            f'-d \'{{"from": "+919990099002", "to": "{spoke_number}"}}\''
        )
        print(
            f"  press keys:     curl -X POST {twilio}/_standin/calls/CA.../press "
            '-d \'{"digits": "1"}\'\n'
        )
        threading.Thread(target=_watch, args=(runtime, stop, not args.no_scripted_doctor),
                         daemon=True).start()  # fmt: skip
        threading.Thread(target=_sweeper, args=(runtime, stop), daemon=True).start()
        if not args.no_journey:
            standin.script(
                PATIENT, PhoneScript(digits=PATIENT_KEYS, record_seconds=[2, 6], hangup_after=600)
            )
            print(f"  a patient ({PATIENT}) calls {spoke_name} on {spoke_number} ...")
            standin.dial_in(from_=PATIENT, to=spoke_number)
        worker = SimpleWorker([runtime.queue(q) for q in QUEUES], connection=runtime.redis)
        try:
            worker.work(with_scheduler=True, logging_level="WARNING")
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            standin.stop()
            print("demo stopped")


if __name__ == "__main__":
    main()
