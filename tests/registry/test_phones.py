"""Phone numbers as people write them become E.164; invalid ones are refused by name."""

from __future__ import annotations

import pytest

from core.phones import InvalidPhoneNumber, PhoneInfo, classify, is_mobile, normalize


@pytest.mark.parametrize(
    "raw",
    [
        "09431012345",
        "+91 94310 12345",
        "9431012345",
        "0091 9431012345",
        "+91-94310-12345",
        " 094310 12345 ",
        "+919431012345",
    ],
)
def test_every_usual_way_of_writing_a_mobile_gives_the_same_e164(raw: str) -> None:
    assert normalize(raw) == "+919431012345"


@pytest.mark.parametrize("raw", ["06456-222333", "06456 222333", "+91 6456 222333", "6456222333"])
def test_a_kishanganj_landline_with_its_std_code(raw: str) -> None:
    assert normalize(raw) == "+916456222333"


def test_mobile_and_landline_are_told_apart() -> None:
    assert classify("09431012345") == PhoneInfo("+919431012345", "mobile")
    assert classify("06456-222333") == PhoneInfo("+916456222333", "landline")
    assert is_mobile("+919431012345")
    assert not is_mobile("+916456222333")


def test_toll_free_numbers_are_not_mobiles() -> None:
    info = classify("1800 123 0001")
    assert info == PhoneInfo("+9118001230001", "toll_free")
    assert not info.is_mobile


def test_ambiguous_indian_ranges_are_treated_as_mobiles() -> None:
    # phonenumbers reports FIXED_LINE_OR_MOBILE for parts of the 7x/8x ranges.
    info = classify("07225516707")
    assert info.kind == "mobile_or_landline"
    assert info.is_mobile and is_mobile(info.e164)


def test_the_fictional_sample_ranges_classify_as_expected() -> None:
    assert classify("+91 99990 12345").kind == "mobile"
    assert classify("06456-212345").kind == "landline"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("abcdefghij", "digits only"),
        ("94310ABCDE", "digits only"),
        ("12345", "too short"),
        ("943101", "too short"),
        ("+14155550100", "not an Indian number"),
        ("0044 20 7946 0958", "not an Indian number"),
        ("", "empty"),
        ("   ", "empty"),
        ("9431012345678", "too long"),
    ],
)
def test_invalid_input_is_refused_with_a_message_quoting_it(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize(raw)
    assert repr(raw) in str(caught.value)
    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_is_mobile_answers_false_for_garbage_instead_of_raising() -> None:
    assert not is_mobile("not a number")
    assert not is_mobile("")
