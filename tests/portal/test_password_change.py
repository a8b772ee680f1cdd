"""A password someone else set works once: the portal asks for one of the person's own."""

from __future__ import annotations

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from models import AuditEvent, PortalSession, Staff, StaffRole
from sampark.cli import main as cli
from tests.portal.conftest import DOCTOR, PASSWORD, AuthActions, Seeded

GIVEN = "Given-by-admin-42"
OWN = "My-own-secret-77"


def _give_password(runtime: Runtime, code: str, *extra: str) -> None:
    env = {"DATABASE_URL": runtime.settings.database_url}
    result = CliRunner().invoke(
        cli, ["staff", "set-password", code, "--password", GIVEN, *extra], env=env
    )
    assert result.exit_code == 0, result.output


def _change(client: FlaskClient, auth: AuthActions, current: str, new: str, again: str) -> int:
    token = auth.csrf("/portal/password")
    response = client.post(
        "/portal/password",
        data={"current": current, "new": new, "again": again, "csrf_token": token},
    )
    return response.status_code


def test_a_given_password_opens_nothing_but_the_change_form(
    runtime: Runtime, client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    _give_password(runtime, DOCTOR)
    assert auth.login(DOCTOR, GIVEN).status_code == 302
    for path in ("/portal/consultations", f"/portal/consultations/{seeded.consultation_id}"):
        page = client.get(path)
        assert page.status_code == 302
        assert page.headers["Location"].endswith("/portal/password")
    assert _change(client, auth, GIVEN, OWN, OWN + "x") == 400  # not the same twice
    assert _change(client, auth, GIVEN, GIVEN, GIVEN) == 400  # not the given one
    assert _change(client, auth, "wrong-one-123", OWN, OWN) == 400
    assert _change(client, auth, GIVEN, "short1", "short1") == 400
    assert client.get("/portal/consultations").status_code == 302  # still locked in
    assert _change(client, auth, GIVEN, OWN, OWN) == 302
    assert client.get("/portal/consultations").status_code == 200
    with runtime.db.session() as s:
        staff = s.scalars(select(Staff).where(Staff.code == DOCTOR)).one()
        assert staff.password_must_change is False
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.actor == DOCTOR)))
    assert actions.count("password_change_refused") == 4
    assert "password_changed" in actions
    auth.logout()
    assert auth.login(DOCTOR, GIVEN).status_code == 401  # the given password is gone
    assert auth.login(DOCTOR, OWN).status_code == 302


def test_changing_the_password_ends_the_other_sessions(
    runtime: Runtime, client: FlaskClient, auth: AuthActions, seeded: Seeded, app: Flask
) -> None:
    other = app.test_client()
    assert AuthActions(other).login(DOCTOR, PASSWORD).status_code == 302
    assert auth.login(DOCTOR, PASSWORD).status_code == 302
    assert _change(client, auth, PASSWORD, OWN, OWN) == 302
    assert other.get("/portal/consultations").status_code == 302  # signed out
    assert client.get("/portal/consultations").status_code == 200
    with runtime.db.session() as s:
        live = s.scalars(select(PortalSession).where(PortalSession.revoked_at.is_(None))).all()
    assert len(live) == 1


def test_permanent_passwords_and_who_may_sign_in(
    runtime: Runtime, client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    _give_password(runtime, DOCTOR, "--permanent")
    assert auth.login(DOCTOR, GIVEN).status_code == 302
    assert client.get("/portal/consultations").status_code == 200
    auth.logout()
    with runtime.db.session() as s:
        doctor = s.scalars(select(Staff).where(Staff.code == DOCTOR)).one()
        s.add(
            Staff(
                code="PH-001",
                name="Pharmacist",
                role=StaffRole.PHARMACIST,
                mobile="+919990399001",
                languages=["hi"],
                district_id=doctor.district_id,
            )
        )
    _give_password(runtime, "PH-001", "--permanent")
    assert auth.login("PH-001", GIVEN).status_code == 401  # no portal page for the role
