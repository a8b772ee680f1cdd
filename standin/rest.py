"""Twilio's REST API 2010-04-01, as served by the stand-in (a plain WSGI app).

Each request goes: HTTP Basic auth (401, code 20003, unless the account SID and auth token
match) -> route by Twilio's own path templates -> injected faults (:mod:`.faults_rest`) ->
validation against Twilio's OpenAPI description (:mod:`.openapi`) -> the engine, which gets
the typed form parameters under Twilio's names (repeated keys as lists) and returns the
resource in Twilio's JSON shape. Lists are wrapped in Twilio's page envelope (``calls``,
``page``, ``page_size``, ``uri``, ``next_page_uri``...) so twilio-python pages through them.
Anything under ``/_standin/`` is the control and inspection API (:mod:`.control`), served
to loopback clients only unless the app was built with ``control_from_anywhere``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from standin.account_api import DialingPermissions, account_key, account_resource
from standin.control import handle_control, refuse_remote
from standin.errors import TwilioApiError
from standin.faults_rest import RestFaults, fault_error
from standin.http_server import KeepAliveWSGIServer
from standin.openapi import VALIDATOR_ENV, ValidatedRequest, compiled, openapi_core_validator
from standin.twilio_codes import error_for, not_found

log = logging.getLogger(__name__)

PAGING = ("Page", "PageSize", "PageToken")
_MEDIA = re.compile(r"^/2010-04-01/Accounts/(AC\w{32})/Recordings/(RE\w{32})(?:\.(wav|mp3))?$")
MEDIA_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
DEFAULT_PAGE_SIZE = 50

#: operation -> (engine method, its arguments, HTTP status, list envelope key)
ROUTES: dict[str, tuple[str, str, int, str | None]] = {
    "CreateCall": ("create_call", "params", 201, None),
    "ListCall": ("list_calls", "filters", 200, "calls"),
    "FetchCall": ("fetch_call", "sid", 200, None),
    "UpdateCall": ("update_call", "sid,params", 200, None),
    "ListConference": ("list_conferences", "filters", 200, "conferences"),
    "FetchConference": ("fetch_conference", "sid", 200, None),
    "UpdateConference": ("update_conference", "sid,params", 200, None),
    "CreateParticipant": ("create_participant", "conference,params", 201, None),
    "ListParticipant": ("list_participants", "conference,filters", 200, "participants"),
    "FetchParticipant": ("fetch_participant", "conference,call", 200, None),
    "UpdateParticipant": ("update_participant", "conference,call,params", 200, None),
    "DeleteParticipant": ("delete_participant", "conference,call", 204, None),
    "CreateMessage": ("create_message", "params", 201, None),
    "ListMessage": ("list_messages", "filters", 200, "messages"),
    "FetchMessage": ("fetch_message", "sid", 200, None),
    "ListRecording": ("list_recordings", "filters", 200, "recordings"),
    "FetchRecording": ("fetch_recording", "sid", 200, None),
    "ListIncomingPhoneNumber": (
        "list_incoming_phone_numbers", "filters", 200, "incoming_phone_numbers",
    ),
    "FetchIncomingPhoneNumber": ("fetch_incoming_phone_number", "sid", 200, None),
    "UpdateIncomingPhoneNumber": ("update_incoming_phone_number", "sid,params", 200, None),
}  # fmt: skip


def _json(status: int, body: Any) -> Response:
    if status == 204:
        return Response(status=204)
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(exc: TwilioApiError) -> Response:
    response = _json(exc.status, exc.to_json())
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response


class RestStats:
    """Counters for the benchmark: requests served and time spent validating them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.validation_seconds = 0.0

    def add(self, seconds: float) -> None:
        with self.lock:
            self.requests += 1
            self.validation_seconds += seconds


