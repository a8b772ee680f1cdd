"""The run's JSON report and its verdict: ``ok`` only if no patient was lost."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

#: Figures that must be 0 for a run to pass.
MUST_BE_ZERO = (
    "lost",
    "overdue",
    "stalled_in_call",
    "duplicate_legs",
    "duplicate_sms",
    "rung_twice_at_once",
)

EXPLAINED = {
    "by_category": "each patient once (they add up to patients): final = nothing more owed "
    "(closed, cancelled, consent refused, prescribed, unreachable after every try); "
    "waiting = open with a deadline not yet passed; overdue = open, deadline passed by "
    "more than grace_s; lost = open with no deadline, or no consultation at all. A patient "
    "with several consultations takes the worst.",
    "by_state": "consultations of the run's patients by their final state (adds up to "
    "consultations).",
    "by_scenario": "by_category split by what the patient did (each row adds up to the "
    "patients of that scenario).",
    "stalled_in_call": "consultations still bridging or in conference with none of their "
    "calls live (overlaps waiting).",
    "duplicate_legs": "call legs placed more than once (one leg id, several calls at the "
    "stand-in).",
    "duplicate_sms": "SMS stored twice for one consultation, purpose and number, plus "
    "identical texts the stand-in delivered twice to one phone.",
    "rung_twice_at_once": "patients with two of our calls ringing or connected at once.",
    "calls_without_leg": "calls the stand-in placed that no leg recorded (informative).",
    "refused_by_region_rules": "requests the stand-in's country rules (region) refused, by "
    "rule key (standin/regions.py); any fails the run: real Twilio would refuse them too.",
}


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def verdict(*, config: Any, accounting: dict[str, Any], **rest: Any) -> dict[str, Any]:
    """The report: settings, figures, failures (``ok`` when none), details last."""
    failures = [f"{key}={accounting[key]}" for key in MUST_BE_ZERO if accounting[key]]
    settle = rest.get("settle") or {}
    if not settle.get("settled", True):
        failures.append("did not settle (see settle)")
    refused = rest.get("refused_by_region_rules") or {}
    if refused:
        failures.append(f"refused_by_region_rules={refused}")
    figures = {k: v for k, v in accounting.items() if k != "details"}
    cfg = {k: _jsonable(v) for k, v in vars(config).items() if k not in ("run_dir",)}
    for key in ("database_url", "redis_url"):
        cfg.pop(key, None)
    return {
        "ok": not failures,
        "failures": failures,
        **figures,
        **{k: _jsonable(v) for k, v in rest.items()},
        "config": cfg,
        "explained": EXPLAINED,
        "details": accounting["details"],
    }
