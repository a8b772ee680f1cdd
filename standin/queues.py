"""Call queues: <Enqueue> puts a caller on hold in a named queue; <Dial><Queue> from another
call bridges it with the caller at the front.

https://www.twilio.com/docs/voice/twiml/enqueue: the waitUrl TwiML (Play, Say, Pause, Hangup,
Redirect, Leave) loops with QueuePosition, QueueSid, QueueTime, AvgQueueTime and
CurrentQueueSize; when the caller leaves the queue the action URL gets QueueResult (bridged,
leave, hangup ...) and QueueTime. https://www.twilio.com/docs/voice/twiml/queue: the dialling
call is bridged with the first caller; its Dial action gets DialCallStatus/DialCallSid.
"""

from __future__ import annotations

from typing import Any

from standin.dial import DialMixin
from standin.resources import Call
from standin.twiml import TwimlError, Verb, method_of, parse, resolve, verb_seconds

QUEUE_WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Redirect", "Leave", "Hangup"})


class QueueMixin(DialMixin):
    """<Enqueue> and <Dial><Queue>."""

    def _queue(self, name: str) -> tuple[str, list[str]]:
        if name not in self.queues:
            self.queues[name] = (self.sid("QU"), [])
        return self.queues[name]

    def _verb_enqueue(self, call: Call, verb: Verb) -> bool:
        name = verb.text.strip()
        _, members = self._queue(name)
        members.append(call.sid)
        call.waiting = {"kind": "queue", "verb": verb, "queue": name,
                        "since": self.clock.seconds()}  # fmt: skip
        self.record("queue", sid=call.sid, event="enqueued", queue=name, position=len(members))
        wait = verb.attr("waitUrl")
        if wait:
            url = resolve(call.doc_url, wait) or wait
            method = method_of(verb, "waitUrlMethod")
            token = call.gen
            self.later(0.0, lambda: self._queue_music(call.sid, token, url, method), key=call.sid)
        self._bridge_waiting_agent(name)
        return True

    def _queue_music(self, sid: str, token: int, url: str, method: str) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call is None or not call.waiting or call.waiting["kind"] != "queue":
                return
            name = call.waiting["queue"]
            qsid, members = self._queue(name)
            waited = int(self.clock.seconds() - call.waiting["since"])
            params = {**self.call_params(call), "QueueSid": qsid, "QueueTime": str(waited),
                      "QueuePosition": str(members.index(sid) + 1), "AvgQueueTime": "0",
                      "CurrentQueueSize": str(len(members)), "MaxQueueSize": "100"}  # fmt: skip
        resp = self.fetch(url, method, params, purpose="queue-wait-url", subject=sid)
        verbs: list[Verb] = []
        if resp.ok:
            try:
                verbs = parse(resp.body, allowed=QUEUE_WAIT_VERBS).verbs
            except TwimlError as exc:
                self.debugger(exc.code, exc.message, call_sid=sid, url=url)
        with self.lock:
            call = self._live(sid, token)
            if call is None or not call.waiting or call.waiting["kind"] != "queue":
                return
            if any(v.name == "Leave" for v in verbs):
                self._leave_queue(call, "leave")
                return
            if any(v.name == "Hangup" for v in verbs):
                self.end_call(call, "completed")
                return
            seconds = max(sum(verb_seconds(v) for v in verbs), 5.0)
            self.later(seconds, lambda: self._queue_music(sid, token, url, method), key=sid)

    def _leave_queue(self, call: Call, result: str, **extra: str) -> None:
        """The caller is out of the queue: its Enqueue action (or next verb) runs."""
        waiting = call.waiting or {}
        call.waiting = None
        call.gen += 1
        _, members = self._queue(waiting["queue"])
        if call.sid in members:
            members.remove(call.sid)
        verb: Verb = waiting["verb"]
        waited = str(int(self.clock.seconds() - waiting["since"]))
        params = {"QueueResult": result, "QueueTime": waited, **extra}
        action = verb.attr("action")
        url = resolve(call.doc_url, action) if action else None
        if call.final:
            if url:
                self.fire_and_forget(call, url, method_of(verb), params, "enqueue-action")
        elif url:
            self.schedule_fetch(call, url, method_of(verb), params, "enqueue-action")
        else:
            self._exec_next(call)

    def _dial_queue(self, call: Call, dial: Verb, noun: Verb) -> bool:
        name = noun.text.strip()
        call.waiting = {"kind": "dial-queue", "verb": dial, "queue": name, "member": None}
        token, sid = call.gen, call.sid
        timeout = dial.number("timeout", 30)
        self.later(timeout, lambda: self._dial_queue_timeout(sid, token), key=sid)
        self._bridge_waiting_agent(name)
        return True

    def _dial_queue_timeout(self, sid: str, token: int) -> None:
        with self.lock:
            call = self._live(sid, token)
            if call and call.waiting and call.waiting.get("member") is None:
                verb = call.waiting["verb"]
                call.waiting = None
                call.gen += 1
                self._after_dial(call, verb, {"DialCallStatus": "no-answer"})

    def _bridge_waiting_agent(self, name: str) -> None:
        _, members = self._queue(name)
        agents = [c for c in self.calls.values() if not c.final and c.waiting
                  and c.waiting["kind"] == "dial-queue" and c.waiting["queue"] == name
                  and c.waiting["member"] is None]  # fmt: skip
        if not agents or not members:
            return
        agent, member = agents[0], self.calls[members.pop(0)]
        agent.waiting = {**(agent.waiting or {}), "member": member.sid}
        waiting = member.waiting or {}
        member.waiting = {**waiting, "kind": "queue-bridged", "agent": agent.sid,
                          "bridged_at": self.clock.now()}  # fmt: skip
        agent.gen += 1
        member.gen += 1
        self.record("queue", sid=member.sid, event="bridged", queue=name, agent=agent.sid)

    def _call_ended_cleanup(self, call: Call, prev: str, hangup_by_phone: bool) -> None:
        waiting: dict[str, Any] | None = call.waiting
        if waiting and waiting["kind"] == "queue":
            self._leave_queue(call, "hangup")
        elif waiting and waiting["kind"] == "queue-bridged":
            agent = self.calls.get(waiting["agent"])
            call.waiting = {**waiting, "kind": "queue"}
            self._leave_queue(call, "bridged")
            if agent is not None and not agent.final and agent.waiting:
                self._agent_done(agent, call)
        elif waiting and waiting["kind"] == "dial-queue":
            call.waiting = None
            member = self.calls.get(waiting.get("member") or "")
            if member is not None and not member.final and member.waiting:
                member.waiting = {**member.waiting, "kind": "queue"}
                self._leave_queue(member, "bridged")
            action = waiting["verb"].attr("action")
            if action and member is not None:
                url = resolve(call.doc_url, action) or action
                extra = {"DialCallStatus": "completed", "DialCallSid": member.sid}
                self.fire_and_forget(call, url, method_of(waiting["verb"]), extra, "dial-action")
        super()._call_ended_cleanup(call, prev, hangup_by_phone)

    def _agent_done(self, agent: Call, member: Call) -> None:
        verb: Verb = (agent.waiting or {})["verb"]
        agent.waiting = None
        agent.gen += 1
        seconds = 0
        if member.answered_at is not None and member.end_time is not None:
            seconds = int((member.end_time - member.answered_at).total_seconds())
        self._after_dial(agent, verb, {"DialCallStatus": "completed", "DialCallSid": member.sid,
                                       "DialCallDuration": str(seconds)})  # fmt: skip
