"""The portal in the doctor's language: English, Hindi, Urdu and Bengali (issue 14, item 7).

States, intake questions and answers, danger signs, the SMS column and dates are words in the
page's language, never codes ("awaiting_prescription", "hi native · UCS-2 · 4").
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.runtime import Runtime
from core.timeutil import utcnow
from models import Consultation, IntakeAnswer, Prescription, SmsMessage
from tests.portal.conftest import AuthActions, Seeded

#: language -> what the consultation page must say (state, complaint, a question, an answer,
#: a danger sign, the month of the date).
EXPECTED = {
    "en": ("waiting for the prescription", "Fever", "For whom", "a child", "Convulsions (fits)"),
    "hi": ("पर्चे का इंतज़ार", "बुख़ार", "किसके लिए", "एक बच्चा", "दौरे (झटके)"),
    "ur": ("نسخے کا انتظار", "بخار", "کس کے لیے", "ایک بچہ", "دورے (جھٹکے)"),
    "bn": ("প্রেসক্রিপশনের অপেক্ষায়", "জ্বর", "কার জন্য", "একটি শিশু", "খিঁচুনি (convulsions)"),
}
MONTHS = {"en": "Dec", "hi": "दिस॰", "ur": "دسمبر", "bn": "ডিসে"}


@pytest.fixture
def answered(runtime: Runtime, seeded: Seeded) -> Seeded:
    """The seeded consultation with coded answers: for a child, a danger sign said no."""
    with runtime.db.session() as s:
        c = s.get_one(Consultation, seeded.consultation_id)
        c.danger_signs = ["convulsions"]
        c.created_at = utcnow().replace(month=12, day=3)
        s.add_all(
            [
                IntakeAnswer(consultation_id=c.id, question="for_whom", value="child"),
                IntakeAnswer(consultation_id=c.id, question="danger.unconscious", value="no"),
                IntakeAnswer(consultation_id=c.id, question="sms_script", value="native"),
                IntakeAnswer(consultation_id=c.id, question="name", value=c.recording_url),
            ]
        )
    return seeded


@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_the_consultation_page_speaks_the_doctors_language(
    client: FlaskClient, auth: AuthActions, answered: Seeded, lang: str
) -> None:
    auth.login()
    client.get(f"/portal/lang/{lang}")
    page = client.get(f"/portal/consultations/{answered.consultation_id}")
    assert page.status_code == 200
    text = page.text
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}">' in text
    for words in EXPECTED[lang]:
        assert words in text, (lang, words)
    assert MONTHS[lang] in text
    for code in ("awaiting_prescription", "awaiting prescription", "for whom", "sms script",
                 ">child<", ">native<", "danger.", "unconscious<"):  # fmt: skip
        assert code not in text, (lang, code)
    assert "Recordings/RE" not in text  # the name's answer is a recording: played, not printed
    listing = client.get("/portal/consultations").text
    assert EXPECTED[lang][0] in listing and EXPECTED[lang][1] in listing


SMS_WORDS = {
    "en": re.compile(r"Hindi, \d SMS parts?<"),
    "hi": re.compile(r"हिन्दी, \d एसएमएस भाग<"),
    "ur": re.compile(r"ہندی, \d ایس ایم ایس (حصہ|حصے)<"),
    "bn": re.compile(r"হিন্দি, \dটি এসএমএস অংশ<"),
}


@pytest.mark.parametrize("lang", sorted(SMS_WORDS))
def test_the_sms_column_says_language_and_parts(
    client: FlaskClient, auth: AuthActions, seeded: Seeded, runtime: Runtime, lang: str
) -> None:
    auth.login()
    client.get(f"/portal/lang/{lang}")
    token = auth.csrf(f"/portal/consultations/{seeded.consultation_id}")
    response = client.post(
        f"/portal/consultations/{seeded.consultation_id}/prescription",
        data={
            "csrf_token": token,
            "rows": "1",
            "diagnosis": "Viral fever",
            "m0": "paracetamol_tab|500 mg",
            "action": "issue",
        },
    )
    assert response.status_code == 302, response.text
    page = client.get(response.headers["Location"]).text
    with runtime.db.session() as s:
        rx = s.scalars(select(Prescription)).one()
        sms = s.scalars(select(SmsMessage).where(SmsMessage.prescription_id == rx.id)).all()
        assert {m.language for m in sms} == {"hi"}
    assert SMS_WORDS[lang].search(page), lang
    assert "UCS-2 ·" not in page and "hi native" not in page
