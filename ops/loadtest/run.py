"""``sampark loadtest``: the whole product in separate processes, patients dialling in,
faults on a schedule, then every patient accounted for from the database.

Order of a run: a scratch database (migrated, a simulated district), fault proxies in
front of PostgreSQL and Redis, then ``sampark standin --app-url`` (real clock), gunicorn
and N ``sampark worker``s, all connecting through the proxies. Patients dial in at
random over ``arrival_s``; faults fire on their schedule; the harness plays the doctors'
portal (a scripted prescription for each consultation awaiting one). Then it waits for the
system to settle (no live call, nothing changing for ``quiet_s``, no deadline about to
fall due) and accounts (``accounting.py``).
"""

from __future__ import annotations

import json
import logging
import random
import sys
import tempfile
import time
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.runtime import Runtime
from core.settings import Settings
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    ConsultationTransition,
    IvrSession,
    SmsMessage,
)
from models.migrate import upgrade
from ops.loadtest import patients as pt
from ops.loadtest.accounting import FINAL_STATES, StandinRecord, account
from ops.loadtest.config import LoadtestConfig
from ops.loadtest.faultproxy import FaultProxy
from ops.loadtest.faults import Fault, FaultRunner, parse_schedule
from ops.loadtest.processes import Processes, ScratchDatabase, free_port, via_proxy
from ops.loadtest.report import verdict
from ops.loadtest.responder import Responder
from ops.simulate_data import build_sim_district
from ops.simulate_setup import TelephonySetup, resolve_region
from prescriptions.scripted import issue_scripted_prescription
from workflows.config import WorkflowConfig

log = logging.getLogger(__name__)
S = ConsultationState


