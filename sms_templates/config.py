"""SMS configuration: part budgets (``sms.yaml``) and DLT registrations (``dlt.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"

PURPOSES: tuple[str, ...] = (
    "prescription_patient",
    "prescription_anm",
    "prescription_more",
    "followup_reminder",
    "could_not_reach",
    "emergency_advice",
    "emergency_anm_alert",
    "callback_notice",
    "intake_alert_anm",
    "doctor_prescription_link",
    "doctor_prescription_reminder",
    "doctor_unavailable",
    "doctor_rx_not_in_stock",
    "rx_verify_reply",
    "rx_verify_refused",
)
LANGUAGES: tuple[str, ...] = ("hi", "ur", "bn", "en")
SCRIPTS: tuple[str, ...] = ("native", "roman")
#: English is written in Latin: its one template serves both scripts.
LATIN_LANGUAGES: frozenset[str] = frozenset({"en"})


class SmsConfigError(ValueError):
    """The SMS configuration is incomplete or malformed; the message says where."""


@dataclass(frozen=True)
class SmsConfig:
    """The values of ``sms.yaml`` (section ``sms``) and ``dlt.yaml``."""

    max_segments: dict[str, dict[str, int]]  # purpose -> encoding -> parts
    max_list_lines: int
    variable_max_chars: int
    max_text_lines: int
    max_more_lines: int
    default_script: dict[str, str]
    retry_delay_seconds: int
    send_retry_intervals: list[int]
    sender: str
    dlt_entity_id: str
    dlt_header: str
    dlt_templates: dict[str, dict[str, str]] = field(default_factory=dict)

    def segments_for(self, purpose: str, encoding: str = "GSM-7") -> int:
        """The part budget of ``purpose`` in ``encoding`` (``default`` when not listed)."""
        budget = self.max_segments.get(purpose) or self.max_segments.get("default") or {}
        return int(budget.get(encoding, 2))

    def dlt_template_id(
        self, purpose: str, language: str, script: str, variant: str | None = None
    ) -> str:
        """The DLT template ID registered for this purpose, language and script.

        A template whose branches send different fixed text names the branch it took
        (``{% set dlt_variant = "replaced" %}``); each branch is its own registration,
        keyed ``<language>.<script>.<variant>``.
        """
        ids = self.dlt_templates.get(purpose, {})
        if variant and f"{language}.{script}.{variant}" in ids:
            return ids[f"{language}.{script}.{variant}"]
        try:
            return ids[f"{language}.{script}"]
        except KeyError:
            raise SmsConfigError(
                f"dlt.yaml has no template ID for {purpose} {language}.{script}"
            ) from None


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise SmsConfigError(f"{path.name}: expected a mapping at the top level")
    return data


def _budget(purpose: Any, value: Any) -> dict[str, int]:
    """``3`` (any encoding) or ``{GSM-7: 3, UCS-2: 5}``."""
    if isinstance(value, int):
        return {"GSM-7": value, "UCS-2": value}
    if isinstance(value, dict) and set(value) <= {"GSM-7", "UCS-2"}:
        return {str(k): int(v) for k, v in value.items()}
    raise SmsConfigError(
        f"sms.yaml max_segments.{purpose}={value!r}: use a number or {{GSM-7: n, UCS-2: m}}"
    )


@lru_cache(maxsize=1)
def load_config() -> SmsConfig:
    """Read and check both files (cached: they ship with the code)."""
    sms = _read(PACKAGE_DIR / "sms.yaml").get("sms") or {}
    dlt = _read(PACKAGE_DIR / "dlt.yaml")
    templates = {
        str(k): {str(v): str(i) for v, i in (m or {}).items()}
        for k, m in (dlt.get("templates") or {}).items()
    }
    default_script = dict(sms.get("default_script") or {})
    for lang, script in default_script.items():
        if script not in SCRIPTS:
            raise SmsConfigError(f"sms.yaml default_script.{lang}={script!r}: use native or roman")
    return SmsConfig(
        max_segments={str(k): _budget(k, v) for k, v in (sms.get("max_segments") or {}).items()},
        max_list_lines=int(sms.get("max_list_lines", 6)),
        variable_max_chars=int(sms.get("variable_max_chars", 40)),
        max_text_lines=int(sms.get("max_text_lines", 4)),
        max_more_lines=int(sms.get("max_more_lines", 8)),
        default_script=default_script,
        retry_delay_seconds=int(sms.get("retry_delay_seconds", 0)),
        send_retry_intervals=[int(x) for x in sms.get("send_retry_intervals") or [10, 30, 120]],
        sender=str(sms.get("sender", "auto")),
        dlt_entity_id=str(dlt.get("entity_id", "")),
        dlt_header=str((dlt.get("sender") or {}).get("header", "")),
        dlt_templates=templates,
    )
