"""``sampark simulate``: N scripted patient journeys through the local Twilio stand-in.

Everything runs in this process on a database and queue prefix of its own: the
app receives the stand-in's webhooks through WSGI, an RQ ``SimpleWorker`` drains
the queues in bursts, and the sweeper fires the workflow's deadlines. Every patient
dials a spoke's number (or, under a region's rules, the district line and the spoke's
code: ``ops.simulate_setup``) through the stand-in and presses keys in the IVR
(``ops.simulate_callers``: stay on the line, call-back, emergency, hang-ups at
every step, silence, wrong keys, consent refused, never reachable). With the
virtual clock (default) the run is a discrete-event simulation: the workflow
reads the stand-in's time, the next stand-in event or workflow deadline comes
next, and an hour of calls takes seconds. ``--real-time`` runs on the wall clock.

SIGINT (Ctrl-C) and SIGTERM stop a run between two steps of its loop, within a
second or so: the stand-in stops, and :class:`Interrupted` carries the summary so far.
Without a ``database_url`` the run's SQLite file is temporary and removed at the end,
unless ``keep_db`` names where to keep it.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from rq import SimpleWorker
from sqlalchemy import event, func, select

from core import clock as wclock
from core.runtime import Runtime, install_process_runtime
from core.settings import Settings
from core.timeutil import IST
from ivr.after_commit import settle
from models import (
    Base,
    CallLeg,
    Consultation,
    ConsultationState,
    LegRole,
)
from ops.simulate_data import Journey, build_sim_district, journeys
from ops.simulate_setup import TelephonySetup, resolve_region
from ops.simulate_summary import DONE, Summary, summarise
from ops.sweeper import sweep
from prescriptions.scripted import issue_scripted_prescription
from prescriptions.service import PrescriptionRejected
from standin import PhoneScript, RealClock, StandIn, VirtualClock, WsgiTransport

S = ConsultationState
log = logging.getLogger(__name__)
#: Builds the WSGI app for the settings and runtime (``sampark.app.create_app``).
AppFactory = Callable[..., Any]
QUEUES = ("workflow", "sms", "calls", "default")
#: Patients whose phones take no SMS (switched off, full inbox): the prescription is read aloud.
SMS_UNDELIVERABLE_SHARE = 0.05


def _start_of_clinic(now: datetime) -> datetime:
    """10:00 IST today (or tomorrow): a simulated morning inside the call window."""
    local = now.astimezone(IST).replace(hour=10, minute=0, second=0, microsecond=0)
    if local < now.astimezone(IST):
        local += timedelta(days=1)
    return local.astimezone(UTC)


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


class _BurstWorker(SimpleWorker):
    """A ``SimpleWorker`` drained in bursts between events, without the command channel
    (its pub/sub thread costs a quarter of a second to stop after every burst)."""

    def subscribe(self) -> None:
        return None

    def _install_signal_handlers(self) -> None:
        """The simulation's own handlers stay (RQ's would stop only the worker)."""
        return None

    def unsubscribe(self) -> None:
        return None


class Simulation:
    """One run: the stack, the journeys and the loop that drives them."""

    def __init__(
        self,
        settings: Settings,
        *,
        patients: int,
        real_time: bool,
        seed: int,
        over_seconds: float | None = None,
        database_url: str | None = None,
        app_factory: AppFactory,
        setup: TelephonySetup | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        if setup is None:  # the simulated registry's own region (India), as configured
            setup = TelephonySetup.for_region(resolve_region("auto"), settings.outbound_caller_id)
        self.setup = setup
        self.real_time = real_time
        self.stop_signal: int | None = None  # set by SIGINT / SIGTERM: the loop ends
        db_url = (
            database_url
            or f"sqlite:///{tempfile.gettempdir()}/sampark-sim-{uuid.uuid4().hex[:8]}.db"
        )
        workflow = {"call_window": ["00:00", "00:00"]} if real_time else {}
        self.settings = setup.settings(settings).with_overrides(
            database_url=db_url,
            queue_prefix=f"sim{uuid.uuid4().hex[:6]}",
            extra={**dict(settings.extra or {}), "workflow": workflow},
        )
        holder: dict[str, Any] = {}
        sim_clock = (
            RealClock() if real_time else VirtualClock(start=_start_of_clinic(datetime.now(UTC)))
        )
        self.standin = StandIn(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            clock=sim_clock,
            seed=seed,
            transport=WsgiTransport(lambda env, start: holder["app"](env, start)),
            region=setup.region,
        )
        api = self.standin.start()
        self.settings = self.settings.with_overrides(twilio_api_base_url=api)
        self.runtime = Runtime.from_settings(self.settings)
        if self.runtime.db.is_sqlite:  # a throw-away database: no fsync per commit
            event.listen(self.runtime.db.engine, "connect", _fast_sqlite)
        Base.metadata.create_all(self.runtime.db.engine)
        holder["app"] = app_factory(self.settings, runtime=self.runtime)
        with self.runtime.db.session() as s:
            self.district = build_sim_district(s, patients, self.rng)
        over = over_seconds if over_seconds is not None else (3600.0 if not real_time else 60.0)
        self.journeys = journeys(
            patients, self.district, self.rng, over, via_district_line=setup.via_district_line
        )
        self.flaky = {j.mobile for j in self.journeys if j.kind == "flaky"}
        self.worker = _BurstWorker(
            [self.runtime.queue(q) for q in QUEUES], connection=self.runtime.redis
        )
        self._script_phones()

    def _script_phones(self) -> None:
        si, d = self.standin, self.district
        self.setup.configure(si, d, self.settings)  # the numbers on the account
        for mobile in d.anm_mobiles:
            digits: list[str | None] = ["3"] if mobile in d.passing_anm_mobiles else ["1"]
            si.script(mobile, PhoneScript(answer_after=5.0, digits=digits, hangup_after=330.0))
        for mobile in d.doctor_mobiles:
            if mobile in d.absent_doctor_mobiles:
                si.script(mobile, PhoneScript(outcome="no-answer"))
            else:
                si.script(mobile, PhoneScript(answer_after=6.0, digits=["1"], hangup_after=300.0))
        for j in self.journeys:
            script = j.script()
            if j.kind == "answers" and self.rng.random() < SMS_UNDELIVERABLE_SHARE:
                script = replace(script, sms_outcome="undelivered")  # heard by phone instead
            si.script(j.mobile, script)
            si.clock.schedule(j.arrives_after, partial(self._arrive, j))

    def _arrive(self, j: Journey) -> None:
        """The patient dials their spoke's number or the district line; their phone presses
        its keys. A dial-in the region's rules refuse never reaches us (counted as refused)."""
        try:
            self.standin.dial_in(from_=j.mobile, to=j.dials)
        except ValueError as exc:
            log.warning("simulate: the call did not reach us: %s", exc)

    # -- the loop -------------------------------------------------------------------------
    def _drain(self) -> None:
        settle()  # the IVR's hand-offs, made after its commits on a thread of its own
        if any(self.runtime.queue(q).count for q in QUEUES):
            self.worker.work(burst=True, logging_level="WARNING")

    def _prescribe(self) -> None:
        """The scripted doctor issues a prescription in every consultation awaiting one."""
        with self.runtime.db.session() as s:
            waiting = s.scalars(
                select(Consultation.id).where(Consultation.state == S.AWAITING_PRESCRIPTION)
            ).all()
        for cid in waiting:
            try:
                with self.runtime.db.session() as s:
                    issue_scripted_prescription(s, cid, runtime=self.runtime)
            except PrescriptionRejected as exc:
                log.warning("scripted doctor could not prescribe", extra={"id": cid, "why": exc})

    def _unflake(self) -> None:
        """A flaky patient misses the first call-back and answers the next."""
        if not self.flaky:
            return
        with self.runtime.db.session() as s:
            missed = set(
                s.scalars(
                    select(CallLeg.to_number).where(
                        CallLeg.role == LegRole.PATIENT_CALLBACK,
                        CallLeg.status == "no-answer",
                        CallLeg.to_number.in_(self.flaky),
                    )
                )
            )
        for mobile in missed:
            self.standin.script(mobile, PhoneScript(answer_after=4.0, hangup_after=300.0))
            self.flaky.discard(mobile)

    def _next_deadline(self) -> datetime | None:
        with self.runtime.db.session() as s:
            return s.scalar(
                select(func.min(Consultation.state_deadline_at)).where(
                    Consultation.state.not_in(DONE)
                )
            )

    def _done(self) -> int:
        """Patients all of whose consultations are done."""
        with self.runtime.db.session() as s:
            rows = s.execute(select(Consultation.caller_mobile, Consultation.state)).all()
        open_ = {m for m, state in rows if state not in DONE}
        return len({m for m, _ in rows} - open_)

    def run(self, on_progress: Callable[[int], None] | None = None) -> Summary:
        started = time.perf_counter()
        begin = self.standin.now()
        clk = self.standin.clock
        horizon = begin + timedelta(hours=12)
        last_sweep = 0.0
        with wclock.use_clock(clk):
            install_process_runtime(self.runtime)
            try:
                loops = 0
                while self.stop_signal is None:
                    loops += 1
                    self._drain()
                    if loops % 10 == 0:
                        self._prescribe()
                    if loops % 25 == 0:
                        self._unflake()
                        if on_progress is not None:
                            on_progress(self._done())
                    if self.real_time:
                        if time.monotonic() - last_sweep > 1.0:
                            sweep(self.runtime)
                            last_sweep = time.monotonic()
                        if self._done() >= len(self.journeys) or clk.now() > horizon:
                            break
                        time.sleep(0.05)
                        continue
                    due = clk.next_due()
                    event_at = (
                        None if due is None else clk.now() + timedelta(seconds=due - clk.seconds())
                    )
                    deadline = self._next_deadline()
                    if (event_at is None and deadline is None) or clk.now() > horizon:
                        break
                    if event_at is None:
                        self._prescribe()  # before idling to the next deadline
                        self._drain()
                        due = clk.next_due()
                        event_at = (
                            None
                            if due is None
                            else clk.now() + timedelta(seconds=due - clk.seconds())
                        )
                    if deadline is not None and (event_at is None or deadline <= event_at):
                        clk.advance(max(0.0, (deadline - clk.now()).total_seconds()))
                        sweep(self.runtime, clk.now() + timedelta(milliseconds=1))
                    else:
                        assert due is not None
                        clk.advance(max(0.0, due - clk.seconds()))
                if self.stop_signal is not None:
                    raise Interrupted(self.stop_signal, self._summary(started, begin))
                self._drain()
                return self._summary(started, begin)
            finally:
                install_process_runtime(None)
                self.standin.stop()

    def _summary(self, started: float, begin: datetime) -> Summary:
        return summarise(
            self.runtime,
            self.journeys,
            list(self.standin.calls.values()),
            begin=begin,
            end=self.standin.now(),
            wall_seconds=time.perf_counter() - started,
            region=self.setup.region,
            refused_by_region_rules=self.standin.region_refusals(),
        )


