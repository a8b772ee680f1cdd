"""Signed webhook requests, as Twilio sends them (X-Twilio-Signature over URL + params)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from tests.conftest import TEST_AUTH_TOKEN

PUBLIC_BASE = "http://sampark.test"


def signature(url: str, params: Mapping[str, str], token: str = TEST_AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, dict(params)))


def signed_post(
    client: FlaskClient,
    path_or_url: str,
    params: Mapping[str, str],
    *,
    token: str = TEST_AUTH_TOKEN,
) -> TestResponse:
    """POST ``params`` to ``path_or_url`` signed for the public URL Twilio would use."""
    url = path_or_url if "://" in path_or_url else PUBLIC_BASE + path_or_url
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.post(
        path,
        data=dict(params),
        headers={"X-Twilio-Signature": signature(url, params, token), "Host": parts.netloc},
    )
