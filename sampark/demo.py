"""``make demo``: Sampark on embedded defaults, with the sample district and a local Twilio.

One process holds everything a bare laptop needs: SQLite under ``instance/``, the
in-process Redis stand-in, the local Twilio stand-in (real clock), the web app
and an RQ worker with its scheduler. Two scripted patients call two spokes and go
through the intake. At the end of it, patient A presses 1 to stay on the line and
waits in the consultation's conference, where the ANM and the doctor join her;
patient B stays silent, hangs up and is called back. The ANMs and specialists
answer and accept, and the scripted doctor issues each prescription unless a
person does it first in the portal. Every state change, and what happens on the
phones (calls placed, who joins which conference, SMS), is printed as it happens.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rq import SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.serving import make_server

from core import clock as wclock
from core.logs import configure_logging
from core.runtime import Runtime, install_process_runtime
from core.settings import PROJECT_ROOT, Settings
from core.timeutil import IST, format_ist, utcnow
from models import Consultation, ConsultationState, Patient, Spoke, Staff, StaffRole
from models.migrate import upgrade
from ops import jobs as ops_jobs
from portal.blueprint import HOME_BY_ROLE
from portal.security import hash_password
from prescriptions.scripted import issue_scripted_prescription
from sampark.app import create_app
from sampark.cli.errors import CliError, binding, ensure_free, explain
from sampark.demo_lines import line_names
from sampark.demo_phones import PhoneNarrator, say, watch_phones
from sampark.demo_start import (
    close_earlier_run,
    district_summary,
    doctor_logins,
    other_logins,
)
from sampark.registry import import_file
from standin import PhoneScript, RealClock, StandIn

SAMPLE_DISTRICT = PROJECT_ROOT / "data" / "kishanganj.yaml"
DEMO_PASSWORD = "sampark-demo-2026"
#: The Hindi intake: language, consent, for self, (name recorded), age, sex, complaint
#: (fever), days, and "no" to the two danger-sign questions; then (description recorded)
#: silence at the SMS-script question, which keeps the default script (see ivr/flow.py).
INTAKE_KEYS: list[str | None] = ["1", "1", "1", "34#", "1", "1", "3#", "2", "2", None]
#: At the offer after the reference number: 1 stays on the line (the consultation's
#: conference); silence hangs up and is called back.
STAY_KEYS: list[str | None] = [*INTAKE_KEYS, "1"]
CALL_BACK_KEYS: list[str | None] = [*INTAKE_KEYS, None]
#: The scripted patients' first numbers (+919990099002 is left for a person's own calls:
#: see the printed ``curl``); a number with a history in the database is skipped, so a
#: second ``make demo`` on the same database still plays a first-time caller.
FIRST_PATIENT_NUMBER = 99001
MANUAL_NUMBER = "+919990099002"
#: Seconds between the two patients' calls (so that their intakes do not interleave).
SECOND_PATIENT_DELAY_S = 20.0
SCRIPTED_DOCTOR_DELAY_S = 45
#: The scripted ANMs and doctors hang up this long after answering (the conference's length).
STAFF_HANGUP_S = 150.0
QUEUES = ("workflow", "calls", "sms", "default")
PORT_HINT = " (another one: make demo PORT=8090 TWILIO_PORT=8766)"


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
    with binding("127.0.0.1", port, "the web app", PORT_HINT):
        server = make_server("127.0.0.1", port, app, threaded=True)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, name="sampark-web", daemon=True).start()


@dataclass(frozen=True)
class ScriptedPatient:
    """A patient the demo plays: who, from which phone, to which spoke, staying or not."""

    label: str
    number: str
    spoke_name: str
    spoke_number: str
    stays: bool

    def script(self) -> PhoneScript:
        keys = STAY_KEYS if self.stays else CALL_BACK_KEYS
        return PhoneScript(digits=list(keys), record_seconds=[2, 6], hangup_after=900)

    @property
    def intent(self) -> str:
        if self.stays:
            return "will press 1 at the end to stay on the line"
        return "will stay silent at the end, hang up and be called back"


def _prepare(runtime: Runtime) -> list[tuple[str, str]]:
    """Migrate, load the district, set the demo doctors' password; two spokes and numbers."""

    upgrade(runtime.settings.database_url)
    report = import_file(runtime.db, SAMPLE_DISTRICT)
    print(f"  {district_summary(runtime, report)}")
    with runtime.db.session() as s:
        spokes = s.scalars(
            select(Spoke).options(selectinload(Spoke.numbers)).order_by(Spoke.id).limit(2)
        ).all()
        portal_staff = s.scalars(
            select(Staff).where(Staff.role.in_(list(HOME_BY_ROLE))).order_by(Staff.id)
        ).all()
        demo_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
        for person in portal_staff:  # doctors, ANMs, district admins: a permanent password
            person.password_hash = person.password_hash or demo_hash
        return [(spoke.name, spoke.numbers[0].number) for spoke in spokes]


