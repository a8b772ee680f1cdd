"""The patient's recordings, played in the page: fetched from Twilio through the gateway.

The browser never sees a Twilio URL or credential: ``<audio src>`` points here, the portal
checks that the doctor may see the consultation (the same rule as the consultation page;
for an ANM, her HWC's rule: ``portal.anm_scope``),
fetches the media with the account's credentials (the gateway's ``fetch_recording_media``,
reached through ``outbound.calls.gateway``) and streams it on. Every play writes an
``AuditEvent`` (who, which recording, when, outcome).
"""

from __future__ import annotations

from flask import Response, abort, g
from flask.typing import ResponseReturnValue

from core.runtime import current_runtime
from models import StaffRole
from outbound.calls import gateway as provider
from portal import anm_scope
from portal.blueprint import audit, bp, get_db, roles_required
from portal.consultations import KINDS, load_visible, recording_source
from telephony.errors import GatewayError
from telephony.gateway import recording_sid


@bp.get("/consultations/<dbid:consultation_id>/recordings/<kind>.wav")
@roles_required(StaffRole.DOCTOR, StaffRole.ANM)
def recording(consultation_id: int, kind: str) -> ResponseReturnValue:
    """Stream one recording of the consultation (audited); 404 when there is none."""
    db = get_db()
    if g.staff.role == StaffRole.ANM:
        c = anm_scope.load_for_anm(db, consultation_id, "play_recording")
    else:
        c = load_visible(db, consultation_id, "play_recording")
    source = recording_source(c, kind) if kind in KINDS else None
    sid = recording_sid(source)
    if source is None or sid is None:
        abort(404)
    gateway = provider(current_runtime())
    try:
        media = gateway.fetch_recording_media(source, fmt="wav")
    except GatewayError as exc:
        outcome = "retryable" if exc.retryable else "unavailable"
        audit(db, "play_recording", "consultation", c.id, kind=kind, recording=sid, outcome=outcome)
        db.commit()
        abort(503 if exc.retryable else 404)
    audit(db, "play_recording", "consultation", c.id, kind=kind, recording=sid, outcome="ok")
    db.commit()
    response = Response(media.chunks, mimetype=media.content_type, direct_passthrough=True)
    if media.content_length is not None:
        response.content_length = media.content_length
    response.call_on_close(media.close)
    return response
