"""The admin adds a doctor in the browser; the next consultation of her specialty rings her.

The whole stack runs (the app over HTTP, the Twilio stand-in, a real RQ worker): the admin
deactivates the district's one dermatologist and adds another, on duty all week, through
the staff pages; a patient's skin complaint is then handed to the workflow, and the doctor
offer is a call to the new doctor's mobile.
"""

from __future__ import annotations

from sqlalchemy import select

from core.phones import normalize
from models import ConsultationState, LegRole, Staff
from sampark.app import create_app
from standin import PhoneScript
from tests.portal.admin_seed import ADMIN, give_password, post
from tests.portal.conftest import AuthActions
from tests.workflows.harness import Stack

NEW_DERMATOLOGIST = {
    "code": "DR-DM-7",
    "name": "Dr. Nusrat Parveen",
    "mobile": "099990 66107",
    "languages": ["hi", "ur"],
    "hub": "H-DH",
    "specialty": "dermatology",
    "qualification": "MBBS, MD (Dermatology)",
    "registration_number": "BMC-88107",
    "roster_rows": "1",
    "roster_days_0": "daily",
    "roster_hours_0": "00:00-24:00",
}


def test_a_doctor_added_in_the_browser_is_offered_the_next_consultation(stack: Stack) -> None:
    runtime = stack.runtime
    app = create_app(runtime.settings, runtime=runtime, TESTING=True)
    give_password(runtime, ADMIN)
    client = app.test_client()
    auth = AuthActions(client)
    with runtime.db.session() as s:
        old_id = s.scalars(select(Staff.id).where(Staff.code == "DR-DM-1")).one()
    assert auth.login(ADMIN).status_code == 302
    page = f"/portal/admin/staff/{old_id}"
    assert post(client, auth, f"{page}/deactivate", {}, page).status_code == 302
    added = post(client, auth, "/portal/admin/staff/new?role=doctor", NEW_DERMATOLOGIST)
    assert added.status_code == 302, added.text
    mobile = normalize("099990 66107")  # as typed in the form
    stack.standin.script(mobile, PhoneScript(answer_after=2.0, digits=["1"], hangup_after=90.0))

    cid = stack.consultation(complaint="skin")
    stack.drive(lambda: stack.state(cid) is ConsultationState.AWAITING_PRESCRIPTION)

    offers = [leg for leg in stack.legs(cid) if leg.role is LegRole.DOCTOR_OFFER]
    assert [leg.to_number for leg in offers] == [mobile]
    assert "offer:DR-DM-7" in stack.reasons(cid)
    with runtime.db.session() as s:
        new = s.scalars(select(Staff).where(Staff.code == "DR-DM-7")).one()
        assert offers[0].staff_id == new.id