class Interrupted(Exception):
    """SIGINT or SIGTERM ended the run early; ``summary`` is what it had done."""

    def __init__(self, signum: int, summary: Summary) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.summary = summary


@contextmanager
def _stop_on_signals(stop: Callable[[int], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call ``stop`` (main thread only; else nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in signals}
    for sig in signals:
        signal.signal(sig, lambda signum, _frame: stop(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _remove_sqlite(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        name.unlink(missing_ok=True)


def run_simulation(
    settings: Settings,
    *,
    patients: int,
    real_time: bool = False,
    seed: int = 1,
    over_seconds: float | None = None,
    database_url: str | None = None,
    keep_db: str | os.PathLike[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    app_factory: AppFactory,
    setup: TelephonySetup | None = None,
) -> Summary:
    """Run ``patients`` journeys and summarise them (see the module docstring).

    ``app_factory`` builds the web application the stand-in calls (the face's
    ``sampark.app.create_app``): operations stand below the face, so it is passed in.
    Without ``database_url`` the run has a SQLite file of its own: ``keep_db`` where it
    is kept, else a temporary one removed at the end. ``setup``: the stand-in's country
    rules and the district's numbers on its account (``ops.simulate_setup``; default: the
    registry's region, India: the toll-free district line and an international caller ID).

    Raises:
        Interrupted: SIGINT or SIGTERM stopped the run (with the summary so far).
    """
    temporary: Path | None = None
    if database_url is None:
        path = Path(keep_db) if keep_db else None
        if path is None:
            temporary = path = Path(tempfile.gettempdir()) / f"sampark-sim-{uuid.uuid4().hex}.db"
        database_url = f"sqlite:///{path.resolve()}"
    received: list[int] = []
    sim: Simulation | None = None

    def stop(signum: int) -> None:
        received.append(signum)
        if sim is not None:
            sim.stop_signal = signum

    try:
        with _stop_on_signals(stop):
            sim = Simulation(
                settings,
                patients=patients,
                real_time=real_time,
                seed=seed,
                over_seconds=over_seconds,
                database_url=database_url,
                app_factory=app_factory,
                setup=setup,
            )
            sim.stop_signal = received[0] if received else None
            return sim.run(on_progress)
    finally:
        if sim is not None:
            sim.runtime.db.dispose()
        if temporary is not None:
            _remove_sqlite(temporary)
