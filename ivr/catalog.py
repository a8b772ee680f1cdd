"""Per-language prompt catalogs (``ivr/prompts/<lang>.yaml``), loaded once per process.

A prompt is spoken by text-to-speech (``<Say>`` with the language's voice) unless
the catalog maps it to a recorded audio file, which is then played (``<Play>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROMPTS_DIR = Path(__file__).with_name("prompts")
LANGUAGES: tuple[str, ...] = ("hi", "ur", "bn", "en")
DEFAULT_LANGUAGE = "hi"


@dataclass(frozen=True)
class Catalog:
    """One language's prompts and voice.

    Attributes:
        language: ``hi``, ``ur``, ``bn`` or ``en``.
        say_language / voice: the ``<Say>`` attributes for text-to-speech.
        texts: prompt key -> written text (in the language's own script).
        speak: prompt key -> what text-to-speech reads, when it differs from ``texts``.
        audio: prompt key -> recorded file, relative to the audio base URL.
    """

    language: str
    say_language: str
    voice: str
    texts: dict[str, str]
    speak: dict[str, str] = field(default_factory=dict)
    audio: dict[str, str] = field(default_factory=dict)

    def spoken(self, key: str, **values: str) -> str:
        """The words text-to-speech says for ``key``, with ``{placeholders}`` filled."""
        template = self.speak.get(key) or self.texts[key]
        return template.format(**values) if values else template

    def text(self, key: str, **values: str) -> str:
        template = self.texts[key]
        return template.format(**values) if values else template


def parse_catalog(data: dict[str, Any]) -> Catalog:
    texts: dict[str, str] = {}
    speak: dict[str, str] = {}
    for key, value in data["prompts"].items():
        if isinstance(value, dict):
            texts[key] = value["text"]
            if value.get("speak"):
                speak[key] = value["speak"]
        else:
            texts[key] = value
    return Catalog(
        language=data["language"],
        say_language=data["say_language"],
        voice=data["voice"],
        texts=texts,
        speak=speak,
        audio=dict(data.get("audio") or {}),
    )


@cache
def catalog(language: str) -> Catalog:
    """The catalog for ``language`` (Hindi for an unknown code)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    with (PROMPTS_DIR / f"{language}.yaml").open(encoding="utf-8") as fh:
        return parse_catalog(yaml.safe_load(fh))


def normalise_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
