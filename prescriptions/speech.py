"""What is said when a prescription is read aloud: sentences in the patient's language.

Numbers of tablets, days and dates are said in words; the compact ``1-0-1`` becomes
"one tablet in the morning, one tablet at night". Everything a listener hears comes
from ``readout.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.timeutil import to_ist
from models import Prescription, PrescriptionItem
from workflows.voices import voice_for as speech_voice

READOUT_PATH = Path(__file__).with_name("readout.yaml")
LANGUAGES = ("hi", "ur", "bn", "en")
DEFAULT_LANGUAGE = "hi"
COUNTED_FORMS = {"tablet": "tablet", "capsule": "capsule", "lozenge": "lozenge"}
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?|½)\s*([A-Za-z%]+)?\s*$")


@dataclass(frozen=True)
class Voice:
    """One language's speech: the ``<Say>`` voice and every word needed."""

    language: str
    voice: str
    say_language: str
    words: dict[str, Any]

    def say(self, key: str, **values: Any) -> str:
        """A sentence; free text in it loses its own final full stop (the sentence has one)."""
        clean = {k: _strip_end(v) if isinstance(v, str) else v for k, v in values.items()}
        return str(self.words["say"][key]).format(**clean)


def _strip_end(text: str) -> str:
    return text.strip().rstrip(".।۔ ")


@cache
def readout_config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(READOUT_PATH.read_text(encoding="utf-8"))
    return data


def voice_for(language: str | None) -> Voice:
    """The speech of ``language`` (Hindi for anything unknown)."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    raw = readout_config()["languages"][lang]
    spoken = speech_voice(lang)  # the one table of voices (workflows/voices.py)
    return Voice(lang, spoken.voice, spoken.say_language, raw)


def number_words(v: Voice, value: float | int) -> str:
    """``5`` -> "पाँच"; ``0.5`` -> "आधी"; beyond the table, digits (read by the voice)."""
    if value == 0.5:
        return str(v.words["half"])
    if float(value).is_integer() and 0 <= int(value) < len(v.words["numbers"]):
        return str(v.words["numbers"][int(value)])
    return f"{value:g}"


def spoken_date(v: Voice, day: date) -> str:
    """``25 November`` in words: "पच्चीस नवंबर"."""
    return f"{number_words(v, day.day)} {v.words['months'][day.month - 1]}"


def _unit(v: Voice, token: str, count: float = 1) -> str:
    word = str(v.words["units"].get(token, v.words["units"].get(token.lower(), token)))
    suffix = v.words.get("plural_suffix")
    if suffix and count != 1 and word == v.words["units"].get(token) and not word.endswith("s"):
        word += suffix
    return word


def spoken_strength(v: Voice, strength: str) -> str:
    """``400 mg + 80 mg`` -> "400 मिलीग्राम और 80 मिलीग्राम"; ``250 mg/5 ml`` uses "प्रति"."""
    out: list[str] = []
    for token in strength.replace("/", " / ").replace("%", " %").split():
        if token == "+":
            out.append(str(v.words["plus"]))
        elif token == "/":
            out.append(str(v.words["per"]))
        elif token in v.words["units"]:
            out.append(_unit(v, token))
        else:
            out.append(token)
    return " ".join(out)


def _amount(v: Voice, item: PrescriptionItem, count: float) -> str:
    """What is taken at one time: "एक गोली", "पाँच एम एल", "पतली परत लगाएँ"."""
    dose = (item.dose or "").strip()
    if dose in v.words["doses"]:
        return str(v.words["doses"][dose])
    form_unit = next((u for f, u in COUNTED_FORMS.items() if f in item.form.lower()), None)
    match = _NUMBER_UNIT.match(dose)
    if match:
        n = 0.5 if match.group(1) == "½" else float(match.group(1))
        unit = (match.group(2) or "").lower()
        if unit in ("tab", "tabs", "cap", "caps", "") and form_unit:
            total = n * count
            return f"{number_words(v, total)} {_unit(v, form_unit, total)}"
        total = n * count if count != 1 else n
        return f"{number_words(v, total)} {_unit(v, match.group(2) or '', total)}".strip()
    return dose


def spoken_when(v: Voice, item: PrescriptionItem) -> str:
    """``1-0-1`` -> "सुबह एक गोली, रात को एक गोली"; ``SOS`` -> "ज़रूरत होने पर ..."."""
    frequency = item.frequency.strip()
    if frequency.upper() == "SOS":
        return v.say("as_needed", amount=_amount(v, item, 1))
    counts = [0.5 if c in ("½", "0.5") else float(c) for c in frequency.split("-")]
    slots = v.words["slots4"] if len(counts) == 4 else v.words["slots3"]
    parts = [
        v.say("when_slot", slot=slot, amount=_amount(v, item, c))
        for slot, c in zip(slots, counts, strict=False)
        if c
    ]
    return ", ".join(parts)


def prescription_sentences(rx: Prescription, language: str | None) -> list[str]:
    """Every sentence of the read-aloud, in order, in ``language``."""
    v = voice_for(language)
    issued = to_ist(rx.issued_at).date()
    out = [
        v.say(
            "greeting",
            patient_name=rx.patient_name,
            doctor_name=rx.doctor_name,
            hub_name=rx.hub_name,
            date=spoken_date(v, issued),
        )
    ]
    if rx.replaces_id is not None:
        out.append(v.say("correction"))
    out.append(v.say("diagnosis", diagnosis=rx.diagnosis))
    out += medicine_sentences(v, rx)
    if rx.advice:
        out.append(v.say("advice", advice=rx.advice))
    if rx.tests:
        out.append(v.say("tests", tests=", ".join(rx.tests)))
    if rx.referral_to:
        urgency = v.words["urgency"].get(rx.referral_urgency or "routine", "")
        out.append(v.say("referral", place=rx.referral_to, urgency=urgency))
    if rx.follow_up_on:
        out.append(v.say("follow_up", date=spoken_date(v, rx.follow_up_on)))
    if rx.items:
        out.append(v.say("collect"))
    out.append(v.say("code", code=" ".join(rx.code)))
    return out


def medicine_sentences(v: Voice, rx: Prescription) -> list[str]:
    """How many medicines, then each: name, strength, when, how many days, instructions
    (the patient's read-aloud and a pharmacist's check by call say them alike)."""
    items = list(rx.items)
    out = [
        v.say("medicines", count=number_words(v, len(items))) if items else v.say("no_medicines")
    ]
    for n, item in enumerate(items, start=1):
        out.append(
            v.say(
                "medicine",
                n=number_words(v, n),
                name=item.name,
                strength=spoken_strength(v, item.strength),
                when=spoken_when(v, item),
                days=number_words(v, item.duration_days),
            )
        )
        if item.instructions:
            spoken = (v.words.get("instructions") or {}).get(item.instructions.strip())
            out.append(v.say("instructions", text=spoken or item.instructions))
    return out
