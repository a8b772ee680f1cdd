"""The monthly teleconsultation report a district sends upward: one row per HWC, one per
hub (its HWCs together) and the district's total, for a calendar month in IST.

One function makes the table (``monthly_report``) and one writes its CSV (``to_csv``):
the printable page (``/portal/district/report``), its CSV and ``sampark report monthly``
all use them, so they cannot disagree. The outcomes are the dashboard's
(``portal.district_sql.OUTCOME_RULES``); the wait is from the patient's first call to the
doctor joining, the median over the completed consultations, in minutes.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from models import Consultation, Prescription, Spoke
from portal.district_sql import OUTCOME, OUTCOMES, Period

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
COLUMNS = ("consultations", *OUTCOMES, "prescribed", "wait_p50_min")
HEADER = ("level", "hub", "block", "hwc_code", "hwc_name", *COLUMNS)
NO_HWC = "(no HWC)"


def parse_month(text: str) -> Period:
    """``"2026-11"`` -> the period of that month; ``ValueError`` for anything else."""
    match = MONTH.match(text.strip())
    if not match:
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    return Period.month(int(match.group(1)), int(match.group(2)))


@dataclass
class ReportRow:
    """One line of the report: an HWC, a hub's total, or the district's."""

    level: str  # "hwc", "hub" or "district"
    hub: str
    block: str
    hwc_code: str
    hwc_name: str
    counts: Counter[str] = field(default_factory=Counter)
    waits: list[float] = field(default_factory=list)

    @property
    def wait_p50_min(self) -> float | None:
        return round(statistics.median(self.waits) / 60, 1) if self.waits else None

    def values(self) -> list[str | int]:
        """The row as the CSV and the CLI print it (in ``HEADER``'s order)."""
        wait = self.wait_p50_min
        return [
            self.level,
            self.hub,
            self.block,
            self.hwc_code,
            self.hwc_name,
            *(self.counts[c] for c in COLUMNS[:-1]),
            "" if wait is None else f"{wait:.1f}",
        ]


@dataclass
class MonthlyReport:
    month: str
    rows: list[ReportRow]


def _where(period: Period) -> ColumnElement[bool]:
    return period.created_in(Consultation.created_at)


def monthly_report(db: Session, month: str) -> MonthlyReport:
    """The report for ``month`` (``YYYY-MM``): every HWC (with none: zeros), then each hub's
    total after its HWCs, then the district's (``ValueError`` for a bad month)."""
    period = parse_month(month)
    counts: dict[int | None, Counter[str]] = defaultdict(Counter)
    waits: dict[int | None, list[float]] = defaultdict(list)
    by_outcome = (
        select(Consultation.spoke_id, OUTCOME, func.count())
        .where(_where(period))
        .group_by(Consultation.spoke_id, OUTCOME)
    )
    for spoke_id, outcome, n in db.execute(by_outcome):
        counts[spoke_id][outcome] += n
        counts[spoke_id]["consultations"] += n
    prescribed = (
        select(Consultation.spoke_id, func.count(func.distinct(Prescription.consultation_id)))
        .join(Prescription, Prescription.consultation_id == Consultation.id)
        .where(_where(period))
        .group_by(Consultation.spoke_id)
    )
    for spoke_id, n in db.execute(prescribed):
        counts[spoke_id]["prescribed"] += n
    completed = select(
        Consultation.spoke_id, Consultation.created_at, Consultation.doctor_joined_at
    ).where(_where(period), OUTCOME == "completed")
    for spoke_id, created, joined in db.execute(completed):
        if joined is not None:  # always, for a completed one
            waits[spoke_id].append((joined - created).total_seconds())

    spokes = db.scalars(select(Spoke).options(joinedload(Spoke.hub), joinedload(Spoke.block))).all()
    rows: list[ReportRow] = []
    district = ReportRow("district", "", "", "", "")
    for hub_name in sorted({s.hub.name for s in spokes}):
        hub_total = ReportRow("hub", hub_name, "", "", "")
        for spoke in sorted((s for s in spokes if s.hub.name == hub_name), key=lambda s: s.code):
            row = ReportRow(
                "hwc", hub_name, spoke.block.name, spoke.code, spoke.name,
                counts[spoke.id], sorted(waits[spoke.id]),
            )  # fmt: skip
            rows.append(row)
            _add(hub_total, row)
        rows.append(hub_total)
        _add(district, hub_total)
    if counts.get(None):  # consultations whose HWC was never known
        unknown = ReportRow("hwc", "", "", NO_HWC, "", counts[None], sorted(waits[None]))
        rows.append(unknown)
        _add(district, unknown)
    district.waits.sort()
    rows.append(district)
    return MonthlyReport(month=f"{period.first:%Y-%m}", rows=rows)


def _add(total: ReportRow, row: ReportRow) -> None:
    total.counts.update(row.counts)
    total.waits = sorted(total.waits + row.waits)


def to_csv(report: MonthlyReport) -> str:
    """The report as CSV text (a header line, then one line per row; ``\\r\\n`` ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in report.rows:
        writer.writerow(row.values())
    return out.getvalue()