def _fresh_numbers(runtime: Runtime, count: int) -> list[str]:
    """``count`` patient numbers that have never called (no patient, no consultation)."""
    with runtime.db.session() as s:
        used = set(s.scalars(select(Patient.mobile)))
        used |= set(s.scalars(select(Consultation.caller_mobile)))
        used |= set(s.scalars(select(Staff.mobile)))
    numbers: list[str] = []
    n = FIRST_PATIENT_NUMBER
    while len(numbers) < count:
        number = f"+9199900{n}"
        if number not in used and number != MANUAL_NUMBER:
            numbers.append(number)
        n += 1
    return numbers


def _patients(runtime: Runtime, spokes: list[tuple[str, str]]) -> list[ScriptedPatient]:
    """Patient A stays on the line at the first spoke; patient B is called back at the next."""
    stays_number, called_back_number = _fresh_numbers(runtime, 2)
    (a_name, a_number), (b_name, b_number) = spokes[0], spokes[-1]
    return [
        ScriptedPatient("patient A", stays_number, a_name, a_number, stays=True),
        ScriptedPatient("patient B", called_back_number, b_name, b_number, stays=False),
    ]


def _script_staff(standin: StandIn, runtime: Runtime) -> None:
    """ANMs and doctors answer after a few rings and press 1 to take the case."""
    with runtime.db.session() as s:
        staff = s.scalars(select(Staff).where(Staff.role.in_([StaffRole.ANM, StaffRole.DOCTOR])))
        for person in staff:
            standin.script(
                person.mobile,
                PhoneScript(answer_after=4.0, digits=["1"], hangup_after=STAFF_HANGUP_S),
            )


def _watch(
    runtime: Runtime,
    stop: threading.Event,
    scripted_doctor: bool,
    people: dict[str, str],
    seen: dict[int, ConsultationState],
) -> None:
    """Print every consultation state change (with whose it is) from the states ``seen``;
    let the scripted doctor prescribe."""
    waiting_since: dict[int, float] = {}
    while not stop.wait(1.0):
        try:
            with runtime.db.session() as s:
                rows = s.scalars(select(Consultation).order_by(Consultation.id)).all()
                for c in rows:
                    if seen.get(c.id) != c.state:
                        seen[c.id] = c.state
                        stamp = format_ist(wclock.now(), "%H:%M:%S IST")
                        whose = people.get(c.caller_mobile or "", c.caller_mobile)
                        say(f"  [{stamp}] consultation {c.reference} ({whose}): {c.state.value}")
                        if c.state is ConsultationState.AWAITING_PRESCRIPTION and c.doctor:
                            say(
                                f"    {c.doctor.name} can prescribe in the portal: login "
                                f"{c.doctor.mobile} / {DEMO_PASSWORD}"
                            )
                    if c.state is ConsultationState.AWAITING_PRESCRIPTION and scripted_doctor:
                        first = waiting_since.setdefault(c.id, time.monotonic())
                        if time.monotonic() - first > SCRIPTED_DOCTOR_DELAY_S:
                            rx = issue_scripted_prescription(s, c.id, runtime=runtime)
                            say(f"  scripted doctor issued prescription {rx.code}")
        except Exception as exc:  # the demo keeps going; the product's own logs say more
            say(f"  (watcher: {exc!r})")


def _states(runtime: Runtime) -> dict[int, ConsultationState]:
    """Every consultation's state now."""
    with runtime.db.session() as s:
        return dict(s.execute(select(Consultation.id, Consultation.state)).tuples().all())


def _people(runtime: Runtime, patients: list[ScriptedPatient]) -> dict[str, str]:
    """Names for the phones: the ANMs, the doctors (with their specialty), the patients."""
    with runtime.db.session() as s:
        staff = s.scalars(select(Staff).where(Staff.role.in_([StaffRole.ANM, StaffRole.DOCTOR])))
        people = {
            p.mobile: f"ANM {p.name}"
            if p.role is StaffRole.ANM
            else f"{p.name} ({(p.specialty or 'doctor').replace('_', ' ')})"
            for p in staff
        }
    people.update({p.number: p.label for p in patients})
    return people


