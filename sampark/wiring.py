"""The one composition module: what the lower layers call back into, registered here.

A lower layer never imports a higher one. Where one must reach up (an outbound call's
end goes back to the workflow as an event, the way Twilio's callbacks do), the lower
layer offers a registry and the owner registers its handler here. ``wire()`` is called
by every entry point (the app factory, ``sampark worker``, the ops commands, the tests'
conftest) and is idempotent: each registration replaces the one before.
"""

from __future__ import annotations

from outbound import events as outbound_events
from outbound.sms_fallback import register_undeliverable_handler
from prescriptions.calls import on_prescription_sms_undeliverable
from prescriptions.notify import PATIENT_PURPOSE, on_continuation_undeliverable
from sampark.registry import staff_edit
from sms_templates import CONTINUATION
from workflows import leg_events
from workflows import legs as workflow_legs


def wire() -> None:
    """Register every handler the lower layers call (safe to call more than once)."""
    # Calls: the workflow describes its legs at their claim and hears of those outbound ends.
    outbound_events.register(describe=workflow_legs.request_for, ended=leg_events.leg_ended)
    # SMS: a prescription the patient's phone never received is read aloud to them.
    register_undeliverable_handler(PATIENT_PURPOSE, on_prescription_sms_undeliverable)
    register_undeliverable_handler(CONTINUATION, on_continuation_undeliverable)
    # Staff pages: a change in the browser goes through the district registry's import.
    staff_edit.wire()
