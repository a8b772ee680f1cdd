"""A local Twilio stand-in: REST API, call engine running TwiML, phones with scripts.

Public API: ``StandIn`` (the facade), ``VirtualClock`` / ``RealClock``, ``PhoneScript``,
``WsgiTransport`` / ``HttpTransport``, ``Faults``. The REST layer uses
``standin.engine.Engine`` and ``standin.errors.TwilioApiError``.
"""

from standin.clock import RealClock, VirtualClock
from standin.facade import StandIn
from standin.faults import Faults
from standin.phones import PhoneScript
from standin.transport import HttpTransport, WsgiTransport

__all__ = [
    "Faults",
    "HttpTransport",
    "PhoneScript",
    "RealClock",
    "StandIn",
    "VirtualClock",
    "WsgiTransport",
]
