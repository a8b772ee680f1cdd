"""The patients of a load run: what each one presses, and dialling in through the stand-in.

Each patient is a phone script (``telephony.standin.PhoneScript``, given to the stand-in
with ``PUT /_standin/phones/<number>``) and one ``POST /_standin/dial-in`` to a spoke's
number at its arrival time: the stand-in runs the IVR's TwiML and presses the keys, on
the real clock, and the webhooks go to gunicorn as Twilio's would.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from ivr.flow import COMPLAINTS, DANGER_SIGNS, NATIVE_SCRIPT_LANGUAGES
from telephony.standin import PhoneScript

#: Scenario -> weight in the mix.
SCENARIOS: dict[str, int] = {
    "stay": 25,  # completes the intake and stays on the line for the consultation
    "callback": 25,  # completes the intake, silence at the offer: called back
    "emergency": 10,  # a danger sign: hospital advised, ANM alerted, called back
    "hangup": 20,  # hangs up at step k of the call (k spread over the whole intake)
    "silence": 5,  # presses nothing after the language
    "wrong_keys": 5,  # wrong keys at two questions, then completes
    "consent_refused": 3,
    "unreachable": 7,  # completes the intake, never answers a call-back
}
LANGUAGE_KEYS = {"1": "hi", "2": "ur", "3": "bn", "4": "en"}
#: The most TwiML verbs a completed intake runs through (hang-ups are spread up to it).
MAX_STEP = 32


@dataclass(frozen=True)
class Timing:
    """How long the people of a run take (seconds on the real clock)."""

    patient_answer_after: float = 4.0
    patient_hangup_after: float = 900.0  # on the line: the intake, the wait and the talk
    staff_answer_after: float = 5.0
    talk_seconds: float = 60.0  # a doctor's and an ANM's part of a consultation


@dataclass
class Patient:
    """One scripted caller."""

    index: int
    mobile: str
    spoke_number: str
    scenario: str
    language: str
    arrives_after: float
    script: PhoneScript
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


def intake_keys(
    rng: random.Random, lang_key: str, *, emergency: bool = False, wrong: bool = False
) -> list[str | None]:
    """The keys of a whole intake up to (not including) the offer to stay."""
    complaint_key = rng.choice(sorted(COMPLAINTS))
    signs = len(DANGER_SIGNS[COMPLAINTS[complaint_key]])
    age = f"{rng.randint(1, 11) if complaint_key == '4' else rng.randint(16, 80)}#"
    sex = "1" if complaint_key == "3" else rng.choice("12")
    keys: list[str | None] = [lang_key, "1"]
    keys += ["5", "1"] if wrong else ["1"]  # for whom (5 is no choice: named, asked again)
    keys += ["200#", age] if wrong else [age]  # age 200 is out of range: asked again
    keys += [sex, complaint_key, f"{rng.randint(1, 20)}#"]
    keys += ["2"] * (signs - 1) + ["1" if emergency else "2"]
    if emergency:
        return keys
    if LANGUAGE_KEYS[lang_key] in NATIVE_SCRIPT_LANGUAGES:
        keys.append(None)  # the SMS script question: silence keeps the default
    return keys


def make_patients(
    count: int,
    spoke_numbers: list[str],
    rng: random.Random,
    arrival_seconds: float,
    timing: Timing,
) -> list[Patient]:
    """``count`` patients, arriving at random over ``arrival_seconds``."""
    names, weights = list(SCENARIOS), list(SCENARIOS.values())
    out = []
    for i in range(count):
        scenario = names[i % len(names)] if i < len(names) else rng.choices(names, weights)[0]
        lang_key = rng.choices(list(LANGUAGE_KEYS), (55, 20, 15, 10))[0]
        base = PhoneScript(
            answer_after=timing.patient_answer_after,
            hangup_after=timing.patient_hangup_after,
            record_seconds=[3, 10],
        )
        extra: dict[str, Any] = {}
        if scenario == "stay":
            base.digits = [*intake_keys(rng, lang_key), "1"]
        elif scenario in ("callback", "unreachable"):
            base.digits = [*intake_keys(rng, lang_key), None]
            if scenario == "unreachable":
                base.outcome = "no-answer"
        elif scenario == "emergency":
            base.digits = [*intake_keys(rng, lang_key, emergency=True), None]
        elif scenario == "wrong_keys":
            base.digits = [*intake_keys(rng, lang_key, wrong=True), None]
        elif scenario == "hangup":
            base.digits = [*intake_keys(rng, lang_key), None]
            step = 1 + (i * 7) % MAX_STEP  # every step is covered over a run
            base.hangup_at_step = step
            extra["hangup_at_step"] = step
        elif scenario == "silence":
            base.digits = [lang_key]
        elif scenario == "consent_refused":
            base.digits = [lang_key, "2"]
        out.append(
            Patient(
                index=i,
                mobile=f"+91970{i:07d}",
                spoke_number=rng.choice(spoke_numbers),
                scenario=scenario,
                language=LANGUAGE_KEYS[lang_key],
                arrives_after=rng.uniform(0, arrival_seconds),
                script=base,
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
