"""A load run's size, timers and faults (``LoadtestConfig.short()``: the ``make test`` run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.loadtest import patients as pt
from ops.loadtest.faults import DEFAULT_SCHEDULE

#: Workflow timers of the short run (``make test``): minutes become tens of seconds.
FAST_WORKFLOW: dict[str, Any] = {
    "anm_ring_timeout_s": 15,
    "anm_menu_grace_s": 20,
    "anm_later_delay_s": 30,
    "offer_timeout_s": 15,
    "offer_menu_grace_s": 20,
    "patient_retry_delays_s": [20, 40],
    "patient_ring_timeout_s": 15,
    "patient_wait_limit_s": 120,
    "doctor_recheck_s": 15,
    "bridge_grace_s": 45,
    "conference_max_s": 300,
    "prescription_reminder_s": 120,
    "lost_leg_after_s": 60,
    "intake_silence_s": 60,  # (where the product has these timers)
    "abandoned_grace_s": 20,
}


@dataclass
class LoadtestConfig:
    """One run's size, timers and faults."""

    database_url: str
    redis_url: str
    patients: int = 100
    workers: int = 2
    web_workers: int = 3
    seed: int = 1
    arrival_s: float = 120.0
    faults: str = DEFAULT_SCHEDULE
    restart_s: float = 5.0
    settle_max_s: float = 1500.0
    quiet_s: float = 130.0
    grace_s: float = 120.0
    lookahead_s: float = 150.0
    workflow: dict[str, Any] = field(default_factory=dict)
    #: The simulated district is sized for this many times the patients (doctors, spokes).
    district_scale: float = 3.0
    #: The workers' sweeper interval (``SAMPARK_SWEEP_INTERVAL_S``; None: the product's).
    sweep_interval_s: int | None = None
    timing: pt.Timing = field(default_factory=pt.Timing)
    #: The stand-in's country rules (``sampark simulate --region``): auto is IN, the
    #: simulated district's numbers being Indian; under IN patients ring the toll-free
    #: district line and key their spoke's code, and OUTBOUND_CALLER_ID is international.
    region: str = "auto"
    keep: bool = False
    run_dir: Path | None = None

    @classmethod
    def short(cls, database_url: str, redis_url: str, **changes: Any) -> LoadtestConfig:
        """The ``make test`` version: 30 patients, every fault, fast timers."""
        values: dict[str, Any] = {
            "patients": 30,
            "arrival_s": 30.0,
            "faults": "kill_worker@15,flush_redis@30,cut_postgres@45+10,cut_redis@70+5",
            "settle_max_s": 600.0,
            "sweep_interval_s": 20,
            "quiet_s": 50.0,
            "grace_s": 60.0,
            "lookahead_s": 60.0,
            "workflow": dict(FAST_WORKFLOW),
            "timing": pt.Timing(patient_hangup_after=300.0, talk_seconds=45.0),
        }
        values.update(changes)
        return cls(database_url=database_url, redis_url=redis_url, **values)
