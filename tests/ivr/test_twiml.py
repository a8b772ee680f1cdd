"""The exact TwiML of each intake step, in each language (parsed XML, no database)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest

from core.settings import Settings
from ivr import twiml
from ivr.catalog import LANGUAGES, catalog
from ivr.config import IvrConfig
from ivr.engine import CallState, Engine
from ivr.twiml import Line, Urls

BASE = "http://sampark.test"
ENGINE = Engine(IvrConfig(), Urls(BASE))
VOICES = {
    "hi": ("Google.hi-IN-Standard-A", "hi-IN"),
    "ur": ("Google.hi-IN-Standard-A", "hi-IN"),  # no Urdu voice: Hindi voice, Devanagari text
    "bn": ("Google.bn-IN-Standard-A", "bn-IN"),
    "en": ("Google.en-IN-Standard-A", "en-IN"),
}
Tree = tuple[str, dict[str, str], str, list[Any]]


def tree(element: ET.Element) -> Tree:
    return (
        element.tag,
        dict(element.attrib),
        (element.text or "").strip(),
        [tree(child) for child in element],
    )


def parsed(response: Any) -> list[Tree]:
    root = ET.fromstring(str(response))
    assert root.tag == "Response"
    return [tree(child) for child in root]


def say(lang: str, key: str, **values: str) -> Tree:
    voice, language = VOICES[lang]
    return ("Say", {"voice": voice, "language": language}, catalog(lang).spoken(key, **values), [])


def rx_latest_url(lang: str) -> str:
    after = urlencode({"after": step_url("rx_read", lang)})
    return f"{BASE}/rx/latest?lang={lang}&{after}"


def step_url(node: str, lang: str) -> str:
    return f"{BASE}/ivr/step?n={node}&l={lang}"


def gather(
    node: str, lang: str, says: list[Tree], *, digits: int = 1, finish: str = ""
) -> list[Tree]:
    attrs = {
        "action": step_url(node, lang),
        "method": "POST",
        "input": "dtmf",
        "numDigits": str(digits),
        "finishOnKey": finish,
        "timeout": "10" if finish else "7",
    }
    return [("Gather", attrs, "", says), ("Redirect", {"method": "POST"}, step_url(node, lang), [])]


def record(node: str, lang: str, says: list[Tree], max_length: int) -> list[Tree]:
    attrs = {
        "action": step_url(node, lang),
        "method": "POST",
        "maxLength": str(max_length),
        "finishOnKey": "#",
        "playBeep": "true",
        "timeout": "5",
        "trim": "trim-silence",
        "recordingStatusCallback": f"{BASE}/ivr/recording?n={node}",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed",
    }
    redirect = ("Redirect", {"method": "POST"}, step_url(node, lang), [])
    return [*says, ("Record", attrs, "", []), redirect]


REF = "471209"
SPOKEN_REF = "4, 7, 1, 2, 0, 9"


def render(lang: str, node: str, before: list[str] | None = None, **variables: Any) -> list[Tree]:
    state = CallState(node=node, language=lang, vars={"reference": REF, **variables})
    lines = [Line(catalog(lang), key) for key in (before or [])]
    return parsed(ENGINE.render(state, lines))


#: (node, variables, expected TwiML for a language)
STEPS: list[tuple[str, dict[str, Any], Any]] = [
    (
        "spoke_confirm",
        {"spoke_guess_code": "203"},
        lambda L: gather("spoke_confirm", L, [say(L, "spoke_confirm", code="2, 0, 3")]),
    ),
    (
        "spoke_code",
        {},
        lambda L: gather("spoke_code", L, [say(L, "spoke_code")], digits=4, finish="#"),
    ),
    ("consent", {}, lambda L: gather("consent", L, [say(L, "consent")])),
    ("for_whom", {}, lambda L: gather("for_whom", L, [say(L, "for_whom")])),
    ("name", {}, lambda L: record("name", L, [say(L, "name")], 10)),
    ("age", {}, lambda L: gather("age", L, [say(L, "age")], digits=3, finish="#")),
    ("sex", {}, lambda L: gather("sex", L, [say(L, "sex")])),
    ("complaint", {}, lambda L: gather("complaint", L, [say(L, "complaint")])),
    ("days", {}, lambda L: gather("days", L, [say(L, "days")], digits=3, finish="#")),
    (
        "danger",
        {"complaint": "pregnancy", "sign_index": 0},
        lambda L: gather(
            "danger.pregnancy_bleeding", L, [say(L, "sign_pregnancy_bleeding"), say(L, "yes_no")]
        ),
    ),
    (
        "danger",
        {"complaint": "bp_diabetes_followup", "sign_index": 1},
        lambda L: gather(
            "danger.one_side_weakness", L, [say(L, "sign_one_side_weakness"), say(L, "yes_no")]
        ),
    ),
    ("description", {}, lambda L: record("description", L, [say(L, "description")], 60)),
    ("sms_script", {}, lambda L: gather("sms_script", L, [say(L, "sms_script")])),
    ("rx_offer", {}, lambda L: gather("rx_offer", L, [say(L, "rx_offer")])),
    # the read-aloud is prescriptions.voice's (POST /rx/latest), which comes back to rx_read
    ("rx_read", {}, lambda L: [("Redirect", {"method": "POST"}, rx_latest_url(L), [])]),
    ("rx_next", {}, lambda L: gather("rx_next", L, [say(L, "rx_next")])),
    ("rx_goodbye", {}, lambda L: [say(L, "rx_goodbye"), ("Hangup", {}, "", [])]),
    (
        "end",
        {},
        lambda L: [
            say(L, "reference", digits=SPOKEN_REF),
            say(L, "end_next"),
            ("Hangup", {}, "", []),
        ],
    ),
    (
        # the offer to stay on the line for the consultation, after the reference number
        "stay",
        {"stay_offer": True},
        lambda L: [
            say(L, "reference", digits=SPOKEN_REF),
            *gather("stay", L, [say(L, "stay_offer")]),
        ],
    ),
    # silence at the offer: the call-back promise, without saying the reference again
    ("end", {"stay_offer": True}, lambda L: [say(L, "end_next"), ("Hangup", {}, "", [])]),
    ("consent_refused", {}, lambda L: [say(L, "consent_refused"), ("Hangup", {}, "", [])]),
    (
        "callback_end",
        {},
        lambda L: [
            say(L, "reference", digits=SPOKEN_REF),
            say(L, "callback_promise"),
            ("Hangup", {}, "", []),
        ],
    ),
    (
        "emergency",
        {"ambulance_number": "+916456222108"},
        lambda L: [
            say(L, "emergency"),
            gather("emergency", L, [say(L, "emergency_offer")])[0],
            say(L, "reference", digits=SPOKEN_REF),
            say(L, "emergency_end"),
            ("Hangup", {}, "", []),
        ],
    ),
    (
        "emergency_connect",
        {"ambulance_number": "+916456222108"},
        lambda L: [
            say(L, "emergency_connecting"),
            ("Dial", {"timeout": "30"}, "+916456222108", []),
            say(L, "emergency_dial_ended"),
            say(L, "emergency_end"),
            ("Hangup", {}, "", []),
        ],
    ),
    (
        "emergency_goodbye",
        {},
        lambda L: [
            say(L, "reference", digits=SPOKEN_REF),
            say(L, "emergency_end"),
            ("Hangup", {}, "", []),
        ],
    ),
]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("node", "variables", "expected"), STEPS, ids=[s[0] for s in STEPS])
def test_each_step_in_each_language(lang: str, node: str, variables: dict, expected) -> None:  # type: ignore[no-untyped-def,type-arg]
    assert render(lang, node, **variables) == expected(lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_wrong_key_or_silence_is_said_before_the_question(lang: str) -> None:
    state = CallState(node="sex", language=lang)
    wrong = Line(catalog(lang), "wrong_key", {"digits": "7"})
    assert parsed(ENGINE.render(state, [wrong])) == [
        say(lang, "wrong_key", digits="7"),
        *gather("sex", lang, [say(lang, "sex")]),
    ]
    assert render(lang, "sex", ["no_input"]) == [
        say(lang, "no_input"),
        *gather("sex", lang, [say(lang, "sex")]),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_wrong_key_at_the_offer_to_stay_is_named_and_the_offer_repeated(lang: str) -> None:
    state = CallState(node="stay", language=lang, errors=1, vars={"reference": REF})
    wrong = Line(catalog(lang), "wrong_key", {"digits": "7"})
    assert parsed(ENGINE.render(state, [wrong])) == [
        say(lang, "wrong_key", digits="7"),  # the reference is not read out again
        *gather("stay", lang, [say(lang, "stay_offer")]),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pressing_1_to_stay_hands_the_call_to_the_consultations_conference(lang: str) -> None:
    state = CallState(node="join", language=lang, vars={"reference": REF, "stay_offer": True})
    assert parsed(ENGINE.render(state, [], 42)) == [
        ("Redirect", {"method": "POST"}, f"{BASE}/calls/consultations/42/join", []),
    ]
    assert ENGINE.render_text(state, [], 42) == str(ENGINE.render(state, [], 42))
    # without a consultation to join (not expected): the call-back promise
    assert parsed(ENGINE.render(state, [])) == [say(lang, "end_next"), ("Hangup", {}, "", [])]


def test_the_language_menu_offers_each_language_in_its_own_voice() -> None:
    assert render("hi", "language", ["welcome"]) == [
        say("hi", "welcome"),
        *gather(
            "language",
            "hi",
            [
                say("hi", "language_option"),
                say("ur", "language_option"),
                say("bn", "language_option"),
                say("en", "language_option"),
            ],
        ),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_failures_and_refusals(lang: str) -> None:
    hang_up = ("Hangup", {}, "", [])
    assert parsed(twiml.apology(lang)) == [
        say(lang, "apology"),
        say(lang, "callback_promise"),
        hang_up,
    ]
    assert parsed(twiml.rate_limited(lang)) == [say(lang, "rate_limited"), hang_up]


def test_unknown_number_and_missed_call_line() -> None:
    assert parsed(twiml.unknown_number()) == [
        say("hi", "unknown_number"),
        say("en", "unknown_number"),
        ("Hangup", {}, "", []),
    ]
    assert parsed(twiml.reject_busy()) == [("Reject", {"reason": "busy"}, "", [])]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_returning_caller_is_welcomed_then_offered_the_prescription(lang: str) -> None:
    assert render(lang, "rx_offer", ["welcome"]) == [
        say(lang, "welcome"),
        *gather("rx_offer", lang, [say(lang, "rx_offer")]),
    ]


#: The words themselves, so that a broken catalog cannot pass the tests above.
WORDING = [
    (
        "hi",
        "rx_offer",
        "डॉक्टर का लिखा अपना पिछला पर्चा सुनने के लिए 5 दबाइए। नई तकलीफ़ बताने के लिए 1 दबाइए।",
    ),
    ("ur", "rx_offer", "डॉक्टर का लिखा अपना पिछला नुस्ख़ा सुनने के लिए 5 दबाइए।"),
    ("bn", "rx_offer", "ডাক্তারের লেখা আপনার শেষ প্রেসক্রিপশন শুনতে 5 টিপুন।"),
    (
        "en",
        "rx_offer",
        "To hear your latest prescription, press 5. To tell us about a new problem, press 1.",
    ),
    (
        "hi",
        "rx_next",
        "नई तकलीफ़ के बारे में डॉक्टर से बात करनी हो तो 1 दबाइए। कॉल ख़त्म करने के लिए 2 दबाइए।",
    ),
    (
        "en",
        "rx_next",
        "To talk to a doctor about a new problem, press 1. To end the call, press 2.",
    ),
    (
        "hi",
        "sms_script",
        "अगर आपके फ़ोन पर हिंदी अक्षर नहीं दिखते, तो मैसेज अंग्रेज़ी अक्षरों में पाने के लिए 2 दबाइए।",
    ),
    (
        "ur",
        "sms_script",
        "अगर आपके फ़ोन पर उर्दू हुरूफ़ नज़र नहीं आते, तो पैग़ाम अंग्रेज़ी हुरूफ़ में पाने के लिए 2 दबाइए।",
    ),
    ("bn", "sms_script", "আপনার ফোনে বাংলা অক্ষর না দেখা গেলে, ইংরেজি অক্ষরে মেসেজ পেতে 2 টিপুন।"),
    ("hi", "consent", "यह सेवा फ़ोन पर आपको आपकी ए एन एम दीदी और डॉक्टर से जोड़ती है।"),
    ("hi", "for_whom", "मरीज़ कौन है? अपने लिए 1 दबाइए, बच्चे के लिए 2, परिवार के किसी और सदस्य के लिए 3।"),
    ("ur", "for_whom", "मरीज़ कौन है? अपने लिए 1 दबाइए, बच्चे के लिए 2, ख़ानदान के किसी और फ़र्द के लिए 3।"),
    ("bn", "for_whom", "রোগী কে? নিজের জন্য 1 টিপুন, শিশুর জন্য 2, পরিবারের অন্য কারও জন্য 3।"),
    (
        "en",
        "for_whom",
        "Who is the patient? For yourself, press 1. For a child, press 2. "
        "For another family member, press 3.",
    ),
    (
        "hi",
        "stay_offer",
        "अभी लाइन पर रहकर अपनी ए एन एम और डॉक्टर से बात करने के लिए 1 दबाइए। "
        "या फ़ोन रख दीजिए, हम आपको वापस फ़ोन करेंगे।",
    ),
    ("ur", "stay_offer", "अभी लाइन पर रह कर अपनी ए एन एम और डॉक्टर से बात करने के लिए 1 दबाइए।"),
    ("bn", "stay_offer", "এখনই লাইনে থেকে আপনার এ এন এম ও ডাক্তারের সঙ্গে কথা বলতে 1 টিপুন।"),
    (
        "en",
        "stay_offer",
        "To stay on the line and talk to your ANM and a doctor now, press 1. "
        "Or hang up, and we will call you back.",
    ),
    (
        "en",
        "emergency",
        "This may be serious. Please go to the nearest hospital now, "
        "or call 108 for an ambulance. We are informing your ANM.",
    ),
]


@pytest.mark.parametrize(("lang", "key", "words"), WORDING)
def test_the_wording(lang: str, key: str, words: str) -> None:
    assert catalog(lang).spoken(key).startswith(words)


def test_urdu_is_written_in_nastaliq_and_spoken_from_devanagari() -> None:
    urdu = catalog("ur")
    assert urdu.text("for_whom").startswith("مریض کون ہے؟")
    for key in ("welcome", "rx_offer", "rx_next", "rx_goodbye", "sms_script", "stay_offer"):
        assert all("\u0600" <= ch <= "\u06ff" for ch in urdu.text(key) if ch.isalpha()), key
    assert urdu.text("rx_offer").startswith("ڈاکٹر کا لکھا اپنا پچھلا نسخہ")
    assert urdu.text("stay_offer").startswith("ابھی لائن پر رہ کر")
    assert set(urdu.texts) == set(urdu.speak) == set(catalog("hi").texts)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_prompt(lang: str) -> None:
    assert set(catalog(lang).texts) == set(catalog("en").texts)


def test_the_emergency_forward_comes_from_the_configured_outbound_number() -> None:
    """Twilio's <Dial> shows the patient's own (+91) number unless callerId is set, and
    Twilio refuses a +91 caller ID to India: with OUTBOUND_CALLER_ID it is the callerId."""
    cat = catalog("hi")
    dial = [t for t in parsed(twiml.connect_emergency(cat, "+916456222108")) if t[0] == "Dial"]
    assert dial == [("Dial", {"timeout": "30"}, "+916456222108", [])]
    configured = twiml.connect_emergency(cat, "+916456222108", caller_id="+14155550142")
    dial = [t for t in parsed(configured) if t[0] == "Dial"]
    assert dial == [("Dial", {"timeout": "30", "callerId": "+14155550142"}, "+916456222108", [])]
    settings = Settings.from_env({"OUTBOUND_CALLER_ID": "+14155550142"})
    assert IvrConfig.from_settings(settings).dial_caller_id == "+14155550142"
    assert IvrConfig.from_settings(Settings.from_env({})).dial_caller_id is None
