"""Waiting for a doctor: the consultation joins the doctor queue, or waits for the call window.

Below ``bridge``, ``offers`` and ``anm``, which all send a consultation here (an ANM took
the case or nobody did, a doctor left or never joined, a call-back fell due); the doctor
queue (``workflows.dispatch``) then makes the offers.
"""

from __future__ import annotations

from models import ConsultationState
from workflows.context import Ctx
from workflows.store import present, set_details

S = ConsultationState


def find_doctor(ctx: Ctx, reason: str) -> None:
    """Queue the consultation for a doctor (or wait for the call window first).

    A patient who is not on the line is only called inside the call window (urgent
    cases at any hour), so the doctor is not looked for before it opens.
    """
    c = ctx.c
    window = ctx.cfg.window
    if "patient" not in present(c) and not ctx.urgent and not window.contains(ctx.now):
        ctx.move(S.CALLBACK_SCHEDULED, "outside-call-window", window.next_opening(ctx.now))
        return
    set_details(c, offer_leg=None)
    ctx.move(S.FINDING_DOCTOR, reason, ctx.after(ctx.cfg.doctor_recheck_s))
    ctx.fx.dispatch = True
