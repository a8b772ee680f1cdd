"""The patients of a load run: what each one presses, and dialling in through the stand-in.

Each patient is a phone script (``standin.PhoneScript``, given to the stand-in
with ``PUT /_standin/phones/<number>``: when it answers, when it hangs up, what it says
at a ``<Record>``), answers to the IVR's questions (pressed by ``responder.py`` as each
question is asked) and one ``POST /_standin/dial-in`` at its arrival time, to its spoke's
number, or (a district on Twilio in India) to the toll-free district line, where it keys
its spoke's short code: the stand-in runs the IVR's TwiML on the real clock, and the
webhooks go to gunicorn as Twilio's would.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from ops.loadtest.responder import Answers
from ops.simulate_callers import LANGUAGE_KEYS, caller_script, pick_scenario, spoke_code_keys
from standin import PhoneScript


@dataclass(frozen=True)
class Timing:
    """How long the people of a run take (seconds on the real clock)."""

    patient_answer_after: float = 4.0
    patient_hangup_after: float = 900.0  # on the line: the intake, the wait and the talk
    staff_answer_after: float = 5.0
    talk_seconds: float = 150.0  # a doctor's and an ANM's part of a consultation


@dataclass
class Patient:
    """One scripted caller."""

    index: int
    mobile: str
    spoke_number: str
    dials: str  # the spoke's number, or the district line
    scenario: str
    language: str
    arrives_after: float
    script: PhoneScript
    answers: Answers
    call_sid: str | None = None
    dial_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mobile": self.mobile,
            "scenario": self.scenario,
            "language": self.language,
            "call_sid": self.call_sid,
            "dial_error": self.dial_error,
            **self.extra,
        }


def make_patients(
    count: int,
    spokes: list[tuple[str, str]],
    rng: random.Random,
    arrival_seconds: float,
    timing: Timing,
    district_line: str | None = None,
) -> list[Patient]:
    """``count`` patients, arriving at random over ``arrival_seconds``.

    ``spokes``: (number, short code) of each spoke. With ``district_line`` each patient
    dials it and keys their spoke's code when asked; else their spoke's own number.
    """
    out = []
    for i in range(count):
        scenario = pick_scenario(i, rng)
        language, script, extra = caller_script(
            scenario,
            rng,
            i,
            answer_after=timing.patient_answer_after,
            hangup_after=timing.patient_hangup_after,
        )
        language_key = {v: k for k, v in LANGUAGE_KEYS.items()}[language]
        script.digits = []  # the keys are pressed by the responder, question by question
        number, code = rng.choice(spokes)
        out.append(
            Patient(
                index=i,
                mobile=f"+91970{i:07d}",
                spoke_number=number,
                dials=district_line or number,
                scenario=scenario,
                language=language,
                arrives_after=rng.uniform(0, arrival_seconds),
                script=script,
                answers=Answers.draw(
                    scenario, language_key, rng, spoke_code_keys(code) if district_line else ""
                ),
                extra=extra,
            )
        )
    return sorted(out, key=lambda p: p.arrives_after)


def staff_scripts(
    anm_mobiles: list[str],
    passing_anms: list[str],
    doctor_mobiles: list[str],
    absent_doctors: list[str],
    timing: Timing,
) -> dict[str, PhoneScript]:
    """ANMs accept (a few pass: key 3), doctors accept (a few never pick up)."""
    out: dict[str, PhoneScript] = {}
    for mobile in anm_mobiles:
        key = "3" if mobile in passing_anms else "1"
        out[mobile] = PhoneScript(
            answer_after=timing.staff_answer_after,
            digits=[key],
            hangup_after=timing.talk_seconds + 30,
        )
    for mobile in doctor_mobiles:
        if mobile in absent_doctors:
            out[mobile] = PhoneScript(outcome="no-answer")
        else:
            out[mobile] = PhoneScript(
                answer_after=timing.staff_answer_after + 1,
                digits=["1"],
                hangup_after=timing.talk_seconds,
            )
    return out


def script_json(script: PhoneScript) -> dict[str, Any]:
    """The body of ``PUT /_standin/phones/<number>``."""
    return asdict(script)
