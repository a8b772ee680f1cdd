"""RX verification by phone call: a registered ANM or pharmacist keys a prescription's code.

Twilio has no two-way SMS in India (https://www.twilio.com/en-us/guidelines/in/sms:
"Two-way SMS supported: No"), so ``RX <code>`` by SMS (``verify.py``) never reaches us
there. Instead the IVR offers a verifier (same rule, ``models.district.rx_verifier``)
"to check a prescription code, press 2" on any service line, and redirects the call here
(the IVR imports nothing of this package: the URL is the contract):

* ``POST /rx/check?lang=hi&after=<url>`` asks for the code: six keys, then ``#`` (a letter
  is the key it is printed on, ``codes.keypad_code``). Every prescription with those keys
  is read (usually one; with several, each with its code spelled letter by letter, so
  the listener picks the one on the paper): the code, the doctor and their registration,
  the hub, the date issued, current or superseded, and the medicines
  (``speech.medicine_sentences``, as the patient's read-aloud says them). Then the call
  goes back to ``after`` (the IVR asks what next).
* Keys not found, keys that are no code, or silence: said, and asked again; after
  ``check_tries`` (``readout.yaml``) the call ends politely.
* Every look-up writes an ``AuditEvent`` ``rx_verify.call`` (actor: the staff code;
  detail: the keys, found, the codes read, the CallSid), like the SMS check. A caller who
  is not a verifier hears a refusal, nothing is looked up, and ``rx_verify.call_refused``
  is written.

Every request answers valid TwiML; a failure is an apology, never an error.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.runtime import current_runtime
from core.timeutil import to_ist
from models import AuditEvent, Prescription, Staff
from models.district import rx_verifier
from prescriptions.speech import (
    Voice,
    medicine_sentences,
    number_words,
    readout_config,
    spoken_date,
    voice_for,
)
from prescriptions.voice import apology_twiml
from telephony.errors import mask_number
from telephony.webhooks import twilio_webhook

log = logging.getLogger(__name__)
bp = Blueprint("rx_check", __name__, url_prefix="/rx")

#: Six keys, each 2-9: the keys of a code from ``codes.ALPHABET`` (no 0, 1).
KEYS = re.compile(r"[2-9]{6}")
#: At most this many prescriptions sharing the keys are read in one answer.
MAX_READ = 5


def check_url(base_url: str, language: str, after: str, tries: int, *, asked: bool) -> str:
    """This webhook's URL; ``asked``: the keys (or silence) answer the question."""
    query = {"lang": language, "after": after, "t": str(tries), **({"asked": "1"} if asked else {})}
    return f"{base_url}/rx/check?{urlencode(query)}"


def _say(parent: VoiceResponse | Gather, v: Voice, text: str) -> None:
    parent.say(text, voice=v.voice, language=v.say_language)


def spell(text: str) -> str:
    """``"K7M2PX"`` -> ``"K, 7, M, 2, P, X"``: one letter or key at a time, with pauses."""
    return ", ".join(text)


def _spoken_day(v: Voice, moment: datetime) -> str:
    day = to_ist(moment).date()
    return f"{spoken_date(v, day)} {day.year}"


def check_sentences(rx: Prescription, v: Voice) -> list[str]:
    """What a verifier hears of one prescription, in ``v``'s language."""
    out = [
        v.say(
            "check_found",
            code=spell(rx.code),
            doctor_name=rx.doctor_name,
            registration=rx.doctor_registration,
            hub_name=rx.hub_name,
            date=_spoken_day(v, rx.issued_at),
        )
    ]
    if rx.superseded_at is None:
        out.append(v.say("check_current"))
    else:
        out.append(v.say("check_superseded", date=_spoken_day(v, rx.superseded_at)))
    return out + medicine_sentences(v, rx)


def prescriptions_keyed(session: Session, keys: str) -> list[Prescription]:
    """The prescriptions whose code is typed by ``keys`` (newest first, at most MAX_READ)."""
    return list(
        session.scalars(
            select(Prescription)
            .options(selectinload(Prescription.items))
            .where(Prescription.keypad_code == keys)
            .order_by(Prescription.issued_at.desc(), Prescription.id.desc())
            .limit(MAX_READ)
        )
    )


