"""SMS texts: Jinja2 templates per purpose, language and script, fitted to Twilio's parts.

``render(purpose, language, script, **context) -> RenderedSms`` is the entry point;
``render_prescription`` gives every SMS of a prescription (continuations included);
``encoding.count_segments`` counts parts as Twilio does; ``choose_script(patient)``
gives the script a patient's phone can show.
"""

from sms_templates.config import LANGUAGES, PURPOSES, SCRIPTS
from sms_templates.contexts import MissingContext, prescription_context
from sms_templates.encoding import SegmentCount, clean_gsm, count_segments
from sms_templates.render import RenderedSms, UnknownTemplate, dlt_registration_text, render
from sms_templates.scripts import choose_script, remember_script
from sms_templates.split import CONTINUATION, PlannedSms, render_prescription

__all__ = [
    "CONTINUATION",
    "LANGUAGES",
    "PURPOSES",
    "SCRIPTS",
    "MissingContext",
    "PlannedSms",
    "RenderedSms",
    "SegmentCount",
    "UnknownTemplate",
    "choose_script",
    "clean_gsm",
    "count_segments",
    "dlt_registration_text",
    "prescription_context",
    "remember_script",
    "render",
    "render_prescription",
]
