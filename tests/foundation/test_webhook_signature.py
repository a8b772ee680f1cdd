"""X-Twilio-Signature: what Twilio signs is accepted, anything else is refused."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator

from telephony.webhooks import is_valid_twilio_request, signed_url

TOKEN = "signature-test-token-0123456789"
FORM = {"CallSid": "CA" + "1" * 32, "Digits": "1", "From": "+919400000001", "To": "+916100000001"}


def sign(url: str, params: dict[str, str] | list[tuple[str, str]]) -> str:
    from werkzeug.datastructures import MultiDict

    return str(RequestValidator(TOKEN).compute_signature(url, MultiDict(params)))


def check(
    target: str,
    params: dict[str, str] | list[tuple[str, str]],
    signature: str,
    *,
    base: str = "http://sampark.test",
    headers: dict[str, str] | None = None,
    trust_proxy: bool = False,
    environ: dict[str, str] | None = None,
) -> bool:
    app = Flask(__name__)
    with app.test_request_context(
        target,
        method="POST",
        base_url=base,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature, **(headers or {})},
        environ_overrides=environ or {},
    ):
        return is_valid_twilio_request(request, TOKEN, trust_proxy)


def test_what_twilio_signed_is_accepted() -> None:
    url = "http://sampark.test/ivr/step?n=consent&l=hi"
    assert check("/ivr/step?n=consent&l=hi", FORM, sign(url, FORM))


@pytest.mark.parametrize(
    "change",
    [
        {"Digits": "2"},  # a key changed on the way
        {"From": "+919999999999"},  # another caller
        {"Extra": "x"},  # a parameter added
    ],
)
def test_a_tampered_body_is_refused(change: dict[str, str]) -> None:
    url = "http://sampark.test/ivr/step?n=consent&l=hi"
    assert not check("/ivr/step?n=consent&l=hi", {**FORM, **change}, sign(url, FORM))


def test_a_tampered_url_a_wrong_token_or_no_signature_is_refused() -> None:
    good = sign("http://sampark.test/ivr/step?n=consent&l=hi", FORM)
    assert not check("/ivr/step?n=language&l=hi", FORM, good)
    forged = str(RequestValidator("not-the-token").compute_signature("http://sampark.test/x", FORM))
    assert not check("/x", FORM, forged)
    assert not check("/x", FORM, "")


def test_a_port_twilio_left_out_of_the_signature_is_accepted() -> None:
    """Twilio signs https://host/path even when the request reached host:443."""
    signature = sign("https://sampark.test/ivr/status", FORM)
    assert check("/ivr/status", FORM, signature, base="https://sampark.test:443")


def test_the_query_is_checked_as_sent_percent_encoding_and_all() -> None:
    target = "/calls/legs/7/status?next=https%3A%2F%2Fsampark.test%2Fivr"
    assert check(target, FORM, sign("http://sampark.test" + target, FORM))
    decoded = "http://sampark.test/calls/legs/7/status?next=https://sampark.test/ivr"
    assert not check(target, FORM, sign(decoded, FORM))


def test_repeated_parameters_are_all_signed() -> None:
    params = [
        ("CallSid", "CA" + "2" * 32),
        ("StatusCallbackEvent", "a"),
        ("StatusCallbackEvent", "b"),
    ]
    url = "http://sampark.test/calls/conference"
    assert check("/calls/conference", params, sign(url, params))
    assert not check("/calls/conference", params[:2], sign(url, params))


def test_behind_a_tls_proxy_the_public_url_is_checked_when_trusted() -> None:
    public = "https://sampark.example.in/ivr/incoming"
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sampark.example.in"}
    signature = sign(public, FORM)
    base = "http://10.0.0.5:8000"
    assert check("/ivr/incoming", FORM, signature, base=base, headers=proxy, trust_proxy=True)
    # Untrusted, the forwarded headers are ignored: the URL seen is the internal one.
    assert not check("/ivr/incoming", FORM, signature, base=base, headers=proxy)


def test_the_signed_url_is_the_request_target_as_received() -> None:
    app = Flask(__name__)
    with app.test_request_context("/ivr/step?n=consent&l=hi", base_url="http://sampark.test"):
        assert signed_url(request, False) == "http://sampark.test/ivr/step?n=consent&l=hi"


@pytest.mark.parametrize(
    "raw_uri",
    ["/ivr/step?n=consent&l=hi", "/ivr/step", ""],
    ids=["target with its query", "path only", "none"],
)
def test_servers_that_pass_the_target_differently_are_all_understood(raw_uri: str) -> None:
    """gunicorn's RAW_URI holds the query; other servers give only the path, or nothing."""
    url = "http://sampark.test/ivr/step?n=consent&l=hi"
    environ = {"RAW_URI": raw_uri, "REQUEST_URI": raw_uri}
    assert check("/ivr/step?n=consent&l=hi", FORM, sign(url, FORM), environ=environ)
