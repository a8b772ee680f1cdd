"""The region profiles as data (standin/regions.py): sources, number kinds, sender rewrite."""

from __future__ import annotations

import random
import re

import pytest

from standin.regions import INDIA, REGIONS, region


def test_every_rule_cites_a_twilio_page():
    assert set(REGIONS) == {"IN"}
    for rule in INDIA.rules.values():
        assert rule.source.startswith("https://www.twilio.com/"), rule.key
        assert rule.says and rule.stand_in


def test_region_lookup():
    assert region("in") is INDIA and region(INDIA) is INDIA and region(None) is None
    with pytest.raises(ValueError, match="no region profile"):
        region("XX")


@pytest.mark.parametrize(
    ("number", "refused"),
    [
        ("+9118001234567", None),  # toll-free: the one kind Twilio has in India
        ("+916456222333", "numbers"),  # a landline
        ("+919431012345", "numbers"),  # a mobile
        ("+442079460000", None),  # not Indian: not this profile's business
    ],
)
def test_which_numbers_an_account_can_have(number: str, refused: str | None):
    rule = INDIA.number_refusal(number)
    assert (rule.key if rule else None) == refused


@pytest.mark.parametrize(
    ("to", "from_", "refused"),
    [
        ("+919431012345", "+9118001234567", "caller-id"),
        ("+919431012345", "+916456222333", "caller-id"),
        ("+919431012345", "+442079460000", None),
        ("+9118009998888", "+442079460000", "toll-free-outbound"),
        ("+442079460000", "+9118001234567", None),  # to the UK: India's rules do not apply
    ],
)
def test_which_calls_are_blocked(to: str, from_: str, refused: str | None):
    rule = INDIA.call_refusal(to, from_)
    assert (rule.key if rule else None) == refused


@pytest.mark.parametrize(
    ("from_", "kind", "refused"),
    [
        ("SMPARK", "alphanumeric", "alphanumeric"),
        ("+9118001234567", "domestic-long-code", "sender"),
        ("54321", "short-code", "sender"),
        ("+442079460000", "international-long-code", None),
    ],
)
def test_which_senders_reach_india(from_: str, kind: str, refused: str | None):
    assert INDIA.sender_kind(from_) == kind
    rule = INDIA.sms_sender_refusal("+919431012345", from_)
    assert (rule.key if rule else None) == refused
    assert INDIA.sms_sender_refusal("+442079460000", from_) is None  # not to India


def test_a_numeric_sender_is_shown_as_5nnnn_to_5nnnnnnnn():
    rng = random.Random(1)
    shown = {INDIA.shown_sender("+919431012345", "+442079460000", rng) for _ in range(300)}
    assert all(re.fullmatch(r"5\d{4,8}", s) for s in shown)
    assert {len(s) for s in shown} == {5, 6, 7, 8, 9}
    assert INDIA.shown_sender("+442079460001", "+442079460000", rng) == "+442079460000"


def test_shortened_urls():
    assert INDIA.has_shortened_url("see https://bit.ly/x1 now")
    assert INDIA.has_shortened_url("TINYURL.COM/abc")
    assert not INDIA.has_shortened_url("https://sampark.example.in/rx/AB12")
    assert not INDIA.has_shortened_url("abit.ly/x")


def test_no_two_way_sms_in_india():
    assert INDIA.sms_inbound_refusal("+919431012345", "+442079460000") is not None
    assert INDIA.sms_inbound_refusal("+442079460001", "+9118001234567") is not None
    assert INDIA.sms_inbound_refusal("+442079460001", "+442079460000") is None
