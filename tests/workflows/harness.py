"""A whole Sampark stack for workflow tests: the app over HTTP, the Twilio stand-in on a
virtual clock, and real RQ worker processes (``sampark worker --simple``).

The driver runs a discrete-event loop: run the stand-in until idle (its webhooks
reach the app), wait for the workers to drain the queues and to send the legs their
jobs claimed (a worker's leg sender sends them after the job has ended), and when
nothing is in flight anywhere, fire the next workflow deadline with the sweeper at
that time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select
from werkzeug.serving import make_server

from core.runtime import Runtime, install_process_runtime
from core.settings import Settings
from core.timeutil import utcnow
from models import CallLeg, Consultation, ConsultationState, Patient, Spoke
from ops.sweeper import run_due_timers
from sampark.app import create_app
from standin import PhoneScript, StandIn, VirtualClock
from tests.builders import MiniDistrict, build_mini_district
from tests.workflows.sending import LegsBeingSent
from workflows.handoff import hand_off
from workflows.ownership import DEADLINE_STATES

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("workflow", "calls", "sms", "default")
S = ConsultationState
#: Calls in tests: every hour is inside the call window unless a test says otherwise.
TEST_WORKFLOW = {"call_window": ["00:00", "00:00"]}
GATEWAY_JOBS = ("place_leg", "redirect_call", "hangup_call", "deliver_pending", "dispatch")


#: The reasons of a consultation that goes well, from the intake to the prescription.
HAPPY_PATH = [
    "ivr-complete",
    "intake-complete",
    "anm-accepted",
    "offer:DR-GM-1",
    "doctor-accepted",
    "all-joined",
    "doctor-and-anm-left",
]


def call_legs(runtime: Runtime, cid: int | None = None) -> list[CallLeg]:
    """Every call leg (of consultation ``cid``), in the order they were written."""
    with runtime.db.session() as s:
        q = select(CallLeg).order_by(CallLeg.id)
        if cid is not None:
            q = q.where(CallLeg.consultation_id == cid)
        return list(s.scalars(q))


@dataclass
class Stack:
    """Everything a whole-consultation test needs."""

    runtime: Runtime
    standin: StandIn
    mini: MiniDistrict
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    patients: int = 0
    #: Claimed legs the workers' leg senders may still be sending.
    sending: LegsBeingSent = field(default_factory=LegsBeingSent)

    # -- workers ------------------------------------------------------------------------
    def start_worker(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/sampark"), "worker", "--simple", "--no-cron",
             "--queues", ",".join(QUEUES)],
            env=self.env,
            cwd=ROOT,
            start_new_session=True,  # its own process group: the RQ scheduler child too
            stdout=subprocess.DEVNULL,
            stderr=open(f"/tmp/sampark-worker-{os.getpid()}.log", "ab"),  # noqa: SIM115
        )  # fmt: skip
        self.workers.append(proc)
        return proc

    def kill_worker(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL to the worker and its scheduler child: like a machine losing power."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.workers.remove(proc)

    def stop_workers(self) -> None:
        for proc in list(self.workers):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in list(self.workers):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.workers.clear()

    # -- consultations ------------------------------------------------------------------
    def consultation(
        self,
        *,
        mobile: str | None = None,
        spoke: str = "HWC-001",
        complaint: str = "fever",
        age: int = 34,
        sex: str = "female",
        emergency: bool = False,
        language: str = "hi",
        script: PhoneScript | None = None,
        handoff: bool = True,
    ) -> int:
        """An intake just completed (as the IVR leaves it), handed to the workflow."""
        self.patients += 1
        mobile = mobile or f"+9198{self.patients:08d}"
        with self.runtime.db.session() as s:
            patient = Patient(mobile=mobile, name=f"Patient {self.patients}", age_years=age,
                              sex=sex, preferred_language=language)  # fmt: skip
            spoke_id = s.scalar(select(Spoke.id).where(Spoke.code == spoke))
            c = Consultation(
                reference=f"T{self.patients:05d}",
                caller_mobile=mobile,
                spoke_id=spoke_id,
                patient=patient,
                language=language,
                consent=True,
                complaint=complaint,
                days=3,
                danger_signs=["convulsions"] if emergency else [],
                emergency=emergency,
                recording_url="http://recordings.test/RE1.mp3",
            )
            s.add(c)
            s.flush()
            c.transition(S.EMERGENCY if emergency else S.INTAKE_COMPLETE, "ivr-complete")
            c.intake_completed_at = utcnow()
            cid = c.id
        self.standin.script(mobile, script or PhoneScript(answer_after=3.0))
        if handoff:
            hand_off(self.runtime, cid, "emergency" if emergency else "intake_complete")
        return cid

    def state(self, cid: int) -> ConsultationState:
        with self.runtime.db.session() as s:
            return s.get_one(Consultation, cid).state

    def reasons(self, cid: int) -> list[str]:
        with self.runtime.db.session() as s:
            return [t.reason for t in s.get_one(Consultation, cid).transitions]

    def legs(self, cid: int | None = None) -> list[CallLeg]:
        return call_legs(self.runtime, cid)

    # -- driving ------------------------------------------------------------------------
    def _busy(self) -> bool:
        redis = self.runtime.redis
        for name in QUEUES:
            q = self.runtime.queue(name)
            if q.count or StartedJobRegistry(queue=q).count:
                return True
            for job_id in ScheduledJobRegistry(queue=q).get_job_ids():
                job = q.fetch_job(job_id)
                if job is not None and job.func_name.rsplit(".", 1)[-1] in GATEWAY_JOBS:
                    return True
        return bool(redis is None) or self.sending(self.runtime)

    def settle(self, timeout: float = 60.0, stop: Callable[[], bool] | None = None) -> None:
        """Run the stand-in event by event, letting the workers react after each one.

        Virtual time only moves when nothing of ours is in flight, as if the app
        and the workers answered instantly: the next due event runs, then the
        queues are drained, and so on until neither side has anything left.
        """
        clock = self.standin.clock
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wait_for_workers(deadline)
            if stop is not None and stop():
                return
            due = clock.next_due()
            if due is None:
                time.sleep(0.03)
                self.wait_for_workers(deadline)
                if clock.next_due() is None:
                    return
                continue
            self.standin.advance(max(0.0, due - clock.seconds()))
        raise AssertionError("the stack did not settle (jobs or calls still in flight)")

    def wait_for_workers(self, deadline: float) -> None:
        quiet = 0
        while time.monotonic() < deadline:
            if self._busy():
                quiet = 0
                time.sleep(0.005)
                continue
            quiet += 1
            if quiet >= 2:
                return
            time.sleep(0.002)
        raise AssertionError("the workers did not drain the queues")

    def next_deadline(self) -> datetime | None:
        with self.runtime.db.session() as s:
            return s.scalar(
                select(func.min(Consultation.state_deadline_at)).where(
                    Consultation.state.in_(DEADLINE_STATES)
                )
            )

    def drive(
        self, until: Callable[[], bool], *, max_timers: int = 40, timeout: float = 120.0
    ) -> None:
        """Settle, then fire deadlines one by one until ``until()`` holds."""
        started = time.monotonic()
        for _ in range(max_timers):
            self.settle(stop=until)
            if until():
                return
            due = self.next_deadline()
            if due is None or time.monotonic() - started > timeout:
                break
            run_due_timers(self.runtime, max(due, utcnow()) + timedelta(seconds=1))
        self.settle(stop=until)
        assert until(), f"not reached; states: {self.all_states()}"

    def deadline_after_last_move(self, cid: int) -> float:
        """Seconds from the consultation's last transition to its deadline."""
        with self.runtime.db.session() as s:
            c = s.get_one(Consultation, cid)
            assert c.state_deadline_at is not None
            return (c.state_deadline_at - c.transitions[-1].at).total_seconds()

    def all_states(self) -> dict[int, str]:
        with self.runtime.db.session() as s:
            return {c.id: c.state.value for c in s.scalars(select(Consultation))}


