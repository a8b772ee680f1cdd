"""Compact, SMS-sized renderings of prescription lines, dates and free text.

A medicine line reads ``Paracetamol 500mg 1-0-1 x5d`` (morning-noon-night, for five
days); the ANM's copy adds what to hand over (``=10tab``). Every line fits one DLT
variable (40 characters): the medicine name is shortened, never the dosing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from core.timeutil import to_ist

#: Latin abbreviations of frequency, as doctors write them, to the 1-0-1 pattern.
FREQUENCY_PATTERNS = {
    "OD": "1-0-0",
    "QD": "1-0-0",
    "BD": "1-0-1",
    "BID": "1-0-1",
    "TDS": "1-1-1",
    "TID": "1-1-1",
    "QID": "1-1-1-1",
    "HS": "0-0-1",
}
_PATTERN = re.compile(r"^\d+(?:[-.]\d+){1,3}$")
_COUNTED_UNITS = ("", "tab", "tablet", "cap", "capsule", "sachet", "pkt", "packet", "unit")
_DOSE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_NUMBER_THEN_UNIT = re.compile(r"(?<=\d) (?=[^\W\d_])")  # "5 ml": the space goes


def field(item: Any, name: str, default: Any = None) -> Any:
    """``item.name`` or ``item[name]``: templates accept model rows and plain dicts."""
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def frequency_pattern(frequency: str) -> str:
    """``BD`` -> ``1-0-1``; a pattern or anything else (``SOS``) is kept as written."""
    text = (frequency or "").strip()
    return FREQUENCY_PATTERNS.get(text.upper(), text.replace(" ", ""))


def compact_dose(dose: str | None) -> str:
    """The dose as written, a number joined to its unit: ``"5 ml"`` -> ``"5ml"``.

    ``"1 tab"`` gives ``""`` (the 1-0-1 pattern already says one of them). Only the
    space between a number and the word after it goes: ``"1 1/2 tab"`` -> ``"1 1/2tab"``,
    ``"thin layer"`` stays. A mixed fraction keeps its space, as on a paper prescription,
    rather than becoming ``1½`` (not in GSM-7: the whole SMS would turn UCS-2), ``1.5``
    (not what the doctor wrote) or ``1+1/2`` (a sum to a reader who does not know it).
    """
    text = " ".join((dose or "").split())
    match = _DOSE.match(text)
    if match and match.group(1) == "1" and match.group(2).lower() in _COUNTED_UNITS:
        return ""
    return _NUMBER_THEN_UNIT.sub("", text)


def dosing(frequency: str, duration_days: int | None, dose: str | None = None) -> str:
    """``1-0-1 x5d``, with a non-default dose in front: ``5ml 1-1-1 x3d``."""
    parts = [compact_dose(dose), frequency_pattern(frequency)]
    if duration_days:
        parts.append(f"x{int(duration_days)}d")
    return " ".join(p for p in parts if p)


def quantity_to_dispense(item: Any) -> str:
    """How many units the ANM hands over (``10tab``), or ``""`` when it cannot be counted."""
    pattern = frequency_pattern(str(field(item, "frequency", "")))
    days = field(item, "duration_days") or 0
    if not _PATTERN.match(pattern) or not days:
        return ""
    per_day = sum(float(x) for x in re.split(r"[-.]", pattern))
    match = _DOSE.match(str(field(item, "dose", "") or "1"))
    unit = (field(item, "form", "") or "").lower()[:3]
    if not match or unit not in ("tab", "cap"):
        return ""
    amount = float(match.group(1)) * per_day * int(days)
    return f"{amount:g}{unit}"


def medicine_line(item: Any, *, width: int = 40, for_anm: bool = False) -> str:
    """One medicine on one line of at most ``width`` characters; the name gives way first."""
    strength = str(field(item, "strength", "") or "").replace(" ", "")
    tail = dosing(
        str(field(item, "frequency", "")), field(item, "duration_days"), field(item, "dose")
    )
    if for_anm and (qty := quantity_to_dispense(item)):
        tail += f" ={qty}"
    tail = " ".join(p for p in (strength, tail) if p)
    name = " ".join(str(field(item, "name", "")).split())
    room = width - len(tail) - 1
    if room < 4:  # an absurdly long dosing: keep what identifies the medicine
        return f"{name} {tail}"[:width]
    if len(name) > room:
        name = name[: room - 1].rstrip() + "."
    return f"{name} {tail}"


def clip(text: Any, width: int = 40) -> str:
    """``text`` on one line, at most ``width`` characters, cut at a word with ``..``."""
    flat = " ".join(str(text or "").split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 2]
    if " " in cut[width // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + ".."


def split_words(text: Any, width: int = 40) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken only between words.

    Nothing is left out and no word or number is cut: ``" ".join(lines)`` is the text with
    its runs of white space made single. Only a single "word" longer than ``width`` (a
    link, say) has to be broken, at ``width``.
    """
    lines: list[str] = []
    current = ""
    for word in str(text or "").split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def short_date(value: date | datetime | None) -> str:
    """``25-11-2026`` (a datetime is shown in IST)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_ist(value)
    return value.strftime("%d-%m-%Y")


def short_datetime(value: datetime | None) -> str:
    """``25-11-2026 14:05`` in IST."""
    if value is None:
        return ""
    return to_ist(value).strftime("%d-%m-%Y %H:%M")
