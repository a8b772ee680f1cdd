"""What a request may carry into the app: ids within the database's range, text without
control characters.

- **Ids in URLs.** Every route with a database id declares it ``<dbid:name>``: 1 to
  2**31 - 1, PostgreSQL's ``integer``. Anything else is no match (404), not a query that
  fails (500, or an apology on a phone). Ids in query strings go through :func:`parse_dbid`.
- **Control characters.** PostgreSQL refuses NUL in text, and XML 1.0 (TwiML) has no way
  to write most C0 characters: a ``Digits=1\\x00`` would turn into an apology, or TwiML
  that Twilio cannot parse. Every request's form, query and URL values are cleaned once,
  before any view runs: control characters are dropped, but tab, CR and LF (valid text, and
  the lines of a portal textarea) are kept. The form as sent is kept for
  ``telephony.webhooks``: Twilio signs what it sent, not what we read.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter, Map

#: The largest id PostgreSQL's ``integer`` (every ``id`` column) can hold.
DBID_MAX = 2**31 - 1
#: Where the form as Twilio sent it (before cleaning) is kept, in the WSGI environ.
RAW_FORM_KEY = "sampark.raw_form"

#: C0 controls but tab, LF and CR; DEL and C1; the two non-characters XML 1.0 forbids.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _digits_up_to(limit: int) -> str:
    """A regular expression of the decimal numbers 1..``limit`` (no leading zeros)."""
    text = str(limit)
    size = len(text)
    options = [rf"[1-9]\d{{0,{size - 2}}}"] if size > 1 else []
    for i, digit in enumerate(text):  # same length, smaller at position i
        low, high = (1 if i == 0 else 0), int(digit) - 1
        if high >= low:
            rest = size - i - 1
            options.append(f"{text[:i]}[{low}-{high}]" + (rf"\d{{{rest}}}" if rest else ""))
    options.append(text)
    return "(?:" + "|".join(options) + ")"


class DbIdConverter(IntegerConverter):
    """``<dbid:name>``: a positive id that fits PostgreSQL's ``integer`` (else 404).

    The bound is in the pattern itself: werkzeug checks a rule's method before its
    converters, so an id refused only by ``to_python`` on a path that another method's
    rule shares would answer 405.
    """

    regex = _digits_up_to(DBID_MAX)

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=DBID_MAX)


def parse_dbid(raw: str | None) -> int | None:
    """A query-string id as an int, or None when it is missing or out of range."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= DBID_MAX else None


def clean_text(value: str) -> str:
    """``value`` without control characters (tab, CR and LF are kept)."""
    return _CONTROL.sub("", value)


def _clean_multidict(values: MultiDict[str, Any]) -> ImmutableMultiDict[str, Any] | None:
    """A cleaned copy of ``values``, or None when nothing needs cleaning."""
    if not any(
        _CONTROL.search(key) or (isinstance(v, str) and _CONTROL.search(v))
        for key, v in values.items(multi=True)
    ):
        return None
    return ImmutableMultiDict(
        (clean_text(key), clean_text(v) if isinstance(v, str) else v)
        for key, v in values.items(multi=True)
    )


def _clean_request() -> None:
    request.environ[RAW_FORM_KEY] = form = request.form
    cleaned = _clean_multidict(form)
    if cleaned is not None:
        request.form = cleaned
    args = _clean_multidict(request.args)
    if args is not None:
        request.args = args
    if cleaned is not None or args is not None:
        request.__dict__.pop("values", None)  # rebuilt from the cleaned parts


def _clean_view_args(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for name, value in (values or {}).items():
        if isinstance(value, str):
            values[name] = clean_text(value)  # type: ignore[index]


def install(app: Flask) -> None:
    """Register ``dbid`` and clean every request's parameters before its view runs.

    Call before any blueprint is registered (rules resolve their converters then).
    """
    app.url_map.converters["dbid"] = DbIdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, _clean_request)
    app.url_value_preprocessor(_clean_view_args)
