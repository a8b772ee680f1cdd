"""The district dashboard (``/portal/district``) for district administrators.

A GET form chooses the period (IST dates, default the last 7 days) and the block; each
figure is a chart (``/portal/district/chart/<name>.svg`` with the same query) beside the
table of its numbers. The figures: ``portal.district_figures`` and ``district_rosters``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy import select

from core import clock
from core.runtime import current_runtime
from core.timeutil import to_ist
from models import Block, StaffRole
from portal import district_charts
from portal.blueprint import audit, bp, get_db, roles_required
from portal.district_figures import OFFER_OUTCOMES, SMS_OUTCOMES, DoctorOffers, figures
from portal.district_rosters import gap_hours, on_duty, roster_gaps
from portal.district_sql import OUTCOMES, Period
from portal.labels_district import OUTCOME_MEANINGS, offer_label, outcome_label, sms_label
from workflows.config import workflow_config

DEFAULT_DAYS = 7
MAX_DAYS = 366


@dataclass
class Choice:
    """The period the form asked for, and what was wrong with it (if anything)."""

    period: Period
    problem: str | None = None

    def query(self) -> dict[str, str]:
        """The form's values, for the chart links."""
        out = {"from": self.period.first.isoformat(), "to": self.period.last.isoformat()}
        if self.period.block_id is not None:
            out["block"] = str(self.period.block_id)
        return out


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def chosen_period(today: date, block_ids: set[int]) -> Choice:
    """The request's period: ``from``/``to`` (IST dates) and ``block``; bad values fall back
    to the last ``DEFAULT_DAYS`` days and all blocks, with a message."""
    args = request.args
    last = _date(args.get("to")) or today
    first = _date(args.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    block_text = args.get("block") or ""
    block = int(block_text) if block_text.isdigit() and int(block_text) in block_ids else None
    problem = None
    if (args.get("from") and _date(args.get("from")) is None) or (
        args.get("to") and _date(args.get("to")) is None
    ):
        problem = gettext("Dates are written YYYY-MM-DD.")
    elif first > last or (last - first).days >= MAX_DAYS:
        problem = gettext("Choose a start on or before the end, at most a year apart.")
    if problem:
        last, first = today, today - timedelta(days=DEFAULT_DAYS - 1)
    if block_text and block is None and not problem:
        problem = gettext("No such block: all blocks are shown.")
    return Choice(Period(first, last, block), problem)


def _blocks() -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in get_db().scalars(select(Block).order_by(Block.name))]


def _today() -> date:
    return to_ist(clock.now()).date()


@bp.get("/district")
@roles_required(StaffRole.DISTRICT_ADMIN)
def district_home() -> ResponseReturnValue:
    """The dashboard: every figure for the chosen period and block."""
    db = get_db()
    blocks = _blocks()
    choice = chosen_period(_today(), {i for i, _ in blocks})
    now = clock.now()
    window = workflow_config(current_runtime().settings).window
    gaps = roster_gaps(db, now, window, choice.period.block_id)
    audit(db, "view_district_dashboard", "district", None, **choice.query())
    db.commit()
    return render_template(
        "portal/district_home.html",
        choice=choice,
        blocks=blocks,
        f=figures(db, choice.period),
        duty=on_duty(db, now, choice.period.block_id),
        gaps=gaps,
        gap_hours=gap_hours(gaps),
        now=now,
        outcomes=OUTCOMES,
        outcome_meanings=OUTCOME_MEANINGS,
        offer_outcomes=OFFER_OUTCOMES,
        sms_outcomes=SMS_OUTCOMES,
        outcome_label=outcome_label,
        offer_label=offer_label,
        sms_label=sms_label,
        rate=DoctorOffers.rate,
    )


@bp.get("/district/chart/<name>.svg")
@roles_required(StaffRole.DISTRICT_ADMIN)
def district_chart(name: str) -> ResponseReturnValue:
    """One chart of the dashboard as SVG, for the same period and block as the page."""
    blocks = _blocks()
    choice = chosen_period(_today(), {i for i, _ in blocks})
    db = get_db()
    if name == "rosters":
        window = workflow_config(current_runtime().settings).window
        svg = district_charts.rosters(roster_gaps(db, clock.now(), window, choice.period.block_id))
    elif name in district_charts.FIGURE_CHARTS:
        svg = district_charts.FIGURE_CHARTS[name](figures(db, choice.period))
    else:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")