def _sweeper(runtime: Runtime, stop: threading.Event) -> None:
    """Enqueue the sweeper every minute, as ``sampark worker`` does with RQ's cron."""
    while not stop.wait(60.0):
        try:
            runtime.queue("workflow").enqueue(ops_jobs.sweep)
        except Exception as exc:
            say(f"  (sweeper: {exc!r})")


def _call(standin: StandIn, patients: list[ScriptedPatient], stop: threading.Event) -> None:
    """The scripted patients ring their spokes, one after the other."""
    for i, patient in enumerate(patients):
        if i and stop.wait(SECOND_PATIENT_DELAY_S):
            return
        standin.script(patient.number, patient.script())
        say(
            f"  {patient.label} ({patient.number}) calls {patient.spoke_name} on "
            f"{patient.spoke_number}; {patient.intent} ..."
        )
        standin.dial_in(from_=patient.number, to=patient.spoke_number)


def main(argv: list[str] | None = None) -> None:
    """Run the demo until Ctrl-C; a problem the operator can fix is one line, exit non-zero."""
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "5000")))
    parser.add_argument("--twilio-port", type=int, default=8765)
    parser.add_argument("--no-journey", action="store_true", help="no scripted patient calls")
    parser.add_argument("--no-scripted-doctor", action="store_true")
    args = parser.parse_args(argv)
    try:
        run(args)
    except KeyboardInterrupt:  # Ctrl-C before the worker runs (it handles its own)
        print("demo stopped")
        sys.exit(130)
    except Exception as exc:
        error = exc if isinstance(exc, CliError) else explain(exc)
        if error is None:
            raise
        print(f"make demo: {error.format_message()}", file=sys.stderr)
        sys.exit(error.exit_code)


def run(args: argparse.Namespace) -> None:
    """The demo (see the module docstring) on ``args``' ports."""
    ensure_free("127.0.0.1", args.port, "the web app", PORT_HINT)
    ensure_free("127.0.0.1", args.twilio_port, "the local Twilio", PORT_HINT)
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
    spokes = _prepare(runtime)
    clean = close_earlier_run(runtime).text()
    if clean:
        print(f"  {clean}")
    patients = _patients(runtime, spokes)
    spoke_number = spokes[0][1]

    # A new seed each run: the same call SIDs as an earlier run on this database would be
    # taken for those (finished) calls and hung up on.
    standin = StandIn(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        clock=RealClock(),
        seed=secrets.randbits(32),
    )
    for number, name in line_names(runtime).items():  # named on the browser phone
        standin.add_number(
            number,
            voice_url=f"{public}/ivr/incoming",
            status_callback=f"{public}/ivr/status",
            sms_url=f"{public}/sms/inbound",
            friendly_name=name,
        )
    _script_staff(standin, runtime)
    with binding("127.0.0.1", args.twilio_port, "the local Twilio", PORT_HINT):
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
        print(f"  staff portal:   {public}/portal/  (every login's password: {DEMO_PASSWORD})")
        print(f"    general-medicine doctors at the patients' hubs (password {DEMO_PASSWORD}):")
        for login in doctor_logins(runtime, [name for name, _ in spokes]):
            print(f"      {login}")
        print("    the patients' ANMs (their HWC's workspace) and the district admins")
        print("    (dashboard, monthly report, staff):")
        for login in other_logins(runtime, [name for name, _ in spokes]):
            print(f"      {login}")
        print(f"  local Twilio:   {twilio}/_standin/timeline  (see standin/README.md)")
        print(f"  phone in the browser: {twilio}/_standin/phone  (dial a spoke, answer staff)")
        print(
            f"  call a spoke:   curl -X POST {twilio}/_standin/dial-in "
            f'-d \'{{"from": "{MANUAL_NUMBER}", "to": "{spoke_number}"}}\''
        )
        print(
            f"  press keys:     curl -X POST {twilio}/_standin/calls/CA.../press "
            '-d \'{"digits": "1"}\'\n'
        )
        people = _people(runtime, patients)
        standin.label_phones(people)
        earlier = _states(runtime)  # an earlier run's consultations: only their changes
        threading.Thread(target=_watch, daemon=True,
                         args=(runtime, stop, not args.no_scripted_doctor, people, earlier),
                         ).start()  # fmt: skip
        threading.Thread(target=_sweeper, args=(runtime, stop), daemon=True).start()
        narrator = PhoneNarrator(people)
        threading.Thread(target=watch_phones, args=(standin, narrator, stop),
                         daemon=True).start()  # fmt: skip
        if not args.no_journey:
            threading.Thread(target=_call, args=(standin, patients, stop), daemon=True).start()
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
