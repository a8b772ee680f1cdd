"""Realistic contexts for every SMS purpose (fictional people and numbers)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

ISSUED_AT = datetime(2026, 11, 25, 8, 35, tzinfo=UTC)  # 14:05 IST

MEDICINES: list[dict[str, Any]] = [
    {
        "name": "Paracetamol",
        "strength": "500 mg",
        "form": "tablet",
        "dose": "1 tab",
        "frequency": "1-1-1",
        "duration_days": 3,
    },
    {
        "name": "ORS",
        "strength": "20.5 g",
        "form": "sachet",
        "dose": "1 sachet",
        "frequency": "1-1-1",
        "duration_days": 3,
    },
    {
        "name": "Zinc sulphate",
        "strength": "20 mg",
        "form": "tablet",
        "dose": "1 tab",
        "frequency": "OD",
        "duration_days": 14,
    },
    {
        "name": "Amoxicillin",
        "strength": "250 mg",
        "form": "capsule",
        "dose": "1 cap",
        "frequency": "1-1-1",
        "duration_days": 5,
    },
    {
        "name": "Salbutamol syrup",
        "strength": "2 mg/5 ml",
        "form": "syrup",
        "dose": "5 ml",
        "frequency": "TDS",
        "duration_days": 5,
    },
]

RX = {
    "code": "RX7K2P",
    "issued_on": ISSUED_AT,
    "patient_name": "Sabina Khatun",
    "patient_age": 34,
    "patient_sex": "female",
    "doctor_name": "Dr. Anil Prasad",
    "doctor_registration": "BMC-40001",
    "diagnosis": "Acute gastroenteritis with mild dehydration",
    "medicines": MEDICINES[:3],
    "advice": "Drink boiled water, eat light food",
    "tests": "Stool routine",
    "follow_up_on": date(2026, 11, 30),
    "referral_to": None,
    "referral_urgency": None,
    "reference": "SMP-2611-0042",
    "callback_number": "+916456220001",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "prescription_patient": RX,
    "prescription_anm": {**RX, "medicines": MEDICINES},
    "prescription_more": {
        "code": "RX7K2P",
        "part": "2/2",
        "notes": ["2: 1 sachet in 1 litre of clean water; sip after each loose stool"],
        "advice": "Drink plenty of fluids, rest. Return if fever persists beyond 3 days.",
        "tests": None,
    },
    "followup_reminder": {
        "patient_name": "Sabina Khatun",
        "follow_up_on": date(2026, 11, 30),
        "code": "RX7K2P",
        "callback_number": "+916456220001",
    },
    "could_not_reach": {"callback_number": "+916456220001"},
    "emergency_advice": {"emergency_number": "108", "referral_to": "Sadar Hospital Kishanganj"},
    "emergency_anm_alert": {
        "reference": "SMP-2611-0043",
        "patient_mobile": "+919431012345",
        "village": "Belwa",
        "danger_signs": ["heavy_bleeding", "convulsions"],
    },
    "callback_notice": {"callback_from": "+916456220099", "minutes": 2},
    "intake_alert_anm": {
        "reference": "SMP-2611-0042",
        "patient_mobile": "+919431012345",
        "complaint": "diarrhoea_vomiting",
        "days": 2,
        "village": "Belwa",
    },
    "doctor_prescription_link": {
        "doctor_name": "Dr. Anil Prasad",
        "reference": "SMP-2611-0042",
        "link": "http://sampark.test/portal/c/SMP-2611-0042",
    },
    "doctor_prescription_reminder": {
        "reference": "SMP-2611-0042",
        "link": "http://sampark.test/portal/c/SMP-2611-0042",
    },
    "doctor_unavailable": {"doctor_name": "Dr. Anil Prasad", "doctor_code": "DR-GM-1", "missed": 3},
    "doctor_rx_not_in_stock": {
        "code": "RX7K2P",
        "reference": "SMP-2611-0042",
        "hwc_name": "HWC Belwa",
        "anm_name": "Sunita Devi",
        "medicines": MEDICINES[1:3],
        "notes": "Expected back on Monday",
        "link": "http://sampark.test/portal/prescriptions/RX7K2P/correct",
    },
    "rx_verify_reply": {
        "code": "RX7K2P",
        "found": True,
        "doctor_name": "Dr. Anil Prasad",
        "doctor_registration": "BMC-40001",
        "hub_name": "Sadar Hospital Kishanganj",
        "issued_at": ISSUED_AT,
        "current": True,
        "superseded_at": None,
    },
    "rx_verify_refused": {},
}

VARIANTS = [
    ("hi", "native"),
    ("hi", "roman"),
    ("ur", "native"),
    ("ur", "roman"),
    ("bn", "native"),
    ("bn", "roman"),
    ("en", "native"),
]
