"""The stand-in's control and inspection API under ``/_standin/`` (JSON in, JSON out).

It drives the ``StandIn`` facade (or whatever object was given as ``control``): inspect the
timeline, calls, conferences and messages; give a phone a script; dial in as a patient;
press keys, answer or hang up by hand; set REST and webhook faults; move the virtual clock.
It needs no credentials, and it can make the stand-in sign any request with the account's
auth token (a number whose URL is anywhere, then a dial-in): so it answers loopback clients
only (:func:`refuse_remote`) unless the stand-in runs with ``--control-from-anywhere``.
See README.md for examples.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from standin.account_api import DialingPermissions
from standin.errors import TwilioApiError
from standin.faults import FaultDice
from standin.faults_rest import RestFaults
from standin.phone_api import page_response
from standin.phone_api import route as phone_route
from standin.phones import PhoneScript

log = logging.getLogger(__name__)


class RestApp(Protocol):
    """What the control API needs of the REST app that mounts it (``standin.rest.RestApp``)."""

    faults: RestFaults
    control_target: Any
    stats: Any
    dialing: DialingPermissions


class ControlError(Exception):
    """A control request that cannot be served (status + message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def jsonable(obj: Any) -> Any:
    """A JSON-ready copy of engine objects (dataclasses, mappings, datetimes, views)."""
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, datetime):
        return obj.isoformat()
    for attr in ("to_json", "as_dict", "to_dict"):
        method = getattr(obj, attr, None)
        if callable(method):
            return jsonable(method())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "__dict__"):
        return {k: jsonable(v) for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)