class LoadRun:
    """One run (``run()`` returns the report)."""

    def __init__(self, cfg: LoadtestConfig) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.run_dir = cfg.run_dir or Path(tempfile.mkdtemp(prefix="sampark-loadtest-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.db = ScratchDatabase(cfg.database_url, keep=cfg.keep)
        pg = make_url(cfg.database_url)
        rd = urlsplit(cfg.redis_url)
        self.pg_proxy = FaultProxy("postgresql", pg.host or "127.0.0.1", pg.port or 5432)
        self.redis_proxy = FaultProxy("redis", rd.hostname or "127.0.0.1", rd.port or 6379)
        self.redis = redis.Redis.from_url(cfg.redis_url)
        self.procs: Processes | None = None
        self.patients: list[pt.Patient] = []
        self.standin_url = ""
        self.timings: dict[str, float] = {}
        self.prescribed = 0
        region = resolve_region(cfg.region)
        self.setup = TelephonySetup.for_region(region, Settings.from_env().outbound_caller_id)

    def _say(self, text: str) -> None:
        """Progress on stderr (the report goes to stdout)."""
        print(f"loadtest {time.strftime('%H:%M:%S')}: {text}", file=sys.stderr, flush=True)

    # -- set-up ---------------------------------------------------------------------------
    def _prepare_database(self) -> dict[str, Any]:
        url = self.db.create()
        upgrade(url)
        engine = create_engine(url)
        with Session(engine) as s:
            size = max(1, round(self.cfg.patients * self.cfg.district_scale))
            district = build_sim_district(s, size, self.rng)
            s.commit()
        self.engine = engine
        return {
            "spokes": list(zip(district.spoke_numbers, district.spoke_codes, strict=True)),
            "district_line": district.district_line,
            "anms": district.anm_mobiles,
            "passing": district.passing_anm_mobiles,
            "doctors": district.doctor_mobiles,
            "absent": district.absent_doctor_mobiles,
        }

    def _env(self, standin_port: int, web_port: int) -> dict[str, str]:
        import os

        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
        workflow = {"call_window": ["00:00", "00:00"], **self.workflow_overrides()}
        env.update(
            DATABASE_URL=via_proxy(self.db.url, self.pg_proxy.port),
            REDIS_URL=via_proxy(self.cfg.redis_url, self.redis_proxy.port),
            TWILIO_API_BASE_URL=f"http://127.0.0.1:{standin_port}",
            PUBLIC_BASE_URL=f"http://127.0.0.1:{web_port}",
            SAMPARK_INSTANCE_PATH=str(self.run_dir / "instance"),
            SAMPARK_QUEUE_PREFIX=f"lt{uuid.uuid4().hex[:6]}",
            SAMPARK_WORKFLOW=json.dumps(workflow),
            IVR_CALL_WINDOW="00:00-23:59",
            PYTHONUNBUFFERED="1",
        )
        if self.setup.outbound_caller_id:  # every process: calls and SMS come from it
            env["OUTBOUND_CALLER_ID"] = self.setup.outbound_caller_id
        if self.cfg.sweep_interval_s is not None:
            env["SAMPARK_SWEEP_INTERVAL_S"] = str(self.cfg.sweep_interval_s)
        return env

    def workflow_overrides(self) -> dict[str, Any]:
        """The run's workflow timers that this product has (others are left out)."""
        known = {f.name for f in fields(WorkflowConfig)}
        return {k: v for k, v in self.cfg.workflow.items() if k in known}

    def intake_silence_s(self) -> float | None:
        """After how long without a webhook the product ends an intake (None: never)."""
        config = WorkflowConfig().with_overrides(self.workflow_overrides())
        value = getattr(config, "intake_silence_s", None)
        return None if value is None else float(value)

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        r = requests.request(method, f"{self.standin_url}/_standin{path}", json=body, timeout=30)
        r.raise_for_status()
        return r.json()

    # -- faults ---------------------------------------------------------------------------
    def _actions(self) -> dict[str, Any]:
        assert self.procs is not None
        procs = self.procs

        def kill_worker(_: Fault) -> dict[str, Any]:
            victim = procs.kill_worker(0)
            time.sleep(self.cfg.restart_s)
            new = procs.replace_worker(victim)
            return {"killed_pid": victim.pid, "new_pid": new.pid}

        def flush_redis(_: Fault) -> dict[str, Any]:
            keys = self.redis.dbsize()
            self.redis.flushdb()
            return {"keys_flushed": keys}

        def cut(proxy: FaultProxy) -> Any:
            def action(fault: Fault) -> dict[str, Any]:
                dropped = proxy.cut()
                time.sleep(fault.duration)
                proxy.restore()
                return {"connections_dropped": dropped, "refused": proxy.refused}

            return action

        return {
            "kill_worker": kill_worker,
            "flush_redis": flush_redis,
            "cut_postgres": cut(self.pg_proxy),
            "cut_redis": cut(self.redis_proxy),
        }

    # -- driving --------------------------------------------------------------------------
    def _prescribe(self, runtime: Any) -> None:
        """The doctors' part (their portal): a prescription for each consultation waiting."""
        try:
            with Session(self.engine) as s:
                waiting = list(
                    s.scalars(
                        select(Consultation.id).where(Consultation.state == S.AWAITING_PRESCRIPTION)
                    )
                )
            for cid in waiting:
                with runtime.db.session() as s:
                    issue_scripted_prescription(s, cid, runtime=runtime)
                self.prescribed += 1
        except Exception as exc:  # an outage: the doctor tries again a little later
            log.info("prescribing failed: %r", exc)

    def _fingerprint(self) -> tuple[int, ...]:
        with Session(self.engine) as s:
            return (
                int(s.scalar(select(func.count()).select_from(ConsultationTransition)) or 0),
                int(s.scalar(select(func.count()).select_from(CallLeg)) or 0),
                int(s.scalar(select(func.count()).select_from(SmsMessage)) or 0),
                int(s.scalar(select(func.count(SmsMessage.status.distinct()))) or 0),
            )

    def _due_soon(self) -> int:
        """Open consultations whose deadline falls in (now - grace, now + lookahead); an
        intake's is its last webhook plus the product's silence limit."""
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        low = now - timedelta(seconds=self.cfg.grace_s)
        high = now + timedelta(seconds=self.cfg.lookahead_s)
        silence = self.intake_silence_s()
        with Session(self.engine) as s:
            due = int(
                s.scalar(
                    select(func.count()).where(
                        Consultation.state.not_in(FINAL_STATES),
                        Consultation.state_deadline_at > low,
                        Consultation.state_deadline_at < high,
                    )
                )
                or 0
            )
            if silence is not None:
                last = (
                    select(func.max(IvrSession.updated_at))
                    .where(IvrSession.consultation_id == Consultation.id)
                    .scalar_subquery()
                )
                cutoff = timedelta(seconds=silence)
                due += int(
                    s.scalar(
                        select(func.count()).where(
                            Consultation.state == S.INTAKE,
                            last > low - cutoff,
                            last < high - cutoff,
                        )
                    )
                    or 0
                )
        return due

    def _live_calls(self) -> int:
        calls = self._control("GET", "/calls")
        return sum(c["status"] in ("queued", "ringing", "in-progress") for c in calls)

    def _settle(self, runtime: Any) -> dict[str, Any]:
        """Until nothing is live, due soon or changing for ``quiet_s`` (or ``settle_max_s``)."""
        started = time.monotonic()
        last, since = self._fingerprint(), time.monotonic()
        state: dict[str, Any] = {}
        while time.monotonic() - started < self.cfg.settle_max_s:
            time.sleep(5)
            self._prescribe(runtime)
            fp = self._fingerprint()
            if fp != last:
                last, since = fp, time.monotonic()
            state = {"live_calls": self._live_calls(), "due_soon": self._due_soon()}
            quiet = time.monotonic() - since
            if not state["live_calls"] and not state["due_soon"] and quiet >= self.cfg.quiet_s:
                return {"settled": True, "seconds": round(time.monotonic() - started), **state}
        return {"settled": False, "seconds": round(time.monotonic() - started), **state}

    def _standin_record(self) -> StandinRecord:
        events: list[dict[str, Any]] = []
        since = 0
        while True:
            page = self._control("GET", f"/timeline?since={since}")
            events += page["events"]
            if page["next"] == since or not page["events"]:
                break
            since = page["next"]
        return StandinRecord(
            self._control("GET", "/calls"), self._control("GET", "/messages"), events
        )

    def run(self) -> dict[str, Any]:
        cfg, t0 = self.cfg, time.monotonic()
        try:
            district = self._prepare_database()
            self.pg_proxy.start()
            self.redis_proxy.start()
            self.redis.flushdb()
            standin_port, web_port = free_port(), free_port()
            env = self._env(standin_port, web_port)
            self.procs = procs = Processes(env, self.run_dir)
            procs.start_standin(
                standin_port, f"http://127.0.0.1:{web_port}", cfg.seed, self.setup.region
            )
            self.standin_url = f"http://127.0.0.1:{standin_port}"
            procs.start_gunicorn(web_port, cfg.web_workers)
            for _ in range(cfg.workers):
                procs.start_worker()
            runtime = Runtime.from_settings(Settings.from_env(env))
            staff = pt.staff_scripts(
                district["anms"], district["passing"], district["doctors"], district["absent"],
                cfg.timing,
            )  # fmt: skip
            for number, script in staff.items():
                self._control("PUT", f"/phones/{number}", pt.script_json(script))
            self.patients = pt.make_patients(
                cfg.patients,
                district["spokes"],
                self.rng,
                cfg.arrival_s,
                cfg.timing,
                district["district_line"] if self.setup.via_district_line else None,
            )
            for p in self.patients:
                self._control("PUT", f"/phones/{p.mobile}", pt.script_json(p.script))
            responder = Responder(self._control, {p.mobile: p.answers for p in self.patients})
            responder.start()
            time.sleep(2)  # the workers' warm-up
            self.timings["setup_s"] = round(time.monotonic() - t0, 1)
            self._say(
                f"{cfg.patients} patients dialling in; database {self.db.name}, "
                f"stand-in {self.standin_url}, logs in {self.run_dir}"
            )
            runner = FaultRunner(parse_schedule(cfg.faults), self._actions())
            runner.start()
            begin, last_rx = time.monotonic(), 0.0
            pending = list(self.patients)
            while pending or not runner.done():
                now = time.monotonic() - begin
                while pending and pending[0].arrives_after <= now:
                    p = pending.pop(0)
                    try:
                        body = {"from": p.mobile, "to": p.dials}
                        p.call_sid = self._control("POST", "/dial-in", body)["call_sid"]
                    except requests.RequestException as exc:
                        p.dial_error = repr(exc)
                if time.monotonic() - last_rx > 5:
                    self._prescribe(runtime)
                    last_rx = time.monotonic()
                time.sleep(0.05)
            self.timings["drive_s"] = round(time.monotonic() - begin, 1)
            self._say(f"faults done ({len(runner.events)}); settling")
            settle = self._settle(runtime)
            responder.stop()
            self.timings["settle_s"] = settle["seconds"]
            self._say(f"settle: {settle}; accounting")
            record = self._standin_record()
            accounting = account(
                self.engine,
                self.patients,
                record,
                grace_s=cfg.grace_s,
                intake_silence_s=self.intake_silence_s(),
            )
            self.timings["total_s"] = round(time.monotonic() - t0, 1)
            return verdict(
                config=cfg,
                accounting=accounting,
                faults=runner.events,
                settle=settle,
                processes={
                    "worker_restarts": procs.restarts,
                    "exited": procs.dead(),
                    "proxies": {
                        p.name: {"cuts": p.cuts, "refused": p.refused}
                        for p in (self.pg_proxy, self.redis_proxy)
                    },
                },
                timings=self.timings,
                prescribed=self.prescribed,
                keys_pressed={"presses": responder.pressed, "failed": responder.errors},
                run_dir=str(self.run_dir),
                region=self.setup.region,
                refused_by_region_rules=self._control("GET", "/region")["refused"],
                webhook_errors=sum(
                    1
                    for e in record.timeline
                    if e.get("kind") == "webhook" and (e.get("error") or e.get("status", 0) >= 500)
                ),
            )
        finally:
            self.close()

    def close(self) -> None:
        if self.procs is not None:
            self.procs.stop_all()
        self.pg_proxy.stop()
        self.redis_proxy.stop()
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.dispose()
        try:
            self.redis.flushdb()
            self.db.drop()
        except Exception as exc:  # leave the scratch database for a look
            log.warning("could not clean up: %r", exc)


def run_loadtest(cfg: LoadtestConfig) -> dict[str, Any]:
    """Run once; the JSON-ready report (``report.verdict``)."""
    return LoadRun(cfg).run()
