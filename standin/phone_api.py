"""The phone in the browser: its page and its JSON API under ``/_standin/phone``.

The page (``static/phone.html``, ``.css``, ``.js``: no build step, no CDN) is a basic
keypad phone that calls one of the stand-in's numbers from a number the visitor chooses,
and shows beside it every phone the stand-in rings while the page is open (the ANM's, the
doctor's). The engine side is ``interactive.py``.

| request | does |
| --- | --- |
| ``GET /_standin/phone`` | the page (``/_standin/phone/static/phone.js`` ...) |
| ``GET /_standin/phone/lines`` | the numbers one can call, and the settings |
| ``PUT /_standin/phone/settings`` ``{"staff", "pace", "labels"}`` | who answers staff calls... |
| ``POST /_standin/phone/calls`` ``{"from", "to"}`` | the browser's phone dials in |
| ``GET /_standin/phone/events?after=N`` | ``{"events": [...], "next": M}`` |
| ``POST /_standin/phone/calls/CA.../digits`` ``{"digits": "1"}`` | keys pressed |
| ``POST /_standin/phone/calls/CA.../answer`` , ``.../hangup`` | pick up; hang up or decline |
| ``POST /_standin/phone/calls/CA.../recording[?key=%23]`` (a WAV body) | the <Record>'s audio |
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from standin.phone_board import MAX_UPLOAD_BYTES, STAFF_MODES, PhoneBoard

STATIC = Path(__file__).with_name("static")
STATIC_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
STATIC_FILES = ("phone.html", "phone.css", "phone.js")


def page_response(request: Request) -> Response | None:
    """The page or one of its files (None: not a page request)."""
    path = request.path.rstrip("/")
    if request.method != "GET":
        return None
    if path == "/_standin/phone":
        name = "phone.html"
    else:
        m = re.fullmatch(r"/_standin/phone/static/([\w.-]+)", path)
        if not m or m.group(1) not in STATIC_FILES:
            return None
        name = m.group(1)
    body = (STATIC / name).read_bytes()
    response = Response(body, mimetype=STATIC_TYPES[Path(name).suffix])
    response.headers["Cache-Control"] = "no-cache"
    return response


def _json(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _lines(engine: Any) -> list[dict[str, str]]:
    """Our numbers that answer calls (a spoke's, the district line ...), by name."""
    with engine.lock:
        numbers = [pn for pn in engine.numbers.values() if pn.voice_url]
        return [{"number": pn.phone_number, "name": pn.friendly_name or pn.phone_number}
                for pn in numbers]  # fmt: skip


def _settings(board: PhoneBoard, body: dict[str, Any]) -> dict[str, Any]:
    staff = body.get("staff")
    if staff is not None:
        if staff not in STAFF_MODES:
            raise ValueError(f"staff must be one of {', '.join(STAFF_MODES)}")
        board.staff = staff
    if "pace" in body:
        pace = float(body["pace"])
        if not 0.1 <= pace <= 5:
            raise ValueError("pace must be between 0.1 and 5")
        board.pace = pace
    labels = body.get("labels")
    if isinstance(labels, dict):
        board.labels.update({str(k): str(v) for k, v in labels.items()})
    return board.settings()


def route(target: Any, request: Request, path: str) -> Any:
    """Serve one JSON request under ``/_standin/phone`` (``path`` without ``/_standin``)."""
    engine = getattr(target, "engine", target)
    board: PhoneBoard = engine.board
    method = request.method
    with engine.lock:
        board.active = True
    if path == "/phone/lines" and method == "GET":
        with engine.lock:
            settings = board.settings()
        return {"lines": _lines(engine), "settings": settings}
    if path == "/phone/settings" and method in ("PUT", "POST"):
        with engine.lock:
            return _settings(board, _json(request))
    if path == "/phone/events" and method == "GET":
        after = int(request.args.get("after", 0))
        with engine.lock:
            return {"events": board.since(after), "next": board.next_seq}
    if path == "/phone/calls" and method == "POST":
        body = _json(request)
        from_, to = str(body.get("from") or ""), str(body.get("to") or "")
        if not from_ or not to:
            raise ValueError("from and to are required")
        return {"call_sid": engine.browser_dial(from_, to)}
    m = re.fullmatch(r"/phone/calls/([^/]+)/(digits|answer|hangup|recording)", path)
    if m and method == "POST":
        sid, action = m.groups()
        if action == "digits":
            digits = str(_json(request).get("digits", ""))
            if not re.fullmatch(r"[0-9*#]{1,32}", digits):
                raise ValueError("digits: 1 to 32 of 0-9 * #")
            engine.press(sid, digits)
        elif action == "answer":
            engine.answer_call(sid)
        elif action == "hangup":
            engine.hangup(sid)
        else:
            audio = request.get_data()
            if len(audio) > MAX_UPLOAD_BYTES:
                raise ValueError(f"the recording is over {MAX_UPLOAD_BYTES} bytes")
            key = request.args.get("key") or None
            return {"call_sid": sid, "recording_sid": engine.browser_recording(sid, audio, key)}
        return {"call_sid": sid, "done": action}
    return None
