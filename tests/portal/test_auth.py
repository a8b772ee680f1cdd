"""Login, logout, session expiry, CSRF, cookie flags and failed-login limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import utcnow
from models import AuditEvent, LoginThrottle, PortalSession, Staff
from sampark.app import create_app
from sampark.cli import main as cli
from tests.portal.conftest import DOCTOR, PASSWORD, AuthActions, Seeded


class Clock:
    """A settable 'now' for the portal's expiry and lock arithmetic."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def frozen(clock: Clock) -> tuple[Any, Any]:
    """Patch the portal's notion of now (login limits and session expiry)."""
    return patch.multiple("portal.auth", utcnow=clock), patch.multiple(
        "portal.blueprint", utcnow=clock
    )


def audit_actions(runtime: Runtime) -> list[str]:
    with runtime.db.session() as s:
        return [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_login_by_staff_code_opens_the_list(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    response = auth.login(DOCTOR.lower())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal/consultations")
    page = client.get("/portal/consultations")
    assert page.status_code == 200
    assert "Dr. Anil Prasad" in page.text


def test_login_by_mobile_number_as_people_type_it(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    mobile = seeded.doctor_mobiles[DOCTOR]  # +919990200001
    typed = f"0{mobile[3:8]} {mobile[8:]}"
    assert auth.login(typed).status_code == 302


def test_wrong_password_and_unknown_account_get_the_same_answer(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    wrong = auth.login(DOCTOR, "not-the-password")
    unknown = auth.login("DR-NOBODY", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong mobile number, staff code or password." in wrong.text
    assert "Wrong mobile number, staff code or password." in unknown.text
    assert client.get("/portal/consultations").status_code == 302
    assert audit_actions(runtime).count("login_failed") == 2


def test_session_cookie_is_httponly_samesite_and_not_secure_over_http(
    auth: AuthActions, seeded: Seeded
) -> None:
    cookie = auth.login().headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_the_public_url_is_https(
    runtime: Runtime, seeded: Seeded
) -> None:
    settings = runtime.settings.with_overrides(public_base_url="https://sampark.example.in")
    app = create_app(settings, runtime=runtime, TESTING=True)
    client = app.test_client()
    client.get("/portal/login", base_url="https://sampark.example.in")
    cookie = AuthActions(client).login().headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_login_without_or_with_a_wrong_csrf_token_is_refused(
    client: FlaskClient, seeded: Seeded
) -> None:
    client.get("/portal/login")
    form = {"identifier": DOCTOR, "password": PASSWORD}
    assert client.post("/portal/login", data=form).status_code == 400
    assert client.post("/portal/login", data={**form, "csrf_token": "forged"}).status_code == 400
    with client.session_transaction() as sess:
        unmasked = sess["csrf"]  # the token itself is never accepted: forms carry it masked
    assert client.post("/portal/login", data={**form, "csrf_token": unmasked}).status_code == 400


def test_the_csrf_token_is_masked_differently_on_every_page(
    auth: AuthActions, seeded: Seeded
) -> None:
    assert auth.csrf() != auth.csrf()


def test_logout_needs_the_csrf_token(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    assert client.post("/portal/logout").status_code == 400
    assert client.get("/portal/consultations").status_code == 200  # still signed in


def test_a_new_session_and_csrf_token_at_login(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    client.get("/portal/login")
    with client.session_transaction() as sess:
        before = sess["csrf"]
    auth.login()
    with client.session_transaction() as sess:
        assert sess["csrf"] != before
        assert "sid" in sess


def test_logout_ends_the_session_on_the_server_too(
    app: Flask, client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    with client.session_transaction() as sess:
        stolen = dict(sess)
    assert auth.logout().status_code == 302
    replay = app.test_client()
    with replay.session_transaction() as sess:
        sess.update(stolen)
    assert replay.get("/portal/consultations").status_code == 302
    with runtime.db.session() as s:
        assert s.scalars(select(PortalSession)).one().revoked_at is not None


def test_an_idle_session_expires(client: FlaskClient, auth: AuthActions, seeded: Seeded) -> None:
    clock = Clock()
    p1, p2 = frozen(clock)
    with p1, p2:
        auth.login()
        clock.advance(minutes=29)
        assert client.get("/portal/consultations").status_code == 200
        clock.advance(minutes=31)
        response = client.get("/portal/consultations")
        assert response.status_code == 302
        assert "expired=1" in response.headers["Location"]
        assert "Your session ended" in client.get(response.headers["Location"]).text


def test_even_an_active_session_ends_after_twelve_hours(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    clock = Clock()
    p1, p2 = frozen(clock)
    with p1, p2:
        auth.login()
        for _ in range(35):  # busy all day: a page every 20 minutes
            clock.advance(minutes=20)
            assert client.get("/portal/consultations").status_code == 200
        clock.advance(minutes=21)  # 12 h 1 min after login
        assert client.get("/portal/consultations").status_code == 302


def test_a_deactivated_doctor_is_signed_out_at_once(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    with runtime.db.session() as s:
        doctor = s.scalars(select(Staff).where(Staff.code == DOCTOR)).one()
        doctor.active = False
    assert client.get("/portal/consultations").status_code == 302
    assert auth.login().status_code == 401


def test_logging_in_again_mid_form_lands_on_the_form(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    url = f"/portal/consultations/{seeded.consultation_id}/prescription"
    assert "next=" + url in client.get(url).headers["Location"]
    auth.login()
    response = client.get(url)
    assert response.headers["Location"] == f"/portal/consultations/{seeded.consultation_id}#rx"


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    runtime: Runtime, client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    clock = Clock()
    p1, p2 = frozen(clock)
    with p1, p2:
        for attempt in range(1, 6):
            response = auth.login(DOCTOR, f"wrong-{attempt}")
            clock.advance(seconds=20)  # past each slow-down
        assert response.status_code == 429
        assert "locked until" in response.text
        # The right password does not help while locked, even after a restart.
        restarted = create_app(runtime.settings, runtime=runtime, TESTING=True).test_client()
        assert AuthActions(restarted).login().status_code == 429
        clock.advance(minutes=15)
        assert auth.login().status_code == 302
    with runtime.db.session() as s:
        doctor_id = s.scalars(select(Staff.id).where(Staff.code == DOCTOR)).one()
        assert (
            s.scalars(select(LoginThrottle).where(LoginThrottle.key == f"staff:{doctor_id}")).all()
            == []
        )


def test_failures_are_slowed_before_the_lock(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    clock = Clock()
    p1, p2 = frozen(clock)
    with p1, p2:
        for attempt in range(3):
            assert auth.login(DOCTOR, f"wrong-{attempt}").status_code == 401
        slowed = auth.login()  # right password, too soon after three failures
        assert slowed.status_code == 429
        assert "Wait" in slowed.text and slowed.headers["Retry-After"]
        clock.advance(seconds=2)
        assert auth.login().status_code == 302


def test_one_address_trying_many_accounts_is_locked(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    clock = Clock()
    p1, p2 = frozen(clock)
    with p1, p2:
        for n in range(20):
            auth.login(f"DR-GUESS-{n}", "guess")
            clock.advance(seconds=61)
        assert auth.login().status_code == 429  # a real account, from the same address
        other = client.application.test_client()
        other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
        assert AuthActions(other).login().status_code == 302


def test_set_password_cli_sets_an_argon2_hash(runtime: Runtime, seeded: Seeded) -> None:
    env = {"DATABASE_URL": runtime.settings.database_url}
    result = CliRunner().invoke(
        cli, ["staff", "set-password", "dr-gm-2", "--password", "New-pass-word-9"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "password set for DR-GM-2" in result.output
    with runtime.db.session() as s:
        stored = s.scalars(select(Staff.password_hash).where(Staff.code == "DR-GM-2")).one()
    assert stored and stored.startswith("$argon2id$")
    weak = CliRunner().invoke(
        cli, ["staff", "set-password", "DR-GM-2", "--password", "123"], env=env
    )
    assert weak.exit_code == 1
    missing = CliRunner().invoke(
        cli, ["staff", "set-password", "NOBODY", "--password", "New-pass-word-9"], env=env
    )
    assert missing.exit_code == 1
