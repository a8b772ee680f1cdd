"""The header's links: each role's pages, in the order the role uses them.

Endpoints not (yet) registered on the app are left out, so an area adds its page to the
portal by adding its routes and its line here.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from models import Staff, StaffRole

#: role -> (endpoint, label) of the pages in its header.
NAV: dict[StaffRole, tuple[tuple[str, LazyString], ...]] = {
    StaffRole.DOCTOR: (("portal.consultations", lazy_gettext("Consultations")),),
    StaffRole.ANM: (("portal.anm_home", lazy_gettext("My HWC")),),
    StaffRole.DISTRICT_ADMIN: (
        ("portal.district_home", lazy_gettext("Dashboard")),
        ("portal.monthly_report", lazy_gettext("Monthly report")),
        ("portal.admin_staff", lazy_gettext("Staff")),
    ),
}


def nav_links(staff: Staff | None) -> list[tuple[str, str]]:
    """(URL, label) of the signed-in person's pages."""
    if staff is None:
        return []
    known = current_app.view_functions
    return [(url_for(ep), str(label)) for ep, label in NAV.get(staff.role, ()) if ep in known]
