"""Portal fixtures: a district with doctors who have passwords, and one consultation
awaiting the prescription of DR-GM-1 (intake answers, a recording, a past visit)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from core.runtime import Runtime
from core.timeutil import utcnow
from models import (
    CallLeg,
    Consultation,
    ConsultationState,
    IntakeAnswer,
    LegRole,
    Patient,
    Staff,
)
from portal.security import hash_password
from standin import StandIn, VirtualClock
from tests.builders import build_mini_district

PASSWORD = "Belwa-clinic-2026"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
DOCTOR = "DR-GM-1"  # took the consultation
OFFERED = "DR-GM-2"  # was offered it (and declined)
STRANGER = "DR-PD-1"  # has nothing to do with it
NAME_SID = "RE" + "0" * 31 + "1"  # the patient saying her name (seeded, no media behind it)
DESCRIPTION_SID = "RE" + "0" * 31 + "2"  # the problem in her words


@dataclass
class Seeded:
    consultation_id: int
    reference: str
    past_id: int
    patient_id: int
    staff_ids: dict[str, int]
    doctor_mobiles: dict[str, str]


def seed_portal(runtime: Runtime) -> Seeded:
    """The mini district, passwords for every doctor, and a consultation to prescribe in."""
    password_hash = hash_password(PASSWORD)
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        staff = {st.code: st for st in s.scalars(select(Staff)).all()}
        for code in mini.doctors:
            staff[code].password_hash = password_hash
        patient = Patient(
            mobile="+919990300001",
            name="Rani Kumari",
            age_years=34,
            sex="female",
            village="Belwa",
            name_recording_url=f"http://127.0.0.1:9/2010-04-01/Accounts/AC{'a1' * 16}/Recordings/"
            + NAME_SID,
        )
        s.add(patient)
        past = Consultation(
            reference="KSG-000001",
            state=ConsultationState.CLOSED,
            spoke_id=mini.spoke_ids["HWC-001"],
            patient=patient,
            caller_mobile=patient.mobile,
            complaint="cough_breathing",
            days=5,
            created_at=utcnow() - timedelta(days=40),
        )
        consultation = Consultation(
            reference="KSG-000002",
            state=ConsultationState.AWAITING_PRESCRIPTION,
            spoke_id=mini.spoke_ids["HWC-001"],
            patient=patient,
            caller_mobile=patient.mobile,
            language="hi",
            consent=True,
            complaint="fever",
            days=3,
            danger_signs=[],
            recording_url=f"http://127.0.0.1:9/2010-04-01/Accounts/AC{'a1' * 16}/Recordings/"
            + DESCRIPTION_SID,
            recording_sid=DESCRIPTION_SID,
            specialty="general_medicine",
            anm_id=staff["ANM-001"].id,
            doctor_id=staff[DOCTOR].id,
            follow_up_of_id=None,
        )
        s.add_all([past, consultation])
        s.flush()
        for question, value in [
            ("age", "34"),
            ("sex", "female"),
            ("complaint", "fever"),
            ("days", "3"),
            ("danger_signs", "none"),
        ]:
            s.add(IntakeAnswer(consultation_id=consultation.id, question=question, value=value))
        s.add(
            CallLeg(
                consultation_id=consultation.id,
                purpose=f"c{consultation.id}:offer:{OFFERED}",
                role=LegRole.DOCTOR_OFFER,
                staff_id=staff[OFFERED].id,
                from_number="+916456220001",
                to_number=staff[OFFERED].mobile,
                status="completed",
            )
        )
        return Seeded(
            consultation_id=consultation.id,
            reference=consultation.reference,
            past_id=past.id,
            patient_id=patient.id,
            staff_ids={code: st.id for code, st in staff.items()},
            doctor_mobiles=dict(mini.doctors),
        )


@pytest.fixture
def seeded(runtime: Runtime) -> Seeded:
    return seed_portal(runtime)


def recordings_standin(runtime: Runtime) -> StandIn:
    """A started stand-in of the test account (stop it when done)."""
    settings = runtime.settings
    standin = StandIn(settings.twilio_account_sid, settings.twilio_auth_token, VirtualClock())
    standin.start()
    return standin


def serve_recordings(
    runtime: Runtime, seeded: Seeded, seconds: dict[str, int], standin: StandIn | None = None
) -> StandIn:
    """A started stand-in holding the consultation's recordings (``name``, ``description``:
    their lengths in seconds); the seeded rows are pointed at them. Stop it when done."""
    standin = standin or recordings_standin(runtime)
    engine = standin.engine
    urls = {
        kind: engine.recording_url(
            engine.add_recording(
                call_sid=None,
                conference_sid=None,
                start=standin.clock.now(),
                duration=length,
                source="RecordVerb",
            )
        )
        for kind, length in seconds.items()
    }
    with runtime.db.session() as s:
        c = s.get_one(Consultation, seeded.consultation_id)
        c.recording_url = urls.get("description")
        c.recording_sid = c.recording_url.rsplit("/", 1)[1] if c.recording_url else None
        s.get_one(Patient, seeded.patient_id).name_recording_url = urls.get("name")
    return standin


class AuthActions:
    """Log in and out through the real forms (CSRF token read from the page)."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def csrf(self, path: str = "/portal/login") -> str:
        """The (masked) CSRF token written into the forms of the page at ``path``."""
        match = CSRF_INPUT.search(self._client.get(path).text)
        assert match, f"no CSRF field on {path}"
        return match.group(1)

    def login(self, identifier: str = DOCTOR, password: str = PASSWORD) -> TestResponse:
        token = self.csrf()
        return self._client.post(
            "/portal/login",
            data={"identifier": identifier, "password": password, "csrf_token": token},
        )

    def logout(self) -> TestResponse:
        token = self.csrf("/portal/consultations")
        return self._client.post("/portal/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
