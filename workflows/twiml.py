"""TwiML the workflow answers with: small pure functions over plain values."""

from __future__ import annotations

from dataclasses import dataclass, field

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from workflows import prompts

#: A royalty-free hold loop Twilio itself hosts for conference wait music.
HOLD_MUSIC_URL = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class CaseSummary:
    """What an ANM or doctor hears about a case before joining."""

    reference: str
    name: str | None = None
    age_years: int | None = None
    sex: str | None = None
    complaint: str | None = None
    days: int | None = None
    danger_signs: tuple[str, ...] = field(default_factory=tuple)
    emergency: bool = False
    recording_url: str | None = None


@dataclass(frozen=True)
class ConferenceJoin:
    """How one participant enters the consultation's conference."""

    name: str
    label: str
    status_callback: str
    wait_url: str
    record: bool = False
    start_on_enter: bool = True


def _say(target: VoiceResponse | Gather, language: str, words: str) -> None:
    lang, voice = prompts.voice(language)
    target.say(words, language=lang, voice=voice)


def summary_sentences(case: CaseSummary, language: str, role: str) -> list[str]:
    """The case summary as short sentences in ``language``."""
    t = prompts.text
    out = [t(language, "intro_anm" if role == "anm" else "intro_doctor")]
    if case.emergency:
        out.append(t(language, "emergency"))
    sex = t(language, case.sex) if case.sex in ("male", "female", "other") else ""
    age = "?" if case.age_years is None else str(case.age_years)
    out.append(t(language, "patient", name=case.name or case.reference, age=age, sex=sex))
    days = "?" if case.days is None else str(case.days)
    complaint = prompts.complaint_name(language, case.complaint)
    out.append(t(language, "complaint", complaint=complaint, days=days))
    if case.danger_signs:
        signs = ", ".join(s.replace("_", " ") for s in case.danger_signs)
        out.append(t(language, "danger", signs=signs))
    return out


def offer_menu(
    case: CaseSummary,
    language: str,
    role: str,
    *,
    action_url: str,
    no_input_url: str,
    play_recording: bool = False,
    wrong_key: bool = False,
) -> str:
    """The summary, then a one-key menu (1 take, 2 later/decline, 3 pass, 9 hear)."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=8)
    if wrong_key:
        _say(gather, language, prompts.text(language, "wrong_key"))
    if play_recording and case.recording_url:
        gather.play(case.recording_url)
    else:
        for sentence in summary_sentences(case, language, role):
            _say(gather, language, sentence)
    _say(gather, language, prompts.text(language, "menu_anm" if role == "anm" else "menu_doctor"))
    response.append(gather)
    response.redirect(no_input_url, method="POST")
    return str(response)


def say_then_hangup(language: str, key: str) -> str:
    """A short message, then the call ends."""
    response = VoiceResponse()
    _say(response, language, prompts.text(language, key))
    response.hangup()
    return str(response)


def join_conference(join: ConferenceJoin, language: str, greeting: str | None = None) -> str:
    """Optionally a greeting, then into the conference; hang up when it ends."""
    response = VoiceResponse()
    if greeting:
        _say(response, language, prompts.text(language, greeting))
    dial = Dial()
    dial.conference(
        join.name,
        participant_label=join.label,
        start_conference_on_enter=join.start_on_enter,
        end_conference_on_exit=False,
        beep=False,
        wait_url=join.wait_url,
        wait_method="POST",
        status_callback=join.status_callback,
        status_callback_method="POST",
        status_callback_event="end join leave",
        record="record-from-start" if join.record else "do-not-record",
    )
    response.append(dial)
    response.hangup()
    return str(response)


def wait_music(language: str) -> str:
    """What a patient hears while waiting alone: one short message, then music."""
    response = VoiceResponse()
    _say(response, language, prompts.text(language, "patient_wait"))
    response.play(HOLD_MUSIC_URL, loop=0)
    return str(response)


def redirect(url: str) -> str:
    """TwiML that hands the call over to ``url`` (e.g. the IVR, to restart an intake)."""
    response = VoiceResponse()
    response.redirect(url, method="POST")
    return str(response)


def hang_up() -> str:
    """TwiML that ends the call without a word."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
