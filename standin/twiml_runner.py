"""Running a call's TwiML: fetch the document, then Say/Play/Pause/Gather/Record/Redirect/
Hangup/Reject verb by verb, in (virtual) time.

Every continuation carries the call's ``gen`` token; anything that takes the call elsewhere
(a REST redirect, a hang-up, a key press ending a Gather) bumps ``gen`` so stale timers die.
"""

from __future__ import annotations

from typing import Any

from standin.play import GATHER_PLAY_FAILED, PLAY_FAILED, PlayMixin
from standin.resources import Call
from standin.transport import Response
from standin.twiml import TwimlError, Verb, collect_keys, method_of, parse, resolve, verb_seconds
from standin.util import as_list, truthy, words_seconds

BEEP_SECONDS = 0.5
THINK_SECONDS = 1.0  # a caller starts pressing keys this long after the prompt
KEY_SECONDS = 0.3
# What a caller hears when Twilio cannot get or read the TwiML
# (https://www.twilio.com/docs/api/errors/11200, https://www.twilio.com/docs/api/errors/12100).
LOOP_FETCHES, LOOP_WINDOW = 200, 10.0
APP_ERROR_SAY = "We are sorry, an application error has occurred. Goodbye."


class RunnerMixin(PlayMixin):
    """Fetching and executing TwiML."""

    # provided by the other mixins
    def _verb_dial(self, call: Call, verb: Verb) -> bool:  # pragma: no cover
        raise NotImplementedError

    # -- documents ------------------------------------------------------------------------
    def _start_twiml(self, call: Call) -> None:
        """Run the call's TwiML: inline ``Twiml`` or a fetch of its ``Url``."""
        call.gen += 1
        if call.twiml:
            self._load_text(call, call.twiml, call.url, "inline")
            return
        if call.url:
            self.schedule_fetch(call, call.url, call.method, {}, "twiml")

    def schedule_fetch(
        self, call: Call, url: str, method: str, extra: dict[str, str], purpose: str
    ) -> None:
        """Fetch ``url`` for ``call`` as the next step and run what comes back."""
        token = call.gen
        self.later(
            0.0, lambda: self._run_url(call.sid, token, url, method, extra, purpose), key=call.sid
        )

    def _run_url(
        self, sid: str, token: int, url: str, method: str, extra: dict[str, str], purpose: str
    ) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is None:
                return
            if self._looping(call):
                return
            call.gen += 1
            token = call.gen
            params = {**self.call_params(call), **extra}
        resp = self.fetch(url, method, params, purpose=purpose, subject=sid)  # lock released
        with self.lock:
            call = self._live(sid, token)
            if call is None:
                self.record("webhook-ignored", subject=sid, url=url, reason="call moved on")
                return
            if not resp.ok:
                self._fetch_failed(call, url, method, resp, purpose)
                return
            self._load_text(call, resp.body, url, purpose)

    def _looping(self, call: Call) -> bool:
        """A document that redirects to itself without spending time would spin a virtual
        clock forever (on Twilio it costs network time): stop the call after
        LOOP_FETCHES requests within LOOP_WINDOW seconds."""
        now = self.clock.seconds()
        recent = [t for t in call.fetch_times if now - t < LOOP_WINDOW]
        recent.append(now)
        call.fetch_times = recent
        if len(recent) <= LOOP_FETCHES:
            return False
        self.record("engine-error", sid=call.sid, error=f"{len(recent)} TwiML requests in "
                    f"{LOOP_WINDOW:g} s: a <Redirect> loop? the call is ended")  # fmt: skip
        self.end_call(call, "completed")
        return True

    def _fetch_failed(
        self, call: Call, url: str, method: str, resp: Response, purpose: str
    ) -> None:
        reason = resp.error or f"HTTP {resp.status}"
        self.debugger(11200, f"HTTP retrieval failure: {reason}", call_sid=call.sid, url=url)
        if purpose == "twiml" and call.fallback_url and url != call.fallback_url:
            # https://www.twilio.com/docs/usage/webhooks/voice-webhooks (fallback URL)
            extra = {"ErrorCode": "11200", "ErrorUrl": url}
            self.schedule_fetch(call, call.fallback_url, call.fallback_method, extra, "fallback")
            return
        self._app_error(call)

    def _load_text(self, call: Call, body: str, url: str | None, purpose: str) -> None:
        try:
            doc = parse(body)
        except TwimlError as exc:
            self.debugger(exc.code, exc.message, call_sid=call.sid, url=url, purpose=purpose)
            self._app_error(call)
            return
        for warning in doc.warnings:
            self.debugger(12200, warning, level="WARNING", call_sid=call.sid, url=url)
        self._run_program(call, doc.verbs, url)

    def _app_error(self, call: Call) -> None:
        """The caller hears Twilio's application error message, then the call ends."""
        self._run_program(call, [Verb("Say", {}, APP_ERROR_SAY), Verb("Hangup", {})], call.doc_url)

    def _run_program(self, call: Call, verbs: list[Verb], url: str | None) -> None:
        call.program, call.pc, call.doc_url = verbs, 0, url or call.doc_url
        call.gen += 1
        self._exec_next(call)

    # -- stepping -------------------------------------------------------------------------
    def _after(self, call: Call, seconds: float) -> None:
        """Continue with the next verb after ``seconds``."""
        token = call.gen
        self.later(seconds, lambda: self._step(call.sid, token), key=call.sid)

    def _step(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is not None:
                self._exec_next(call)

    def far_end(self, call: Call) -> str:
        """The number of the person on the other end of our TwiML."""
        return call.from_ if call.direction == "inbound" else call.to

    def _exec_next(self, call: Call) -> None:
        while not call.final:
            if call.pc >= len(call.program):
                # Twilio hangs up when the document runs out of verbs.
                self.record("call", sid=call.sid, event="twiml-ended")
                self.end_call(call, "completed")
                return
            verb = call.program[call.pc]
            call.pc += 1
            call.steps += 1
            script = self.script_for(self.far_end(call))
            if script.hangup_at_step is not None and call.steps >= script.hangup_at_step:
                self.record("phone", sid=call.sid, event="hangup", step=call.steps)
                self.end_call(call, "completed", hangup_by_phone=True)
                return
            # Twilio answers an inbound call on its first verb other than <Reject>; a leading
            # <Pause> delays the answer (https://www.twilio.com/docs/voice/twiml/pause).
            ringing = call.status == "ringing" and call.direction == "inbound"
            if ringing and verb.name not in ("Reject", "Pause"):
                self._answer_inbound(call)
            self.record("verb", sid=call.sid, step=call.steps, verb=verb.describe())
            handler = getattr(self, f"_verb_{verb.name.lower()}", None)
            if handler is None:
                self.debugger(12200, f"<{verb.name}> is not simulated; skipped",
                              level="WARNING", call_sid=call.sid)  # fmt: skip
                continue
            if handler(call, verb):
                return

    def _answer_inbound(self, call: Call) -> None:
        """Twilio answers an inbound call when it runs its first verb (other than <Reject>)."""
        call.status = "in-progress"
        call.answered_at = call.date_updated = self.clock.now()
        self.status_callback(call, "answered")
        self._schedule_phone_hangup(call)

    # -- simple verbs ---------------------------------------------------------------------
    def _verb_say(self, call: Call, verb: Verb) -> bool:
        self._after(call, verb_seconds(verb))
        return True

    _verb_pause = _verb_say

    # -- Play: the file is fetched first, like Twilio ---------------------------------------
    def _verb_play(self, call: Call, verb: Verb) -> bool:
        url = self._media_url(call, verb)
        if url is None:
            return self._verb_say(call, verb)
        sid, token = call.sid, call.gen

        def fetched() -> None:
            played = self._fetch_media(sid, url, PLAY_FAILED)
            with self.lock:
                live = self._live(sid, token)
                if live is None:
                    return
                if played:
                    self._after(live, verb_seconds(verb))
                else:
                    self.record("play", sid=sid, url=url, result="not played")
                    self._exec_next(live)

        self.later(0.0, fetched, key=sid)
        return True

    def _verb_hangup(self, call: Call, verb: Verb) -> bool:
        self.end_call(call, "completed")
        return True

    def _verb_reject(self, call: Call, verb: Verb) -> bool:
        # https://www.twilio.com/docs/voice/twiml/reject: the call is not answered (not billed).
        if call.status == "in-progress":
            self.end_call(call, "completed")
        else:
            busy = (verb.attr("reason") or "rejected") == "busy"
            self.end_call(call, "busy" if busy else "no-answer")
        return True

    def _verb_redirect(self, call: Call, verb: Verb) -> bool:
        url = resolve(call.doc_url, verb.text.strip())
        if not url:
            self.debugger(12200, "<Redirect> without a URL", level="WARNING", call_sid=call.sid)
            return False
        self.schedule_fetch(call, url, method_of(verb), {}, "redirect")
        return True

    # -- Gather (https://www.twilio.com/docs/voice/twiml/gather) --------------------------
    def _verb_gather(self, call: Call, verb: Verb) -> bool:
        """Fetch the files of its <Play>s first (Twilio does), then listen."""
        media = [(i, self._media_url(call, child)) for i, child in enumerate(verb.children)]
        media = [(i, url) for i, url in media if url and verb.children[i].name == "Play"]
        if not media:
            return self._listen(call, verb, sum(verb_seconds(c) for c in verb.children))
        sid, token = call.sid, call.gen

        def fetched() -> None:
            failed = {
                i for i, url in media if not self._fetch_media(sid, str(url), GATHER_PLAY_FAILED)
            }
            with self.lock:
                live = self._live(sid, token)
                if live is not None:
                    kept = [c for i, c in enumerate(verb.children) if i not in failed]
                    self._listen(live, verb, sum(verb_seconds(c) for c in kept))

        self.later(0.0, fetched, key=sid)
        return True

    def _listen(self, call: Call, verb: Verb, prompt: float) -> bool:
        """The Gather proper: its prompt lasts ``prompt`` seconds, then keys or silence."""
        modes = as_list(verb.attr("input") or "dtmf")
        timeout = verb.number("timeout", 5)
        index = call.gather_index
        call.gather_index += 1
        script = self.script_for(self.far_end(call))
        call.waiting = {
            "kind": "gather",
            "verb": verb,
            "finish": verb.attr("finishOnKey", "#") or "",
            "num": int(verb.number("numDigits", 0)) or None,
            "timeout": timeout,
            "buffer": "",
        }
        token = call.gen
        sid = call.sid
        keys = None
        if "dtmf" in modes:
            if call.typeahead:
                keys, call.typeahead = call.typeahead, ""
            else:
                keys = script.digits_at(index)
        speech = script.speech_at(index) if "speech" in modes and not keys else None
        if keys:
            digits, key, ended = collect_keys(keys, call.waiting["finish"], call.waiting["num"])
            delay = prompt + THINK_SECONDS + KEY_SECONDS * len(keys) + (0 if ended else timeout)
            result: dict[str, str] | None = {"Digits": digits, "FinishedOnKey": key or ""}
            if not digits:
                result = None
            self.later(delay, lambda: self._gather_done(sid, token, result))
        elif speech:
            delay = prompt + THINK_SECONDS + words_seconds(speech) + 1.0
            said = {"SpeechResult": speech, "Confidence": "0.9134"}
            self.later(delay, lambda: self._gather_done(sid, token, said))
        else:
            self.later(prompt + timeout, lambda: self._gather_done(sid, token, None))
        return True

    def _gather_done(self, sid: str, token: int, result: dict[str, str] | None) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is None or not call.waiting or call.waiting["kind"] != "gather":
                return
            verb: Verb = call.waiting["verb"]
            call.waiting = None
            call.gen += 1
            if result is None:
                self.record("gather", sid=sid, result="no input")
                if not truthy(verb.attr("actionOnEmptyResult")):
                    self._exec_next(call)  # Twilio falls through to the next verb
                    return
                result = {"Digits": ""} if "dtmf" in as_list(verb.attr("input") or "dtmf") else {}
            else:
                self.record("gather", sid=sid, result=result)
            action = resolve(call.doc_url, verb.attr("action"))
            if action:
                self.schedule_fetch(call, action, method_of(verb), result, "gather-action")
            else:
                self._exec_next(call)

    def press_keys(self, call: Call, keys: str) -> None:
        """Keys pressed by hand: they feed the Gather or Record in progress, or wait for the
        next Gather (the stand-in keeps early key presses; a convenience for tests)."""
        waiting = call.waiting
        self.record("phone", sid=call.sid, event="press", keys=keys)
        if waiting and waiting["kind"] == "gather":
            waiting["buffer"] += keys
            digits, key, ended = collect_keys(waiting["buffer"], waiting["finish"], waiting["num"])
            call.gen += 1
            token = call.gen
            result = {"Digits": digits, "FinishedOnKey": key or ""} if digits else None
            delay = 0.0 if ended else waiting["timeout"]
            self.later(delay, lambda: self._gather_done(call.sid, token, result), key=call.sid)
        elif waiting and waiting["kind"] == "record":
            finish = waiting["verb"].attr("finishOnKey", "1234567890*#") or ""
            if keys and keys[0] in finish:
                call.gen += 1
                self._record_finished(call, key=keys[0])
        else:
            call.typeahead += keys

    # -- Record (https://www.twilio.com/docs/voice/twiml/record) --------------------------
    def _verb_record(self, call: Call, verb: Verb) -> bool:
        beep = BEEP_SECONDS if truthy(verb.attr("playBeep"), True) else 0.0
        timeout = verb.number("timeout", 5)
        max_length = verb.number("maxLength", 3600)
        spoken = min(self.script_for(self.far_end(call)).record_at(call.record_index), max_length)
        call.record_index += 1
        started = self.clock.seconds() + beep
        call.waiting = {"kind": "record", "verb": verb, "started": started, "spoken": spoken}
        token, sid = call.gen, call.sid
        total = beep + (spoken + timeout if spoken else timeout)
        if spoken >= max_length:
            total = beep + max_length
        self.later(total, lambda: self._record_timeout(sid, token))
        return True

    def _record_timeout(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is not None and call.waiting and call.waiting["kind"] == "record":
                call.gen += 1
                self._record_finished(call)

    def _record_finished(self, call: Call, *, key: str | None = None, hangup: bool = False) -> None:
        waiting = call.waiting or {}
        call.waiting = None
        verb: Verb = waiting["verb"]
        elapsed = max(0.0, self.clock.seconds() - waiting["started"])
        seconds = min(waiting["spoken"], elapsed)
        if seconds < 1:
            # "if Twilio receives an empty recording, it will not make a request to the
            # action URL" — the call continues with the next verb.
            self.record("record", sid=call.sid, result="empty recording")
            if not hangup:
                self._exec_next(call)
            return
        rec = self.add_recording(
            call_sid=call.sid, conference_sid=None, start=self.clock.now(),
            duration=seconds, source="RecordVerb",
        )  # fmt: skip
        self.recording_callback(
            rec, resolve(call.doc_url, verb.attr("recordingStatusCallback"))
            if verb.attr("recordingStatusCallback") else None,
            method_of(verb, "recordingStatusCallbackMethod"),
        )  # fmt: skip
        extra = {
            "RecordingUrl": self.recording_url(rec),
            "RecordingSid": rec.sid,
            "RecordingDuration": str(rec.duration),
        }
        if hangup or key:  # the key that ended the recording, or "hangup"
            extra["Digits"] = "hangup" if hangup else str(key)
        action = resolve(call.doc_url, verb.attr("action"))
        if hangup:
            if action:
                self.fire_and_forget(call, action, method_of(verb), extra, "record-action")
            return
        if action:
            self.schedule_fetch(call, action, method_of(verb), extra, "record-action")
        else:
            self._exec_next(call)

    def fire_and_forget(
        self, call: Call, url: str, method: str, extra: dict[str, str], purpose: str
    ) -> None:
        """A request made after the caller hung up: its TwiML response is ignored."""
        params = {**self.call_params(call), **extra}
        self.later(0.0, lambda: self._ignore(url, method, params, purpose, call.sid))

    def _ignore(self, url: str, method: str, params: dict[str, str], purpose: str, sid: str) -> Any:
        return self.fetch(url, method, params, purpose=purpose + " (after hangup)", subject=sid)
