"""The demo's narration of the phones: what the local Twilio saw, a line per event.

``sampark.demo`` prints these beside the consultations' state changes, so that the
calls behind each state can be followed: whom we ring, a patient who stays on the
line being put through to the consultation's conference and waiting there, the ANM
and the doctor joining her, a patient called back, the SMS.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from core import clock as wclock
from core.timeutil import format_ist
from standin import StandIn

_PRINTING = threading.Lock()


def say(line: str) -> None:
    """Print ``line`` whole: the demo's threads print at once (``print`` writes the text
    and the newline separately, so two lines could run into one)."""
    with _PRINTING:
        sys.stdout.write(f"{line}\n")
        sys.stdout.flush()


class PhoneNarrator:
    """What happens on the phones, from the local Twilio's timeline, in a line each.

    Calls we place, the patients' own calls ending, the redirect of a patient who
    stays on the line into the consultation's conference, who joins and leaves which
    conference (a patient in a conference that has not started is waiting, with music),
    and SMS sent. ``people`` names the phones (number -> "ANM Puja Das", "patient A").
    """

    def __init__(self, people: dict[str, str]) -> None:
        self.people = people
        self.next_seq = 0
        self.phone_of: dict[str, str] = {}  # call SID -> the phone's number
        self.inbound: set[str] = set()  # the patients' own calls
        self.callers: set[str] = set()  # the numbers they came from
        self.in_conference: set[str] = set()  # calls that joined a conference
        self.conference_name: dict[str, str] = {}  # conference SID -> friendly name
        self.started: set[str] = set()  # conferences in progress

    def who(self, number: str | None) -> str:
        return self.people.get(number or "", number or "?")

    def lines(self, timeline: list[dict[str, Any]]) -> list[str]:
        """The lines for the events not narrated yet (``timeline``: the whole, in order)."""
        out: list[str] = []
        for event in timeline:
            if event["seq"] < self.next_seq:
                continue
            self.next_seq = event["seq"] + 1
            line = self._line(event)
            if line:
                out.append(line)
        return out

    def _line(self, e: dict[str, Any]) -> str | None:
        kind, what = e["kind"], e.get("event")
        if kind == "call" and what == "created":
            if e.get("direction") == "inbound":
                self.phone_of[e["sid"]] = e["from_"]
                self.inbound.add(e["sid"])
                self.callers.add(e["from_"])
                return None
            self.phone_of[e["sid"]] = e["to"]
            back = " back" if e["to"] in self.callers else ""
            return f"calling {self.who(e['to'])}{back} ({e['to']})"
        if kind == "call" and what == "completed" and e["sid"] in self.inbound:
            who = self.who(self.phone_of.get(e["sid"]))
            if e["sid"] in self.in_conference:
                return f"{who}'s own call ended"
            return f"{who}'s own call ended without staying on the line"
        if kind == "webhook" and e.get("purpose") == "redirect" and e["url"].endswith("/join"):
            who = self.who(self.phone_of.get(e["subject"]))
            return f"{who} pressed 1: stays on the line, put through to the consultation"
        if kind == "conference" and what == "created":
            self.conference_name[e["sid"]] = e.get("friendly_name", e["sid"])
            return None
        if kind == "conference" and what in ("start", "end"):
            name = self.conference_name.get(e["sid"], e["sid"])
            if what == "start":
                self.started.add(e["sid"])
                return f"conference {name} started: they are talking"
            return f"conference {name} ended"
        if kind == "participant" and what in ("join", "leave"):
            who = self.who(self.phone_of.get(e["sid"]))
            name = self.conference_name.get(e.get("conference_sid", ""), "?")
            if what == "leave":
                return f"{who} left conference {name}"
            self.in_conference.add(e["sid"])
            waiting = e.get("label") == "patient" and e["conference_sid"] not in self.started
            return f"{who} joined conference {name}" + (
                ", waiting (music) for the ANM and the doctor" if waiting else ""
            )
        if kind == "message" and what == "created":
            return f"SMS to {self.who(e.get('to'))}"
        return None


def watch_phones(standin: StandIn, narrator: PhoneNarrator, stop: threading.Event) -> None:
    """Print what happens on the phones (see ``PhoneNarrator``)."""
    while not stop.wait(1.0):
        try:
            for line in narrator.lines(standin.timeline()):
                say(f"  [{format_ist(wclock.now(), '%H:%M:%S IST')}]   {line}")
        except Exception as exc:  # the demo keeps going
            say(f"  (phones: {exc!r})")
