"""The engine's shared state and plumbing: lock, clock, SIDs, timeline, signed webhooks.

Webhooks are never sent while the engine lock is held: the application may call the REST API
(another thread) while it handles one.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from twilio.request_validator import RequestValidator

from standin import regions
from standin.clock import RealClock, VirtualClock
from standin.errors import TwilioApiError
from standin.faults import Decision, FaultDice, Faults
from standin.phones import DEFAULT_SCRIPT, InboxItem, PhoneScript
from standin.regions import Region, Rule
from standin.resources import Call, Conference, Message, PhoneNumber, Recording
from standin.transport import HttpTransport, Response, Transport
from standin.util import SidFactory, rfc2822

MAX_LOGGED_BODY = 4000


class EngineBase:
    """State and helpers every part of the engine uses."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        clock: VirtualClock | RealClock | None = None,
        seed: int = 0,
        transport: Transport | None = None,
        faults: Faults | None = None,
        strict_caller_id: bool = True,
        max_timeline: int = 200_000,
        cps: float | None = None,
        region: str | Region | None = None,
    ) -> None:
        self.account_sid = account_sid
        # the country rules applied (standin/regions.py); None: no country's rules
        self.region: Region | None = regions.region(region)
        # requests the region's rules refused, by rule key (``region_note(refused=True)``)
        self.region_refused: Counter[str] = Counter()
        self.auth_token = auth_token
        self.clock: VirtualClock | RealClock = clock if clock is not None else VirtualClock()
        self.seed = seed
        self.transport: Transport = transport if transport is not None else HttpTransport()
        self.faults = faults if faults is not None else Faults()
        self.dice = FaultDice(self.faults, seed)
        self.strict_caller_id = strict_caller_id
        # Calls per second for calls created through the API (Twilio's default is 1; None:
        # no limit): calls beyond it wait in a queue (queue_time).
        self.cps = cps
        self._next_call_slot = 0.0
        self.sid = SidFactory(seed)
        self.sender_rng = random.Random(f"senders-{seed}")  # rewritten SMS senders
        self.lock = threading.RLock()
        self._current = threading.local()  # key of the event running in this thread
        self.validator = RequestValidator(auth_token)
        # Where recordings are served (the REST server's base URL once started).
        self.api_base_url = "https://api.twilio.com"
        self.calls: dict[str, Call] = {}
        self.conferences: dict[str, Conference] = {}
        self.messages: dict[str, Message] = {}
        self.recordings: dict[str, Recording] = {}
        self.numbers: dict[str, PhoneNumber] = {}  # by E.164
        self.queues: dict[str, tuple[str, list[str]]] = {}  # name -> (QU sid, CallSids)
        self.scripts: dict[str, PhoneScript] = {}
        self.inboxes: dict[str, list[InboxItem]] = {}
        # the most recent entries (a long load run must not grow without bound); ``seq``
        # keeps counting, so a reader can tell what it missed
        self._timeline: deque[dict[str, Any]] = deque(maxlen=max_timeline)
        self._timeline_seq = 0
        self._held: dict[str, list[Callable[[], None]]] = {}  # reordered, by URL + subject
        self.clock.on_error = self._clock_error

    # -- time and events ------------------------------------------------------------------
    def now_text(self) -> str:
        """Current (virtual) time in Twilio's RFC 2822 form."""
        return rfc2822(self.clock.now()) or ""

    def later(self, delay: float, callback: Callable[[], None], key: str | None = None) -> None:
        """Run ``callback`` after ``delay`` (virtual) seconds. Events of one ``key`` (a SID)
        run in order; without a key an event inherits the key of the event scheduling it."""
        key = key if key is not None else getattr(self._current, "key", "")

        def run() -> None:
            self._current.key = key
            try:
                callback()
            finally:
                self._current.key = ""

        self.clock.schedule(delay, run, key)

    def _clock_error(self, exc: BaseException) -> None:
        self.record("engine-error", error=repr(exc))

    # -- timeline -------------------------------------------------------------------------
    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one entry to the inspector's timeline."""
        entry = {
            "seq": 0,
            "at": round(self.clock.seconds(), 3),
            "time": self.clock.now().isoformat(),
            "kind": kind,
            **fields,
        }
        with self.lock:
            entry["seq"] = self._timeline_seq
            self._timeline_seq += 1
            self._timeline.append(entry)
        return entry

    def debugger(self, code: int, message: str, *, level: str = "ERROR", **fields: Any) -> None:
        """Log an error the way Twilio's Debugger does (https://www.twilio.com/docs/api/errors)."""
        self.record(
            "debugger",
            error_code=code,
            level=level,
            message=message,
            more_info=f"https://www.twilio.com/docs/errors/{code}",
            **fields,
        )

    # -- the region's rules (standin/regions.py) ------------------------------------------
    def region_note(self, rule: Rule, *, refused: bool = True, **fields: Any) -> None:
        """Log on the timeline that a documented rule of the region was applied.

        ``refused``: the rule stopped what was asked (an API error, a call or SMS that never
        arrives, a message filtered, a number kept off the account); counted by rule key in
        ``region_refused``, which unlike the timeline is never trimmed. False for a rule that
        only transforms (an MMS sent as SMS)."""
        code = self.region.code if self.region else ""
        if refused:
            with self.lock:
                self.region_refused[rule.key] += 1
        self.record("region", region=code, rule=rule.key, says=rule.says, source=rule.source,
                    refused=refused, **fields)  # fmt: skip

    def region_call_check(self, to: str, from_: str) -> None:
        """Refuse a call the region's rules block, as Twilio does (400, 21216)."""
        rule = self.region.call_refusal(to, from_) if self.region else None
        if rule is not None:
            self.region_note(rule, to=to, from_=from_, error_code=21216)
            raise TwilioApiError(400, 21216, f"Account not allowed to call {to}")

    def _region_message(
        self, to: str, from_: str, body: str, media: list[str]
    ) -> tuple[str, list[str], bool]:
        """The region's SMS rules: a refused sender (400 21612), MMS sent as SMS with the
        URLs in the body, a shortened URL (filtered); returns (body, media, filtered)."""
        rg = self.region
        if rg is None or not rg.owns(to):
            return body, media, False
        rule = rg.sms_sender_refusal(to, from_)
        if rule is not None:
            self.region_note(rule, to=to, from_=from_, error_code=21612)
            raise TwilioApiError(
                400,
                21612,
                f"The 'To' phone number: {to}, is not currently reachable using the 'From' "
                f"phone number: {from_} via SMS.",
            )
        if media and rg.mms_as_sms_with_url:
            self.region_note(rg.rules["mms"], refused=False, to=to, media=media)
            body, media = "\n".join([body, *media]) if body else "\n".join(media), []
        filtered = rg.has_shortened_url(body)
        if filtered:
            self.region_note(rg.rules["shortened-url"], to=to, error_code=30007)
        return body, media, filtered

    # -- phones ---------------------------------------------------------------------------
    def script_for(self, number: str) -> PhoneScript:
        """The behaviour of the phone at ``number`` (the default: rings ~3 s, answers, silent)."""
        return self.scripts.get(number, DEFAULT_SCRIPT)

    # -- webhooks -------------------------------------------------------------------------
    def _signed(
        self, url: str, method: str, params: dict[str, str]
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        """URL, form body and headers of a request signed like Twilio
        (https://www.twilio.com/docs/usage/security#validating-requests)."""
        if method == "GET":
            if params:
                # %20 for spaces and ",:/;@" left as they are: the form in which a WSGI app
                # (werkzeug's request.url) rebuilds the URL, so the signed URL is the one seen
                query = urlencode(params, quote_via=quote, safe="!$'()*,/:;@")
                url = url + ("&" if "?" in url else "?") + query
            body: dict[str, str] = {}
        else:
            body = params
        headers = {
            "X-Twilio-Signature": self.validator.compute_signature(url, body),
            "User-Agent": "TwilioProxy/1.1",
            "Accept": "*/*",
            "I-Twilio-Idempotency-Token": self.sid("").lower()[:36],
        }
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        return url, body, headers

    def fetch(
        self,
        url: str,
        method: str,
        params: dict[str, str],
        *,
        purpose: str,
        subject: str | None = None,
        faults: list[str] | None = None,
        headers: dict[str, str] | None = None,
        signed: tuple[str, dict[str, str], dict[str, str]] | None = None,
    ) -> Response:
        """Send one signed webhook now and log it. Never call with the engine lock held."""
        full_url, body, hdrs = signed or self._signed(url, method, params)
        if headers:
            hdrs = {**hdrs, **headers}
        resp = self.transport.deliver(method, full_url, body, hdrs)
        self.record(
            "webhook",
            purpose=purpose,
            subject=subject,
            method=method,
            url=full_url,
            params=dict(params),
            signature=hdrs["X-Twilio-Signature"],
            status=resp.status,
            response=resp.body[:MAX_LOGGED_BODY],
            content_type=resp.content_type,
            elapsed_ms=resp.elapsed_ms,
            error=resp.error,
            faults=faults or [],
        )
        return resp

    def notify(
        self,
        kind: str,
        url: str | None,
        method: str,
        params: dict[str, str],
        subject: str,
        *,
        after: float = 0.0,
    ) -> None:
        """Queue an asynchronous status callback (``after`` seconds from now), subject to the
        configured delivery faults."""
        if not url:
            return
        decision = self.dice.decide(kind)
        signed = self._signed(url, method, params)  # one signature/token, even for a duplicate

        def send(labels: list[str]) -> Callable[[], None]:
            return lambda: self._deliver(url, method, params, kind, subject, labels, signed)

        decision.delay += after
        labels = decision.labels()
        if decision.drop:
            self.record(
                "webhook-dropped", purpose=kind, subject=subject, url=url, params=dict(params)
            )
            return
        # a reordered callback is overtaken by the next one about the same resource
        self._schedule_delivery(f"{url} {subject}", decision, send(labels), subject)
        if decision.duplicate:
            self.later(
                decision.delay + self.faults.duplicate_gap,
                send([*labels, "duplicate"]),
                key=subject,
            )

    def _schedule_delivery(
        self, key: str, decision: Decision, send: Callable[[], None], subject: str
    ) -> None:
        if decision.reorder:
            with self.lock:
                self._held.setdefault(key, []).append(send)
            # released after the next callback about the same resource, or after 30 s
            self.later(30.0 + decision.delay, lambda: self._release(key, send), key=subject)
            return
        held: list[Callable[[], None]] = []
        with self.lock:
            if key in self._held:
                held = self._held.pop(key)
        self.later(decision.delay, send, key=subject)
        for h in held:
            self.later(decision.delay, h, key=subject)

    def _release(self, key: str, send: Callable[[], None]) -> None:
        with self.lock:
            pending = self._held.get(key, [])
            if send not in pending:
                return
            pending.remove(send)
            if not pending:
                self._held.pop(key, None)
        send()

    def _deliver(
        self,
        url: str,
        method: str,
        params: dict[str, str],
        kind: str,
        subject: str,
        labels: list[str],
        signed: tuple[str, dict[str, str], dict[str, str]],
    ) -> None:
        resp = self.fetch(
            url, method, params, purpose=kind, subject=subject, faults=labels, signed=signed
        )
        if not resp.ok:  # Twilio's Debugger logs failed callbacks too; they are not retried
            self.debugger(11200, f"HTTP retrieval failure: {resp.error or resp.status}",
                          level="WARNING", url=url, subject=subject, purpose=kind)  # fmt: skip

    def timeline(self) -> list[dict[str, Any]]:
        """A copy of every recorded event, oldest first."""
        with self.lock:
            return [dict(e) for e in self._timeline]