def _free_wsgi_server() -> tuple[Any, dict[str, Any]]:
    holder: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    return server, holder


@contextmanager
def running_stack(settings: Settings, *, workers: int = 1, seed: int = 1) -> Iterator[Stack]:
    """The app on HTTP, the stand-in, a mini district, and ``workers`` worker processes."""
    server, holder = _free_wsgi_server()
    public = f"http://127.0.0.1:{server.server_port}"
    standin = StandIn(settings.twilio_account_sid, settings.twilio_auth_token,
                      clock=VirtualClock(), seed=seed)  # fmt: skip
    api = standin.start()
    settings = settings.with_overrides(
        public_base_url=public, twilio_api_base_url=api, extra={"workflow": TEST_WORKFLOW}
    )
    runtime = Runtime.from_settings(settings)
    holder["app"] = create_app(settings, runtime=runtime, TESTING=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    install_process_runtime(runtime)
    with runtime.db.session() as s:
        mini = build_mini_district(s)
    for number in [*mini.spoke_numbers.values(), mini.district_number]:
        standin.add_number(number, voice_url=f"{public}/ivr/incoming")
    for mobile in [*mini.anms.values(), *mini.doctors.values()]:
        standin.script(mobile, PhoneScript(answer_after=2.0, digits=["1"], hangup_after=90.0))
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SAMPARK_QUEUE_PREFIX": settings.queue_prefix,
        "TWILIO_API_BASE_URL": api,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "PUBLIC_BASE_URL": public,
        "SAMPARK_WORKFLOW": json.dumps(TEST_WORKFLOW),
        "PYTHONPATH": str(ROOT),
    }
    stack = Stack(runtime, standin, mini, env)
    for _ in range(workers):
        stack.start_worker()
    try:
        yield stack
    finally:
        stack.stop_workers()
        install_process_runtime(None)
        server.shutdown()
        standin.stop()
        runtime.close()
