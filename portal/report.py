"""The monthly report: a printable page (``/portal/district/report?month=YYYY-MM``) and
its CSV (``/portal/district/report.csv?month=...``), from ``portal.report_monthly`` as
``sampark report monthly`` prints it."""

from __future__ import annotations

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from core import clock
from core.timeutil import to_ist
from models import StaffRole
from portal.blueprint import audit, bp, get_db, roles_required
from portal.district_sql import OUTCOMES
from portal.labels_district import OUTCOME_MEANINGS, outcome_label
from portal.report_monthly import MonthlyReport, monthly_report, parse_month, to_csv


def _month() -> tuple[str, str | None]:
    """The requested month (default: this month in IST), and a problem with it if any."""
    this_month = f"{to_ist(clock.now()):%Y-%m}"
    asked = request.args.get("month", "").strip()
    if not asked:
        return this_month, None
    try:
        parse_month(asked)
    except ValueError:
        return this_month, gettext("Months are written YYYY-MM.")
    return asked, None


def _report(kind: str) -> tuple[MonthlyReport, str | None]:
    month, problem = _month()
    db = get_db()
    report = monthly_report(db, month)
    audit(db, "view_monthly_report", "district", None, month=month, format=kind)
    db.commit()
    return report, problem


@bp.get("/district/report", endpoint="monthly_report")
@roles_required(StaffRole.DISTRICT_ADMIN)
def monthly_report_page() -> ResponseReturnValue:
    """The month's figures per HWC and hub, as a page to print."""
    report, problem = _report("html")
    return render_template(
        "portal/district_report.html",
        report=report,
        problem=problem,
        outcomes=OUTCOMES,
        outcome_label=outcome_label,
        outcome_meanings=OUTCOME_MEANINGS,
        column_labels=[
            gettext("Consultations"),
            *(outcome_label(o) for o in OUTCOMES),
            gettext("Prescribed"),
            gettext("Call to doctor, median min"),
        ],
    )


@bp.get("/district/report.csv", endpoint="monthly_report_csv")
@roles_required(StaffRole.DISTRICT_ADMIN)
def monthly_report_csv() -> ResponseReturnValue:
    """The same table as CSV (UTF-8), named for its month."""
    report, _ = _report("csv")
    return Response(
        to_csv(report),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="sampark-{report.month}.csv"',
        },
    )
