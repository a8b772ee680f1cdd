"""Encoding and part counts, checked against how Twilio counts them.

Expected values follow GSM 03.38 and Twilio's segment calculator
(github.com/TwilioDevEd/message-segment-calculator): GSM-7 160 alone / 153 a part,
extension characters two septets never split; UCS-2 70 alone / 67 a part in UTF-16
code units, a user-perceived character never split.
"""

from __future__ import annotations

import pytest

from sms_templates.encoding import clean_gsm, count_segments, graphemes, split_parts

A = "a"

# (label, text, encoding, segments, units)
TRICKY = [
    ("empty", "", "GSM-7", 0, 0),
    ("plain", "Hello", "GSM-7", 1, 5),
    ("160 GSM", A * 160, "GSM-7", 1, 160),
    ("161 GSM", A * 161, "GSM-7", 2, 161),
    ("306 GSM", A * 306, "GSM-7", 2, 306),
    ("307 GSM", A * 307, "GSM-7", 3, 307),
    ("euro counts two", "€", "GSM-7", 1, 2),
    ("80 euros fill one", "€" * 80, "GSM-7", 1, 160),
    ("81 euros", "€" * 81, "GSM-7", 2, 162),
    ("bracket pushes over 160", A * 159 + "[", "GSM-7", 2, 161),
    ("every extension char", "^{}\\[~]|€", "GSM-7", 1, 18),
    # 152 + € (2) does not fit 153: the escape pair moves whole to part 2 (2+152 > 153).
    ("escape never split", A * 152 + "€" + A * 152, "GSM-7", 3, 306),
    ("GSM basic extras", "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà¡¤", "GSM-7", 1, 42),
    ("newline is one", "a\nb", "GSM-7", 1, 3),
    ("lower c-cedilla is not GSM", "ç", "UCS-2", 1, 1),
    ("backtick is not GSM", "`", "UCS-2", 1, 1),
    ("Hindi", "नमस्ते", "UCS-2", 1, 6),
    ("70 Devanagari", "न" * 70, "UCS-2", 1, 70),
    ("71 Devanagari", "न" * 71, "UCS-2", 2, 71),
    ("134 Devanagari", "न" * 134, "UCS-2", 2, 134),
    ("135 Devanagari", "न" * 135, "UCS-2", 3, 135),
    # "कि" is one character on screen (2 code units): never split across parts.
    ("vowel sign stays with its letter", A * 66 + "कि" + A * 66, "UCS-2", 3, 134),
    ("Urdu", "سلام، دوا کھانے کے بعد", "UCS-2", 1, 22),
    ("Bengali", "ওষুধ খাবার পরে", "UCS-2", 1, 14),
    ("romanised Hindi", "Dawa khana khane ke baad lein", "GSM-7", 1, 29),
    ("curly quotes force UCS-2", "“Take 1 tab”", "UCS-2", 1, 12),
    ("nbsp forces UCS-2", "1\u00a0tab", "UCS-2", 1, 5),
    ("one curly quote in 159 chars", A * 159 + "’", "UCS-2", 3, 160),
    ("emoji is two units", "😀", "UCS-2", 1, 2),
    ("35 emoji", "😀" * 35, "UCS-2", 1, 70),
    ("36 emoji", "😀" * 36, "UCS-2", 2, 72),
    ("emoji never split", A * 66 + "😀" + A * 66, "UCS-2", 3, 134),
    ("skin tone stays with its emoji", "👍🏽", "UCS-2", 1, 4),
    ("euro in UCS-2 counts one", "€न", "UCS-2", 1, 2),
]


@pytest.mark.parametrize(("label", "text", "encoding", "segments", "units"), TRICKY)
def test_tricky_texts_count_as_twilio_does(
    label: str, text: str, encoding: str, segments: int, units: int
) -> None:
    count = count_segments(text)
    assert (count.encoding, count.segments, count.units) == (encoding, segments, units), label
    assert len(split_parts(text)) == segments
    assert "".join(split_parts(text)) == text


def test_parts_respect_part_sizes() -> None:
    parts = split_parts(A * 152 + "€" + A * 152)
    assert [len(p) for p in parts] == [152, 152, 1]  # 152 | € (2) + 151 = 153 | 1
    assert parts[1].startswith("€")
    hindi = split_parts(A * 66 + "कि" + A * 66)
    assert hindi[1].startswith("कि")


def test_non_gsm_characters_are_reported() -> None:
    assert count_segments("“Take” 1\u00a0tab").non_gsm == ("“", "”", "\u00a0")
    assert count_segments("plain").non_gsm == ()


CLEANED = [
    ("curly quotes", "“Take 1 tab” – don’t skip", '"Take 1 tab" - don\'t skip'),
    ("nbsp and thin spaces", "1\u00a0tab\u2009x5d\u202f", "1 tab x5d "),
    ("dashes and ellipsis", "500mg—1-0-1…", "500mg-1-0-1..."),
    ("rupee and times", "₹10 × 2", "Rs10 x 2"),
    ("accents stripped", "Kāśī", "Kasi"),
    ("GSM accents kept", "café", "café"),
    ("emoji dropped", "Get well 🙏🏽 soon", "Get well  soon"),
    ("Indic word replaced once", "Sabina नमस्ते!", "Sabina ?!"),
    ("zero-width removed", "A\u200bB\ufeffC", "ABC"),
    ("full-width forms", "ＲＸ７", "RX7"),
]


@pytest.mark.parametrize(("label", "raw", "cleaned"), CLEANED)
def test_cleaner_keeps_latin_text_in_gsm7(label: str, raw: str, cleaned: str) -> None:
    assert clean_gsm(raw) == cleaned, label
    assert count_segments(clean_gsm(raw)).encoding == "GSM-7"


def test_grapheme_split() -> None:
    assert graphemes("किताब") == ["कि", "ता", "ब"]
    assert graphemes("🇮🇳🇮🇳") == ["🇮🇳", "🇮🇳"]
    assert graphemes("👩\u200d⚕️x") == ["👩\u200d⚕️", "x"]
