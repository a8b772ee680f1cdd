"""The portal's words: gettext catalogues read through Flask-Babel.

The English text in the code and templates is the message id; each language has a catalogue
in ``translations/<code>/LC_MESSAGES/messages.po`` and its compiled ``messages.mo`` (both
committed; portal/README.md says how a translator adds a language). A language is offered as
soon as its compiled catalogue is there; English is the fallback for any missing message.

The language of a request: the one the doctor chose (kept in her session, across logins),
else the browser's best match among those offered, else English.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale
from flask import Request, g, has_request_context, request, session
from flask.sansio.app import App
from flask_babel import Babel, LazyString, get_babel, lazy_gettext

TRANSLATIONS = Path(__file__).with_name("translations")
DEFAULT_LANGUAGE = "en"


def available_languages(directory: Path = TRANSLATIONS) -> dict[str, str]:
    """Code -> name in its own script: English, then each language with a compiled catalogue."""
    codes = sorted(
        p.name
        for p in directory.iterdir()
        if p.name != DEFAULT_LANGUAGE and (p / "LC_MESSAGES" / "messages.mo").is_file()
    )
    return {
        code: Locale.parse(code).get_display_name(code) or code
        for code in [DEFAULT_LANGUAGE, *codes]
    }


LANGUAGES = available_languages()
#: Languages written right to left (the page gets ``dir="rtl"``): Urdu.
RTL_LANGUAGES = frozenset({"ur"})

#: Coded values shown to the doctor (the IVR's complaint keys, sexes, referral urgencies).
COMPLAINTS: dict[str, LazyString] = {
    "fever": lazy_gettext("Fever"),
    "cough_breathing": lazy_gettext("Cough / breathing"),
    "pregnancy": lazy_gettext("Pregnancy"),
    "child_illness": lazy_gettext("Child's illness"),
    "diarrhoea_vomiting": lazy_gettext("Diarrhoea / vomiting"),
    "skin": lazy_gettext("Skin"),
    "pain": lazy_gettext("Pain"),
    "bp_diabetes_followup": lazy_gettext("BP / diabetes follow-up"),
    "other": lazy_gettext("Other"),
}
SEXES: dict[str, LazyString] = {
    "female": lazy_gettext("female"),
    "male": lazy_gettext("male"),
    "other": lazy_gettext("other"),
}
URGENCIES: dict[str, LazyString] = {
    "routine": lazy_gettext("routine"),
    "urgent": lazy_gettext("urgent (within 24 h)"),
    "emergency": lazy_gettext("emergency (go now)"),
}


def label(labels: dict[str, LazyString], key: str | None) -> str:
    """The translated label of a coded value, else the key made readable ("" for none)."""
    if not key:
        return ""
    text = labels.get(key)
    return str(text) if text is not None else key.replace("_", " ")


def pick_language(req: Request) -> str:
    """The chosen language: the session's, else the browser's best match, else English."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return req.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def _select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return str(g.get("lang") or pick_language(request))


def init_app(app: App) -> None:
    """Install Flask-Babel on ``app`` with the portal's catalogues (``_``, ``gettext``,
    ``ngettext`` and ``pgettext`` in templates). If the app already has Babel, the portal's
    catalogues are added to its translation directories."""
    if "babel" in app.extensions:
        directories = get_babel(app).translation_directories
        if str(TRANSLATIONS) not in directories:
            directories.append(str(TRANSLATIONS))
        return
    Babel(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=_select_locale,
    )