def _body(request: Request) -> dict[str, Any]:
    if not request.get_data():
        return dict(request.form.items()) if request.form else {}
    try:
        data = json.loads(request.get_data())
    except ValueError as exc:
        raise ControlError(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def _need(target: Any, name: str) -> Callable[..., Any]:
    method = getattr(target, name, None)
    if not callable(method):
        raise ControlError(501, f"this stand-in has no {name}()")
    return method


def _phone_script(target: Any, number: str, body: Mapping[str, Any]) -> Any:
    try:
        script = PhoneScript(**body)
    except TypeError as exc:
        raise ControlError(400, f"invalid phone script: {exc}") from exc
    _need(target, "script")(number, script)
    return {"number": number, "script": jsonable(script)}


def _faults_webhooks(target: Any, request: Request) -> Any:
    """Read or change the engine's webhook faults (a mutable ``Faults`` dataclass)."""
    faults = getattr(target, "webhook_faults", None)
    if faults is None:
        raise ControlError(501, "this stand-in has no webhook fault plan")
    if request.method in ("PUT", "POST"):
        body = _body(request)
        seed = body.pop("seed", None)
        known = {f.name: f for f in dataclasses.fields(faults)}
        unknown = set(body) - set(known)
        if unknown:
            raise ControlError(
                400, f"unknown webhook fault setting(s): {', '.join(sorted(unknown))}"
            )
        for name, value in body.items():
            current = getattr(faults, name)
            if isinstance(current, tuple):
                value = tuple(float(v) for v in value)
            elif isinstance(current, frozenset):
                value = frozenset(value)
            elif isinstance(current, float):
                value = float(value)
            setattr(faults, name, value)
        engine = getattr(target, "engine", None)
        if seed is not None and engine is not None and hasattr(engine, "dice"):
            engine.dice = FaultDice(faults, int(seed))
    return jsonable(faults)


def _faults_rest(app: RestApp, request: Request) -> Any:
    if request.method in ("PUT", "POST"):
        body = _body(request)
        try:
            app.faults.configure(body.get("rules", []), seed=body.get("seed"))
        except (TypeError, ValueError) as exc:
            raise ControlError(400, str(exc)) from exc
    elif request.method == "DELETE":
        app.faults.clear()
    return app.faults.snapshot()


def _clock(target: Any, action: str, body: Mapping[str, Any]) -> Any:
    if action == "advance":
        ran = _need(target, "advance")(float(body.get("seconds", 0)))
    elif action == "run":
        ran = _need(target, "run_until_idle")(float(body.get("max_virtual_seconds", 3600)))
    else:
        ran = None
    clock = getattr(target, "clock", None)
    now = _need(target, "now")()
    return {
        "now": jsonable(now),
        "virtual": type(clock).__name__ == "VirtualClock",
        "events_run": ran,
    }


def _views(target: Any, name: str, sid: str | None) -> Any:
    view = getattr(target, name, None)
    if view is None:
        raise ControlError(501, f"this stand-in has no {name} view")
    if sid is None:
        items = view.values() if hasattr(view, "values") else view
        return [jsonable(v) for v in items]
    try:
        return jsonable(view[sid])
    except KeyError as exc:
        raise ControlError(404, f"no {name[:-1]} {sid}") from exc


def _route(app: RestApp, request: Request) -> Any:
    target = app.control_target
    path = request.path.rstrip("/")[len("/_standin") :] or "/"
    method = request.method
    if path == "/" and method == "GET":
        return {"endpoints": ENDPOINTS}
    if path.startswith("/phone/"):
        served = phone_route(target, request, path)
        if served is not None:
            return served
    if path == "/timeline" and method == "GET":
        timeline = _need(target, "timeline")()
        since = int(request.args.get("since", 0))
        return {"events": jsonable(timeline[since:]), "next": len(timeline)}
    if path == "/region" and method == "GET":
        region = getattr(target, "region", None)
        refusals = getattr(target, "region_refusals", None)
        return {
            "region": region.as_dict() if region is not None else None,
            "refused": refusals() if refusals is not None else {},
        }
    if path == "/stats" and method == "GET":
        stats = app.stats
        return {"requests": stats.requests, "validation_seconds": stats.validation_seconds}
    m = re.fullmatch(r"/(calls|conferences|messages)(?:/([^/]+))?", path)
    if m and method == "GET":
        return _views(target, m.group(1), m.group(2))
    m = re.fullmatch(r"/inbox/([^/]+)", path)
    if m and method == "GET":
        return jsonable(_need(target, "inbox")(m.group(1)))
    if path == "/numbers" and method == "POST":
        body = _body(request)
        number = body.pop("number", None)
        if not number:
            raise ControlError(400, "number is required")
        return {"number": number, "sid": jsonable(_need(target, "add_number")(number, **body))}
    m = re.fullmatch(r"/phones/([^/]+)(?:/script)?", path)
    if m and method in ("PUT", "POST"):
        return _phone_script(target, m.group(1), _body(request))
    if path == "/dial-in" and method == "POST":
        body = _body(request)
        sid = _need(target, "dial_in")(from_=body.get("from"), to=body.get("to"))
        return {"call_sid": sid}
    m = re.fullmatch(r"/calls/([^/]+)/(press|hangup|answer)", path)
    if m and method == "POST":
        sid, action = m.groups()
        if action == "press":
            _need(target, "press")(sid, str(_body(request).get("digits", "")))
        else:
            _need(target, action)(sid)
        return {"call_sid": sid, "done": action}
    if path == "/faults/rest" and method in ("GET", "PUT", "POST", "DELETE"):
        return _faults_rest(app, request)
    if path == "/faults/webhooks" and method in ("GET", "PUT", "POST"):
        return _faults_webhooks(target, request)
    m = re.fullmatch(r"/dialing-permissions/([A-Za-z]{2})", path)
    if m and method in ("GET", "PUT"):
        flags = _body(request) if method == "PUT" else {}
        try:
            return app.dialing.set(m.group(1), **flags)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
    m = re.fullmatch(r"/clock(?:/(advance|run))?", path)
    if m and (method == "GET" or (method == "POST" and m.group(1))):
        return _clock(target, m.group(1) or "", _body(request) if method == "POST" else {})
    raise ControlError(404, f"no control endpoint {method} {request.path}")


def is_loopback(address: str | None) -> bool:
    """Whether a client address is this machine's (127.0.0.0/8, ::1, ::ffff:127.x)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def refuse_remote(request: Request) -> Response | None:
    """403 for a control request from another machine (None when it may be served)."""
    if is_loopback(request.remote_addr):
        return None
    log.warning(
        "stand-in control request from another machine refused",
        extra={"remote": request.remote_addr, "path": request.path},
    )
    message = (
        "the stand-in's control endpoints answer loopback clients only "
        "(sampark standin --control-from-anywhere serves every client)"
    )
    return Response(json.dumps({"error": message}), status=403, mimetype="application/json")


def handle_control(app: RestApp, request: Request) -> Response:
    """Serve one ``/_standin/`` request."""
    page = page_response(request)
    if page is not None:
        return page
    try:
        body, status = _route(app, request), 200
    except ControlError as exc:
        body, status = {"error": exc.message}, exc.status
    except (KeyError, ValueError) as exc:
        body, status = {"error": f"{type(exc).__name__}: {exc}"}, 400
    except TwilioApiError as exc:
        body, status = exc.to_json(), exc.status
    except Exception as exc:  # a control request must never take the server down
        log.exception("stand-in control request failed", extra={"path": request.path})
        body, status = {"error": f"{type(exc).__name__}: {exc}"}, 500
    return Response(json.dumps(body), status=status, mimetype="application/json")


#: The index served at ``GET /_standin/``.
ENDPOINTS = [
    "GET  /_standin/timeline?since=N",
    "GET  /_standin/calls[/CA...]   /_standin/conferences[/CF...]   /_standin/messages[/SM...]",
    "GET  /_standin/inbox/+91...",
    "GET  /_standin/stats",
    "GET  /_standin/region   (the country rules applied, refusals by rule: standin/regions.py)",
    "GET|PUT /_standin/dialing-permissions/IN {low_risk_numbers_enabled: false, ...}",
    "POST /_standin/numbers {number, voice_url, voice_method, status_callback, sms_url}",
    "PUT  /_standin/phones/+91... {answer_after, outcome, digits, speech, ...}",
    "POST /_standin/dial-in {from, to}",
    "POST /_standin/calls/CA.../press {digits}   .../answer   .../hangup",
    "GET|PUT|DELETE /_standin/faults/rest {seed, rules: [{endpoint, error_rate, ...}]}",
    "GET|PUT /_standin/faults/webhooks {seed, drop_rate, duplicate_rate, delay_rate, ...}",
    "GET  /_standin/clock   POST /_standin/clock/advance {seconds}   POST /_standin/clock/run",
    "GET  /_standin/phone   (a keypad phone in the browser: standin/phone_api.py)",
    "GET  /_standin/phone/lines   /_standin/phone/events?after=N   PUT /_standin/phone/settings",
    "POST /_standin/phone/calls {from, to}   .../calls/CA.../digits|answer|hangup|recording",
]
