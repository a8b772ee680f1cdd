"""The patient's recordings played in the consultation page (issue 14, item 5).

The media comes from the local Twilio stand-in, fetched with the account's credentials
through the gateway; the browser sees only the portal's own route.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from models import AuditEvent
from sampark.app import create_app
from tests.portal.conftest import (
    OFFERED,
    PASSWORD,
    STRANGER,
    AuthActions,
    Seeded,
    serve_recordings,
)


@pytest.fixture
def media_app(runtime: Runtime, seeded: Seeded) -> Iterator[Flask]:
    """The app, its gateway pointed at a stand-in that holds the consultation's recordings."""
    standin = serve_recordings(runtime, seeded, {"name": 3, "description": 12})
    settings = runtime.settings.with_overrides(twilio_api_base_url=standin.base_url)
    try:
        yield create_app(settings, runtime=Runtime(settings=settings, db=runtime.db), TESTING=True)
    finally:
        standin.stop()


def _signed_in(app: Flask, code: str = "DR-GM-1") -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(code, PASSWORD)
    return client


def _plays(runtime: Runtime) -> list[AuditEvent]:
    with runtime.db.session() as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "play_recording")
                .order_by(AuditEvent.id)
            ).all()
        )


def _seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_the_page_plays_the_name_and_the_description_through_the_portal(
    media_app: Flask, seeded: Seeded
) -> None:
    page = _signed_in(media_app).get(f"/portal/consultations/{seeded.consultation_id}").text
    base = f"/portal/consultations/{seeded.consultation_id}/recordings"
    assert f'id="rec-name" src="{base}/name.wav"' in page
    assert f'id="rec-description" src="{base}/description.wav"' in page
    assert "/Recordings/RE" not in page and "2010-04-01" not in page  # no Twilio URL


def test_each_play_streams_the_media_and_is_audited(
    media_app: Flask, seeded: Seeded, runtime: Runtime
) -> None:
    client = _signed_in(media_app)
    base = f"/portal/consultations/{seeded.consultation_id}/recordings"
    lengths = {}
    for kind in ("name", "description", "name"):
        response = client.get(f"{base}/{kind}.wav")
        assert response.status_code == 200, response.text
        assert response.mimetype == "audio/x-wav"
        assert response.headers["Cache-Control"] == "no-store"
        lengths[kind] = _seconds(response.data)
    assert lengths == {"name": 3, "description": 12}
    plays = _plays(runtime)
    assert [(p.actor_staff_id, p.detail["kind"], p.detail["outcome"]) for p in plays] == [
        (seeded.staff_ids["DR-GM-1"], "name", "ok"),
        (seeded.staff_ids["DR-GM-1"], "description", "ok"),
        (seeded.staff_ids["DR-GM-1"], "name", "ok"),
    ]
    assert all(p.subject_id == seeded.consultation_id and p.at is not None for p in plays)
    assert plays[0].detail["recording"] == plays[2].detail["recording"]
    assert plays[0].detail["recording"].startswith("RE")


def test_a_doctor_it_was_offered_to_may_play_it_a_stranger_may_not(
    media_app: Flask, seeded: Seeded, runtime: Runtime
) -> None:
    url = f"/portal/consultations/{seeded.consultation_id}/recordings/description.wav"
    assert _signed_in(media_app, OFFERED).get(url).status_code == 200
    refused = _signed_in(media_app, STRANGER).get(url)
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert [p.actor_staff_id for p in _plays(runtime)] == [seeded.staff_ids[OFFERED]]
    with runtime.db.session() as s:
        denied = s.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
        assert [(d.actor_staff_id, d.detail["attempted"]) for d in denied] == [
            (seeded.staff_ids[STRANGER], "play_recording")
        ]


def test_a_visitor_not_signed_in_is_sent_to_log_in(media_app: Flask, seeded: Seeded) -> None:
    url = f"/portal/consultations/{seeded.consultation_id}/recordings/name.wav"
    response = media_app.test_client().get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/login?next=")


def test_no_such_recording_is_404(media_app: Flask, seeded: Seeded, runtime: Runtime) -> None:
    client = _signed_in(media_app)
    base = f"/portal/consultations/{seeded.consultation_id}/recordings"
    assert client.get(f"{base}/other.wav").status_code == 404
    assert client.get("/portal/consultations/999999/recordings/name.wav").status_code == 404
    assert _plays(runtime) == []


def test_media_the_provider_refuses_is_404_and_audited(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    """The seeded recordings exist nowhere (the API base is a closed port): a retryable
    failure is 503; each attempt is audited with its outcome."""
    auth.login()
    url = f"/portal/consultations/{seeded.consultation_id}/recordings/name.wav"
    assert client.get(url).status_code == 503
    assert [p.detail["outcome"] for p in _plays(runtime)] == ["retryable"]
