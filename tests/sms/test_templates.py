"""Every template in every language and script: golden bodies, encodings, part counts.

Regenerate the golden files after a deliberate wording change with
``SMS_GOLDEN_UPDATE=1 pytest tests/sms/test_templates.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from sms_templates import PURPOSES, choose_script, dlt_registration_text, remember_script, render
from sms_templates.config import TEMPLATES_DIR, load_config
from sms_templates.contexts import MissingContext
from sms_templates.encoding import count_segments
from sms_templates.render import UnknownTemplate
from tests.sms.samples import MEDICINES, RX, SAMPLES, VARIANTS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SMS_GOLDEN_UPDATE") == "1"
CASES = [(p, lang, script) for p in PURPOSES for lang, script in VARIANTS]


def _golden_text(purpose: str, language: str, script: str) -> str:
    sms = render(purpose, language, script, **SAMPLES[purpose])
    return (
        f"template: {sms.template}\n"
        f"dlt_template_id: {sms.dlt_template_id}\n"
        f"encoding: {sms.encoding}\n"
        f"segments: {sms.segments} (budget {sms.max_segments})\n"
        f"units: {sms.units}\n"
        f"dropped: {', '.join(sms.dropped) or '-'}\n"
        "---\n"
        f"{sms.body}\n"
    )


@pytest.mark.parametrize(("purpose", "language", "script"), CASES)
def test_golden(purpose: str, language: str, script: str) -> None:
    path = GOLDEN / purpose / f"{language}.{script}.txt"
    actual = _golden_text(purpose, language, script)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}: run with SMS_GOLDEN_UPDATE=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("purpose", "language", "script"), CASES)
def test_encoding_follows_script_and_budget_holds(purpose: str, language: str, script: str) -> None:
    sms = render(purpose, language, script, **SAMPLES[purpose])
    latin = script == "roman" or language == "en"
    assert sms.encoding == ("GSM-7" if latin else "UCS-2")
    assert count_segments(sms.body).segments == sms.segments
    assert sms.within_budget, f"{sms.template}: {sms.segments} > {sms.max_segments}"


def test_every_template_file_has_a_unique_dlt_id() -> None:
    cfg = load_config()
    ids = []
    for purpose, language, script in CASES:
        assert (TEMPLATES_DIR / purpose / f"{language}.{script}.j2").exists()
        template_id = cfg.dlt_template_id(purpose, language, script)
        assert re.fullmatch(r"\d{19}", template_id), template_id
        ids.append(template_id)
    every = [i for by_variant in cfg.dlt_templates.values() for i in by_variant.values()]
    assert len(every) == len(set(every)) and all(re.fullmatch(r"\d{19}", i) for i in every)
    assert cfg.dlt_header and len(cfg.dlt_header) == 6


def test_dlt_variables_are_at_most_40_characters() -> None:
    long = "Severe iron deficiency anaemia with breathlessness on exertion and fatigue"
    sms = render("prescription_patient", "en", **{**RX, "diagnosis": long, "advice": long})
    lines = sms.body.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Illness: "))
    illness = [lines[at].removeprefix("Illness: "), lines[at + 1]]
    assert all(len(part) <= 40 for part in illness)
    assert " ".join(illness) == long  # the diagnosis too is broken between words, not cut
    start = next(i for i, line in enumerate(lines) if line.startswith("Advice: "))
    advice = [lines[start].removeprefix("Advice: "), lines[start + 1]]
    assert all(len(part) <= 40 for part in advice)
    assert " ".join(advice) == long  # the advice is broken between words, not cut


def test_dlt_registration_text_marks_variables() -> None:
    text = dlt_registration_text("prescription_patient", "hi", "roman")
    assert text.startswith("Parcha {#var#} {#var#}")
    assert text.count("{#var#}") >= 6 + 6  # fixed fields + max_list_lines medicine lines
    assert "{#url#}" in dlt_registration_text("doctor_prescription_link", "en")


def test_many_medicines_end_with_a_tail_and_no_line_is_cut() -> None:
    many = [{**MEDICINES[i % 5], "name": f"{MEDICINES[i % 5]['name']} {i}"} for i in range(9)]
    sms = render("prescription_patient", "hi", "native", **{**RX, "medicines": many})
    assert sms.within_budget
    lines = [ln for ln in sms.body.split("\n") if re.match(r"^\d+\.", ln)]
    shown = len(lines)
    assert 0 < shown < 9
    assert f"+{9 - shown} और दवा, ANM से पूछें" in sms.body
    for line in lines:  # each shown line is complete: it ends with its duration
        assert re.search(r"x\d+d$", line), line
    assert sms.dropped[-1] == f"medicines:{9 - shown}"


def test_budget_drops_optional_fields_before_medicines() -> None:
    sms = render("prescription_patient", "en", max_segments=2, **RX)
    assert sms.segments <= 2
    assert "tests" in sms.dropped and "Tests:" not in sms.body
    assert "1.Paracetamol 500mg 1-1-1 x3d" in sms.body


def test_compact_dosing() -> None:
    sms = render("prescription_anm", "en", **{**RX, "medicines": MEDICINES})
    assert "1.Paracetamol 500mg 1-1-1 x3d =9tab" in sms.body
    assert "3.Zinc sulphate 20mg 1-0-0 x14d =14tab" in sms.body  # OD -> 1-0-0
    assert "5.Salbutamol syrup 2mg/5ml 5ml 1-1-1 x5d" in sms.body  # TDS, dose kept


def test_stray_typography_in_a_latin_message_stays_gsm7() -> None:
    messy = {**RX, "patient_name": "Sabina\u00a0Khatun", "advice": "“Rest” – drink ORS…"}
    sms = render("prescription_patient", "hi", "roman", **messy)
    assert sms.encoding == "GSM-7"
    assert 'Salah: "Rest" - drink ORS...' in sms.body


def test_english_has_one_latin_template_for_both_scripts() -> None:
    assert render("could_not_reach", "en", "roman", **SAMPLES["could_not_reach"]).script == (
        "native"
    )


def test_unknown_and_incomplete_requests_are_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render("birthday", "hi")
    with pytest.raises(UnknownTemplate):
        render("could_not_reach", "fr", callback_number="+916456220001")
    with pytest.raises(MissingContext, match="callback_number"):
        render("could_not_reach", "hi")


def test_rx_verify_reply_variants() -> None:
    base = SAMPLES["rx_verify_reply"]
    replaced = render(
        "rx_verify_reply", "en", **{**base, "current": False, "superseded_at": base["issued_at"]}
    )
    assert "REPLACED 25-11-2026 14:05, do not dispense" in replaced.body
    missing = render("rx_verify_reply", "en", code="ZZZZZZ", found=False)
    assert missing.body == "Sampark: no prescription has code ZZZZZZ. Check the code."


def test_choose_script_remembers_the_patients_choice() -> None:
    patient = SimpleNamespace(preferred_language="ur", sms_script=None)
    assert choose_script(patient) == "native"  # the district default
    remember_script(patient, "roman")
    assert choose_script(patient) == "roman"
    assert choose_script(patient, "en") == "native"  # English is Latin anyway
    assert choose_script(None, "bn") == "native"
    with pytest.raises(ValueError):
        remember_script(patient, "cyrillic")


def test_each_branch_of_the_rx_reply_has_its_own_dlt_registration() -> None:
    base = SAMPLES["rx_verify_reply"]
    current = render("rx_verify_reply", "hi", "roman", **base)
    replaced = render("rx_verify_reply", "hi", "roman", **{**base, "current": False})
    missing = render("rx_verify_reply", "hi", "roman", code="ZZZZ99", found=False)
    ids = {current.dlt_template_id, replaced.dlt_template_id, missing.dlt_template_id}
    assert len(ids) == 3
    assert dlt_registration_text("rx_verify_reply", "hi", "roman", "not_found") == (
        "Sampark: code {#var#} ka koi parcha nahin mila. Code jaanchein."
    )
    assert "BADLA GAYA {#var#}" in dlt_registration_text(
        "rx_verify_reply", "hi", "roman", "replaced"
    )


#: What a patient reads; two-way SMS is not supported in India (Twilio's India SMS
#: guidelines), so none of them may ask for an answer by SMS.
PATIENT_FACING = (
    "prescription_patient",
    "prescription_more",
    "followup_reminder",
    "could_not_reach",
    "emergency_advice",
    "callback_notice",
)
ASKS_FOR_AN_SMS = re.compile(
    r"\breply\b|\btext us\b|\bsend (an |us an )?sms\b|\bsms (us|karein|karen|kare|korun|din)\b"
    r"|\bbhej(ein|en|iye)\b|\bjawab\b|\buttor\b|\bpathan\b"
    r"|जवाब|उत्तर दें|भेजें|جواب|بھیجیں|উত্তর|পাঠান",
    re.IGNORECASE,
)


@pytest.mark.parametrize("purpose", PATIENT_FACING)
def test_no_patient_text_asks_for_an_answer_by_sms(purpose: str) -> None:
    registered = load_config().dlt_templates[purpose]
    assert len(registered) >= 7
    for key in registered:
        language, script, *variant = key.split(".")
        text = dlt_registration_text(purpose, language, script, *variant)
        assert not ASKS_FOR_AN_SMS.search(text), f"{purpose} {key}: {text}"
    assert ASKS_FOR_AN_SMS.search("Reply YES to confirm")  # the check can fail
    assert ASKS_FOR_AN_SMS.search("RX code likhkar SMS karein")


@pytest.mark.parametrize("purpose", ["could_not_reach", "followup_reminder"])
def test_give_a_missed_call_only_to_a_missed_call_line(purpose: str) -> None:
    base = {**SAMPLES[purpose], "callback_number": "+911800123001"}
    by_kind = {
        kind: render(purpose, "en", **base, callback_kind=kind)
        for kind in ("missed_call", "district", "spoke", None)
    }
    assert "Give a missed call to" in by_kind["missed_call"].body
    assert "Give a missed call to" in by_kind[None].body  # no kind given: as before
    for kind in ("district", "spoke"):
        assert "missed call" not in by_kind[kind].body
        assert re.search(r"\nCall 1800[ 0-9]+ ", by_kind[kind].body)
    assert by_kind["district"].dlt_template_id != by_kind["missed_call"].dlt_template_id
    for language, script in VARIANTS:  # every script has the branch, registered
        sms = render(purpose, language, script, **base, callback_kind="district")
        assert (
            sms.dlt_template_id == load_config().dlt_templates[purpose][f"{language}.{script}.call"]
        )
        assert "1800" in sms.body and sms.within_budget


def test_the_callback_notice_names_no_number_it_will_not_call_from() -> None:
    named = render("callback_notice", "en", callback_from="+916456220099", minutes=2)
    assert "from 06456 220 099" in named.body
    for language, script in VARIANTS:
        sms = render("callback_notice", language, script, minutes=2)
        assert "220" not in sms.body and "None" not in sms.body
        assert (
            sms.dlt_template_id
            == load_config().dlt_templates["callback_notice"][f"{language}.{script}.no_number"]
        )


#: "Free" in every language and script of the call-back lines.
SAYS_FREE = re.compile(r"\bfree\b|\bmuft\b|मुफ्त|مفت|বিনামূল্যে", re.IGNORECASE)
#: The English line of each branch, exactly (the number is the spoke's or the district's).
ENGLISH_CALL_LINE = {
    "could_not_reach": {
        "district": "Call {n} to speak to us. The call is free.",
        "spoke": "Call {n} to speak to your health centre.",
    },
    "followup_reminder": {
        "district": "Call {n} (free) to speak to us.",
        "spoke": "Call {n} to speak to us.",
    },
}


@pytest.mark.parametrize("purpose", ["could_not_reach", "followup_reminder"])
@pytest.mark.parametrize(("language", "script"), VARIANTS)
def test_only_the_toll_free_district_line_is_called_free(
    purpose: str, language: str, script: str
) -> None:
    """A spoke's number is the HWC's ordinary landline: the patient pays for that call."""
    registered = load_config().dlt_templates[purpose]
    district = render(
        purpose,
        language,
        script,
        **{**SAMPLES[purpose], "callback_number": "+911800123001"},
        callback_kind="district",
    )
    spoke = render(purpose, language, script, **SAMPLES[purpose], callback_kind="spoke")
    assert district.dlt_template_id == registered[f"{language}.{script}.call"]
    assert spoke.dlt_template_id == registered[f"{language}.{script}.call_spoke"]
    assert spoke.dlt_template_id != district.dlt_template_id
    assert "06456 220 001" in spoke.body and spoke.within_budget
    assert SAYS_FREE.search(district.body), district.body
    assert not SAYS_FREE.search(spoke.body), spoke.body
    registration = dlt_registration_text(purpose, language, script, "call_spoke")
    assert not SAYS_FREE.search(registration) and "{#var#}" in registration
    assert registration != dlt_registration_text(purpose, language, script, "call")
    if language == "en":
        lines = ENGLISH_CALL_LINE[purpose]
        assert district.body.split("\n")[-1] == lines["district"].format(n="1800 12 3001")
        assert spoke.body.split("\n")[-1] == lines["spoke"].format(n="06456 220 001")
