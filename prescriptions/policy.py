"""The medicine policy: which TPG lists a consultation mode may prescribe, and why not.

The table lives in ``policy.yaml`` (configuration a district can change). A prohibited
medicine is refused before the table is consulted, so no configuration can allow one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from models import Consultation
from prescriptions.formulary import DrugList, Medicine, UnknownMedicine, get_medicine

log = logging.getLogger(__name__)

POLICY_PATH = Path(__file__).with_name("policy.yaml")

AUDIO_ANM_FIRST = "audio_anm_first"
AUDIO_ANM_FOLLOWUP = "audio_anm_followup"
VIDEO_FIRST = "video_first"
VIDEO_FOLLOWUP = "video_followup"
MODES = (AUDIO_ANM_FIRST, AUDIO_ANM_FOLLOWUP, VIDEO_FIRST, VIDEO_FOLLOWUP)


@dataclass(frozen=True)
class Verdict:
    """Whether a medicine may be prescribed in a mode, and the doctor's plain reason."""

    allowed: bool
    reason: str  # English
    reason_hi: str  # Hindi
    drug_list: str | None = None

    def message(self, language: str = "en") -> str:
        """The reason in the doctor's language (Hindi or English)."""
        return self.reason_hi if language == "hi" else self.reason


@dataclass(frozen=True)
class ModeRule:
    code: str
    kind: str  # "first" or "followup"
    lists: frozenset[DrugList]
    label: dict[str, str]


@dataclass(frozen=True)
class Policy:
    """The loaded policy table."""

    modes: dict[str, ModeRule]
    list_words: dict[str, dict[str, dict[str, str]]]
    prohibited_why: dict[str, str]

    def allowed_lists(self, mode: str) -> frozenset[DrugList]:
        """The lists ``mode`` may use (never ``prohibited``)."""
        return self.modes[mode].lists - {DrugList.PROHIBITED}


def parse_policy(data: dict[str, Any]) -> Policy:
    """Build a Policy from its YAML structure; raises ValueError on an unknown list or kind."""
    modes: dict[str, ModeRule] = {}
    for code, raw in data["modes"].items():
        lists = frozenset(DrugList(str(x)) for x in raw.get("lists") or [])
        if DrugList.PROHIBITED in lists:
            log.warning(
                "policy allows the prohibited list in %s: ignored, prohibited is never allowed",
                code,
            )
        if raw["kind"] not in ("first", "followup"):
            raise ValueError(f"policy mode {code}: kind must be first or followup")
        modes[code] = ModeRule(code, raw["kind"], lists, dict(raw["label"]))
    return Policy(modes, data["lists"], dict(data.get("prohibited_why") or {}))


def load_policy(path: Path = POLICY_PATH) -> Policy:
    """Read a policy file."""
    return parse_policy(yaml.safe_load(path.read_text(encoding="utf-8")))


@cache
def default_policy() -> Policy:
    """The shipped policy table (read once per process)."""
    return load_policy()


def mode_for(consultation: Consultation) -> str:
    """The consultation's mode: audio with the ANM, first or follow-up (``follow_up_of_id``).

    A consultation whose ``details["media"]`` is ``"video"`` uses the video modes.
    """
    video = (consultation.details or {}).get("media") == "video"
    follow_up = consultation.follow_up_of_id is not None
    if video:
        return VIDEO_FOLLOWUP if follow_up else VIDEO_FIRST
    return AUDIO_ANM_FOLLOWUP if follow_up else AUDIO_ANM_FIRST


def _join(parts: list[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


def _where(policy: Policy, drug_list: DrugList, lang: str) -> str:
    """Where a list may be prescribed, in words: 'in a video first consultation or ...'."""
    words = policy.list_words.get(drug_list.value, {})
    parts: list[str] = []
    for kind in ("first", "followup"):
        of_kind = [m for m in policy.modes.values() if m.kind == kind]
        allowing = [m for m in of_kind if drug_list in m.lists]
        if not allowing:
            continue
        if len(allowing) == len(of_kind) and len(of_kind) > 1:
            parts.append(words.get(f"any_{kind}", {}).get(lang, ""))
        elif lang == "hi":
            parts.extend(f"{m.label['hi']} में" for m in allowing)
        else:
            parts.extend(f"in {m.label['en']}" for m in allowing)
    return _join([p for p in parts if p], "या" if lang == "hi" else "or")


def check_medicine(medicine: Medicine | str, mode: str, policy: Policy | None = None) -> Verdict:
    """May ``medicine`` be prescribed in a consultation of ``mode``?

    Args:
        medicine: a formulary entry or its code.
        mode: one of ``MODES`` (see ``mode_for``).
        policy: the table to apply; the shipped one when omitted.
    """
    policy = policy or default_policy()
    if isinstance(medicine, str):
        try:
            medicine = get_medicine(medicine)
        except UnknownMedicine:
            return Verdict(
                False,
                f"{medicine!r} is not in the formulary: choose a medicine from the list.",
                f"{medicine!r} दवा-सूची (फ़ॉर्मुलरी) में नहीं है: सूची से दवा चुनें।",
            )
    name = medicine.name
    if medicine.drug_list is DrugList.PROHIBITED:
        why = medicine.why or "Schedule X / NDPS"
        why_hi = policy.prohibited_why.get(why, why)
        return Verdict(
            False,
            f"{name} is prohibited in telemedicine ({why}): it can never be prescribed by "
            "phone or video. Refer the patient to a hospital if it is needed.",
            f"{name} टेलीमेडिसिन में प्रतिबंधित है ({why_hi}): फ़ोन या वीडियो से यह कभी नहीं "
            "लिखी जा सकती। ज़रूरत हो तो मरीज़ को अस्पताल भेजें।",
            medicine.drug_list.value,
        )
    rule = policy.modes.get(mode)
    if rule is None:
        return Verdict(
            False,
            f"Unknown consultation mode {mode!r}: nothing may be prescribed.",
            f"परामर्श का प्रकार {mode!r} अज्ञात है: कोई दवा नहीं लिखी जा सकती।",
        )
    words = policy.list_words.get(medicine.drug_list.value, {}).get("name", {})
    list_en = words.get("en", f"List {medicine.drug_list.value}")
    list_hi = words.get("hi", list_en)
    if medicine.drug_list in policy.allowed_lists(mode):
        return Verdict(
            True,
            f"{name} is on {list_en}: allowed in {rule.label['en']}.",
            f"{name} {list_hi} में है: {rule.label['hi']} में लिखी जा सकती है।",
            medicine.drug_list.value,
        )
    where_en = _where(policy, medicine.drug_list, "en")
    where_hi = _where(policy, medicine.drug_list, "hi")
    if where_en:
        reason = (
            f"{name} is on {list_en}: it may be prescribed {where_en}, not in {rule.label['en']}."
        )
        reason_hi = f"{name} {list_hi} में है: यह {where_hi} लिखी जा सकती है, {rule.label['hi']} में नहीं।"
    else:
        reason = (
            f"{name} is on {list_en}: this district's policy does not allow it by telemedicine."
        )
        reason_hi = f"{name} {list_hi} में है: ज़िले की नीति इसे टेलीमेडिसिन से लिखने की अनुमति नहीं देती।"
    return Verdict(False, reason, reason_hi, medicine.drug_list.value)
