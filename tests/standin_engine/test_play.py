"""<Play>: the stand-in fetches the file, as Twilio does, and fails as Twilio does (11200 for
a failed fetch, 13420 / 13325 for an answer that is not audio): nothing is played and the
call goes on with the next verb."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from standin import StandIn
from tests.standin_engine.helpers import seen
from tests.standin_engine.test_verbs import call_with
from tests.standin_engine.twiml_app import BASE


def _with_audio(app: Flask) -> Flask:
    app.add_url_rule(
        "/audio/ok.mp3", "audio_ok", lambda: Response(b"ID3\x04\xff\xfb\x90", mimetype="audio/mpeg")
    )
    app.add_url_rule(
        "/audio/page.mp3", "audio_page", lambda: Response("<html/>", mimetype="text/html")
    )
    return app


def _debugger(si: StandIn) -> list[dict[str, Any]]:
    return [e for e in si.engine.timeline() if e["kind"] == "debugger"]


def _said(si: StandIn, sid: str) -> list[str]:
    return [str(e["verb"]) for e in si.engine.timeline() if e["kind"] == "verb" and e["sid"] == sid]


def test_play_fetches_the_file_and_plays_it(si: StandIn, twiml_app: Flask) -> None:
    _with_audio(twiml_app)
    sid = call_with(si, f"<Response><Play>{BASE}/audio/ok.mp3</Play><Say>after</Say></Response>")
    si.run_until_idle()
    fetched = seen(twiml_app, "/audio/ok.mp3")
    assert len(fetched) == 1 and fetched[0]["valid"]
    assert not _debugger(si)
    assert any("after" in v for v in _said(si, sid))


def test_a_missing_file_is_11200_and_nothing_is_played(si: StandIn, twiml_app: Flask) -> None:
    _with_audio(twiml_app)
    sid = call_with(
        si, f"<Response><Play>{BASE}/audio/missing.mp3</Play><Say>after</Say></Response>"
    )
    si.run_until_idle()
    errors = _debugger(si)
    assert [e["error_code"] for e in errors] == [11200]
    assert errors[0]["url"] == f"{BASE}/audio/missing.mp3" and "404" in errors[0]["message"]
    assert any("after" in v for v in _said(si, sid))  # the call went on
    assert si.calls[sid]["status"] == "completed"


def test_an_answer_that_is_not_audio_is_13420(si: StandIn, twiml_app: Flask) -> None:
    _with_audio(twiml_app)
    call_with(si, f"<Response><Play>{BASE}/audio/page.mp3</Play></Response>")
    si.run_until_idle()
    assert [e["error_code"] for e in _debugger(si)] == [13420]


def test_inside_a_gather_the_files_are_fetched_first(si: StandIn, twiml_app: Flask) -> None:
    _with_audio(twiml_app)
    gather = (
        f'<Gather numDigits="1" action="{BASE}/echo"><Play>{BASE}/audio/page.mp3</Play>'
        f"<Play>{BASE}/audio/missing.mp3</Play><Play>{BASE}/audio/ok.mp3</Play></Gather>"
    )
    call_with(si, f"<Response>{gather}<Say>no key</Say></Response>")
    si.run_until_idle()
    assert sorted(e["error_code"] for e in _debugger(si)) == [11200, 13325]
    assert len(seen(twiml_app, "/audio/ok.mp3")) == 1


def test_twilio_hosted_media_is_not_fetched(si: StandIn, twiml_app: Flask) -> None:
    music = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
    call_with(si, f"<Response><Play>{music}</Play><Play>https://api.twilio.com/cowbell.mp3</Play>"
                  "</Response>")  # fmt: skip
    si.run_until_idle()
    assert not _debugger(si)
    assert not [s for s in seen(twiml_app) if "mp3" in s["path"]]
