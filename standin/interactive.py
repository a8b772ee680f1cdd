"""Phones driven by a person in a browser (``/_standin/phone``) instead of a ``PhoneScript``.

A browser phone behaves as a real one: an outbound call to it rings until the person
answers or declines (or the call's Timeout runs out: no-answer); a <Gather> waits for the
keys the person presses and times out when none come (its timeout starts when the prompt
ends, the prompt lasting ``PhoneBoard.pace`` times the engine's estimate, since the browser
speaks it); a <Record> waits for the audio the browser uploads (WAV), which is then served
as the recording's media. Every call the page shows also yields events for it: what is said
and played, the Gather or Record in progress, the call's progress and conference joins.
"""

from __future__ import annotations

import io
import wave
from typing import Any

from standin.phone_board import PhoneBoard
from standin.phones import PhoneScript
from standin.resources import Call
from standin.twiml import Verb, resolve, verb_seconds
from standin.twiml_runner import BEEP_SECONDS, RunnerMixin
from standin.util import truthy

#: How a browser phone behaves: rings until picked up by hand, presses only what the person
#: presses, says nothing at a <Record> unless the browser sends audio.
INTERACTIVE_SCRIPT = PhoneScript(answer_after=0.0, outcome="manual", digits=[], speech=[])


def wav_seconds(audio: bytes) -> float:
    """The length of a WAV file in seconds (ValueError when it is not one)."""
    try:
        with wave.open(io.BytesIO(audio), "rb") as wav:
            return wav.getnframes() / float(wav.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError) as exc:
        raise ValueError(f"the recording is not a WAV file: {exc}") from exc


