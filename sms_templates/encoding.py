"""SMS encoding and part counting, exactly as Twilio counts them.

GSM-7 (GSM 03.38): a message of up to 160 septets goes as one SMS; a longer one is
split into parts of 153 septets (the 7 others carry the concatenation header).
The extension table (``^ { } \\ [ ~ ] | €`` and form feed) costs two septets, an
escape and the character, and that pair is never split across two parts.

UCS-2 (anything outside GSM-7, e.g. Devanagari, Nastaliq, Bengali, emoji): 70 UTF-16
code units alone, 67 per part. As in Twilio's segment calculator, a user-perceived
character (a letter with its vowel signs, an emoji with its modifiers, a surrogate
pair) is never split across two parts.

``clean_gsm`` maps typographic look-alikes (curly quotes, non-breaking spaces,
dashes, ellipsis...) to GSM-7 so that a Latin-script message stays GSM-7: one stray
curly quote would otherwise cost 2.3 times as many parts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

#: Look-alikes of GSM-7 characters (after Twilio's Smart Encoding table, plus a few).
_LOOKALIKES: dict[str, str] = {
    **dict.fromkeys(
        "\u00ab\u00bb\u201c\u201d\u201e\u201f\u02ba\u02ee\u275d\u275e\u301d\u301e\uff02", '"'
    ),
    **dict.fromkeys(
        "\u2018\u2019\u201a\u201b\u2032\u2035\u02bb\u02bc\u02bd\u02b9\u02c8\u02ca\u02cb"
        "\u00b4\u0060\u275b\u275c\uff07",
        "'",
    ),
    **dict.fromkeys(
        "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe63\uff0d\u2022\u00b7", "-"
    ),
    **dict.fromkeys(
        "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f"
        "\u205f\u3000\u2028\u2029\t",
        " ",
    ),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    "\u2026": "...",
    "\u00d7": "x",
    "\u00f7": "/",
    "\u2044": "/",
    "\u2215": "/",
    "\u00bd": "1/2",
    "\u00bc": "1/4",
    "\u00be": "3/4",
    "\u2039": "<",
    "\u203a": ">",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u00b0": " deg",
    "\u00b5": "u",
    "\u03bc": "u",
    "\u20b9": "Rs",
    "\u2116": "No.",
    "\u2122": "TM",
    "\u00a9": "(c)",
    "\u00ae": "(R)",
    "\u0964": ".",  # Devanagari danda in an otherwise Latin text
    "\u06d4": ".",  # Urdu full stop
    "\u060c": ",",  # Arabic comma
    "\u061f": "?",  # Arabic question mark
}
_LOOKALIKES.update({chr(0xFF01 + i): chr(0x21 + i) for i in range(94)})  # full-width ASCII


@dataclass(frozen=True)
class SegmentCount:
    """How a body travels: its encoding, its parts and its size in that encoding's units.

    Attributes:
        encoding: "GSM-7" or "UCS-2".
        segments: number of SMS parts Twilio bills (0 for an empty body).
        units: septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2.
        non_gsm: the characters that forced UCS-2 (empty for GSM-7).
    """

    encoding: Encoding
    segments: int
    units: int
    non_gsm: tuple[str, ...] = ()

    @property
    def free_in_last_part(self) -> int:
        """Units still free before one more part is needed."""
        if self.segments <= 1:
            limit = GSM7_SINGLE if self.encoding == "GSM-7" else UCS2_SINGLE
            return limit - self.units
        return _part_capacity(self.encoding) * self.segments - self.units


def _part_capacity(encoding: Encoding) -> int:
    return GSM7_PART if encoding == "GSM-7" else UCS2_PART


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in GSM-7 (basic or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm_characters(text: str) -> tuple[str, ...]:
    """The distinct characters of ``text`` that GSM-7 cannot carry, in order of appearance."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION:
            seen.setdefault(ch)
    return tuple(seen)


