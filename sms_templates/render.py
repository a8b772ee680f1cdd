"""Render an SMS from its Jinja2 template, within its part budget.

Templates live in ``templates/<purpose>/<language>.<script>.j2``; ``script`` is
``native`` (Devanagari, Nastaliq, Bengali) or ``roman`` (Latin letters, for phones
without Indic fonts). English has one Latin template, ``en.native.j2``.

Inside a template:
    ``{{ x | v }}``          a DLT variable: one line, at most 40 characters, and for a
                             Latin template cleaned to GSM-7.
    ``{{ d | date }}``       ``25-11-2026``; ``{{ t | datetime }}`` adds the IST time.
    ``{{ k | label("complaint") }}`` the localised label of a key (``labels.yaml``);
                             ``labels`` does the same for a list or "a, b" string.
    ``{{ n | phone }}``      a number as dialled in India (``06456 220001``).
    ``{{ link | url }}``     a DLT ``{#url#}`` variable (whitelisted link, not clipped).
    ``lines`` / ``more``     the compact medicine lines that fit and how many were left out.
    ``advice`` / ``tests`` / ``notes`` free text as a list of lines, each one DLT variable
                             of at most 40 characters, broken between words (never inside a
                             word or a number); ``continued``: something went to the next SMS.
    ``diagnosis`` / ``referral_to`` the same lines (in a prescription), never clipped; with
                             ``spill``, lines beyond ``max_text_lines`` (or the budget)
                             continue in the next SMS, under the same label.
    ``medicine_lines``       (a continuation) the medicines the first SMS could not hold,
                             each ``{n, line}``: its number in the prescription and its line.

A message over its budget (``sms.yaml`` ``max_segments``) is shortened step by step:
first optional fields (tests, then instructions, then advice) are left out, then medicine
lines from the end, each replaced by the template's "+N more, ask ANM" tail (with
``spill=True``, as ``render_prescription`` asks, they go whole to a continuation instead,
and then the last lines of the diagnosis or referral place, the longer first). A line is
never cut. What is left out is named in ``RenderedSms.dropped``; ``split.render_prescription``
sends the left-out text whole in continuation SMS (``prescription_more``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from core.phones import display
from sms_templates.compact import clip, medicine_line, short_date, short_datetime, split_words
from sms_templates.config import (
    LANGUAGES,
    LATIN_LANGUAGES,
    PACKAGE_DIR,
    PURPOSES,
    SCRIPTS,
    TEMPLATES_DIR,
    load_config,
)
from sms_templates.contexts import CONTEXTS, LINE_FIELDS, TEXT_FIELDS, complete
from sms_templates.encoding import Encoding, clean_gsm, count_segments, normalise_native

log = logging.getLogger(__name__)


class UnknownTemplate(ValueError):
    """No template for this purpose, language or script."""


@dataclass(frozen=True)
class RenderedSms:
    """A message ready to send, with what it will cost.

    Attributes:
        body: the text, cleaned (GSM-7 for a Latin template).
        encoding: "GSM-7" or "UCS-2".
        segments: parts as Twilio counts them.
        template: ``<purpose>/<language>.<script>.j2``.
        dlt_template_id: the DLT registration of that template.
        language: hi, ur, bn or en.
        script: native or roman (English: native).
        units: septets (GSM-7) or UTF-16 code units (UCS-2).
        max_segments: the budget it was fitted to.
        dropped: what was left out to fit (``"tests"``, ``"advice"``, ``"medicines:2"``).
        sender_header: the DLT sender ID (header).
    """

    body: str
    encoding: Encoding
    segments: int
    template: str
    dlt_template_id: str
    language: str
    script: str
    units: int
    max_segments: int
    dropped: tuple[str, ...] = ()
    sender_header: str = ""

    @property
    def within_budget(self) -> bool:
        return self.segments <= self.max_segments


@dataclass(frozen=True)
class _Shortening:
    list_field: str | None = None  # a list of medicines, shown as compact ``lines``
    for_anm: bool = False
    optional: tuple[str, ...] = ()  # left out first, in this order


_SHORTENING: dict[str, _Shortening] = {
    "prescription_patient": _Shortening("medicines", optional=("tests", "notes", "advice")),
    "prescription_anm": _Shortening(
        "medicines", for_anm=True, optional=("tests", "notes", "advice")
    ),
    "emergency_anm_alert": _Shortening(optional=("village",)),
    "doctor_rx_not_in_stock": _Shortening("medicines", optional=("notes",)),
    "intake_alert_anm": _Shortening(optional=("village",)),
}


@lru_cache(maxsize=1)
def _label_table() -> dict[str, dict[str, dict[str, str]]]:
    with (PACKAGE_DIR / "labels.yaml").open(encoding="utf-8") as fh:
        data: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(fh) or {}
    return data


@lru_cache(maxsize=2)
def _environment(dlt: bool = False) -> Environment:
    """The template environment; ``dlt=True`` renders every variable as ``{#var#}``."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    filters: dict[str, Any] = {
        "v": _variable,
        "date": short_date,
        "datetime": short_datetime,
        "label": _label,
        "labels": _labels,
        "url": _url,
        "phone": _phone,
    }
    if dlt:
        filters = {name: _dlt_var for name in filters}
        filters["url"] = lambda value, *a, **k: "{#url#}"
    env.filters.update(filters)
    return env


