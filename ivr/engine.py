"""A small engine that runs the declared flow (``ivr.flow``) one webhook at a time.

It is pure: given where the call stands (``CallState``) and what the caller just
did (``Input``), ``answer`` says what to store and where to go; ``enter`` skips the
nodes that do not apply and builds the TwiML of the next question. Storage is the
caller's job (``ivr.store``); database look-ups come through ``Lookups`` (and
``Staffing``, for the offer to stay on the line). The values it works on are in
``ivr.state``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from ivr import twiml
from ivr.catalog import catalog
from ivr.config import IvrConfig
from ivr.flow import (
    AWAY,
    NO_CALLBACK,
    NODES,
    OUTCOMES,
    STAY_OFFER,
    YES,
    Node,
    next_in_order,
    should_ask,
)
from ivr.state import Answered, CallState, Effects, Input, Lookups, Staffing
from ivr.state import SpokeInfo as SpokeInfo
from ivr.twiml import Line, Urls, spell_digits
from workflows.urls import patient_join

#: The node where the caller's latest prescription is read: the call is redirected to
#: ``prescriptions.voice``'s ``POST /rx/latest``, which comes back here when the listener
#: is done (the IVR imports nothing of prescriptions: the URL is the contract). A
#: verifier's code check (``rx_check``, ``prescriptions.check``) goes the same way (``AWAY``).
READ_PRESCRIPTION = "rx_read"


def away_url(urls: Urls, node: str, language: str) -> str:
    """Where the call goes at an ``AWAY`` node, to come back to it when done."""
    after = urls.step(node, language)
    return f"{urls.base}{AWAY[node][0]}?{urlencode({'lang': language, 'after': after})}"


def latest_prescription_url(urls: Urls, language: str) -> str:
    """Where the caller hears their latest prescription, then comes back to the IVR."""
    return away_url(urls, READ_PRESCRIPTION, language)


class Engine:
    """Runs the intake flow with one configuration and one set of public URLs."""

    def __init__(self, config: IvrConfig, urls: Urls) -> None:
        self.config = config
        self.urls = urls
        self._rendered: dict[tuple[Any, ...], str] = {}

    # -- answering -------------------------------------------------------------------
    def answer(self, state: CallState, given: Input, lookups: Lookups) -> Answered:
        """Read the caller's input at the current node."""
        node = NODES[state.node]
        cat = catalog(state.language)
        digits = (given.digits or "").strip()
        if "*" in digits:  # `*` repeats the question
            return Answered(goto=node.id, repeat=True)
        if node.id == "emergency":
            return self._emergency_choice(digits)
        if node.id in AWAY:  # back from the read-aloud (or the code check): what next?
            return Answered(goto=AWAY[node.id][1])
        if node.kind == "record":  # Digits here is the key that ended the recording
            if given.recording_url:
                return self._recorded(node, given)
            return self._no_input(state, node)
        if given.is_empty:
            return self._no_input(state, node)
        if node.kind == "signs":
            return self._sign_answer(state, digits, cat)
        if node.kind == "digits":
            return self._number(state, node, digits, cat, lookups)
        return self._choice(state, node, digits, cat)

    def _no_input(self, state: CallState, node: Node) -> Answered:
        if node.on_no_input is not None:
            return self._choice(state, node, _key_for(node, node.on_no_input), catalog("hi"))
        if node.skip_on_no_input:
            return Answered(goto=next_in_order(node.id))
        if state.retries + 1 > self.config.max_retries:
            if node.optional:
                return Answered(goto=next_in_order(node.id))
            state.vars["resume_node"] = node.id
            return Answered(
                goto="callback_end",
                before=[Line(catalog(state.language), "no_input")],
                effects=Effects(outcome="abandoned", reason="no-input"),
            )
        state.retries += 1
        return Answered(
            goto=node.id, before=[Line(catalog(state.language), "no_input")], repeat=True
        )

    def _wrong(self, state: CallState, node: Node, line: Line) -> Answered:
        state.errors += 1
        if state.errors > self.config.max_wrong_keys and node.optional:
            if node.on_no_input is not None:  # take the default (e.g. rx_next: goodbye)
                answered = self._choice(state, node, _key_for(node, node.on_no_input), line.cat)
                answered.before.insert(0, line)
                return answered
            return Answered(goto=next_in_order(node.id), before=[line])
        if state.errors > self.config.max_wrong_keys:
            state.vars["resume_node"] = node.id
            return Answered(
                goto="callback_end",
                before=[line],
                effects=Effects(outcome="abandoned", reason="wrong-keys"),
            )
        return Answered(goto=node.id, before=[line], repeat=True)

    def _choice(self, state: CallState, node: Node, digits: str, cat: Any) -> Answered:
        value = node.choices.get(digits)
        if value is None:
            return self._wrong(state, node, Line(cat, "wrong_key", {"digits": _say_keys(digits)}))
        effects = Effects(answers={node.id: value})
        state.vars[node.id] = value
        goto = node.goto.get(value) or next_in_order(node.id)
        if node.id == "language":
            state.language = value
            state.vars["language_chosen"] = value
            effects.consultation["language"] = value
            effects.caller["preferred_language"] = value
        elif node.id == "consent":
            if value == "change_language":
                state.vars["language_chosen"] = None
                effects.answers = {}
            else:
                effects.consultation["consent"] = value == "yes"
        elif node.id == "spoke_confirm" and value == "yes":
            state.vars["spoke_id"] = state.vars.get("spoke_guess")
            effects.consultation["spoke_id"] = state.vars["spoke_id"]
        elif node.id == "for_whom":
            effects.link_patient = value
        elif node.id == "sms_script":
            effects.sms_script = value
        elif node.id == "complaint":
            state.vars["sign_index"] = 0
            effects.consultation["complaint"] = value
        elif node.store and node.store.startswith("patient."):
            effects.patient[node.store.split(".", 1)[1]] = value
        return Answered(goto=goto, effects=effects)

    def _number(
        self, state: CallState, node: Node, digits: str, cat: Any, lookups: Lookups
    ) -> Answered:
        if node.id == "spoke_code":
            spoke = lookups.spoke_by_code(digits) if digits.isdigit() else None
            if spoke is None:
                line = Line(cat, "spoke_code_unknown", {"digits": _say_keys(digits)})
                return self._wrong(state, node, line)
            state.vars.update(spoke_id=spoke.id, ambulance_number=spoke.ambulance_number)
            return Answered(
                goto=next_in_order(node.id),
                effects=Effects(answers={node.id: digits}, consultation={"spoke_id": spoke.id}),
            )
        if not digits.isdigit() or not node.minimum <= int(digits) <= node.maximum:
            line = Line(cat, node.invalid_prompt, {"digits": _say_keys(digits)})
            return self._wrong(state, node, line)
        value = int(digits)
        state.vars[node.id] = value
        effects = Effects(answers={node.id: str(value)})
        assert node.store is not None
        target, column = node.store.split(".", 1)
        (effects.patient if target == "patient" else effects.consultation)[column] = value
        return Answered(goto=next_in_order(node.id), effects=effects)

    def _recorded(self, node: Node, given: Input) -> Answered:
        url = given.recording_url or ""
        effects = Effects(answers={node.id: url})
        if node.id == "name":
            effects.patient["name_recording_url"] = url
        else:
            effects.consultation["recording_url"] = url
            if given.recording_sid:
                effects.consultation["recording_sid"] = given.recording_sid
        return Answered(goto=next_in_order(node.id), effects=effects)

    def _sign_answer(self, state: CallState, digits: str, cat: Any) -> Answered:
        sign = state.current_sign()
        node = NODES["danger"]
        if sign is None:
            return Answered(goto=next_in_order("danger"))
        if digits not in node.choices:
            return self._wrong(state, node, Line(cat, "wrong_key", {"digits": _say_keys(digits)}))
        effects = Effects(answers={f"danger.{sign}": node.choices[digits]})
        if digits == YES:
            effects.danger_sign = sign
            effects.outcome, effects.reason = "emergency", f"danger-sign:{sign}"
            return Answered(goto="emergency", effects=effects)
        state.vars["sign_index"] = int(state.vars.get("sign_index") or 0) + 1
        state.retries = state.errors = 0
        goto = "danger" if state.current_sign() else next_in_order("danger")
        return Answered(goto=goto, effects=effects)

    def _emergency_choice(self, digits: str) -> Answered:
        if digits == "1":
            return Answered(goto="emergency_connect", effects=Effects(answers={"connect": "yes"}))
        return Answered(goto="emergency_goodbye")

    # -- entering a node -------------------------------------------------------------
    def enter(
        self,
        state: CallState,
        goto: str,
        before: list[Line],
        repeat: bool = False,
        staffing: Staffing | None = None,
    ) -> str:
        """Move ``state`` to the first node at or after ``goto`` that applies.

        ``staffing`` answers ``STAY_OFFER`` the first time a node asks for it; without
        it (the fast path) that node is passed, and the full path decides.
        Returns the outcome of a final node reached ("" if none).
        """
        if not repeat:
            state.retries = state.errors = 0
        node_id = goto
        while node_id in NODES:
            node = NODES[node_id]
            if staffing is not None and STAY_OFFER in node.ask_if and STAY_OFFER not in state.vars:
                state.vars[STAY_OFFER] = staffing.someone_can_come(state.vars)
            if should_ask(node, state.vars):
                break
            node_id = next_in_order(node_id)
        state.node = node_id
        return OUTCOMES.get(node_id, "")

    @staticmethod
    def needs_full_path(state: CallState, effects: Effects) -> bool:
        """Whether this step needs more than the call's own rows (patients, outcomes, reads).

        Derived from the effect kinds themselves (``Effects.full_path_kinds``): a kind
        added later that does not declare the fast path can carry it takes the full path.
        """
        node = NODES.get(state.node)
        if node is not None and (node.outcome or node.id in AWAY):
            return True
        return effects.needs_full_path()

    def render_text(
        self, state: CallState, before: list[Line], consultation_id: int | None = None
    ) -> str:
        """``render`` as XML text, remembered for the prompts that do not vary per call.

        A question's TwiML depends only on the node, the language, the lines said
        before it and (for the spoke confirmation) the spoke's code; the reference
        number and the emergency number make the final nodes per-call.
        """
        if state.node in _PER_CALL_NODES:
            return str(self.render(state, before, consultation_id))
        key = (
            state.step_id,
            state.language,
            tuple((line.cat.language, line.key, tuple(line.values.items())) for line in before),
            state.vars.get("spoke_guess_code") if state.node == "spoke_confirm" else None,
        )
        text = self._rendered.get(key)
        if text is None:
            text = str(self.render(state, before))
            if len(self._rendered) < 4096:
                self._rendered[key] = text
        return text

    def render(
        self, state: CallState, before: list[Line], consultation_id: int | None = None
    ) -> VoiceResponse:
        """The TwiML of the current node, after the ``before`` lines.

        ``consultation_id`` is needed only by a handover (the join URL names it).
        """
        cat = catalog(state.language)
        node_id = state.node
        timeout = self.config.gather_timeout
        reference = str(state.vars.get("reference") or "")
        ambulance = str(state.vars.get("ambulance_number") or "")  # "": none to connect to
        if node_id == "emergency_connect":
            return twiml.connect_emergency(
                cat, ambulance, self.urls.audio_base, self.config.dial_caller_id
            )
        if node_id == "emergency_goodbye":
            lines = [*twiml.reference_lines(cat, reference), Line(cat, "emergency_end")]
            return twiml.say_and_hang_up(lines, self.urls.audio_base)
        node = NODES[node_id]
        if node_id in AWAY:  # read by ``prescriptions``, then back here
            response = VoiceResponse()
            response.redirect(away_url(self.urls, node_id, state.language), method="POST")
            return response
        if node_id == "language":
            return twiml.language_menu(self.urls, before, timeout=timeout)
        if node_id == "emergency":
            response = twiml.emergency_advice(
                self.urls, cat, reference, timeout=timeout, can_connect=bool(ambulance)
            )
            return twiml.prepend(response, before, self.urls.audio_base)
        if node.kind == "handover":  # into the consultation's conference
            if consultation_id is not None:
                return twiml.hand_over(patient_join(self.urls.base, consultation_id))
            node = NODES["end"]  # nothing to join (not expected): the call-back promise
        if node.kind == "final":
            # No reference where there is none, nor twice (the stay offer said it first).
            said = node.id == "end" and state.vars.get(STAY_OFFER)
            unrelated = node.id in ("consent_refused", "rx_goodbye", "rx_check_goodbye")
            ref = "" if unrelated or said else reference
            closing = node.prompt
            if node.id in ("end", "callback_end") and state.vars.get(NO_CALLBACK):
                closing = "end_no_callback"  # no call-back promised to a phone we cannot ring
            return twiml.final_message(cat, ref, closing, before, self.urls.audio_base)
        if node.kind == "record":
            return twiml.ask_recording(
                self.urls,
                node_id,
                state.language,
                before,
                [Line(cat, node.prompt)],
                max_length=node.max_length,
            )
        if node_id == "stay" and not state.errors:  # the reference, then the offer
            before = [*before, *twiml.reference_lines(cat, reference)]
        prompt = node.prompt
        if node_id == "stay" and state.vars.get(NO_CALLBACK):
            prompt = "stay_offer_no_callback"
        question = [Line(cat, prompt, self._values(node, state))]
        if node.kind == "signs":
            question = [Line(cat, f"sign_{state.current_sign()}"), Line(cat, "yes_no")]
        return twiml.ask_keys(
            self.urls,
            state.step_id,
            state.language,
            before,
            question,
            num_digits=node.max_digits if node.kind == "digits" else 1,
            finish_on_key="#" if node.kind == "digits" else "",
            timeout=timeout + (3 if node.kind == "digits" else 0),
        )

    @staticmethod
    def _values(node: Node, state: CallState) -> dict[str, str]:
        if node.id == "spoke_confirm":
            return {"code": spell_digits(str(state.vars.get("spoke_guess_code") or ""))}
        return {}


#: Nodes whose TwiML carries per-call values (reference, emergency number).
_PER_CALL_NODES = frozenset(
    {
        "end",
        "stay",
        "join",
        "consent_refused",
        "callback_end",
        "emergency",
        "emergency_connect",
        "emergency_goodbye",
    }
)


def _key_for(node: Node, value: str) -> str:
    return next(key for key, choice in node.choices.items() if choice == value)


def _say_keys(digits: str) -> str:
    """Keys as said back to the caller: ``"12"`` -> ``"1, 2"``; ``#`` stays ``#``."""
    return spell_digits(digits) or "#"