class RestApp:
    """The WSGI application; build it with :func:`make_rest_app`."""

    def __init__(
        self,
        engine: Any,
        account_sid: str,
        auth_token: str,
        faults: RestFaults | None = None,
        *,
        control: Any = None,
        validator: str | None = None,
        control_from_anywhere: bool = False,
    ) -> None:
        self.engine = engine
        self.control_from_anywhere = control_from_anywhere
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.faults = faults if faults is not None else RestFaults()
        self.control_target = control if control is not None else engine
        self.validator = validator or os.environ.get(VALIDATOR_ENV) or "compiled"
        if self.validator not in ("compiled", "openapi-core"):
            raise ValueError(f"unknown validator {self.validator!r}: compiled or openapi-core")
        self.spec = compiled()
        self.stats = RestStats()
        self.sleep: Callable[[float], None] = time.sleep
        self.dialing: DialingPermissions = getattr(control, "dialing", None) or DialingPermissions()
        self.created = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/_standin/") or request.path == "/_standin":
            refused = None if self.control_from_anywhere else refuse_remote(request)
            response = refused or handle_control(self, request)
        else:
            response = self.handle(request)
        return response(environ, start_response)

    # ---------------------------------------------------------------- REST
    def _authenticated(self, request: Request) -> bool:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        user_ok = hmac.compare_digest(str(auth.username or ""), self.account_sid)
        token_ok = hmac.compare_digest(str(auth.password or ""), self.auth_token)
        return user_ok and token_ok

    def handle(self, request: Request) -> Response:
        """Serve one REST request (never raises: errors become Twilio error JSON)."""
        started = time.perf_counter()
        outcome = "error"
        try:
            response = self._handle(request)
            outcome = str(response.status_code)
            return response
        except TwilioApiError as exc:
            outcome = str(exc.status)
            return _error(exc)
        except Exception:
            log.exception("stand-in REST handler failed", extra={"path": request.path})
            return _error(fault_error(500))
        finally:
            log.debug(
                "stand-in REST %s %s -> %s in %.1f ms",
                request.method,
                request.path,
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    def _handle(self, request: Request) -> Response:
        media = _MEDIA.match(request.path)
        if media is not None and request.method in ("GET", "HEAD"):
            return self._recording_media(request, media.group(1), media.group(2), media.group(3))
        if not self._authenticated(request):
            raise TwilioApiError(401, 20003, "Authenticate")
        own_key = account_key(request.path)
        if own_key is not None:  # the account, dialing permissions (standin/account_api.py)
            self._faults(own_key)
            own = account_resource(
                request.path, request.method, self.account_sid, self.dialing, self.created
            )
            return _json(*own) if own else _error(not_found(request.path))
        op, path_params, path_exists = self.spec.match(request.method, request.path)
        if op is None:
            if path_exists:
                raise TwilioApiError(405, 20004, "Method not allowed")
            raise not_found(request.path)
        if path_params.get("AccountSid") != self.account_sid:
            raise TwilioApiError(401, 20003, "Authenticate")
        self._faults(op.key)
        if op.operation_id not in ROUTES:
            raise TwilioApiError(405, 20004, "Method not allowed")
        t0 = time.perf_counter()
        validated = self._validate(request, op, path_params)
        self.stats.add(time.perf_counter() - t0)
        return self._dispatch(request, validated)

    def _faults(self, key: str) -> None:
        """Apply the injected REST faults planned for endpoint ``key`` (raises on a fault)."""
        decision = self.faults.decide(key)
        if decision.delay > 0:
            self.sleep(decision.delay)
        if decision.outcome in ("error", "rate_limit"):
            raise fault_error(decision.status)
        if decision.outcome == "timeout":
            self.sleep(decision.hold)
            if not decision.then_process:
                raise fault_error(504)

    def _recording_media(
        self, request: Request, account: str, sid: str, fmt: str | None
    ) -> Response:
        """A recording's audio: WAV without an extension or with ``.wav``, MP3 with ``.mp3``
        (Twilio's "Fetch a Recording's media file"). HTTP basic auth is enforced, as on an
        account with "Enforce HTTP Auth on Media URLs": a missing or wrong credential gets
        401 (20003); another account's path gets 404 (20404)."""
        if not self._authenticated(request):
            raise TwilioApiError(401, 20003, "Authenticate")
        if account != self.account_sid or not hasattr(self.engine, "recording_media"):
            raise not_found(request.path)
        fmt = fmt or "wav"
        body = self.engine.recording_media(sid, fmt)
        if request.method == "HEAD":
            response = Response(status=200, mimetype=MEDIA_TYPES[fmt])
            response.headers["Content-Length"] = str(len(body))
            return response
        return Response(body, mimetype=MEDIA_TYPES[fmt])

    def _validate(self, request: Request, op: Any, path_params: dict[str, str]) -> ValidatedRequest:
        if self.validator == "openapi-core":
            request.get_data()  # keep the raw body for the replay (form parsing consumes it)
        form: MultiDict[str, str] = request.form if request.method == "POST" else MultiDict()
        query = {k: request.args.getlist(k) for k in request.args}
        raw_form = {k: form.getlist(k) for k in form}
        validated = self.spec.validate(op, path_params, query, raw_form, request.path)
        if self.validator == "openapi-core":
            problems = openapi_core_validator().problems(request, op.operation_id)
            if problems:
                raise error_for(op.operation_id, problems)
        return validated

    def _dispatch(self, request: Request, v: ValidatedRequest) -> Response:
        method_name, args_spec, status, list_key = ROUTES[v.operation.operation_id]
        method = getattr(self.engine, method_name, None)
        if method is None:
            raise TwilioApiError(405, 20004, "Method not allowed")
        available = {
            "params": v.params,
            "filters": v.query,  # filters and paging: an engine may page itself
            "sid": v.path.get("Sid", ""),
            "conference": v.path.get("ConferenceSid", ""),
            "call": v.path.get("CallSid", ""),
        }
        result = method(*(available[name] for name in args_spec.split(",")))
        if list_key is not None and not isinstance(result, Mapping):
            return _json(200, self._page(request, list(result), list_key, v.query))
        return _json(status, result)

    @staticmethod
    def _page(
        request: Request, items: list[Any], key: str, query: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Twilio's 2010-04-01 page envelope around one page of ``items``."""
        size = max(1, min(int(query.get("PageSize", DEFAULT_PAGE_SIZE)), 1000))
        page = max(0, int(query.get("Page", 0)))
        start = page * size
        chunk = items[start : start + size]
        kept = [(k, v) for k in request.args for v in request.args.getlist(k) if k not in PAGING]

        def uri(n: int, token: bool) -> str:
            extra: list[tuple[str, Any]] = [("PageSize", size), ("Page", n)]
            if token:
                extra.append(("PageToken", f"PA{n}"))
            return f"{request.path}?{urlencode(kept + extra)}"

        has_next = start + size < len(items)
        return {
            key: chunk,
            "start": start,
            "end": start + max(len(chunk) - 1, 0),
            "page": page,
            "page_size": size,
            "uri": uri(page, page > 0),
            "first_page_uri": uri(0, False),
            "next_page_uri": uri(page + 1, True) if has_next else None,
            "previous_page_uri": uri(page - 1, page > 1) if page > 0 else None,
        }


def make_rest_app(
    engine: Any,
    account_sid: str,
    auth_token: str,
    faults: RestFaults | None = None,
    *,
    control: Any = None,
    validator: str | None = None,
    control_from_anywhere: bool = False,
) -> RestApp:
    """Twilio's REST API over ``engine`` as a WSGI app.

    Args:
        engine: the call engine (methods named in :data:`ROUTES`).
        account_sid: the only account served; also the Basic-auth user name.
        auth_token: the Basic-auth password.
        faults: REST fault plan (default: none), changeable through ``/_standin/faults``.
        control: what ``/_standin/`` drives (the ``StandIn`` facade; default ``engine``).
        validator: ``compiled`` (default) or ``openapi-core`` (env ``SAMPARK_STANDIN_VALIDATOR``).
        control_from_anywhere: serve ``/_standin/`` to any client, not only loopback ones
            (it can make the stand-in sign any request: see README.md).
    """
    return RestApp(
        engine,
        account_sid,
        auth_token,
        faults,
        control=control,
        validator=validator,
        control_from_anywhere=control_from_anywhere,
    )


class RestServer:
    """A threaded HTTP/1.1 keep-alive server for a WSGI app (tests, the CLI, the benchmark).

    Connections stay open between requests as Twilio's do (:mod:`.http_server`).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = KeepAliveWSGIServer((host, port), app)
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host = self.server.server_address[0]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host}:{self.server.server_port}"

    def start(self) -> str:
        """Serve in a daemon thread; returns the base URL."""
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="standin-rest", daemon=True
        )
        self.thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the CLI)."""
        self.server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)
