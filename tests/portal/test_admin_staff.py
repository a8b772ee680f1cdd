"""Staff administration in the browser: a district admin adds, edits, deactivates and
reactivates staff through the registry's own validation, and the export writes it back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from core.runtime import Runtime
from models import AuditEvent, Roster, Staff
from sampark.registry import check, export_yaml
from tests.portal.admin_seed import ADMIN, give_password, post
from tests.portal.conftest import AuthActions, Seeded

NEW_DOCTOR = {
    "code": "DR-GM-9",
    "name": "Dr. Meera Jha",
    "mobile": "99990 55501",
    "languages": ["hi", "en"],
    "hub": "H-DH",
    "specialty": "general_medicine",
    "qualification": "MBBS, MD (Medicine)",
    "registration_number": "BMC-77001",
    "roster_rows": "2",
    "roster_days_0": "mon-sat",
    "roster_hours_0": "08:00-14:00",
    "roster_days_1": "mon, wed",
    "roster_hours_1": "20:00-08:00",
}


@pytest.fixture
def admin(runtime: Runtime, seeded: Seeded, auth: AuthActions, app: Flask) -> Iterator[AuthActions]:
    """The district admin, logged in."""
    give_password(runtime, ADMIN)
    assert auth.login(ADMIN).status_code == 302
    yield auth


def add_doctor(client: FlaskClient, auth: AuthActions, **changes: object) -> TestResponse:
    return post(client, auth, "/portal/admin/staff/new?role=doctor", {**NEW_DOCTOR, **changes})


def test_the_admin_adds_a_doctor_and_the_export_writes_her_back_as_entered(
    client: FlaskClient, admin: AuthActions, runtime: Runtime, tmp_path: Path
) -> None:
    response = add_doctor(client, admin)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Dr. Meera Jha is added." in page

    with runtime.db.session() as s:
        text = export_yaml(s)
        person = s.scalars(select(Staff).where(Staff.code == "DR-GM-9")).one()
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "staff.add")).one()
        assert audit.actor == ADMIN and audit.subject_id == person.id
        assert audit.detail["before"] is None
        assert audit.detail["after"]["mobile"] == "+919999055501"
    check(text)  # what `sampark district import --check` runs
    hub = next(h for h in yaml.safe_load(text)["hubs"] if h["code"] == "H-DH")
    doctor = next(d for d in hub["doctors"] if d["code"] == "DR-GM-9")
    assert doctor == {
        "code": "DR-GM-9",
        "name": "Dr. Meera Jha",
        "specialty": "general_medicine",
        "qualification": "MBBS, MD (Medicine)",
        "registration_number": "BMC-77001",
        "mobile": "+919999055501",
        "languages": ["hi", "en"],
        "roster": [
            {"days": "mon-sat", "hours": "08:00-14:00"},
            {"days": "mon, wed", "hours": "20:00-08:00"},
        ],
    }


def test_the_import_rules_are_shown_next_to_the_fields(
    client: FlaskClient, admin: AuthActions, runtime: Runtime
) -> None:
    taken = "+919990200002"  # DR-GM-2's
    response = add_doctor(
        client,
        admin,
        code="DR-GM-1",  # taken
        mobile="06456-222333",  # a landline
        hub="H-MC",
        specialty="dermatology",  # H-MC does not offer it
        registration_number="",
        roster_hours_1="08:00-15:00",  # overlaps monday's 08:00-14:00
    )
    assert response.status_code == 400
    page = response.text
    assert 'id="code-problem"' in page and "duplicate staff code" in page
    assert 'id="mobile-problem"' in page and "staff need a mobile" in page
    assert 'id="specialty-problem"' in page and "does not list dermatology" in page
    assert 'id="registration_number-problem"' in page
    assert "overlaps" in page
    assert not re.search(r"line \d", page)  # no file line numbers for a district officer
    response = add_doctor(client, admin, mobile=taken)
    assert response.status_code == 400 and 'id="mobile-problem"' in response.text
    with runtime.db.session() as s:
        assert s.scalars(select(Staff).where(Staff.code == "DR-GM-9")).first() is None


def test_the_admin_edits_the_roster_and_the_audit_keeps_before_and_after(
    client: FlaskClient, admin: AuthActions, runtime: Runtime, seeded: Seeded
) -> None:
    anm_id = seeded.staff_ids["ANM-003"]
    path = f"/portal/admin/staff/{anm_id}"
    page = client.get(path).text
    assert 'value="daily"' in page and 'value="00:00-24:00"' in page
    form = {
        "name": "Mamta Kumari",
        "mobile": "+919990100003",
        "languages": ["hi"],
        "spoke": "HWC-002",
        "rank": "1",
        "roster_rows": "2",
        "roster_days_0": "tue-sat",
        "roster_hours_0": "09:00-17:00",
        "roster_days_1": "",
        "roster_hours_1": "",
    }
    assert post(client, admin, path, form).status_code == 302
    with runtime.db.session() as s:
        slots = s.scalars(select(Roster).where(Roster.staff_id == anm_id)).all()
        assert sorted(r.weekday for r in slots) == [1, 2, 3, 4, 5]
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "staff.edit")).one()
        assert event.detail["before"]["languages"] == ["hi", "ur"]
        assert event.detail["after"]["languages"] == ["hi"]
        assert len(event.detail["before"]["roster"]) == 7
        assert len(event.detail["after"]["roster"]) == 5
        assert "ANM-003" in export_yaml(s)


def test_deactivate_then_reactivate_keeps_the_person_and_their_roster(
    client: FlaskClient, admin: AuthActions, runtime: Runtime, seeded: Seeded
) -> None:
    doctor_id = seeded.staff_ids["DR-DM-1"]
    path = f"/portal/admin/staff/{doctor_id}"
    assert post(client, admin, f"{path}/deactivate", {}, path).status_code == 302
    with runtime.db.session() as s:
        assert s.get_one(Staff, doctor_id).active is False
        assert "DR-DM-1" not in export_yaml(s)
    assert "Deactivated" in client.get("/portal/admin/staff?status=inactive").text
    assert "DR-DM-1" not in client.get("/portal/admin/staff").text
    assert post(client, admin, f"{path}/reactivate", {}, path).status_code == 302
    with runtime.db.session() as s:
        person = s.get_one(Staff, doctor_id)
        assert person.active is True and len(person.rosters) == 7
        assert "DR-DM-1" in export_yaml(s)
        actions = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("staff.%"))
        ).all()
        assert actions == ["staff.deactivate", "staff.reactivate"]


def test_an_admin_cannot_deactivate_herself(
    client: FlaskClient, admin: AuthActions, runtime: Runtime, seeded: Seeded
) -> None:
    path = f"/portal/admin/staff/{seeded.staff_ids[ADMIN]}"
    assert "Deactivate" not in client.get(path).text
    post(client, admin, f"{path}/deactivate", {}, path)
    with runtime.db.session() as s:
        assert s.get_one(Staff, seeded.staff_ids[ADMIN]).active is True


def test_filters_by_role_hub_and_spoke(client: FlaskClient, admin: AuthActions) -> None:
    doctors = client.get("/portal/admin/staff?role=doctor").text
    assert "DR-GM-1" in doctors and "ANM-001" not in doctors
    at_mc = client.get("/portal/admin/staff?hub=H-MC").text
    assert "DR-GM-2" in at_mc and "ANM-004" in at_mc  # HWC-003 is under H-MC
    assert "DR-GM-1" not in at_mc and "ANM-001" not in at_mc
    at_hwc = client.get("/portal/admin/staff?spoke=HWC-001").text
    assert "ANM-001" in at_hwc and "ANM-002" in at_hwc and "ANM-003" not in at_hwc


def test_password_reset_is_shown_once_and_must_be_changed(
    client: FlaskClient, admin: AuthActions, runtime: Runtime, seeded: Seeded, app: Flask
) -> None:
    anm_id = seeded.staff_ids["ANM-001"]
    path = f"/portal/admin/staff/{anm_id}/password"
    response = post(client, admin, path, {"password": ""})
    assert response.status_code == 200
    start = response.text.index('id="temporary-password">') + len('id="temporary-password">')
    temporary = response.text[start : response.text.index("<", start)]
    assert len(temporary) == 14
    with runtime.db.session() as s:
        person = s.get_one(Staff, anm_id)
        assert person.password_must_change is True
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "staff.password_reset")
        ).one()
        assert temporary not in str(event.detail)
    assert temporary not in client.get(f"/portal/admin/staff/{anm_id}").text
    too_short = post(client, admin, path, {"password": "abc123"})
    assert too_short.status_code == 400

    anm = AuthActions(app.test_client())
    response = anm.login("ANM-001", temporary)
    assert response.status_code == 302
    first_page = anm._client.get(response.headers["Location"])
    assert first_page.headers["Location"].endswith("/portal/password")
