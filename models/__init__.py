"""Sampark's data model (SQLAlchemy 2.0 typed mappings)."""

from models.audit import AuditEvent
from models.base import Base
from models.consultation import (
    TERMINAL_STATES,
    TRANSITIONS,
    Consultation,
    ConsultationState,
    ConsultationTransition,
    IllegalTransition,
    IntakeAnswer,
)
from models.dispensing import DispenseOutcome, PrescriptionDispensing
from models.district import (
    Block,
    District,
    Hub,
    NumberKind,
    Roster,
    ServiceNumber,
    Spoke,
    Staff,
    StaffRole,
)
from models.ivr import IvrSession
from models.patient import Patient
from models.portal import LoginThrottle, PortalSession
from models.prescription import Prescription, PrescriptionItem
from models.telephony import CallLeg, LegRole, SmsMessage, SmsStatus

__all__ = [
    "TERMINAL_STATES",
    "TRANSITIONS",
    "AuditEvent",
    "Base",
    "Block",
    "CallLeg",
    "Consultation",
    "ConsultationState",
    "ConsultationTransition",
    "DispenseOutcome",
    "District",
    "Hub",
    "IllegalTransition",
    "IntakeAnswer",
    "IvrSession",
    "LegRole",
    "LoginThrottle",
    "NumberKind",
    "Patient",
    "PortalSession",
    "Prescription",
    "PrescriptionDispensing",
    "PrescriptionItem",
    "Roster",
    "ServiceNumber",
    "SmsMessage",
    "SmsStatus",
    "Spoke",
    "Staff",
    "StaffRole",
]
