"""TwiML for each IVR step, built with twilio's ``VoiceResponse`` by small pure functions.

Nothing here reads the database or the request: each function takes the
catalog(s), the URLs and the values to say, and returns a ``VoiceResponse``;
tests parse its XML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.catalog import LANGUAGES, Catalog, catalog


@dataclass(frozen=True)
class Line:
    """One prompt to say: a catalog key in a language, with its placeholder values."""

    cat: Catalog
    key: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Urls:
    """Where Twilio sends the caller's answers (absolute, as Twilio signs them).

    ``audio_base``: where Twilio fetches recorded prompts (``IVR_AUDIO_BASE_URL``); by
    default our own ``<base>/ivr/audio`` (``ivr.views.audio``, serving ``ivr/prompts/audio``).
    """

    base: str
    audio_base: str | None = None

    def __post_init__(self) -> None:
        if not self.audio_base:
            object.__setattr__(self, "audio_base", f"{self.base}/ivr/audio")

    def step(self, node: str, language: str) -> str:
        return f"{self.base}/ivr/step?{urlencode({'n': node, 'l': language})}"

    def recording(self, node: str) -> str:
        return f"{self.base}/ivr/recording?{urlencode({'n': node})}"


def spell_digits(number: str) -> str:
    """``"471209"`` -> ``"4, 7, 1, 2, 0, 9"``: read one digit at a time, with pauses."""
    return ", ".join(ch for ch in number if ch.isdigit() or ch in "*#")


def add_line(parent: VoiceResponse | Gather, line: Line, audio_base: str | None) -> None:
    """The prompt's recording (``<Play>``) when one exists, else ``<Say>`` in the voice of
    the one table (``workflows.voices``); a prompt with values to fill in is always said."""
    recorded = line.cat.audio.get(line.key)
    if recorded and audio_base and not line.values:
        parent.play(f"{audio_base}/{recorded}")
    else:
        parent.say(
            line.cat.spoken(line.key, **line.values),
            voice=line.cat.voice,
            language=line.cat.say_language,
        )


def _say_all(parent: VoiceResponse | Gather, lines: Iterable[Line], audio_base: str | None) -> None:
    for line in lines:
        add_line(parent, line, audio_base)


def ask_keys(
    urls: Urls,
    node: str,
    language: str,
    before: Sequence[Line],
    question: Sequence[Line],
    *,
    num_digits: int,
    finish_on_key: str,
    timeout: int,
) -> VoiceResponse:
    """Say ``before``, then ``question`` inside a ``<Gather>``; no key -> same URL again.

    The ``<Redirect>`` after the ``<Gather>`` reaches the step without ``Digits``,
    which the engine reads as "no input".
    """
    response = VoiceResponse()
    _say_all(response, before, urls.audio_base)
    action = urls.step(node, language)
    gather = Gather(
        input="dtmf",
        action=action,
        method="POST",
        num_digits=num_digits,
        finish_on_key=finish_on_key,
        timeout=timeout,
    )
    _say_all(gather, question, urls.audio_base)
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def ask_recording(
    urls: Urls,
    node: str,
    language: str,
    before: Sequence[Line],
    question: Sequence[Line],
    *,
    max_length: int,
) -> VoiceResponse:
    """Say the question, record after a beep (ended by #), report the file when ready."""
    response = VoiceResponse()
    _say_all(response, [*before, *question], urls.audio_base)
    action = urls.step(node, language)
    response.record(
        action=action,
        method="POST",
        max_length=max_length,
        finish_on_key="#",
        play_beep=True,
        timeout=5,
        trim="trim-silence",
        recording_status_callback=urls.recording(node),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    response.redirect(action, method="POST")
    return response


def language_menu(urls: Urls, before: Sequence[Line], *, timeout: int) -> VoiceResponse:
    """Each language offers itself in its own words and voice: 1 Hindi … 4 English."""
    options = [Line(catalog(lang), "language_option") for lang in LANGUAGES]
    return ask_keys(
        urls,
        "language",
        "hi",
        before,
        options,
        num_digits=1,
        finish_on_key="",
        timeout=timeout,
    )


def say_and_hang_up(lines: Sequence[Line], audio_base: str | None = None) -> VoiceResponse:
    """Say the lines, then end the call."""
    response = VoiceResponse()
    _say_all(response, lines, audio_base)
    response.hangup()
    return response


def reference_lines(cat: Catalog, reference: str) -> list[Line]:
    return [Line(cat, "reference", {"digits": spell_digits(reference)})] if reference else []


def final_message(
    cat: Catalog,
    reference: str,
    closing: str,
    before: Sequence[Line] = (),
    audio: str | None = None,
) -> VoiceResponse:
    """The end of an intake: the reference number digit by digit, what happens next, hang up."""
    return say_and_hang_up([*before, *reference_lines(cat, reference), Line(cat, closing)], audio)


def emergency_advice(
    urls: Urls, cat: Catalog, reference: str, *, timeout: int, can_connect: bool = True
) -> VoiceResponse:
    """Go to hospital or call 108; press 1 to be connected; else the reference and goodbye.

    Without an ambulance line to connect to (``can_connect`` false) no key is offered:
    the caller hears that we cannot connect the call and should dial 108 themselves.
    """
    if not can_connect:
        lines = [Line(cat, "emergency"), Line(cat, "emergency_no_connect")]
        lines += [*reference_lines(cat, reference), Line(cat, "emergency_end")]
        return say_and_hang_up(lines, urls.audio_base)
    response = ask_keys(
        urls,
        "emergency",
        cat.language,
        [Line(cat, "emergency")],
        [Line(cat, "emergency_offer")],
        num_digits=1,
        finish_on_key="",
        timeout=timeout,
    )
    # Without a key the caller is not asked again: they hear the reference and go.
    response.verbs.pop()  # the <Redirect> of ask_keys
    _say_all(
        response, [*reference_lines(cat, reference), Line(cat, "emergency_end")], urls.audio_base
    )
    response.hangup()
    return response


def hand_over(url: str) -> VoiceResponse:
    """The call leaves the IVR: Twilio fetches the next TwiML from ``url`` (POST)."""
    response = VoiceResponse()
    response.redirect(url, method="POST")
    return response


def prepend(
    response: VoiceResponse, lines: Sequence[Line], audio_base: str | None
) -> VoiceResponse:
    """``response`` with ``lines`` said first."""
    if not lines:
        return response
    head = VoiceResponse()
    _say_all(head, lines, audio_base)
    response.verbs[:0] = head.verbs
    return response


def connect_emergency(
    cat: Catalog,
    ambulance_number: str,
    audio_base: str | None = None,
    caller_id: str | None = None,
) -> VoiceResponse:
    """Connect the caller to the district's ambulance line (E.164), or say we cannot.

    Twilio dials only E.164 numbers (https://www.twilio.com/docs/api/errors/13224): never
    108 itself. Whatever the <Dial> ends with (talked, busy, no answer), the caller then
    hears to dial 108 if they could not speak to the ambulance. Without a line: that we
    cannot connect the call and to dial 108 from their own phone now.

    ``caller_id`` (``OUTBOUND_CALLER_ID``, ``IvrConfig.dial_caller_id``): the forwarded
    call's caller ID, when set.
    """
    if not ambulance_number:
        lines = [Line(cat, "emergency_no_connect"), Line(cat, "emergency_end")]
        return say_and_hang_up(lines, audio_base)
    response = VoiceResponse()
    _say_all(response, [Line(cat, "emergency_connecting")], audio_base)
    # Without callerId a <Dial> from an inbound call shows the caller's own number
    # (https://www.twilio.com/docs/voice/twiml/dial, attribute callerId: "Caller's callerId");
    # callerId must be the calling number, the called number or one of the account's
    # (https://www.twilio.com/docs/errors/13214). To an Indian ambulance line the
    # patient's +91 number is refused (outbound calls to India only from international
    # caller IDs: https://www.twilio.com/en-us/guidelines/in/voice), so the configured
    # outbound number, an international number of the account, is used when set.
    if caller_id:
        response.dial(ambulance_number, timeout=30, caller_id=caller_id)
    else:
        response.dial(ambulance_number, timeout=30)
    _say_all(response, [Line(cat, "emergency_dial_ended"), Line(cat, "emergency_end")], audio_base)
    response.hangup()
    return response


def apology(language: str) -> VoiceResponse:
    """Something failed: a short apology and a promise of a call-back."""
    cat = catalog(language)
    return say_and_hang_up([Line(cat, "apology"), Line(cat, "callback_promise")])


def rate_limited(language: str) -> VoiceResponse:
    cat = catalog(language)
    return say_and_hang_up([Line(cat, "rate_limited")])


def unknown_number() -> VoiceResponse:
    """The dialled number is not ours: said in Hindi, then English."""
    return say_and_hang_up(
        [Line(catalog("hi"), "unknown_number"), Line(catalog("en"), "unknown_number")]
    )


def reject_busy() -> VoiceResponse:
    """A missed-call line: reject as busy, so the call costs the caller nothing."""
    response = VoiceResponse()
    response.reject(reason="busy")
    return response


def empty() -> VoiceResponse:
    return VoiceResponse()