def _joins_previous(ch: str) -> bool:
    """Whether ``ch`` extends the previous user-perceived character (grapheme cluster)."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or ch in "\u200c\u200d"  # ZWNJ / ZWJ
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences
    )


def graphemes(text: str) -> list[str]:
    """Split ``text`` into user-perceived characters, close to Unicode extended grapheme
    clusters (without Unicode 15.1's Indic conjunct rule, as Twilio's calculator).

    A mark, ZWJ/ZWNJ, variation selector or skin tone joins the preceding character;
    a character after a ZWJ joins too (emoji sequences); regional indicators pair up
    into flags; CR LF stays one.
    """
    out: list[str] = []
    for ch in text:
        if out:
            prev = out[-1]
            last = prev[-1]
            regional = 0x1F1E6 <= ord(ch) <= 0x1F1FF
            if (
                _joins_previous(ch)
                or last == "\u200d"
                or (last == "\r" and ch == "\n")
                or (
                    regional
                    and 0x1F1E6 <= ord(last) <= 0x1F1FF
                    and sum(1 for c in prev if 0x1F1E6 <= ord(c) <= 0x1F1FF) % 2 == 1
                )
            ):
                out[-1] = prev + ch
                continue
        out.append(ch)
    return out


def _utf16_units(s: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def unit_costs(text: str) -> tuple[Encoding, list[int]]:
    """The encoding of ``text`` and the cost of each of its indivisible pieces."""
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "UCS-2", [_utf16_units(g) for g in graphemes(text)]


def _pack(costs: list[int], capacity: int) -> int:
    """Parts needed to pack ``costs`` in order, never splitting one piece."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts += 1
            used = 0
        used += cost
    return parts


def count_segments(text: str) -> SegmentCount:
    """Encoding, parts and units of ``text`` as Twilio counts them.

    >>> count_segments("a" * 160).segments, count_segments("a" * 161).segments
    (1, 2)
    >>> count_segments("€" * 80).units, count_segments("€" * 80).segments
    (160, 1)
    >>> count_segments("नमस्ते").encoding
    'UCS-2'
    """
    encoding, costs = unit_costs(text)
    units = sum(costs)
    single = GSM7_SINGLE if encoding == "GSM-7" else UCS2_SINGLE
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = _pack(costs, _part_capacity(encoding))
    non_gsm = () if encoding == "GSM-7" else non_gsm_characters(text)
    return SegmentCount(encoding=encoding, segments=segments, units=units, non_gsm=non_gsm)


def split_parts(text: str) -> list[str]:
    """The parts Twilio would send ``text`` as (for display and for tests)."""
    encoding, _ = unit_costs(text)
    pieces = list(text) if encoding == "GSM-7" else graphemes(text)
    costs = [
        (2 if p in GSM7_EXTENSION else 1) if encoding == "GSM-7" else _utf16_units(p)
        for p in pieces
    ]
    single = GSM7_SINGLE if encoding == "GSM-7" else UCS2_SINGLE
    if sum(costs) <= single:
        return [text] if text else []
    capacity = _part_capacity(encoding)
    parts: list[str] = [""]
    used = 0
    for piece, cost in zip(pieces, costs, strict=True):
        if used + cost > capacity:
            parts.append("")
            used = 0
        parts[-1] += piece
        used += cost
    return parts


def clean_gsm(text: str, *, replacement: str = "?") -> str:
    """Make a Latin-script text GSM-7: look-alikes mapped, accents stripped, the rest replaced.

    Curly quotes, non-breaking and other spaces, dashes, ellipsis, full-width forms
    become their GSM-7 equivalents; accented letters outside GSM-7 lose their accent
    (``ā`` -> ``a``, but ``é`` stays, it is GSM-7); a pictograph (emoji) is dropped;
    any other character (e.g. a Devanagari word in a romanised message) becomes
    ``replacement`` once per run.
    """
    out: list[str] = []
    replaced_run = False
    for ch in unicodedata.normalize("NFC", text):
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
            replaced_run = False
            continue
        mapped = _LOOKALIKES.get(ch)
        if mapped is None:
            stripped = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            if stripped and is_gsm7(stripped):
                mapped = stripped
            elif _joins_previous(ch) or unicodedata.category(ch) in ("So", "Sk", "Cs", "Co"):
                mapped = ""  # emoji, their modifiers and stray marks carry nothing in Latin
            elif unicodedata.category(ch).startswith("C"):
                mapped = ""  # control and format characters
        if mapped is None:
            if not replaced_run:
                out.append(replacement)
            replaced_run = True
            continue
        out.append(mapped)
        if mapped:
            replaced_run = False
    return "".join(out)


def normalise_native(text: str) -> str:
    """Tidy an Indic-script text without changing its script: NFC, plain spaces.

    ZWJ/ZWNJ are kept: they change how a conjunct is written in Devanagari and Bengali.
    """
    text = unicodedata.normalize("NFC", text)
    return "".join(
        " " if ch in "\u00a0\u202f\u2007\u2009\u200a\t" else ch
        for ch in text
        if ch not in "\ufeff\u00ad\u200b"
    )