def _phone(value: Any) -> str:
    """A number as people in India dial it (``06456 220001``); anything else as is."""
    return display(str(value)) if value else ""


def _dlt_var(value: Any, *args: Any, **kwargs: Any) -> str:
    return "{#var#}"


@pass_context
def _variable(ctx: Context, value: Any) -> str:
    text = "" if value is None else str(value)
    if ctx.get("_latin"):
        text = clean_gsm(text)
    return clip(text, load_config().variable_max_chars)


@pass_context
def _url(ctx: Context, value: Any) -> str:
    """A link: a DLT ``{#url#}`` variable (whitelisted, not limited to 40 characters)."""
    text = "".join(str(value or "").split())
    return clean_gsm(text) if ctx.get("_latin") else text


@pass_context
def _label(ctx: Context, key: Any, kind: str) -> str:
    if key is None or key == "":
        return ""
    table = _label_table().get(kind, {}).get(str(key), {})
    variant = ctx.get("_variant", "en.native")
    return table.get(variant) or table.get("en.native") or str(key).replace("_", " ")


@pass_context
def _labels(ctx: Context, keys: Any, kind: str) -> str:
    """A list of keys (or one comma-separated string) as localised labels, comma-joined."""
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",")]
    return ", ".join(_label(ctx, k, kind) for k in keys or () if k)


def resolve_script(language: str, script: str | None) -> str:
    """The template script for a language: English is always ``native`` (Latin)."""
    if language in LATIN_LANGUAGES:
        return "native"
    return script or load_config().default_script.get(language, "native")


def template_name(purpose: str, language: str, script: str) -> str:
    return f"{purpose}/{language}.{script}.j2"


def _check(purpose: str, language: str, script: str) -> None:
    if purpose not in PURPOSES:
        raise UnknownTemplate(f"unknown SMS purpose {purpose!r}; known: {', '.join(PURPOSES)}")
    if language not in LANGUAGES:
        raise UnknownTemplate(f"unknown SMS language {language!r}; use one of {LANGUAGES}")
    if script not in SCRIPTS:
        raise UnknownTemplate(f"unknown SMS script {script!r}; use native or roman")


def _finish(text: str, latin: bool) -> str:
    text = clean_gsm(text) if latin else normalise_native(text)
    lines = [line.rstrip() for line in text.strip().split("\n")]
    return "\n".join(line for line in lines if line)


def text_lines(value: Any, width: int, latin: bool) -> list[str]:
    """Free text (a string, or a list of texts each starting a line) as DLT-sized lines,
    broken between words; cleaned to GSM-7 first for a Latin template."""
    texts = [value] if isinstance(value, str) else list(value or ())
    out: list[str] = []
    for text in texts:
        text = clean_gsm(str(text)) if latin else normalise_native(str(text))
        out += split_words(text, width)
    return out


def _lines(items: Iterable[Any], width: int, for_anm: bool) -> list[str]:
    return [medicine_line(item, width=width, for_anm=for_anm) for item in items or ()]


def _longest_line_field(ctx: dict[str, Any]) -> str | None:
    """The diagnosis or referral place of most lines, when one has a line to give up."""
    sizes = {text: len(ctx.get(text) or ()) for text in reversed(LINE_FIELDS)}
    text = max(sizes, key=lambda t: sizes[t])
    return text if sizes[text] > 1 else None


def list_lines(purpose: str, items: Iterable[Any]) -> list[str]:
    """Every compact line of ``purpose``'s list (its medicines), as its message shows them."""
    shortening = _SHORTENING.get(purpose, _Shortening())
    return _lines(items, load_config().variable_max_chars, shortening.for_anm)


