"""Patients who listen: the keys each one presses depend on the question the IVR asks.

A phone script presses its n-th keys at the n-th ``<Gather>`` of a call, whatever is
asked; a patient rung back to finish an intake would answer the wrong questions. Here the
harness reads the stand-in's timeline, sees which question each of our patients' calls
is being asked (the ``<Gather>``'s action, ``/ivr/step?n=<node>``) and presses that
patient's answer with ``POST /_standin/calls/<sid>/press``, as a person would.
"""

from __future__ import annotations

import html
import logging
import random
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ivr.flow import COMPLAINTS

log = logging.getLogger(__name__)
ACTION = re.compile(r'<Gather[^>]*action="[^"]*/ivr/step\?n=([a-z_.]+)')
#: A person starts pressing a moment after the question begins.
THINK_S = 1.5


@dataclass(frozen=True)
class Answers:
    """What one patient answers to each question of the intake."""

    scenario: str
    language_key: str
    complaint_key: str
    age: str
    sex: str
    days: str
    #: keys for the district line's ``spoke_code`` question ("": silence; a spoke's own
    #: number is never asked it)
    spoke_code: str = ""

    @classmethod
    def draw(
        cls, scenario: str, language_key: str, rng: random.Random, spoke_code: str = ""
    ) -> Answers:
        """One patient's answers; ``spoke_code``: the keys of their spoke's short code."""
        complaint = rng.choice(sorted(COMPLAINTS))
        child = complaint == "4"
        return cls(
            scenario=scenario,
            language_key=language_key,
            complaint_key=complaint,
            age=f"{rng.randint(1, 11) if child else rng.randint(16, 80)}#",
            sex="1" if complaint == "3" else rng.choice("12"),
            days=f"{rng.randint(1, 20)}#",
            spoke_code=spoke_code,
        )

    def key_for(self, node: str, asked: int) -> str | None:
        """The keys for ``node`` asked for the ``asked``-th time in this call (1-based);
        None: silence."""
        s = self.scenario
        if s == "silence":
            return self.language_key if node == "language" else None
        if s == "wrong_keys" and asked == 1 and node in ("for_whom", "age", "complaint"):
            return {"for_whom": "5", "age": "200#", "complaint": "0"}[node]
        if node.startswith("danger."):
            return "1" if s == "emergency" else "2"
        return {
            "language": self.language_key,
            "rx_offer": "1",
            "spoke_confirm": "1",  # a returning caller: yes, the same health centre
            "spoke_code": self.spoke_code or None,
            "consent": "2" if s == "consent_refused" else "1",
            "for_whom": "1",
            "age": self.age,
            "sex": self.sex,
            "complaint": self.complaint_key,
            "days": self.days,
            "stay": "1" if s == "stay" else None,
            "rx_next": "2",
        }.get(node)  # sms_script, emergency offer, anything else: silence


class Responder:
    """Watches the stand-in's timeline and presses each patient's answers."""

    def __init__(
        self, control: Callable[..., Any], answers: dict[str, Answers], poll_s: float = 0.25
    ) -> None:
        self.control = control
        self.answers = answers
        self.poll_s = poll_s
        self.pressed = 0
        self.errors = 0
        self._asked: dict[tuple[str, str], int] = defaultdict(int)
        self._due: list[tuple[float, str, str]] = []
        self._since = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="responder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _patient_of(self, event: dict[str, Any]) -> str | None:
        params = event.get("params") or {}
        for number in (params.get("From"), params.get("To")):
            if number in self.answers:
                return str(number)
        return None

    def _read(self) -> None:
        page = self.control("GET", f"/timeline?since={self._since}")
        self._since = page["next"]
        now = time.monotonic()
        for e in page["events"]:
            if e.get("kind") != "webhook" or e.get("status") != 200:
                continue
            found = ACTION.search(html.unescape(str(e.get("response") or "")))
            mobile = self._patient_of(e) if found else None
            if not found or mobile is None:
                continue
            node, sid = found.group(1), str(e.get("subject"))
            self._asked[(sid, node)] += 1
            keys = self.answers[mobile].key_for(node, self._asked[(sid, node)])
            if keys:
                self._due.append((now + THINK_S, sid, keys))

    def _press_due(self) -> None:
        now = time.monotonic()
        ready = [d for d in self._due if d[0] <= now]
        self._due = [d for d in self._due if d[0] > now]
        for _, sid, keys in ready:
            try:
                self.control("POST", f"/calls/{sid}/press", {"digits": keys})
                self.pressed += 1
            except Exception as exc:  # the call ended meanwhile, or the stand-in is busy
                self.errors += 1
                log.debug("press failed: %r", exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._read()
                self._press_due()
            except Exception as exc:  # keep listening
                log.warning("responder: %r", exc)
            self._stop.wait(self.poll_s)
