"""``StandIn``: the stand-in as tests and the demo use it (engine + clock + REST server)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from standin.account_api import DialingPermissions
from standin.clock import RealClock, VirtualClock
from standin.engine import Engine
from standin.faults import Faults
from standin.faults_rest import RestFaults
from standin.phones import PhoneScript
from standin.regions import Region
from standin.rest import RestServer, make_rest_app
from standin.transport import Transport


class _View(Mapping[str, dict[str, Any]]):
    """A read-only view of engine resources as Twilio JSON."""

    def __init__(self, engine: Engine, attr: str, render: Any) -> None:
        self._engine, self._attr, self._render = engine, attr, render

    def _store(self) -> dict[str, Any]:
        store: dict[str, Any] = getattr(self._engine, self._attr)
        return store

    def __getitem__(self, sid: str) -> dict[str, Any]:
        with self._engine.lock:
            return dict(self._render(self._store()[sid]))

    def __iter__(self) -> Iterator[str]:
        with self._engine.lock:
            return iter(list(self._store()))

    def __len__(self) -> int:
        return len(self._store())


class StandIn:
    """A local Twilio for tests and the demo.

    Example::

        si = StandIn(account_sid, auth_token, clock=VirtualClock(), seed=1,
                     transport=WsgiTransport(flask_app))
        si.add_number("+916456222333", voice_url="http://sampark.test/ivr/answer")
        si.script("+919431012345", PhoneScript(digits=["1"]))
        sid = si.dial_in(from_="+919431012345", to="+916456222333")
        si.run_until_idle()
        si.timeline()
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
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
        self.auth_token = auth_token
        self.seed = seed
        self.rest_faults: Any = None
        self.clock: VirtualClock | RealClock = clock if clock is not None else VirtualClock()
        self.engine = Engine(
            account_sid,
            auth_token,
            clock=self.clock,
            seed=seed,
            transport=transport,
            faults=faults,
            strict_caller_id=strict_caller_id,
            max_timeline=max_timeline,
            cps=cps,
            region=region,
        )
        self.calls = _View(self.engine, "calls", lambda c: c.to_json())
        self.conferences = _View(self.engine, "conferences", lambda c: c.to_json())
        self.messages = _View(self.engine, "messages", lambda m: m.to_json())
        self.recordings = _View(
            self.engine, "recordings", lambda r: r.to_json(self.engine.api_base_url)
        )
        self._server: Any = None
        self.base_url: str | None = None
        #: voice dialing permissions per country (``standin/account_api.py``)
        self.dialing = DialingPermissions()

    # -- configuration --------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """The live webhook fault settings (mutate to change them mid-run)."""
        return self.engine.faults

    @property
    def webhook_faults(self) -> Faults:
        """The same settings, under the name the control API (``/_standin/faults/webhooks``)
        uses."""
        return self.engine.faults

    def add_number(
        self,
        number: str,
        voice_url: str | None = None,
        voice_method: str = "POST",
        status_callback: str | None = None,
        sms_url: str | None = None,
        **more: Any,
    ) -> str:
        """Give the account a number; returns its PN SID."""
        pn = self.engine.add_number(
            number,
            voice_url=voice_url,
            voice_method=voice_method.upper(),
            status_callback=status_callback,
            sms_url=sms_url,
            **more,
        )
        return str(pn["sid"])

    @property
    def region(self) -> Region | None:
        """The country rules applied (``standin/regions.py``), or None."""
        return self.engine.region

    def region_refusals(self) -> dict[str, int]:
        """Requests the region's rules refused so far, by rule key (``{}``: none, or no
        region): calls blocked (21216, 32224), SMS senders refused (21612), numbers kept
        off the account, dial-ins that never reach Twilio, inbound SMS dropped, messages
        filtered. The same count whatever the timeline has dropped."""
        with self.engine.lock:
            return dict(self.engine.region_refused)

    def label_phones(self, labels: Mapping[str, str]) -> None:
        """Names the browser phone page (``/_standin/phone``) shows for these numbers."""
        with self.engine.lock:
            self.engine.board.labels.update(labels)

    def script(self, number: str, script: PhoneScript) -> None:
        """How the phone at ``number`` behaves."""
        self.engine.set_script(number, script)

    # -- REST server ----------------------------------------------------------------------
    def start(
        self, port: int = 0, host: str = "127.0.0.1", *, control_from_anywhere: bool = False
    ) -> str:
        """Serve Twilio's REST API on ``host:port`` (0 = a free port) in a thread.

        ``/_standin/`` answers loopback clients only unless ``control_from_anywhere``.

        REST faults (5xx, 429, timeouts) are seeded from this stand-in's seed, so a
        run is reproducible; set them live through ``rest_faults`` or ``/_standin/faults/rest``.
        """
        if self._server is not None:
            return str(self.base_url)
        self.rest_faults = RestFaults(seed=self.seed)
        app = make_rest_app(
            self.engine,
            self.account_sid,
            self.auth_token,
            self.rest_faults,
            control=self,
            control_from_anywhere=control_from_anywhere,
        )
        self._server = RestServer(app, host=host, port=port)
        self.base_url = self._server.start()
        self.engine.api_base_url = self.base_url
        self.clock.start()
        return self.base_url

    def stop(self) -> None:
        """Stop the REST server and the real clock's thread."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.clock.stop()

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- time -----------------------------------------------------------------------------
    def run_until_idle(self, max_virtual_seconds: float = 3600.0) -> int:
        """Run every due event (virtual clock: instantly); returns how many ran."""
        return self.clock.run_until_idle(max_virtual_seconds)

    def advance(self, seconds: float) -> int:
        """Move the clock ``seconds`` on, running what falls due."""
        return self.clock.advance(seconds)

    def now(self) -> datetime:
        """The stand-in's current time (aware UTC)."""
        return self.clock.now()

    # -- phones by hand -------------------------------------------------------------------
    def dial_in(self, from_: str, to: str, forwarded_from: str | None = None) -> str:
        """A phone calls one of our numbers; returns the CallSid."""
        return self.engine.dial_in(from_, to, forwarded_from=forwarded_from)

    def press(self, call_sid: str, digits: str) -> None:
        """Press keys on the phone of ``call_sid`` (kept for the next Gather if none runs)."""
        self.engine.press(call_sid, digits)

    def hangup(self, call_sid: str) -> None:
        """The phone of ``call_sid`` hangs up."""
        self.engine.hangup(call_sid)

    def answer(self, call_sid: str) -> None:
        """Pick up a ringing outbound leg (phones scripted with outcome="manual")."""
        self.engine.answer_call(call_sid)

    def send_sms_from(self, from_: str, to: str, body: str) -> str:
        """A phone texts one of our numbers; returns the MessageSid."""
        return self.engine.receive_sms(from_, to, body)

    def inbox(self, number: str) -> list[dict[str, str]]:
        """SMS received by the phone at ``number``."""
        return self.engine.inbox(number)

    # -- inspection -----------------------------------------------------------------------
    def timeline(self) -> list[dict[str, Any]]:
        """Every call, conference, participant, message and webhook, in order."""
        return self.engine.timeline()

    def webhooks(
        self, purpose: str | None = None, subject: str | None = None
    ) -> list[dict[str, Any]]:
        """The webhook requests sent (optionally only one purpose / one subject SID)."""
        return [
            e
            for e in self.timeline()
            if e["kind"] == "webhook"
            and (purpose is None or e["purpose"] == purpose)
            and (subject is None or e["subject"] == subject)
        ]

    def story(self, sid: str | None = None) -> str:
        """The timeline as readable lines (only entries about ``sid`` when given), for a
        person debugging a flow: ``print(si.story(call_sid))``."""
        lines = []
        for e in self.timeline():
            about = {e.get("sid"), e.get("subject"), e.get("call_sid"), e.get("conference_sid")}
            if sid is not None and sid not in about:
                continue
            kind = e["kind"]
            if kind == "webhook":
                params = e["params"]
                keys = (
                    "CallStatus",
                    "Digits",
                    "SpeechResult",
                    "RecordingDuration",
                    "DialCallStatus",
                    "StatusCallbackEvent",
                    "MessageStatus",
                    "ErrorCode",
                )
                shown = " ".join(f"{k}={params[k]}" for k in keys if k in params)  # fmt: skip
                what = f"{e['purpose']} {e['method']} {e['url']} {shown} -> {e['status']}"
                if e.get("faults"):
                    what += f" [{', '.join(e['faults'])}]"
                response = " ".join(str(e.get("response") or "").split())
                if response.startswith("<?xml") or response.startswith("<Response"):
                    what += f"\n{'':>10}{response[:300]}"
            elif kind == "verb":
                what = f"{e['sid'][:8]}.. {e['verb']}"
            elif kind == "debugger":
                what = f"{e['level']} {e['error_code']}: {e['message']}"
            else:
                rest = {k: v for k, v in e.items() if k not in ("seq", "at", "time", "kind")}
                what = " ".join(f"{k}={v}" for k, v in rest.items())
            lines.append(f"{e['at']:>8.1f}s {kind:<12} {what}")
        return "\n".join(lines)

    def errors(self) -> list[dict[str, Any]]:
        """Debugger entries (11200, 12100, 12200 ...) and engine errors."""
        return [e for e in self.timeline() if e["kind"] in ("debugger", "engine-error")]

    def conference_named(self, friendly_name: str) -> dict[str, Any] | None:
        """The latest conference with this friendly name (Twilio JSON), or None."""
        with self.engine.lock:
            found = [c for c in self.engine.conferences.values()
                     if c.friendly_name == friendly_name]  # fmt: skip
            return found[-1].to_json() if found else None

    def participants(self, conference_sid: str) -> list[dict[str, Any]]:
        """Who is in (or being dialled into) a conference now, as Participant JSON."""
        with self.engine.lock:
            conf = self.engine.conferences.get(conference_sid)
            return [p.to_json() for p in conf.participants.values()] if conf else []

    def calls_to(self, number: str) -> list[dict[str, Any]]:
        """Calls placed to ``number``, oldest first."""
        with self.engine.lock:
            return [c.to_json() for c in self.engine.calls.values() if c.to == number]
