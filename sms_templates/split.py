"""A prescription in as many SMS as it needs: nothing the doctor wrote is cut.

The first message is the prescription template (``prescription_patient`` or
``prescription_anm``). Medicines beyond what it holds (``max_list_lines``, or its part
budget), each line whole and numbered as in the prescription, and free text that does not
fit (tests, a medicine's instructions, the advice) are left out of it whole and sent in
continuation messages (``prescription_more``: "Prescription RX7K2P (2/3) continued: ..."),
packed line by line (each line one DLT variable of at most 40 characters, free text broken
between words) within the continuation's own budget. The first message then says "More in
the next SMS". The diagnosis and the referral place stay in the first message, broken
between words the same way; their lines beyond ``max_text_lines`` (or the budget, once
the medicines have gone) continue under the same label in the continuation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sms_templates.config import LATIN_LANGUAGES, load_config
from sms_templates.contexts import LINE_FIELDS, TEXT_FIELDS, complete
from sms_templates.render import RenderedSms, list_lines, render, resolve_script, text_lines

CONTINUATION = "prescription_more"
MEDICINES = "medicines"
#: The part label packed against: as wide as any real one ("2/3" ... "12/14").
_WIDEST_PART = "99/99"


@dataclass(frozen=True)
class PlannedSms:
    """One message of a prescription: what to pass to ``render`` and what it gives."""

    purpose: str
    context: dict[str, Any]
    sms: RenderedSms


def render_prescription(
    purpose: str, language: str, script: str | None, **context: Any
) -> list[PlannedSms]:
    """Every SMS of one prescription for one recipient, in sending order.

    Args:
        purpose: ``prescription_patient`` or ``prescription_anm``.
        language, script: as for ``render``.
        **context: the prescription's variables (``contexts.prescription_context``).
    """
    script = resolve_script(language, script)
    context = {**context, "spill": True}  # kept in the context: a re-render is the same
    first = render(purpose, language, script, **context)
    held = sum(int(d.split(":")[1]) for d in first.dropped if d.startswith(f"{MEDICINES}:"))
    spilled = [name for name in TEXT_FIELDS if name in first.dropped]
    tails = {
        name: int(d.split(":")[1])
        for d in first.dropped
        for name in LINE_FIELDS
        if d.startswith(f"{name}:")
    }
    if not spilled and not held and not tails:
        return [PlannedSms(purpose, context, first)]
    cfg = load_config()
    latin = script == "roman" or language in LATIN_LANGUAGES
    full = complete(purpose, dict(context))
    medicines = list(enumerate(list_lines(purpose, full[MEDICINES] or ()), start=1))
    lines: list[tuple[str, Any]] = [
        ("diagnosis", line) for line in _tail(full, "diagnosis", tails, latin)
    ]
    lines += [(MEDICINES, {"n": n, "line": line}) for n, line in medicines[len(medicines) - held :]]
    lines += [
        (name, line)
        for name in spilled
        for line in text_lines(full[name], cfg.variable_max_chars, latin)
    ]
    lines += [("referral_to", line) for line in _tail(full, "referral_to", tails, latin)]
    code = full["code"]
    groups = _pack(lines, code, language, script)
    total = 1 + len(groups)
    planned = [PlannedSms(purpose, context, first)]
    for number, group in enumerate(groups, start=2):
        more = _continuation_context(code, f"{number}/{total}", group)
        planned.append(
            PlannedSms(CONTINUATION, more, render(CONTINUATION, language, script, **more))
        )
    return planned


def _tail(full: dict[str, Any], name: str, tails: dict[str, int], latin: bool) -> list[str]:
    """The last lines of the diagnosis or referral place the first message left out."""
    if not tails.get(name):
        return []
    return text_lines(full[name], load_config().variable_max_chars, latin)[-tails[name] :]


def _continuation_context(code: Any, part: str, group: list[tuple[str, Any]]) -> dict[str, Any]:
    context: dict[str, Any] = {"code": code, "part": part}
    context["medicine_lines"] = [line for kind, line in group if kind == MEDICINES] or None
    for name in (*TEXT_FIELDS, *LINE_FIELDS):
        context[name] = [line for kind, line in group if kind == name] or None
    return context


def _pack(
    lines: list[tuple[str, Any]], code: Any, language: str, script: str
) -> list[list[tuple[str, Any]]]:
    """The lines in groups, each one continuation within its budget (a line is never split)."""
    cfg = load_config()
    groups: list[list[tuple[str, Any]]] = []
    current: list[tuple[str, Any]] = []
    for line in lines:
        trial = [*current, line]
        if current and (
            len(trial) > cfg.max_more_lines or not _fits(trial, code, language, script)
        ):
            groups.append(current)
            trial = [line]
        current = trial
    if current:
        groups.append(current)
    return groups


def _fits(group: list[tuple[str, Any]], code: Any, language: str, script: str) -> bool:
    context = _continuation_context(code, _WIDEST_PART, group)
    sms = render(CONTINUATION, language, script, max_segments=99, **context)
    return sms.segments <= load_config().segments_for(CONTINUATION, sms.encoding)
