"""Which script a patient's SMS is written in, remembered on the patient.

Many feature phones in the district cannot show Devanagari, Nastaliq or Bengali:
such a patient gets the romanised (Latin, GSM-7) version. The choice is stored in
``Patient.sms_script`` ("native" or "roman"); until the patient chooses, the
district's default for the language applies (``sms.yaml`` ``default_script``).
"""

from __future__ import annotations

from typing import Any

from sms_templates.config import LANGUAGES, LATIN_LANGUAGES, SCRIPTS, load_config


def default_script(language: str) -> str:
    """The configured script for a language when nobody chose one."""
    if language in LATIN_LANGUAGES:
        return "native"
    return load_config().default_script.get(language, "native")


def choose_script(patient: Any | None, language: str | None = None) -> str:
    """The script to write to ``patient`` in: their remembered choice, else the default.

    Args:
        patient: a ``Patient`` (or anything with ``sms_script`` and
            ``preferred_language``), or None for an unknown recipient.
        language: the message's language (default: the patient's preferred one).
    """
    lang = language or getattr(patient, "preferred_language", None) or "hi"
    if lang in LATIN_LANGUAGES:
        return "native"
    chosen = getattr(patient, "sms_script", None)
    return chosen if chosen in SCRIPTS else default_script(lang)


def remember_script(patient: Any, script: str) -> None:
    """Store the patient's choice (e.g. after pressing a key in the IVR).

    Raises:
        ValueError: for anything but "native" or "roman".
    """
    if script not in SCRIPTS:
        raise ValueError(f"SMS script must be 'native' or 'roman', not {script!r}")
    patient.sms_script = script


__all__ = ["LANGUAGES", "choose_script", "default_script", "remember_script"]