def _ask(response: VoiceResponse, v: Voice, base: str, after: str, tries: int) -> None:
    gather = Gather(
        input="dtmf",
        action=check_url(base, v.language, after, tries, asked=True),
        method="POST",
        num_digits=7,  # six keys and "#" (a seventh key is no code: said so)
        finish_on_key="#",
        timeout=int(readout_config().get("gather_timeout", 6)) + 4,
    )
    _say(gather, v, v.say("check_ask"))
    response.append(gather)
    response.redirect(check_url(base, v.language, after, tries, asked=True), method="POST")


def _again_or_goodbye(
    response: VoiceResponse, v: Voice, base: str, after: str, tries: int
) -> VoiceResponse:
    """Ask again, or after ``check_tries`` failures end the call politely."""
    if tries >= int(readout_config().get("check_tries", 3)):
        _say(response, v, v.say("check_give_up"))
        response.hangup()
    else:
        _ask(response, v, base, after, tries)
    return response


def check_twiml(
    session: Session,
    *,
    caller: str,
    call_sid: str,
    language: str,
    after: str,
    base_url: str,
    tries: int = 0,
    asked: bool = False,
    digits: str | None = None,
) -> VoiceResponse:
    """One request of the check (see the module's docstring), in the caller's transaction."""
    v = voice_for(language)
    response = VoiceResponse()
    staff = session.scalar(select(Staff).where(rx_verifier(caller)))
    if staff is None:
        session.add(
            AuditEvent(
                actor=f"call:{mask_number(caller)}",
                action="rx_verify.call_refused",
                subject_type="prescription",
                detail={"call_sid": call_sid},
            )
        )
        _say(response, v, v.say("check_refused"))
        response.hangup()
        return response
    if not asked:
        _ask(response, v, base_url, after, tries)
        return response
    keys = "".join(ch for ch in digits or "" if ch.isdigit())
    if not digits:
        _say(response, v, v.say("check_silence"))
        return _again_or_goodbye(response, v, base_url, after, tries + 1)
    if not KEYS.fullmatch(keys):
        _say(response, v, v.say("check_invalid", keys=spell(keys) or "#"))
        return _again_or_goodbye(response, v, base_url, after, tries + 1)
    found = prescriptions_keyed(session, keys)
    session.add(
        AuditEvent(
            actor_staff_id=staff.id,
            actor=staff.code,
            action="rx_verify.call",
            subject_type="prescription",
            subject_id=found[0].id if len(found) == 1 else None,
            detail={
                "code": keys,
                "found": bool(found),
                "codes": [rx.code for rx in found],
                "call_sid": call_sid,
            },
        )
    )
    if not found:
        _say(response, v, v.say("check_not_found", keys=spell(keys)))
        return _again_or_goodbye(response, v, base_url, after, tries + 1)
    if len(found) > 1:
        _say(response, v, v.say("check_several", count=number_words(v, len(found))))
    for rx in found:
        for sentence in check_sentences(rx, v):
            _say(response, v, sentence)
        response.pause(length=1)
    if after:
        response.redirect(after, method="POST")
    else:
        response.hangup()
    return response


@bp.route("/check", methods=["POST"])
@twilio_webhook
def check() -> Response:
    """A verifier's code check, for an IVR to ``<Redirect>`` to (query: ``lang``,
    ``after``). The caller is ``From`` of an inbound call (``To`` of one we placed)."""
    args, form = request.args, request.form
    language = args.get("lang", "hi")
    outbound = form.get("Direction", "inbound").startswith("outbound")
    caller = form.get("To" if outbound else "From", "")
    tries = args.get("t", "0")
    try:
        runtime = current_runtime()
        with runtime.db.session() as session:
            response = check_twiml(
                session,
                caller=caller,
                call_sid=form.get("CallSid", ""),
                language=language,
                after=args.get("after") or "",
                base_url=runtime.settings.public_base_url,
                tries=int(tries) if tries.isdigit() and len(tries) < 3 else 0,
                asked=args.get("asked") == "1",
                digits=form.get("Digits"),
            )
        return Response(str(response), mimetype="text/xml")
    except Exception:
        log.exception("prescription check by call failed", extra={"event": "rx-check"})
        return Response(str(apology_twiml(language)), mimetype="text/xml")
