"""A doctor's form with control characters is kept without them (no failed write, no 500)."""

from __future__ import annotations

from flask.testing import FlaskClient

from core.runtime import Runtime
from tests.portal.conftest import AuthActions, Seeded
from tests.portal.test_prescribing import post_rx, prescriptions


def test_nul_and_escape_in_a_prescription_are_dropped_and_its_lines_kept(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime
) -> None:
    auth.login()
    response = post_rx(
        client,
        auth,
        seeded,
        tests="CBC\x00\r\nMalaria\x1b RDT",
        referral_to="PHC\x00 Pothia",
        referral_urgency="routine\x07",
    )
    assert response.status_code == 302, response.text
    (rx,) = prescriptions(runtime)
    assert "CBC, Malaria RDT" in client.get(response.headers["Location"]).text
    assert rx.referral_to == "PHC Pothia"
