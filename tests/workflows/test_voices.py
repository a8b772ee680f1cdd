"""One voice per language, everywhere (issue 14 item 4): every prompt of the IVR, of the
workflow and of the prescription read-aloud, in every language, is said with the voice and
language of the one table (``workflows.voices``), in the script that table names."""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml as ivr_twiml
from ivr.catalog import LANGUAGES, catalog
from models import Prescription, PrescriptionItem
from prescriptions.speech import readout_config
from prescriptions.voice import apology_twiml, readout_twiml
from workflows import prompts
from workflows import twiml as wf_twiml
from workflows.voices import SOURCE, VOICES, scripts_in, speakable, voice_for

CASE = wf_twiml.CaseSummary(
    reference="471209",
    name="Rukhsana",
    age_years=62,
    sex="female",
    complaint="fever",
    days=3,
    danger_signs=("chest_pain",),
    emergency=True,
)
JOIN = wf_twiml.ConferenceJoin(
    name="sampark-471209", label="patient", status_callback="http://x/s", wait_url="http://x/w"
)


def _says(twiml: VoiceResponse | str) -> Iterator[ET.Element]:
    yield from ET.fromstring(str(twiml)).iter("Say")


def _check(language: str, twiml: VoiceResponse | str, where: str) -> int:
    """Every <Say> of ``twiml`` in the table's voice and script; how many there were."""
    voice = voice_for(language)
    count = 0
    for say in _says(twiml):
        count += 1
        text = say.text or ""
        assert (say.get("voice"), say.get("language")) == (voice.voice, voice.say_language), (
            where,
            text,
        )
        assert speakable(language, text), (where, text, scripts_in(text))
    return count


def test_the_table_covers_every_language_and_names_its_source() -> None:
    assert set(VOICES) == set(LANGUAGES) == set(prompts.PROMPTS)
    assert SOURCE.startswith("https://www.twilio.com/docs/voice/twiml/say/")
    # Twilio lists no Urdu voice: the one decision is the Hindi voice reading Devanagari
    assert (VOICES["ur"].say_language, VOICES["ur"].voice, VOICES["ur"].script) == (
        "hi-IN",
        "Google.hi-IN-Standard-A",
        "Deva",
    )
    assert not any("ur-" in v.voice or v.say_language.startswith("ur") for v in VOICES.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ivr_prompt(language: str) -> None:
    cat = catalog(language)
    assert (cat.say_language, cat.voice) == (
        voice_for(language).say_language,
        voice_for(language).voice,
    )
    for key in cat.texts:
        fields = {f for _, f, _, _ in string.Formatter().parse(cat.spoken(key)) if f}
        line = ivr_twiml.Line(cat, key, dict.fromkeys(fields, "4, 7, 1"))
        assert _check(language, ivr_twiml.say_and_hang_up([line]), key) == 1


def test_urdu_ivr_prompts_are_written_in_nastaliq_and_spoken_in_devanagari() -> None:
    cat = catalog("ur")
    for key, text in cat.texts.items():
        assert scripts_in(text) <= {"Arab", "Latn"}, key  # what is read and recorded from
        assert scripts_in(cat.spoken(key)) <= {"Deva", "Latn"}, key  # what the voice reads


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_workflow_prompt(language: str) -> None:
    spoken: set[str] = set()
    for role in ("anm", "doctor"):
        for recording in (False, True):
            menu = wf_twiml.offer_menu(
                CASE, language, role, action_url="http://x/a", no_input_url="http://x/n",
                play_recording=recording, wrong_key=True,
            )  # fmt: skip
            _check(language, menu, f"offer_menu {role}")
            spoken |= {s.text or "" for s in _says(menu)}
    fielded = {"patient", "complaint", "danger", "male", "female", "other"}
    for key in prompts.PROMPTS[language].keys() - fielded:
        assert _check(language, wf_twiml.say_then_hangup(language, key), key) == 1
        assert _check(language, wf_twiml.join_conference(JOIN, language, key), key) == 1
    assert _check(language, wf_twiml.wait_music(language), "wait_music") == 1
    assert prompts.text(language, "danger", signs="chest pain") in spoken
    for complaint in prompts.COMPLAINTS[language].values():
        assert speakable(language, complaint), complaint


def _prescription() -> Prescription:
    item = PrescriptionItem(
        name="Paracetamol", strength="500 mg", form="tablet", dose="1 tab",
        frequency="1-0-1", duration_days=5, instructions="After food",
    )  # fmt: skip
    syrup = PrescriptionItem(
        name="ORS", strength="20.5 g/L", form="powder", dose="1 sachet",
        frequency="SOS", duration_days=3, instructions=None,
    )  # fmt: skip
    return Prescription(
        id=7, code="KX42MP", replaces_id=6, doctor_name="Dr. Anil Prasad",
        hub_name="Sadar Hospital", patient_name="Rukhsana Begum", diagnosis="Viral fever",
        advice="Drink plenty of fluids, rest. Return if fever persists beyond 3 days.",
        tests=["CBC"], referral_to="CHC", referral_urgency="urgent",
        follow_up_on=date(2026, 12, 10), issued_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        items=[item, syrup],
    )  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_read_aloud_sentence(language: str) -> None:
    rx = _prescription()
    assert _check(language, readout_twiml(rx, language, "http://x"), "read") > 10
    assert _check(language, readout_twiml(rx, language, "http://x", after_url="http://x/a"), "")
    for key in ("unavailable", "none"):
        assert _check(language, apology_twiml(language, key), key) == 1
    said = readout_config()["languages"][language]["say"]
    for key, sentence in said.items():
        assert speakable(language, str(sentence)), (key, sentence)
