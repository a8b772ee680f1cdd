"""Recorded prompts and one voice for Urdu callers (issue 14 item 4).

A prompt with a recording (``ivr/prompts/audio/<lang>/<key>.mp3``) is played (``<Play>`` of
its URL), one without is said in the one table's voice; our own route serves the files; the
stand-in fetches them as Twilio does (and fails as Twilio does when one is missing); a whole
Urdu intake through the stand-in hears the same voice everywhere.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ivr import catalog as catalog_module
from ivr import views
from ivr.catalog import Catalog, catalog
from ivr.twiml import Line, Urls, say_and_hang_up
from standin import PhoneScript, StandIn
from tests.ivr.conftest import BASE, stored
from tests.ivr.phoned import COMPLETE, call
from workflows.voices import scripts_in, voice_for

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64


@pytest.fixture
def audio_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Recordings in a directory of the test's own (the catalogs reloaded around it)."""
    monkeypatch.setattr(catalog_module, "AUDIO_DIR", tmp_path)
    monkeypatch.setattr(views, "AUDIO_DIR", tmp_path)
    catalog.cache_clear()
    yield tmp_path
    catalog.cache_clear()


def _record(audio_dir: Path, language: str, *keys: str) -> None:
    (audio_dir / language).mkdir(parents=True, exist_ok=True)
    for key in keys:
        (audio_dir / language / f"{key}.mp3").write_bytes(MP3)


def _verbs(cat: Catalog, key: str, urls: Urls, **values: str) -> list[ET.Element]:
    response = say_and_hang_up([Line(cat, key, values)], urls.audio_base)
    return [el for el in ET.fromstring(str(response)) if el.tag != "Hangup"]


def test_a_recorded_prompt_is_played_and_one_without_is_said(audio_dir: Path) -> None:
    _record(audio_dir, "ur", "welcome", "reference")
    cat, urls = catalog("ur"), Urls(BASE)
    assert cat.audio == {"welcome": "ur/welcome.mp3", "reference": "ur/reference.mp3"}
    [played] = _verbs(cat, "welcome", urls)
    assert (played.tag, played.text) == ("Play", f"{BASE}/ivr/audio/ur/welcome.mp3")
    [said] = _verbs(cat, "consent", urls)
    voice = voice_for("ur")
    assert (said.tag, said.get("voice"), said.get("language")) == (
        "Say",
        voice.voice,
        voice.say_language,
    )
    assert said.text == cat.spoken("consent") and scripts_in(said.text or "") == {"Deva"}
    # a prompt with numbers to fill in cannot be a recording: it is always said
    [reference] = _verbs(cat, "reference", urls, digits="4, 7, 1")
    assert reference.tag == "Say" and "4, 7, 1" in (reference.text or "")
    assert catalog("hi").audio == {}  # other languages: nothing recorded, text-to-speech


def test_recordings_may_live_elsewhere(audio_dir: Path) -> None:
    _record(audio_dir, "ur", "welcome")
    urls = Urls(BASE, "https://cdn.example.org/sampark-audio")
    [played] = _verbs(catalog("ur"), "welcome", urls)
    assert played.text == "https://cdn.example.org/sampark-audio/ur/welcome.mp3"
    assert Urls(BASE).audio_base == f"{BASE}/ivr/audio"


def test_our_route_serves_the_recordings(audio_dir: Path, client: FlaskClient) -> None:
    _record(audio_dir, "ur", "welcome")
    ok = client.get("/ivr/audio/ur/welcome.mp3")
    assert (ok.status_code, ok.mimetype, ok.data) == (200, "audio/mpeg", MP3)
    for missing in ("/ivr/audio/ur/consent.mp3", "/ivr/audio/xx/welcome.mp3",
                    "/ivr/audio/ur/welcome.txt", "/ivr/audio/ur/..%2Fur.yaml"):  # fmt: skip
        assert client.get(missing).status_code == 404, missing


def _all_responses(si: StandIn, sid: str) -> list[ET.Element]:
    return [ET.fromstring(w["response"]) for w in si.webhooks(subject=sid) if w["response"]
            and w["purpose"] != "play"]  # fmt: skip


def test_a_whole_urdu_intake_hears_one_voice_everywhere(si, runtime, mini, handoffs) -> None:
    # the intake in Urdu, silence at the SMS script question, then 1: stay on the line
    script = PhoneScript(digits=[*COMPLETE["ur"], None, "1"], record_seconds=[3, 25],
                         hangup_after=400)  # fmt: skip
    sid = call(si, mini.spoke_numbers["HWC-002"], script)
    assert si.errors() == []
    [row] = stored(runtime)
    assert row["language"] == "ur" and row["answers"]["stay"] == "yes"
    voice = voice_for("ur")
    says = [say for root in _all_responses(si, sid) for say in root.iter("Say")]
    heard = {(s.get("voice"), s.get("language")) for s in says}
    ivr_says = [s for s in says if s.get("voice")]
    assert len(ivr_says) > 10
    # the language menu offers each language in its own voice; from then on, one voice
    menu = {(voice_for(lang).voice, voice_for(lang).say_language) for lang in ("hi", "bn", "en")}
    assert heard <= menu | {(voice.voice, voice.say_language)}
    after_menu = says[[s.text for s in says].index(catalog("ur").spoken("consent")) :]
    assert {(s.get("voice"), s.get("language")) for s in after_menu} == {
        (voice.voice, voice.say_language)
    }
    assert all(scripts_in(s.text or "") <= {"Deva", "Latn"} for s in after_menu)
    [wait] = si.webhooks(purpose="wait-url", subject=sid)  # the workflow's own words
    assert f'voice="{voice.voice}"' in wait["response"]


def test_a_recording_is_fetched_by_the_standin_and_a_missing_one_is_11200(
    si, runtime, mini, audio_dir: Path
) -> None:
    _record(audio_dir, "ur", "consent", "for_whom")
    catalog("ur")  # loaded (and the recordings found) now
    (audio_dir / "ur" / "for_whom.mp3").unlink()  # then lost: Twilio's fetch gets a 404
    sid = call(si, mini.spoke_numbers["HWC-002"], PhoneScript(digits=COMPLETE["ur"],
                                                             record_seconds=[3, 25]))  # fmt: skip
    plays = si.webhooks(purpose="play", subject=sid)
    assert [(w["url"], w["status"]) for w in plays] == [
        (f"{BASE}/ivr/audio/ur/consent.mp3", 200),
        (f"{BASE}/ivr/audio/ur/for_whom.mp3", 404),
    ]
    assert [e["error_code"] for e in si.errors()] == [11200]
    [row] = stored(runtime)  # nothing lost: the caller heard silence there, and went on
    assert row["state"] == "intake_complete" and row["language"] == "ur"
