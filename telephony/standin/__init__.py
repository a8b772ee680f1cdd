"""A local Twilio stand-in: REST API, call engine running TwiML, phones with scripts.

Public API: ``StandIn`` (the facade), ``VirtualClock`` / ``RealClock``, ``PhoneScript``,
``WsgiTransport`` / ``HttpTransport``, ``Faults``. The REST layer uses
``telephony.standin.engine.Engine`` and ``telephony.standin.errors.TwilioApiError``.
"""

from telephony.standin.clock import RealClock, VirtualClock
from telephony.standin.facade import StandIn
from telephony.standin.faults import Faults
from telephony.standin.phones import PhoneScript
from telephony.standin.transport import HttpTransport, WsgiTransport

__all__ = [
    "Faults",
    "HttpTransport",
    "PhoneScript",
    "RealClock",
    "StandIn",
    "VirtualClock",
    "WsgiTransport",
]
