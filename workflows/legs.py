"""The workflow's side of its call legs: the request each asks for, and whether still wanted.

Outbound (``outbound/legs.py``) claims and sends the legs; what a leg asks of the
provider depends on its consultation, which only the workflow knows, so outbound asks
through ``request_for`` (registered in ``sampark/wiring.py``). A leg that outbound
ends itself comes back through ``workflows/leg_events.py``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.runtime import Runtime
from models import CallLeg, Consultation, ConsultationState, LegRole
from workflows import urls
from workflows.config import workflow_config
from workflows.store import details

S = ConsultationState
CALL_EVENTS = ("answered", "completed")  # the workflow needs no more (fewer webhooks)


def wanted(c: Consultation, leg: CallLeg) -> bool:
    """Whether the consultation still needs this leg (it may have moved on)."""
    d = details(c)
    if leg.role is LegRole.DOCTOR_OFFER:
        return c.state is S.FINDING_DOCTOR and d.get("offer_leg") == leg.id
    if leg.role is LegRole.PATIENT_CALLBACK and d.get("restart_leg") == leg.id:
        return c.state is S.ABANDONED  # the call-back offering to restart the intake
    if leg.role is LegRole.PATIENT_CALLBACK:
        return c.state is S.BRIDGING and d.get("patient_leg") == leg.id
    if leg.role is LegRole.ANM and d.get("anm_join_leg") == leg.id:
        return c.state in (S.BRIDGING, S.IN_CONFERENCE)
    if leg.role is LegRole.ANM:
        return c.state is S.CALLING_ANM and d.get("anm_leg") == leg.id
    return True


def describe(runtime: Runtime, c: Consultation, leg: CallLeg) -> dict[str, object]:
    """The gateway request that places ``leg`` (with ``kind``: a call or a participant)."""
    cfg = workflow_config(runtime.settings)
    base = runtime.settings.public_base_url
    request: dict[str, object] = {
        "to": leg.to_number,
        "from_": leg.from_number,
        "status_callback": urls.leg_status(base, leg.id),
        "status_events": CALL_EVENTS,
    }
    if leg.role is LegRole.ANM and details(c).get("anm_join_leg") == leg.id:
        return request | {
            "kind": "participant",
            "conference": c.conference_name or f"sampark-{c.reference}",
            "label": "anm",
            "start_on_enter": True,
            "end_on_exit": False,
            "wait_url": urls.wait_music(base, c.language or "hi"),
            "timeout": cfg.anm_ring_timeout_s,
            "conference_status_callback": urls.conference_events(base, c.id),
            "conference_events": ("end", "join", "leave"),
        }
    timeout = {
        LegRole.ANM: cfg.anm_ring_timeout_s,
        LegRole.DOCTOR_OFFER: cfg.offer_timeout_s,
        LegRole.PATIENT_CALLBACK: cfg.patient_ring_timeout_s,
    }.get(leg.role, 30)
    request |= {"kind": "call", "url": urls.leg_answer(base, leg.id), "timeout": timeout}
    if leg.role is LegRole.PATIENT_CALLBACK:
        request["machine_detection"] = "Enable"
    return request


def request_for(runtime: Runtime, session: Session, leg: CallLeg) -> dict[str, object] | None:
    """At a leg's claim: its request, or None when its consultation no longer wants it."""
    c = session.get_one(Consultation, leg.consultation_id)
    return describe(runtime, c, leg) if wanted(c, leg) else None
