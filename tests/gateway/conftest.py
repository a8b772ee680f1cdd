"""The gateway's tests reach a stand-in REST server on a free port."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.standin_rest.conftest import TOKEN, FakeStandIn, fake_standin  # noqa: F401
from tests.standin_rest.fake_engine import ACCOUNT


@pytest.fixture
def standin_settings(fake_standin: FakeStandIn) -> Settings:  # noqa: F811
    """Settings whose only change is the Twilio API base URL (the stand-in's)."""
    return Settings.from_env(
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_API_BASE_URL": fake_standin.base_url,
        }
    )
