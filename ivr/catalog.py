"""Per-language prompt catalogs (``ivr/prompts/<lang>.yaml``), loaded once per process.

A prompt is spoken by text-to-speech (``<Say>`` with the language's voice, from the one
table ``workflows.voices``) unless a recording of it exists, which is then played
(``<Play>``): a file ``ivr/prompts/audio/<lang>/<key>.mp3`` (or ``.wav``), found when
the catalog is loaded, or a file named in the catalog's ``audio:`` map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from workflows.voices import voice_for

PROMPTS_DIR = Path(__file__).with_name("prompts")
#: Recorded prompts: ``<AUDIO_DIR>/<lang>/<key>.mp3`` (served at ``/ivr/audio/<lang>/<file>``).
AUDIO_DIR = PROMPTS_DIR / "audio"
AUDIO_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav"}
LANGUAGES: tuple[str, ...] = ("hi", "ur", "bn", "en")
DEFAULT_LANGUAGE = "hi"


@dataclass(frozen=True)
class Catalog:
    """One language's prompts and voice.

    Attributes:
        language: ``hi``, ``ur``, ``bn`` or ``en``.
        say_language / voice: the ``<Say>`` attributes for text-to-speech.
        texts: prompt key -> written text (in the language's own script).
        speak: prompt key -> what text-to-speech reads, when it differs from ``texts``
            (Urdu: the same words in Devanagari, the script of its voice).
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


def recordings(language: str, audio_dir: Path = AUDIO_DIR) -> dict[str, str]:
    """Prompt key -> ``<lang>/<file>`` for every recording of ``language`` on disk."""
    folder = audio_dir / language
    if not folder.is_dir():
        return {}
    return {
        f.stem: f"{language}/{f.name}"
        for f in sorted(folder.iterdir())
        if f.is_file() and f.suffix.lower() in AUDIO_TYPES
    }


def parse_catalog(data: dict[str, Any], audio_dir: Path = AUDIO_DIR) -> Catalog:
    """A catalog from its YAML; the voice comes from ``workflows.voices``, never the file."""
    texts: dict[str, str] = {}
    speak: dict[str, str] = {}
    for key, value in data["prompts"].items():
        if isinstance(value, dict):
            texts[key] = value["text"]
            if value.get("speak"):
                speak[key] = value["speak"]
        else:
            texts[key] = value
    language = data["language"]
    spoken = voice_for(language)
    return Catalog(
        language=language,
        say_language=spoken.say_language,
        voice=spoken.voice,
        texts=texts,
        speak=speak,
        audio={**recordings(language, audio_dir), **dict(data.get("audio") or {})},
    )


@cache
def catalog(language: str) -> Catalog:
    """The catalog for ``language`` (Hindi for an unknown code)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    with (PROMPTS_DIR / f"{language}.yaml").open(encoding="utf-8") as fh:
        return parse_catalog(yaml.safe_load(fh), AUDIO_DIR)


def normalise_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE
