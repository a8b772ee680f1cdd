"""The one table of voices: how each of our languages is spoken by Twilio's ``<Say>``.

Every spoken prompt (the IVR's, the workflow's, the prescription read-aloud) takes its
``<Say language=.. voice=..>`` from here, and writes the words it speaks in the script
this table names. ``workflows`` is the lowest layer the IVR, the workflow and
prescriptions all import, so the table lives here (data only).

The decision for Urdu (issue 14, item 4), from Twilio's published list of ``<Say>``
languages and voices, https://www.twilio.com/docs/voice/twiml/say/text-speech: it lists
Google and Amazon Polly voices for ``hi-IN``, ``bn-IN`` and ``en-IN`` (and ``gu-IN``,
``kn-IN``, ``ml-IN``, ``mr-IN``, ``pa-IN``, ``ta-IN``, ``te-IN``), but **no Urdu
language at all** (no ``ur-IN``, no ``ur-PK``); Amazon Polly has no Urdu voice either
(https://docs.aws.amazon.com/polly/latest/dg/available-voices.html). A ``Google.ur-IN-*``
voice is therefore not one Twilio offers, and an invalid voice/language pair may fail the
``<Say>`` (the <Say> page's warning: https://www.twilio.com/docs/voice/twiml/say).

So: Urdu is spoken by the Hindi voice (``hi-IN``, ``Google.hi-IN-Standard-A``) from the
Urdu words written in Devanagari (spoken Urdu and Hindi are mutually intelligible; a
hi-IN voice cannot read Nastaliq). The Nastaliq text is kept for what is *read* (SMS,
the portal) and as the script a voice artist records from. Urdu callers hear their own
voice through recordings: the IVR plays ``ivr/prompts/audio/ur/<key>.mp3`` (``<Play>``)
wherever a district has recorded one (ivr/README.md, "Recorded prompts"). When Twilio
lists an Urdu voice, change the ``ur`` row (and the Urdu prompts' script) here only.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Where the decision comes from (cited by tests and the docs).
SOURCE = "https://www.twilio.com/docs/voice/twiml/say/text-speech"


@dataclass(frozen=True)
class SpeechVoice:
    """How one language is spoken.

    Attributes:
        language: our language key (hi, ur, bn, en).
        say_language: ``<Say language=..>``.
        voice: ``<Say voice=..>`` (a voice Twilio lists for ``say_language``).
        script: the script the spoken words are written in (ISO 15924: Deva, Beng, Latn).
    """

    language: str
    say_language: str
    voice: str
    script: str


VOICES: dict[str, SpeechVoice] = {
    "hi": SpeechVoice("hi", "hi-IN", "Google.hi-IN-Standard-A", "Deva"),
    # No Urdu in Twilio's list (see above): the Hindi voice, reading Devanagari.
    "ur": SpeechVoice("ur", "hi-IN", "Google.hi-IN-Standard-A", "Deva"),
    "bn": SpeechVoice("bn", "bn-IN", "Google.bn-IN-Standard-A", "Beng"),
    "en": SpeechVoice("en", "en-IN", "Google.en-IN-Standard-A", "Latn"),
}
DEFAULT_LANGUAGE = "hi"

#: Unicode character-name prefixes of each script's letters.
_SCRIPT_NAMES = {"Deva": "DEVANAGARI", "Beng": "BENGALI", "Latn": "LATIN", "Arab": "ARABIC"}


def voice_for(language: str | None) -> SpeechVoice:
    """The voice of ``language`` (Hindi's for an unknown key)."""
    return VOICES.get(language or "", VOICES[DEFAULT_LANGUAGE])


def scripts_in(text: str) -> set[str]:
    """The scripts of the letters in ``text`` (digits, punctuation and spaces aside)."""
    found: set[str] = set()
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        codes = [code for code, prefix in _SCRIPT_NAMES.items() if name.startswith(prefix)]
        found.update(codes or ["other"])
    return found


def speakable(language: str, text: str, *, allow_latin: bool = True) -> bool:
    """Whether ``text`` is written for ``language``'s voice: only its script's letters
    (and Latin ones, for names and abbreviations such as "SMS", when ``allow_latin``)."""
    allowed = {voice_for(language).script} | ({"Latn"} if allow_latin else set())
    return scripts_in(text) <= allowed