class InteractiveMixin(RunnerMixin):
    """Browser phones in the engine; the events the phone page reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.board = PhoneBoard()
        super().__init__(*args, **kwargs)

    # -- which phones the browser drives --------------------------------------------------
    def script_for(self, number: str) -> PhoneScript:
        if number in self.board.browser_phones:
            return INTERACTIVE_SCRIPT
        return super().script_for(number)

    def start_outbound(self, call: Call) -> None:
        board = self.board
        if board.active:
            if call.to not in board.own:
                mine = board.staff == "all" or (
                    board.staff == "unscripted" and call.to not in self.scripts
                )
                if mine:
                    board.browser_phones.add(call.to)
                else:
                    board.browser_phones.discard(call.to)
            board.shown.add(call.sid)
            self._show(call, "call", event="dialling", status=call.status)
        super().start_outbound(call)

    def browser_dial(self, from_: str, to: str) -> str:
        """The browser's phone at ``from_`` calls ``to`` (one of our numbers)."""
        with self.lock:
            self.board.active = True
            self.board.own.add(from_)
            self.board.browser_phones.add(from_)
            sid = self.dial_in(from_, to)  # type: ignore[attr-defined]  # Engine's
            self.board.shown.add(sid)
            self._show(self.calls[sid], "call", event="dialling", status="ringing")
            return sid

    def browser_recording(self, sid: str, audio: bytes, key: str | None = None) -> str | None:
        """The browser's audio for the <Record> running on ``sid``; returns the RecordingSid
        (None when it was too short to be a recording: Twilio's empty recording)."""
        seconds = wav_seconds(audio)
        with self.lock:
            call = self.calls.get(sid)
            waiting = call.waiting if call is not None else None
            if call is None or call.final or not waiting or waiting["kind"] != "record":
                raise ValueError(f"no <Record> is running on call {sid}")
            verb: Verb = waiting["verb"]
            seconds = min(seconds, verb.number("maxLength", 3600))
            waiting["spoken"] = seconds
            waiting["started"] = min(waiting["started"], self.clock.seconds() - seconds)
            before = next(reversed(self.recordings), None)
            call.gen += 1
            self._record_finished(call, key=key or None)
            made = next(reversed(self.recordings), None)
            if made is None or made == before:
                self._show(call, "record-done", recording_sid=None, seconds=seconds)
                return None
            self.board.audio[made] = audio
            self._show(call, "record-done", recording_sid=made, seconds=seconds)
            return made

    # -- events for the page --------------------------------------------------------------
    def _show(self, call: Call, kind: str, **fields: Any) -> None:
        board = self.board
        if call.sid not in board.shown:
            return
        phone = self.far_end(call)
        board.emit(
            call.sid,
            phone,
            kind,
            direction=call.direction,
            label=board.labels.get(phone, ""),
            line=call.to if call.direction == "inbound" else call.from_,
            **fields,
        )

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        entry = super().record(kind, **fields)
        board = self.board
        if board.active and kind in ("call", "participant") and fields.get("sid") in board.shown:
            call = self.calls.get(str(fields["sid"]))
            if call is not None and kind == "call":
                self._show(call, "call", event=fields.get("event"), status=call.status)
            elif call is not None and fields.get("event") in ("join", "leave"):
                conf = self.conferences.get(str(fields.get("conference_sid")))
                self._show(
                    call,
                    "conference",
                    event=fields["event"],
                    conference_sid=fields.get("conference_sid"),
                    name=conf.friendly_name if conf else "",
                    role=fields.get("label") or "",
                )
        return entry

    def _show_prompt(self, call: Call, verb: Verb) -> None:
        if verb.name == "Say":
            loop = int(verb.number("loop", 1)) or 1
            self._show(call, "say", text=" ".join(verb.text.split()), loop=loop,
                       language=verb.attr("language") or "en-US")  # fmt: skip
        elif verb.name == "Play" and verb.attr("digits"):
            self._show(call, "play-digits", digits=verb.attr("digits"))
        elif verb.name == "Play" and verb.text.strip():
            url = resolve(call.doc_url, verb.text.strip()) or verb.text.strip()
            self._show(call, "play", url=url)

    def _pace(self, call: Call) -> float:
        return self.board.pace if self.far_end(call) in self.board.browser_phones else 1.0

    # -- verbs ----------------------------------------------------------------------------
    def _verb_say(self, call: Call, verb: Verb) -> bool:
        self._show_prompt(call, verb)
        self._after(call, verb_seconds(verb) * self._pace(call))
        return True

    def _verb_play(self, call: Call, verb: Verb) -> bool:
        self._show_prompt(call, verb)
        return super()._verb_play(call, verb)

    def _verb_gather(self, call: Call, verb: Verb) -> bool:
        for child in verb.children:
            self._show_prompt(call, child)
        self._show(
            call,
            "gather",
            num_digits=int(verb.number("numDigits", 0)) or None,
            finish_on_key=verb.attr("finishOnKey", "#"),
            timeout=verb.number("timeout", 5),
        )
        return super()._verb_gather(call, verb)

    def _listen(self, call: Call, verb: Verb, prompt: float) -> bool:
        return super()._listen(call, verb, prompt * self._pace(call))

    def _verb_dial(self, call: Call, verb: Verb) -> bool:
        nouns = [f"{child.name} {child.text.strip()}".strip() for child in verb.children]
        self._show(call, "dial", to=nouns or [verb.text.strip()])
        return super()._verb_dial(call, verb)

    def _verb_record(self, call: Call, verb: Verb) -> bool:
        max_length = verb.number("maxLength", 3600)
        self._show(call, "record", max_length=max_length, timeout=verb.number("timeout", 5),
                   finish_on_key=verb.attr("finishOnKey", "1234567890*#"))  # fmt: skip
        if self.far_end(call) not in self.board.browser_phones:
            return super()._verb_record(call, verb)
        # The person speaks for as long as they like (up to maxLength): wait for the audio.
        beep = BEEP_SECONDS if truthy(verb.attr("playBeep"), True) else 0.0
        call.record_index += 1
        started = self.clock.seconds() + beep
        call.waiting = {"kind": "record", "verb": verb, "started": started, "spoken": 0.0}
        sid, token = call.sid, call.gen
        wait = beep + max_length + verb.number("timeout", 5)
        self.later(wait, lambda: self._record_timeout(sid, token))
        return True

    def press_keys(self, call: Call, keys: str) -> None:
        self._show(call, "keys", keys=keys)
        super().press_keys(call, keys)
