"""The one way application code reaches telephony: calls, conference legs, SMS, recordings.

It uses twilio-python's REST client unmodified; only the API domain's ``base_url`` is set
from ``settings.twilio_api_base_url`` (twilio-python builds every URL as
``client.api.base_url + path``, see ``twilio.base.domain.Domain.absolute_url``; edge and
region are cleared so that ``TWILIO_EDGE``/``TWILIO_REGION`` cannot rewrite the host). So the
same code talks to Twilio in production and to the stand-in in tests and the demo.

Errors come out classified (:mod:`telephony.errors`): permanent (4xx) or retryable (429,
5xx, timeouts, connection errors). Timeouts are short (connect 3 s, read 10 s) so a worker
never hangs on Twilio. Each request is logged (method, resource, outcome, duration) with
masked numbers and no credentials or message bodies.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from core.settings import Settings
from telephony.errors import (
    FictionalNumberRefused,
    PermanentGatewayError,
    RetryableGatewayError,
    mask_number,
)
from telephony.fictional import RegistryFictional
from telephony.gateway_account import AccountRequests
from telephony.gateway_conferences import CALL_EVENTS, ConferenceRequests, opt
from telephony.gateway_http import (
    TRANSPORT_ERRORS,
    TimedHttpClient,
    classify,
    page_failure,
    transport_error,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
_BY_RUNTIME: dict[int, tuple[weakref.ref[Any], TelephonyGateway]] = {}
_BY_RUNTIME_LOCK = threading.Lock()
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
#: A recording SID, alone or inside a RecordingUrl (``.../Recordings/RE...``, any extension).
_RECORDING_SID = re.compile(r"(?:^|/Recordings/)(RE[0-9a-fA-F]{32})(?:\.\w+)?/?$")
MEDIA_TYPES = {"wav": "audio/x-wav", "mp3": "audio/mpeg"}
MEDIA_CHUNK = 32 * 1024


@dataclass
class RecordingMedia:
    """A recording's audio, streamed: iterate ``chunks`` (the connection closes at the end,
    or call ``close``)."""

    sid: str
    content_type: str
    content_length: int | None
    chunks: Iterator[bytes]
    close: Callable[[], None]


class TelephonyGateway(ConferenceRequests, AccountRequests):
    """Place and control calls, conference legs and SMS through Twilio's REST API.

    Conference requests (participants added, updated, removed, listed) come from
    :class:`telephony.gateway_conferences.ConferenceRequests`; the account, its numbers and
    dialing permissions from :class:`telephony.gateway_account.AccountRequests`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        is_fictional: Callable[[str], bool] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.settings = settings
        self._is_fictional = is_fictional or (lambda _number: False)
        self._media_timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            http_client=TimedHttpClient(
                connect_timeout, read_timeout, settings.twilio_api_base_url
            ),
        )
        self.client.edge = None
        self.client.region = None
        self.client.api.base_url = settings.twilio_api_base_url.rstrip("/")
        if not settings.talks_to_real_twilio:  # a stand-in serves voice.twilio.com's paths too
            self.client.voice.base_url = self.client.api.base_url

    @classmethod
    def for_runtime(cls, runtime: Any, *, cache_seconds: float = 30.0) -> TelephonyGateway:
        """The runtime's gateway, whose fictional-number check reads the registry.

        One gateway per runtime (kept while the runtime lives), so its HTTP connections and
        its ``cache_seconds`` cache of fictional numbers serve every job of a worker.
        """
        key, settings = id(runtime), runtime.settings
        with _BY_RUNTIME_LOCK:
            entry = _BY_RUNTIME.get(key)
            if entry is not None and entry[0]() is runtime and entry[1].settings is settings:
                return entry[1]
            for stale in [k for k, (ref, _) in _BY_RUNTIME.items() if ref() is None]:
                del _BY_RUNTIME[stale]
            gateway = cls(settings, is_fictional=RegistryFictional(runtime.db, cache_seconds))
            _BY_RUNTIME[key] = (weakref.ref(runtime), gateway)
            return gateway

    def preload(self) -> None:
        """Build twilio-python's lazily made resources (importing their modules) now.

        A worker calls this before its first job, so a forked work horse inherits them
        and no job pays for the imports. No connection is opened.
        """
        account = self.client.api.v2010.account
        for resource in ("calls", "conferences", "messages", "recordings"):
            getattr(account, resource)

    def forget_connections(self) -> None:
        """Drop pooled HTTP connections inherited across ``fork`` (the child makes its own)."""
        http = self.client.http_client
        if isinstance(http, TimedHttpClient):
            http.drop_connections()

    # ----------------------------------------------------------------- plumbing
    def _refuse_fictional(self, *numbers: str | None) -> None:
        if not self.settings.talks_to_real_twilio:
            return
        for number in numbers:
            try:
                fictional = bool(number) and self._is_fictional(str(number))
            except Exception as exc:  # the registry is down: do not risk a real phone
                log.warning("fictional-number check failed", extra={"error": repr(exc)})
                raise RetryableGatewayError(
                    None, None, "could not check the registry for fictional numbers"
                ) from exc
            if fictional:
                log.warning(
                    "twilio request refused: fictional number",
                    extra={"outcome": "refused", "to": mask_number(number)},
                )
                raise FictionalNumberRefused(str(number))

    def _request(
        self, method: str, resource: str, send: Callable[[], T], to: str | None = None
    ) -> T:
        started = time.perf_counter()
        outcome, status, code = "ok", None, None
        try:
            return send()
        except TwilioRestException as exc:
            status, code = exc.status, exc.code
            error = classify(exc.status, exc.code, str(exc.msg))
            outcome = "retryable" if error.retryable else "permanent"
            raise error from exc
        except TRANSPORT_ERRORS as exc:  # no HTTP answer
            outcome = "retryable"
            raise transport_error(exc) from exc
        except TwilioException as exc:
            # List pages raise a bare TwilioException(message, response).
            status, code, message = page_failure(exc)
            error = classify(status, code, message)
            outcome = "retryable" if error.retryable else "permanent"
            raise error from exc
        finally:
            log.info(
                "twilio %s %s %s",
                method,
                resource,
                outcome,
                extra={
                    "twilio_method": method,
                    "resource": resource,
                    "outcome": outcome,
                    "status": status,
                    "code": code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "to": mask_number(to),
                },
            )

    # ----------------------------------------------------------------- calls
    def place_call(
        self,
        *,
        to: str,
        from_: str,
        url: str,
        status_callback: str,
        status_events: Iterable[str] = CALL_EVENTS,
        timeout: int | None = None,
        machine_detection: str | None = None,
        record: bool = False,
    ) -> str:
        """Dial ``to``; Twilio fetches TwiML from ``url`` on answer. Returns the CallSid."""
        self._refuse_fictional(to)
        call = self._request(
            "POST",
            "calls.create",
            lambda: self.client.calls.create(
                to=to,
                from_=from_,
                url=url,
                method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
                status_callback_event=list(status_events),
                timeout=opt(timeout),
                machine_detection=opt(machine_detection),
                record=record,
            ),
            to,
        )
        return str(call.sid)

    def fetch_call(self, sid: str) -> dict[str, Any]:
        """The call's current state (sid, status, duration, answered_by, from, to...)."""
        call = self._request("GET", "calls.fetch", lambda: self.client.calls(sid).fetch())
        return {
            "sid": call.sid,
            "status": call.status,
            "duration": call.duration,
            "answered_by": call.answered_by,
            "from": call._from,
            "to": call.to,
            "direction": call.direction,
            "parent_call_sid": call.parent_call_sid,
        }

    def update_call(
        self,
        sid: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        status: str | None = None,
    ) -> None:
        """Redirect a live call to new TwiML (``url`` or ``twiml``) or end it (``status``)."""
        self._request(
            "POST",
            "calls.update",
            lambda: self.client.calls(sid).update(
                url=opt(url),
                method="POST" if url else opt(None),
                twiml=opt(twiml),
                status=opt(status),
            ),
        )

    def hangup(self, sid: str) -> None:
        """End the call (``Status=completed``; Twilio cancels it if it is still ringing)."""
        self.update_call(sid, status="completed")

    # ----------------------------------------------------------------- SMS, recordings
    def send_sms(self, *, to: str, from_: str, body: str, status_callback: str | None) -> str:
        """Send an SMS (``from_`` a number, sender ID or Messaging Service SID). Returns its SID."""
        self._refuse_fictional(to)
        service = from_ if from_.startswith("MG") and len(from_) == 34 else None
        message = self._request(
            "POST",
            "messages.create",
            lambda: self.client.messages.create(
                to=to,
                from_=opt(None if service else from_),
                messaging_service_sid=opt(service),
                body=body,
                status_callback=opt(status_callback),
            ),
            to,
        )
        return str(message.sid)

    def fetch_recording(self, sid: str) -> dict[str, Any]:
        """A recording's metadata and media URL (``media_url``, without extension = WAV)."""
        rec = self._request("GET", "recordings.fetch", lambda: self.client.recordings(sid).fetch())
        base = self.settings.twilio_api_base_url.rstrip("/")
        uri = str(rec.uri or "")
        return {
            "sid": rec.sid,
            "call_sid": rec.call_sid,
            "conference_sid": rec.conference_sid,
            "status": rec.status,
            "duration": rec.duration,
            "channels": rec.channels,
            "source": rec.source,
            "start_time": rec.start_time,
            "media_url": base + uri.removesuffix(".json") if uri else None,
        }

    def fetch_recording_media(self, sid_or_url: str, *, fmt: str = "wav") -> RecordingMedia:
        """Stream a recording's audio (``wav`` or ``mp3``) with the account's credentials.

        ``sid_or_url`` is a RecordingSid or a RecordingUrl as Twilio sent it; only the SID is
        taken from it and the media URL is rebuilt on the configured API base and account
        (``/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.wav|.mp3``, HTTP basic auth), so
        the credentials never go to another host. Errors are classified like every request:
        permanent (no such recording, refused credentials, not a recording SID) or retryable.
        """
        sid = recording_sid(sid_or_url)
        if sid is None or fmt not in MEDIA_TYPES:
            raise PermanentGatewayError(None, None, "not a recording SID or URL")
        settings = self.settings
        url = (
            f"{settings.twilio_api_base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{settings.twilio_account_sid}/Recordings/{sid}.{fmt}"
        )
        auth = f"{settings.twilio_account_sid}:{settings.twilio_auth_token}"
        http = self.client.http_client
        pool = http.pool if isinstance(http, TimedHttpClient) else urllib3.PoolManager()

        def send() -> urllib3.BaseHTTPResponse:
            answer = pool.request(
                "GET",
                url,
                headers=urllib3.make_headers(basic_auth=auth),
                timeout=self._media_timeout,
                redirect=False,
                preload_content=False,
            )
            if answer.status == 200:
                return answer
            body = answer.read(4096)
            answer.release_conn()
            raise TwilioRestException(answer.status, url, *_error_of(body))

        answer = self._request("GET", "recordings.media", send)
        length = answer.headers.get("Content-Length")
        return RecordingMedia(
            sid=sid,
            content_type=answer.headers.get("Content-Type") or MEDIA_TYPES[fmt],
            content_length=int(length) if length and length.isdigit() else None,
            chunks=_chunks(answer),
            close=answer.release_conn,
        )


def recording_sid(sid_or_url: str | None) -> str | None:
    """The RecordingSid in ``sid_or_url`` (a SID, or a RecordingUrl), else None."""
    match = _RECORDING_SID.search((sid_or_url or "").strip())
    return match.group(1) if match else None


def _error_of(body: bytes) -> tuple[str, int | None]:
    """Twilio's message and code from an error body (JSON), if it has them."""
    try:
        data = json.loads(body or b"{}")
        return str(data.get("message") or "recording media refused"), data.get("code")
    except (ValueError, AttributeError):
        return "recording media refused", None


def _chunks(answer: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The body in pieces; a transport failure mid-way is a retryable gateway error."""
    try:
        yield from answer.stream(MEDIA_CHUNK)
    except TRANSPORT_ERRORS as exc:
        raise transport_error(exc) from exc
    finally:
        answer.release_conn()


def _forget_inherited_connections() -> None:
    """In a forked child: never share the parent's keep-alive sockets to Twilio."""
    for _ref, gateway in list(_BY_RUNTIME.values()):
        gateway.forget_connections()


os.register_at_fork(after_in_child=_forget_inherited_connections)