def render(
    purpose: str,
    language: str,
    script: str | None = "native",
    max_segments: int | None = None,
    *,
    spill: bool = False,
    **context: Any,
) -> RenderedSms:
    """Render the template for ``purpose`` in ``language`` and ``script``, shortened to fit.

    Args:
        purpose: one of ``config.PURPOSES``.
        language: hi, ur, bn or en.
        script: native or roman (None: the configured default for the language).
        max_segments: part budget; default ``sms.max_segments`` of the purpose for
            the message's encoding.
        spill: medicine lines that do not fit are left to a continuation SMS (named in
            ``dropped``; the message says "More in the next SMS") instead of the
            template's "+N more, ask ANM" tail (``split.render_prescription``).
        **context: the template's variables (see the template and ``contexts.py``).

    Raises:
        UnknownTemplate: for an unknown purpose, language or script.
        MissingContext: when the context lacks a variable the purpose requires.
    """
    script = resolve_script(language, script)
    _check(purpose, language, script)
    cfg = load_config()
    name = template_name(purpose, language, script)
    latin = script == "roman" or language in LATIN_LANGUAGES
    template = _environment().get_template(name)
    shortening = _SHORTENING.get(purpose, _Shortening())
    ctx = complete(purpose, dict(context))
    ctx.update(_latin=latin, _variant=f"{language}.{script}", lines=[], more=0)
    if shortening.list_field:
        lines = _lines(
            ctx.get(shortening.list_field) or (), cfg.variable_max_chars, shortening.for_anm
        )
        ctx["lines"] = lines[: cfg.max_list_lines]
        ctx["more"] = len(lines) - len(ctx["lines"])
    dropped: list[str] = []
    tails: dict[str, list[str]] = {}  # lines of a LINE_FIELD left to the continuation
    for text in LINE_FIELDS if shortening.list_field else ():
        if text in ctx:  # broken between words, never clipped
            lines = text_lines(ctx[text], cfg.variable_max_chars, latin)
            ctx[text] = lines or ([""] if text in CONTEXTS[purpose].required else None)
            if spill and len(lines) > cfg.max_text_lines:
                ctx[text], tails[text] = lines[: cfg.max_text_lines], lines[cfg.max_text_lines :]
    for text in TEXT_FIELDS:
        if ctx.get(text):
            ctx[text] = text_lines(ctx[text], cfg.variable_max_chars, latin)
            if text in shortening.optional and len(ctx[text]) > cfg.max_text_lines:
                ctx[text] = None  # too long for one message: it goes whole to the next
                dropped.append(text)
    optional = [f for f in shortening.optional if ctx.get(f)]
    held = ctx["more"]
    while True:
        ctx["continued"] = (
            any(f in TEXT_FIELDS for f in dropped) or bool(spill and held) or bool(tails)
        )
        ctx["more"] = 0 if spill else held
        module = template.make_module(ctx)
        body = _finish(str(module), latin)
        count = count_segments(body)
        budget = max_segments or cfg.segments_for(purpose, count.encoding)
        if count.segments <= budget:
            break
        if optional:
            gone = optional.pop(0)
            ctx[gone] = None
            dropped.append(gone)
        elif ctx["lines"]:
            ctx["lines"] = ctx["lines"][:-1]
            held += 1
        elif spill and (field := _longest_line_field(ctx)):
            tails[field] = [ctx[field][-1], *tails.get(field, [])]
            ctx[field] = ctx[field][:-1]
        else:
            log.warning(
                "SMS over its part budget even when shortened",
                extra={"template": name, "segments": count.segments, "budget": budget},
            )
            break
    if held:
        dropped.append(f"{shortening.list_field}:{held}")
    dropped += [f"{text}:{len(tails[text])}" for text in LINE_FIELDS if tails.get(text)]
    return RenderedSms(
        body=body,
        encoding=count.encoding,
        segments=count.segments,
        template=name,
        dlt_template_id=cfg.dlt_template_id(
            purpose, language, script, getattr(module, "dlt_variant", None)
        ),
        language=language,
        script=script,
        units=count.units,
        max_segments=budget,
        dropped=tuple(dropped),
        sender_header=cfg.dlt_header,
    )


class _Var(str):
    """A stand-in for every variable when producing the DLT registration text."""

    def __new__(cls) -> _Var:
        return super().__new__(cls, "{#var#}")

    def __getattr__(self, name: str) -> _Var:
        return _Var()


#: ``call``: the toll-free district line ("free"); ``call_spoke``: an HWC's landline (never).
_CALL: dict[str, dict[str, Any]] = {
    "call": {"callback_kind": "district"},
    "call_spoke": {"callback_kind": "spoke"},
}
#: Context that selects each registered branch of a template (see ``dlt.yaml``).
DLT_VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "rx_verify_reply": {"not_found": {"found": False}, "replaced": {"current": False}},
    "could_not_reach": _CALL,
    "followup_reminder": _CALL,
    "callback_notice": {"no_number": {"callback_from": None}},
}


def dlt_registration_text(
    purpose: str, language: str, script: str = "native", variant: str | None = None
) -> str:
    """The template text to register on the DLT platform: every variable as ``{#var#}``,
    every optional section present, ``max_list_lines`` medicine lines; ``variant`` picks
    a branch named in ``DLT_VARIANTS``."""
    from jinja2 import meta

    script = resolve_script(language, script)
    _check(purpose, language, script)
    env = _environment(dlt=True)
    name = template_name(purpose, language, script)
    assert env.loader is not None
    source = env.loader.get_source(env, name)[0]
    names = meta.find_undeclared_variables(env.parse(source))
    ctx: dict[str, Any] = {n: _Var() for n in names}
    cfg = load_config()
    text_count = cfg.max_more_lines if purpose == "prescription_more" else cfg.max_text_lines
    ctx.update(
        _latin=False,
        _variant=f"{language}.{script}",
        lines=[_Var()] * cfg.max_list_lines,
        more=_Var(),
        continued=True,
        medicine_lines=[_Var()] * text_count,
        **{name: [_Var()] * text_count for name in TEXT_FIELDS},
        **{name: [_Var()] * text_count for name in LINE_FIELDS},
    )
    ctx.update(DLT_VARIANTS.get(purpose, {}).get(variant or "", {}))
    text = env.get_template(name).render(ctx)
    return "\n".join(line.rstrip() for line in text.strip().split("\n") if line.strip())
