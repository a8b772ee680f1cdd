"""Webhook delivery faults, reproducible from a seed.

Twilio does not promise that status callbacks arrive once, on time and in order
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides): an application must
cope with drops, duplicates, delays and reordering. These faults apply to asynchronous status
callbacks (call, conference, recording, message); TwiML fetches are never dropped.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

STATUS_KINDS = frozenset({"call-status", "conference-status", "recording-status", "message-status"})


@dataclass
class Faults:
    """Rates (0..1) and delays of webhook delivery faults.

    Attributes:
        drop_rate: share of status callbacks never delivered.
        duplicate_rate: share delivered twice (the copy ``duplicate_gap`` seconds later).
        delay_rate: share delivered ``delay_seconds`` (uniform range) late.
        reorder_rate: share held back until the next callback to the same URL has gone.
        slow_answer_rate: share of answered phones that answer ``slow_answer_seconds`` later.
        kinds: which webhook kinds the delivery faults apply to.
    """

    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    duplicate_gap: float = 0.5
    delay_rate: float = 0.0
    delay_seconds: tuple[float, float] = (2.0, 20.0)
    reorder_rate: float = 0.0
    slow_answer_rate: float = 0.0
    slow_answer_seconds: tuple[float, float] = (10.0, 25.0)
    kinds: frozenset[str] = field(default_factory=lambda: STATUS_KINDS)

    reseed: int | None = None

    def configure(self, rules: list[dict[str, Any]], seed: int | None = None) -> None:
        """Set the fault settings from JSON rules (the control API); unknown keys are an error.

        Webhook faults are global, so the rules' settings are merged in order.
        """
        known = {f.name for f in fields(self)} - {"kinds", "reseed"}
        merged: dict[str, Any] = {}
        for rule in rules:
            unknown = set(rule) - known - {"kinds"}
            if unknown:
                raise ValueError(f"unknown webhook fault setting(s): {sorted(unknown)}")
            merged.update(rule)
        for f in fields(self):
            if f.name in known:
                value = merged.get(f.name, f.default)
                setattr(self, f.name, tuple(value) if isinstance(value, list) else value)
        if "kinds" in merged:
            self.kinds = frozenset(merged["kinds"])
        if seed is not None:
            self.reseed = int(seed)

    def snapshot(self) -> dict[str, Any]:
        """The settings as JSON."""
        data = asdict(self)
        data["kinds"] = sorted(self.kinds)
        data.pop("reseed")
        return data

    @property
    def active(self) -> bool:
        """Whether any delivery fault is configured."""
        return any((self.drop_rate, self.duplicate_rate, self.delay_rate, self.reorder_rate))


@dataclass
class Decision:
    """What happens to one webhook delivery."""

    drop: bool = False
    duplicate: bool = False
    delay: float = 0.0
    reorder: bool = False
    delayed: bool = False

    def labels(self) -> list[str]:
        """Names of the faults applied, for the timeline."""
        out = []
        if self.drop:
            out.append("dropped")
        if self.duplicate:
            out.append("duplicated")
        if self.delay and self.delayed:
            out.append(f"delayed {self.delay:.1f}s")
        if self.reorder:
            out.append("reordered")
        return out


class FaultDice:
    """Draws fault decisions from a seeded RNG (same seed, same run, same faults)."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self._rng = random.Random(f"faults-{seed}")

    def decide(self, kind: str) -> Decision:
        """The faults for one delivery of a webhook of ``kind``."""
        f = self.faults
        self._maybe_reseed()
        if kind not in f.kinds or not f.active:
            return Decision()
        rng = self._rng
        if rng.random() < f.drop_rate:
            return Decision(drop=True)
        d = Decision()
        d.duplicate = rng.random() < f.duplicate_rate
        if rng.random() < f.delay_rate:
            d.delay, d.delayed = rng.uniform(*f.delay_seconds), True
        d.reorder = rng.random() < f.reorder_rate
        return d

    def _maybe_reseed(self) -> None:
        if self.faults.reseed is not None:
            self._rng = random.Random(f"faults-{self.faults.reseed}")
            self.faults.reseed = None

    def slow_answer(self) -> float:
        """Extra seconds before a phone answers (0 unless the slow-answer fault fires)."""
        f = self.faults
        self._maybe_reseed()
        if f.slow_answer_rate and self._rng.random() < f.slow_answer_rate:
            return self._rng.uniform(*f.slow_answer_seconds)
        return 0.0
