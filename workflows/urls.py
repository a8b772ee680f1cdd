"""Where Twilio reaches the workflow (every URL under the blueprint's ``/calls``)."""

from __future__ import annotations


def leg_answer(base: str, leg_id: int, tries: int = 0) -> str:
    """TwiML for a call we placed, once it is answered (``tries`` counts menu repeats)."""
    suffix = f"?n={tries}" if tries else ""
    return f"{base}/calls/legs/{leg_id}/answer{suffix}"


def leg_menu(base: str, leg_id: int) -> str:
    """The Gather action of a leg's menu (ANM or doctor pressing a key)."""
    return f"{base}/calls/legs/{leg_id}/menu"


def leg_status(base: str, leg_id: int) -> str:
    """A leg's call status callback."""
    return f"{base}/calls/legs/{leg_id}/status"


def conference_events(base: str, consultation_id: int) -> str:
    """The conference status callback of a consultation."""
    return f"{base}/calls/consultations/{consultation_id}/conference"


def patient_join(base: str, consultation_id: int) -> str:
    """TwiML that puts a patient still on the line from the intake into the conference.

    The IVR's last step redirects here (``<Redirect>``) for a patient who stays on.
    """
    return f"{base}/calls/consultations/{consultation_id}/join"


def wait_music(base: str, language: str) -> str:
    """The conference wait URL: one short message in ``language``, then music."""
    return f"{base}/calls/wait?lang={language}"
