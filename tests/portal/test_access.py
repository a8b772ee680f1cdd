"""Who sees what: a doctor sees only consultations offered to or taken by her, and every
view of a patient's data is in the audit log."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from models import AuditEvent
from tests.portal.conftest import DOCTOR, OFFERED, PASSWORD, STRANGER, AuthActions, Seeded


def audit_rows(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_signed_out_visitors_are_sent_to_login(client: FlaskClient, seeded: Seeded) -> None:
    response = client.get(f"/portal/consultations/{seeded.consultation_id}")
    assert response.status_code == 302
    assert "/portal/login?next=/portal/consultations/" in response.headers["Location"]


def test_the_list_shows_her_consultations_only(app: Flask, seeded: Seeded) -> None:
    pages = {}
    for code in (DOCTOR, OFFERED, STRANGER):
        client = app.test_client()
        AuthActions(client).login(code, PASSWORD)
        pages[code] = client.get("/portal/consultations").text
    assert seeded.reference in pages[DOCTOR]
    assert seeded.reference in pages[OFFERED] and "offered" in pages[OFFERED]
    assert seeded.reference not in pages[STRANGER]
    assert "Rani Kumari" not in pages[STRANGER]


def test_the_consultation_page_shows_intake_recording_and_past_visits(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    page = client.get(f"/portal/consultations/{seeded.consultation_id}")
    assert page.status_code == 200
    text = page.text
    assert "Rani Kumari" in text and "Fever" in text and "Belwa" in text
    recordings = f"/portal/consultations/{seeded.consultation_id}/recordings"
    assert f'<audio controls preload="none" id="rec-name" src="{recordings}/name.wav">' in text
    assert f'id="rec-description" src="{recordings}/description.wav"' in text
    assert "127.0.0.1:9" not in text  # never a provider's URL
    assert "KSG-000001" in text  # the past consultation
    assert "Cough / breathing" in text
    assert "Write the prescription" in text
    assert "9990300001" not in text  # the patient's number is masked
    assert len(page.data) < 30_000


def test_another_doctor_is_refused_and_the_attempt_is_audited(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login(STRANGER)
    page = client.get(f"/portal/consultations/{seeded.consultation_id}")
    assert page.status_code == 403
    assert "Rani Kumari" not in page.text
    assert (
        client.post(
            f"/portal/consultations/{seeded.consultation_id}/prescription",
            data={"csrf_token": auth.csrf("/portal/consultations"), "diagnosis": "x"},
        ).status_code
        == 403
    )
    denied = audit_rows(runtime, "access_denied")
    assert [d.actor_staff_id for d in denied] == [seeded.staff_ids[STRANGER]] * 2
    assert audit_rows(runtime, "view_consultation") == []


def test_an_offered_doctor_may_read_but_not_prescribe(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login(OFFERED)
    page = client.get(f"/portal/consultations/{seeded.consultation_id}")
    assert page.status_code == 200
    assert "Write the prescription" not in page.text
    assert "only by the doctor who took" in page.text
    response = client.post(
        f"/portal/consultations/{seeded.consultation_id}/prescription",
        data={"csrf_token": auth.csrf("/portal/consultations"), "diagnosis": "Fever"},
    )
    assert response.status_code == 403


def test_every_view_is_audited_with_actor_and_request_id(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    response = client.get(f"/portal/consultations/{seeded.consultation_id}")
    (row,) = audit_rows(runtime, "view_consultation")
    assert row.actor_staff_id == seeded.staff_ids[DOCTOR]
    assert row.actor == DOCTOR
    assert row.subject_type == "consultation" and row.subject_id == seeded.consultation_id
    assert row.request_id == response.headers["X-Request-Id"]
    client.get("/portal/consultations")
    (listing,) = audit_rows(runtime, "view_consultation_list")
    assert seeded.consultation_id in listing.detail["consultation_ids"]


def test_missing_consultation_is_404(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    assert client.get("/portal/consultations/999999").status_code == 404
    assert client.get("/portal/prescriptions/NOPE42").status_code == 404


def test_pages_carry_protective_headers(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    response = client.get(f"/portal/consultations/{seeded.consultation_id}")
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no script at all
    assert response.headers["X-Frame-Options"] == "DENY"


def test_language_switch_to_hindi_and_back(
    client: FlaskClient, auth: AuthActions, seeded: Seeded
) -> None:
    auth.login()
    response = client.get("/portal/lang/hi?next=/portal/consultations")
    assert response.headers["Location"] == "/portal/consultations"
    page = client.get("/portal/consultations").text
    assert "खुले परामर्श" in page and 'lang="hi"' in page
    client.get("/portal/lang/en")
    assert "Open consultations" in client.get("/portal/consultations").text


def test_language_switch_never_redirects_off_site(client: FlaskClient, seeded: Seeded) -> None:
    for target in ("https://evil.example/", "//evil.example/portal/", "/portal/\\evil"):
        response = client.get("/portal/lang/hi", query_string={"next": target})
        assert response.headers["Location"] == "/portal/"  # home: the login, or her page
