"""The medicine policy table: what a doctor may prescribe in each mode, and why not."""

from __future__ import annotations

import pytest

from prescriptions.formulary import DrugList, all_medicines, load_formulary
from prescriptions.policy import (
    AUDIO_ANM_FIRST,
    AUDIO_ANM_FOLLOWUP,
    MODES,
    VIDEO_FIRST,
    VIDEO_FOLLOWUP,
    check_medicine,
    default_policy,
    parse_policy,
)

#: What TPG 2020 allows, as the shipped table must say it.
EXPECTED = {
    AUDIO_ANM_FIRST: {DrugList.O},
    AUDIO_ANM_FOLLOWUP: {DrugList.O, DrugList.A, DrugList.B},
    VIDEO_FIRST: {DrugList.O, DrugList.A},
    VIDEO_FOLLOWUP: {DrugList.O, DrugList.A, DrugList.B},
}


def test_the_starter_formulary_has_the_common_hwc_medicines_and_every_list() -> None:
    codes = load_formulary()
    for code in (
        "paracetamol_tab",
        "ors",
        "zinc",
        "ifa",
        "albendazole",
        "amoxicillin",
        "metformin",
        "amlodipine",
        "clotrimazole_cream",
        "salbutamol_inhaler",
    ):
        assert code in codes
    assert {m.drug_list for m in all_medicines()} == set(DrugList)
    for m in all_medicines():
        assert m.strengths and m.dose and m.days >= 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("medicine", all_medicines(), ids=lambda m: m.code)
def test_each_list_is_allowed_exactly_where_the_policy_allows_it(medicine, mode) -> None:  # type: ignore[no-untyped-def]
    verdict = check_medicine(medicine, mode)
    assert verdict.allowed is (medicine.drug_list in EXPECTED[mode])
    assert medicine.name in verdict.reason and medicine.name in verdict.reason_hi


def test_prohibited_is_refused_even_when_the_configuration_allows_it() -> None:
    reckless = parse_policy(
        {
            "modes": {
                mode: {
                    "kind": "first",
                    "lists": ["O", "A", "B", "prohibited"],
                    "label": {"en": mode, "hi": mode},
                }
                for mode in MODES
            },
            "lists": {},
        }
    )
    for mode in MODES:
        for code in ("morphine", "codeine_syrup", "tramadol", "alprazolam", "methotrexate"):
            verdict = check_medicine(code, mode, reckless)
            assert not verdict.allowed
            assert "prohibited" in verdict.reason
            assert "प्रतिबंधित" in verdict.reason_hi


def test_the_doctor_is_told_plainly_why_in_english_and_hindi() -> None:
    verdict = check_medicine("amoxicillin", AUDIO_ANM_FIRST)
    assert not verdict.allowed
    assert verdict.reason == (
        "Amoxicillin is on List A: it may be prescribed in a video first consultation "
        "or as a refill in a follow-up, not in an audio first consultation."
    )
    assert verdict.message("hi") == (
        "Amoxicillin सूची A में है: यह वीडियो वाले पहले परामर्श में या फ़ॉलो-अप में रीफ़िल "
        "(दोबारा) के रूप में लिखी जा सकती है, ऑडियो वाले पहले परामर्श में नहीं।"
    )
    glimepiride = check_medicine("glimepiride", VIDEO_FIRST)
    assert glimepiride.reason == (
        "Glimepiride is on List B: it may be prescribed as an add-on in a follow-up, "
        "not in a video first consultation."
    )
    morphine = check_medicine("morphine", AUDIO_ANM_FOLLOWUP)
    assert morphine.reason == (
        "Morphine is prohibited in telemedicine (NDPS narcotic): it can never be prescribed "
        "by phone or video. Refer the patient to a hospital if it is needed."
    )
    ok = check_medicine("paracetamol_tab", AUDIO_ANM_FIRST)
    assert (
        ok.allowed
        and ok.reason == "Paracetamol is on List O: allowed in an audio first consultation."
    )


def test_a_district_can_narrow_the_table() -> None:
    data = {
        "modes": {
            AUDIO_ANM_FIRST: {
                "kind": "first",
                "lists": ["O"],
                "label": {"en": "an audio first consultation", "hi": "x"},
            },
            AUDIO_ANM_FOLLOWUP: {
                "kind": "followup",
                "lists": ["O", "A"],
                "label": {"en": "an audio follow-up", "hi": "y"},
            },
        },
        "lists": default_policy().list_words,
    }
    narrow = parse_policy(data)
    assert check_medicine("amlodipine", AUDIO_ANM_FOLLOWUP, narrow).allowed
    refused = check_medicine("glimepiride", AUDIO_ANM_FOLLOWUP, narrow)
    assert not refused.allowed
    assert "this district's policy does not allow it" in refused.reason


def test_unknown_medicine_and_mode_are_refused() -> None:
    assert not check_medicine("snake_oil", AUDIO_ANM_FIRST).allowed
    assert not check_medicine("paracetamol_tab", "carrier_pigeon").allowed
