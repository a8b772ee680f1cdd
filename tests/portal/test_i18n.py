"""The portal's gettext catalogues: current with the code, compiled, and chosen per request."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from portal.i18n import LANGUAGES, TRANSLATIONS, available_languages

PORTAL = TRANSLATIONS.parent
Key = str | tuple[str, str | None]


def _key(msgid: str | tuple[str, ...] | list[str], context: str | None) -> Key:
    singular = msgid if isinstance(msgid, str) else msgid[0]
    return (singular, context) if context else singular


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def extracted() -> set[Key]:
    """What ``pybabel extract -F portal/babel.cfg -k lazy_gettext`` finds in the code today."""
    with (PORTAL / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    return {
        _key(msgid, context)
        for _file, _line, msgid, _comments, context in extract_from_dir(
            str(PORTAL), method_map, options_map, keywords=keywords
        )
    }


def catalogues() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def test_the_template_and_every_catalogue_hold_exactly_the_messages_of_the_code() -> None:
    in_code = extracted()
    template = {_key(m.id, m.context) for m in _read(TRANSLATIONS / "messages.pot") if m.id}
    assert template == in_code, "run the pybabel extract/update of portal/README.md"
    for po in catalogues():
        held = {_key(m.id, m.context) for m in _read(po) if m.id}
        assert held == in_code, f"{po}: run pybabel update (portal/README.md)"


def test_translations_keep_the_placeholders_of_their_message() -> None:
    for po in catalogues():
        catalog = _read(po, locale=po.parts[-3])
        problems = [(m.id, errors) for m, errors in catalog.check() if errors]
        assert problems == [], po


def test_every_catalogue_is_compiled_and_the_mo_matches_the_po() -> None:
    assert catalogues(), "no catalogues found"
    for po in catalogues():
        mo = po.with_suffix(".mo")
        assert mo.is_file(), f"run pybabel compile -d portal/translations for {po}"
        with mo.open("rb") as f:
            compiled = gettext.GNUTranslations(f)
        for m in _read(po, locale=po.parts[-3]):
            if not m.id or m.fuzzy or not m.string:
                continue
            if m.pluralizable:
                got = (
                    compiled.npgettext(m.context, m.id[0], m.id[1], 1)
                    if m.context
                    else (compiled.ngettext(m.id[0], m.id[1], 1))
                )
                assert got == m.string[0], f"{mo} is stale: run pybabel compile"
            else:
                msgid = str(m.id)
                got = compiled.pgettext(m.context, msgid) if m.context else compiled.gettext(msgid)
                assert got == m.string, f"{mo} is stale: run pybabel compile"


def test_the_languages_offered_are_english_and_each_compiled_catalogue(tmp_path: Path) -> None:
    assert LANGUAGES == {"en": "English", "bn": "বাংলা", "hi": "हिन्दी", "ur": "اردو"}
    (tmp_path / "bn" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "bn" / "LC_MESSAGES" / "messages.mo").write_bytes(b"")
    (tmp_path / "ur" / "LC_MESSAGES").mkdir(parents=True)  # not compiled yet: not offered
    assert available_languages(tmp_path) == {"en": "English", "bn": "বাংলা"}


def test_the_browser_language_is_used_until_the_doctor_chooses(client: FlaskClient) -> None:
    hindi = {"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"}
    page = client.get("/portal/login", headers=hindi).text
    assert 'lang="hi"' in page and "लॉग इन" in page and "पासवर्ड" in page
    urdu = client.get("/portal/login", headers={"Accept-Language": "ur"}).text
    assert 'lang="ur" dir="rtl"' in urdu and "پاس ورڈ" in urdu
    tamil = client.get("/portal/login", headers={"Accept-Language": "ta"}).text
    assert 'lang="en" dir="ltr"' in tamil and "Password" in tamil  # not offered: English
    client.get("/portal/lang/en")
    chosen = client.get("/portal/login", headers=hindi).text
    assert 'lang="en"' in chosen and "Password" in chosen


def test_error_pages_are_translated(client: FlaskClient) -> None:
    client.get("/portal/lang/hi")
    response = client.post("/portal/login", data={"identifier": "x", "password": "y"})
    assert response.status_code == 400
    assert "फ़ॉर्म पुराना हो गया। फिर कोशिश करें।" in response.text
