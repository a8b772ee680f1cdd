"""The names ``make demo`` gives its numbers on the local Twilio, so that the browser phone
(``/_standin/phone``) lists "HWC Belwa, code 101 (+91...)" rather than a bare number."""

from __future__ import annotations

from sqlalchemy import select

from core.runtime import Runtime
from models import NumberKind, ServiceNumber, Spoke

TOLL_FREE = "+911800"  # India's toll-free numbers: +91 1800 ...


def line_name(kind: NumberKind, number: str, spoke: str | None, code: str | None) -> str:
    """What one of our numbers reaches: an HWC and the code on its wall, the district line
    (toll-free or not), or the missed-call line."""
    if kind is NumberKind.SPOKE and spoke:
        return f"{spoke}, code {code}" if code else spoke
    if kind is NumberKind.DISTRICT:
        return "District line, toll-free" if number.startswith(TOLL_FREE) else "District line"
    return "Missed-call line"


def line_names(runtime: Runtime) -> dict[str, str]:
    """Every service number of the database and its name, in the order they were added."""
    with runtime.db.session() as s:
        rows = s.execute(
            select(ServiceNumber.number, ServiceNumber.kind, Spoke.name, Spoke.short_code)
            .outerjoin(Spoke, ServiceNumber.spoke_id == Spoke.id)
            .order_by(ServiceNumber.id)
        ).all()
    return {number: line_name(kind, number, spoke, code) for number, kind, spoke, code in rows}
