"""Fault injection on the stand-in's REST API: 5xx, 429 and timeouts, reproducible from a seed.

Rules are matched per endpoint key (``calls.create``, ``participants.update``, ``calls.*``,
``*``; the most specific rule wins). The n-th request to a key draws from a random generator
seeded with ``(seed, key, n)``, so a run's faults do not depend on how requests to other
endpoints interleave: the same seed and the same requests give the same faults.

Bodies are Twilio's: 429 carries code 20429 ("Too Many Requests"), 500 code 20500,
503 code 20503. A timeout holds the request for ``timeout_seconds`` (set it past the
client's read timeout) and then answers 504 without acting, or, with
``timeout_then_process``, acts on the request anyway, as a slow Twilio may have done.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from standin.errors import TwilioApiError

ERROR_BODIES: dict[int, tuple[int, str]] = {
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    502: (20502, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
    504: (20504, "Gateway Timeout"),
}


def fault_error(status: int) -> TwilioApiError:
    """Twilio's error for an injected HTTP status."""
    code, message = ERROR_BODIES.get(status, (20500, "An internal server error has occurred"))
    return TwilioApiError(status, code, message)


@dataclass
class FaultRule:
    """Fault rates and delays for one endpoint key.

    Attributes:
        endpoint: ``resource.action`` (``calls.create``), ``resource.*`` or ``*``.
        error_rate: share of requests answered with ``error_status`` (a 5xx).
        error_status: 500, 502 or 503.
        rate_limit_rate: share answered 429 with Twilio's 20429 body.
        timeout_rate: share held for ``timeout_seconds`` (then 504, or processed).
        timeout_seconds: how long a timed-out request is held.
        timeout_then_process: act on a timed-out request after the hold.
        delay_seconds: latency added to every request of the endpoint.
        delay_jitter: up to this many seconds more, drawn from the seeded generator.
        sequence: explicit outcomes for the next requests, consumed first:
            ``"ok"``, ``"429"``, ``"500"``, ``"503"``, ``"timeout"``.
    """

    endpoint: str = "*"
    error_rate: float = 0.0
    error_status: int = 500
    rate_limit_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 15.0
    timeout_then_process: bool = False
    delay_seconds: float = 0.0
    delay_jitter: float = 0.0
    sequence: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Build a rule from JSON; unknown keys are an error (a typo must not pass silently)."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        rule = cls(**dict(data))
        rates = rule.error_rate + rule.rate_limit_rate + rule.timeout_rate
        if min(rule.error_rate, rule.rate_limit_rate, rule.timeout_rate) < 0 or rates > 1:
            raise ValueError("fault rates must be >= 0 and add up to at most 1")
        if rule.error_status not in (500, 502, 503):
            raise ValueError("error_status must be 500, 502 or 503")
        bad = [s for s in rule.sequence if s not in ("ok", "429", "500", "502", "503", "timeout")]
        if bad:
            raise ValueError(f"unknown sequence outcome(s): {', '.join(bad)}")
        return rule


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request: ``outcome`` is ok, error, rate_limit or timeout."""

    outcome: str = "ok"
    status: int = 200
    delay: float = 0.0
    hold: float = 0.0
    then_process: bool = False


class RestFaults:
    """The REST fault plan of one stand-in; thread-safe, changeable at run time."""

    def __init__(self, seed: int = 0, rules: Iterable[FaultRule | Mapping[str, Any]] = ()) -> None:
        self._lock = threading.Lock()
        self.seed = seed
        self.rules: list[FaultRule] = []
        self._counts: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.configure(rules, seed=seed)

    def configure(
        self, rules: Iterable[FaultRule | Mapping[str, Any]], seed: int | None = None
    ) -> None:
        """Replace every rule (and optionally the seed); the draw counters restart."""
        parsed = [r if isinstance(r, FaultRule) else FaultRule.from_dict(r) for r in rules]
        with self._lock:
            self.rules = parsed
            if seed is not None:
                self.seed = seed
            self._counts.clear()
            self.injected.clear()

    def clear(self) -> None:
        """No more faults."""
        self.configure([])

    def _rule_for(self, key: str) -> FaultRule | None:
        resource = key.split(".", 1)[0]
        for candidate in (key, f"{resource}.*", "*"):
            for rule in self.rules:
                if rule.endpoint == candidate:
                    return rule
        return None

    def decide(self, key: str) -> FaultDecision:
        """The fate of the next request to ``key`` (counted even when no rule applies)."""
        with self._lock:
            rule = self._rule_for(key)
            n = self._counts[key]
            self._counts[key] += 1
            if rule is None:
                return FaultDecision()
            rng = random.Random(f"{self.seed}:{key}:{n}")
            draw = rng.random()
            delay = rule.delay_seconds + rng.random() * rule.delay_jitter
            if rule.sequence:
                outcome = rule.sequence.pop(0)
            elif draw < rule.error_rate:
                outcome = str(rule.error_status)
            elif draw < rule.error_rate + rule.rate_limit_rate:
                outcome = "429"
            elif draw < rule.error_rate + rule.rate_limit_rate + rule.timeout_rate:
                outcome = "timeout"
            else:
                outcome = "ok"
            if outcome != "ok":
                self.injected[f"{key}:{outcome}"] += 1
            if outcome == "ok":
                return FaultDecision(delay=delay)
            if outcome == "timeout":
                return FaultDecision(
                    "timeout", 504, delay, rule.timeout_seconds, rule.timeout_then_process
                )
            kind = "rate_limit" if outcome == "429" else "error"
            return FaultDecision(kind, int(outcome), delay)

    def snapshot(self) -> dict[str, Any]:
        """The plan and what was injected so far (JSON-ready)."""
        with self._lock:
            return {
                "seed": self.seed,
                "rules": [asdict(r) for r in self.rules],
                "requests": dict(self._counts),
                "injected": dict(self.injected),
            }
