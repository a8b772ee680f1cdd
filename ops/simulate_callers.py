"""What simulated callers press: one phone script per scenario, for ``sampark simulate``
(in process, virtual clock) and ``sampark loadtest`` (separate processes, real clock).

A script is a ``standin.PhoneScript``: the stand-in dials in from the patient's
phone, runs the IVR's TwiML and presses the n-th keys at the n-th ``<Gather>``; the same
script answers (or not) the workflow's call-backs to that phone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ivr.flow import COMPLAINTS, DANGER_SIGNS, NATIVE_SCRIPT_LANGUAGES, NODES
from standin import PhoneScript

#: Scenario -> weight in the mix.
SCENARIOS: dict[str, int] = {
    "stay": 25,  # completes the intake and stays on the line for the consultation
    "callback": 25,  # completes the intake, silence at the offer to stay: called back
    "emergency": 10,  # a danger sign: hospital advised, the ANM alerted, called back
    "hangup": 20,  # hangs up at the k-th step of the call (k spread over the intake)
    "silence": 5,  # presses nothing after the language
    "wrong_keys": 5,  # wrong keys at two questions, then completes
    "consent_refused": 3,
    "unreachable": 7,  # completes the intake, never answers a call-back
}
LANGUAGE_KEYS = {"1": "hi", "2": "ur", "3": "bn", "4": "en"}
LANGUAGE_WEIGHTS = (55, 20, 15, 10)
#: The most TwiML verbs a completed intake runs through (hang-ups are spread up to it).
MAX_STEP = 32


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


def spoke_code_keys(short_code: str, max_digits: int = NODES["spoke_code"].max_digits) -> str:
    """The keys for the IVR's ``spoke_code`` question: the code, ended by # when shorter
    than the question's digits (a full-length code ends the input by itself)."""
    return short_code if len(short_code) >= max_digits else f"{short_code}#"


def with_spoke_code(digits: Sequence[str | None], short_code: str) -> list[str | None]:
    """A script for the district line: the spoke's code keyed after the language.

    A first-time caller of the district line is asked ``spoke_code`` right after the
    language (``ivr/flow.py``; a caller with a prescription would hear ``rx_offer`` first,
    and a returning caller ``spoke_confirm`` instead, which no simulated caller is: each
    dials once, with a phone of their own).
    """
    if not digits:
        return list(digits)
    return [digits[0], spoke_code_keys(short_code), *digits[1:]]


def pick_scenario(index: int, rng: random.Random) -> str:
    """Every scenario once among the first callers, then by weight."""
    names = list(SCENARIOS)
    return names[index] if index < len(names) else rng.choices(names, list(SCENARIOS.values()))[0]


def caller_script(
    scenario: str,
    rng: random.Random,
    index: int,
    *,
    answer_after: float = 4.0,
    hangup_after: float | None = None,
) -> tuple[str, PhoneScript, dict[str, Any]]:
    """(language, the phone's script, facts for the report) for one caller."""
    lang_key = rng.choices(list(LANGUAGE_KEYS), LANGUAGE_WEIGHTS)[0]
    script = PhoneScript(
        answer_after=answer_after, hangup_after=hangup_after, record_seconds=[3, 10]
    )
    extra: dict[str, Any] = {}
    if scenario == "stay":
        script.digits = [*intake_keys(rng, lang_key), "1"]
    elif scenario in ("callback", "unreachable"):
        script.digits = [*intake_keys(rng, lang_key), None]
        if scenario == "unreachable":
            script.outcome = "no-answer"
    elif scenario == "emergency":
        script.digits = [*intake_keys(rng, lang_key, emergency=True), None]
    elif scenario == "wrong_keys":
        script.digits = [*intake_keys(rng, lang_key, wrong=True), None]
    elif scenario == "hangup":
        script.digits = [*intake_keys(rng, lang_key), None]
        step = 1 + (index * 7) % MAX_STEP  # over a run, every step is covered
        script.hangup_at_step = step
        extra["hangup_at_step"] = step
    elif scenario == "silence":
        script.digits = [lang_key]
    elif scenario == "consent_refused":
        script.digits = [lang_key, "2"]
    else:
        raise ValueError(f"unknown scenario {scenario!r}")
    return LANGUAGE_KEYS[lang_key], script, extra
