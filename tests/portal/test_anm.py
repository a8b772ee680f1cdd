"""The ANM's workspace: her HWC's patients only (her block's when she covers), audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from models import AuditEvent
from sampark.app import create_app
from tests.portal.anm_seed import ANM, FAR_ANM, NEIGHBOUR, AnmSeeded, seed_anm, take_off_duty
from tests.portal.conftest import DOCTOR, PASSWORD, AuthActions, Seeded, serve_recordings


@pytest.fixture
def anm_seeded(runtime: Runtime, seeded: Seeded) -> AnmSeeded:
    return seed_anm(runtime, seeded)


def audits(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.session() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ).all()
        )


def test_the_anm_lands_on_her_hwc_and_sees_only_its_patients(
    client: FlaskClient, auth: AuthActions, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    response = auth.login(ANM)
    assert response.headers["Location"] == "/portal/anm"
    page = client.get("/portal/anm").text
    assert "HWC Belwa" in page
    assert anm_seeded.base.reference in page  # today's (prescribed)
    assert anm_seeded.rx_code in page  # to dispense
    assert "Rani Kumari" in page
    assert f"/portal/consultations/{anm_seeded.base.consultation_id}/recordings/" in page
    assert "KSG-000003" not in page and anm_seeded.other_rx_code not in page
    assert "Salma Begum" not in page
    assert 'id="cover"' not in page  # every colleague of her block is on duty
    (seen,) = audits(runtime, "view_anm_workspace")
    assert seen.actor == ANM
    assert anm_seeded.base.consultation_id in seen.detail["consultation_ids"]
    assert anm_seeded.other_consultation_id not in seen.detail["consultation_ids"]
    assert seen.detail["prescription_ids"] == [anm_seeded.rx_id]


def test_another_hwcs_consultation_and_prescription_are_refused_and_audited(
    client: FlaskClient, auth: AuthActions, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    auth.login(ANM)
    other = anm_seeded.other_consultation_id
    token = auth.csrf("/portal/anm")
    assert client.get(f"/portal/anm/consultations/{other}").status_code == 403
    assert (
        client.get(f"/portal/consultations/{other}/recordings/description.wav").status_code == 403
    )
    code = anm_seeded.other_rx_code
    assert client.get(f"/portal/anm/prescriptions/{code}").status_code == 403
    for action in ("dispensed", "not-in-stock", "read-aloud"):
        response = client.post(
            f"/portal/anm/prescriptions/{code}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 403, action
    refused = audits(runtime, "access_denied")
    assert [(a.subject_id, a.detail["attempted"]) for a in refused] == [
        (other, "view_consultation"),
        (other, "play_recording"),
        (other, "view_prescription"),
        (other, "dispense_prescription"),
        (other, "not_in_stock"),
        (other, "read_aloud"),
    ]
    assert all(a.actor == ANM for a in refused)
    assert audits(runtime, "dispense_prescription") == []


def test_her_own_consultation_opens_with_intake_recordings_and_prescription(
    client: FlaskClient, auth: AuthActions, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    auth.login(ANM)
    cid = anm_seeded.base.consultation_id
    page = client.get(f"/portal/anm/consultations/{cid}").text
    for text in ("Rani Kumari", "Fever", 'id="rec-description"', anm_seeded.rx_code):
        assert text in page, text
    (seen,) = audits(runtime, "view_consultation")
    assert (seen.subject_id, seen.actor, seen.detail["cover"]) == (cid, ANM, False)


def test_the_anm_covers_her_blocks_hwc_while_its_anm_is_off_duty(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    take_off_duty(runtime, NEIGHBOUR)  # HWC-002 (same block) has no one on duty now
    covering = app.test_client()
    AuthActions(covering).login(ANM, PASSWORD)
    page = covering.get("/portal/anm").text
    assert 'id="cover"' in page and "HWC Daula" in page
    cover_part = page[page.index('id="cover"') :]
    assert "KSG-000003" in cover_part and anm_seeded.other_rx_code in cover_part
    other = anm_seeded.other_consultation_id
    assert covering.get(f"/portal/anm/consultations/{other}").status_code == 200
    viewed = audits(runtime, "view_consultation")[-1]
    assert (viewed.subject_id, viewed.detail["cover"]) == (other, True)
    far = app.test_client()  # HWC-003 is in another block: no cover there
    AuthActions(far).login(FAR_ANM, PASSWORD)
    assert far.get(f"/portal/anm/consultations/{other}").status_code == 403
    assert "KSG-000003" not in far.get("/portal/anm").text
    take_off_duty(runtime, ANM)  # off duty herself (e.g. at night): she covers no one
    assert covering.get(f"/portal/anm/consultations/{other}").status_code == 403
    assert 'id="cover"' not in covering.get("/portal/anm").text


def test_each_role_gets_403_on_the_others_pages(
    app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    anm = app.test_client()
    AuthActions(anm).login(ANM, PASSWORD)
    code = anm_seeded.rx_code
    cid = anm_seeded.base.consultation_id
    for path in (
        "/portal/consultations",
        f"/portal/consultations/{cid}",
        f"/portal/prescriptions/{code}",
    ):
        response = anm.get(path)
        assert response.status_code == 403, path
        assert "This page is not open to your role." in response.text
    doctor = app.test_client()
    AuthActions(doctor).login(DOCTOR, PASSWORD)
    for path in (
        "/portal/anm",
        f"/portal/anm/consultations/{cid}",
        f"/portal/anm/prescriptions/{code}",
    ):
        assert doctor.get(path).status_code == 403, path


@pytest.fixture
def media_app(runtime: Runtime, anm_seeded: AnmSeeded) -> Iterator[Flask]:
    """The app, its gateway pointed at a stand-in holding the consultation's recordings."""
    standin = serve_recordings(runtime, anm_seeded.base, {"name": 2, "description": 5})
    settings = runtime.settings.with_overrides(twilio_api_base_url=standin.base_url)
    try:
        yield create_app(settings, runtime=Runtime(settings=settings, db=runtime.db), TESTING=True)
    finally:
        standin.stop()


def test_the_anm_plays_her_patients_recording_and_the_play_is_audited(
    media_app: Flask, anm_seeded: AnmSeeded, runtime: Runtime
) -> None:
    client = media_app.test_client()
    AuthActions(client).login(ANM, PASSWORD)
    cid = anm_seeded.base.consultation_id
    response = client.get(f"/portal/consultations/{cid}/recordings/description.wav")
    assert response.status_code == 200
    assert response.data[:4] == b"RIFF"
    (play,) = audits(runtime, "play_recording")
    assert (play.actor, play.subject_id, play.detail["outcome"]) == (ANM, cid, "ok")


@pytest.mark.parametrize("lang", ["hi", "ur", "bn", "en"])
def test_her_pages_open_in_the_language_she_chooses(
    client: FlaskClient, auth: AuthActions, anm_seeded: AnmSeeded, lang: str
) -> None:
    auth.login(ANM)
    client.get(f"/portal/lang/{lang}")
    cid = anm_seeded.base.consultation_id
    for path in (
        "/portal/anm",
        f"/portal/anm/consultations/{cid}",
        f"/portal/anm/prescriptions/{anm_seeded.rx_code}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}">' in response.text
