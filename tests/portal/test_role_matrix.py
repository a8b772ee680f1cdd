"""Who may open what: every portal route, for a doctor, an ANM, a district admin and a visitor.

The routes are read from the app at run time (``app.url_map``), so a page added by any
area is covered as soon as it is registered. Every portal view must say the roles it opens
to (``roles_required`` leaves ``allowed_roles`` on it), except the few in ``OPEN``. Each
route is opened with a real object of the seeded district where it needs one
(``PATH_VALUES``): the allowed roles get 200 or a redirect inside the portal, the other
roles 403, a visitor the login page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from core.runtime import Runtime
from core.timeutil import to_ist, utcnow
from models import StaffRole
from prescriptions.draft import DraftItem, PrescriptionDraft
from prescriptions.service import issue_prescription
from sampark.app import create_app
from standin import StandIn
from tests.portal.admin_seed import ADMIN, give_password
from tests.portal.conftest import DOCTOR, AuthActions, Seeded, serve_recordings

#: Portal routes open without a role: signing in and out, the language, one's own
#: password, and the start page that sends each role to its own.
OPEN = frozenset(
    {
        "portal.login",
        "portal.logout",
        "portal.change_password",
        "portal.set_language",
        "portal.home",
    }
)
ANM = "ANM-001"  # the seeded consultation's ANM (HWC-001)
TARGET_STAFF = "ANM-002"  # whom the admin routes act on
#: The signed-in people of the matrix (None: a visitor).
PEOPLE: dict[str, tuple[StaffRole | None, str | None]] = {
    "doctor": (StaffRole.DOCTOR, DOCTOR),
    "anm": (StaffRole.ANM, ANM),
    "district_admin": (StaffRole.DISTRICT_ADMIN, ADMIN),
    "visitor": (None, None),
}


@dataclass
class World:
    """The seeded objects the routes' path parameters point at."""

    seeded: Seeded
    rx_code: str


#: A value for each path parameter of a portal route, from the seeded world. A route with
#: a parameter not listed here fails the test: add its seeded value.
PATH_VALUES = {
    "consultation_id": lambda w: w.seeded.consultation_id,  # DR-GM-1's, at ANM-001's HWC
    "code": lambda w: w.rx_code,  # its prescription
    "kind": lambda w: "description",  # the patient's recording
    "staff_id": lambda w: w.seeded.staff_ids[TARGET_STAFF],
    "name": lambda w: "rosters",  # a dashboard chart
}


def portal_rules(app: Flask) -> list[Rule]:
    """Every rule of the portal blueprint, GET routes first (a POST may change things)."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.")]
    return sorted(rules, key=lambda r: ("GET" not in (r.methods or set()), r.rule))


def _prescribe(runtime: Runtime, seeded: Seeded) -> str:
    with runtime.db.session() as s:
        rx = issue_prescription(
            s,
            consultation_id=seeded.consultation_id,
            doctor_id=seeded.staff_ids[DOCTOR],
            draft=PrescriptionDraft(
                diagnosis="Viral fever",
                items=[DraftItem("paracetamol_tab", "500 mg")],
                advice="Plenty of fluids",
                follow_up_on=to_ist(utcnow()).date() + timedelta(days=3),
            ),
            runtime=runtime,
        )
        return rx.code


@pytest.fixture
def standin(runtime: Runtime, seeded: Seeded) -> Iterator[StandIn]:
    """A stand-in Twilio holding the seeded consultation's recordings."""
    started = serve_recordings(runtime, seeded, {"name": 2, "description": 4})
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def app(runtime: Runtime, standin: StandIn) -> Flask:
    """The app, its gateway pointed at the stand-in (the recordings play)."""
    settings = runtime.settings.with_overrides(twilio_api_base_url=standin.base_url)
    return create_app(settings, runtime=Runtime(settings=settings, db=runtime.db), TESTING=True)


@pytest.fixture
def world(runtime: Runtime, seeded: Seeded, app: Flask) -> Iterator[World]:
    """The seeded district with passwords and a prescription."""
    give_password(runtime, ANM, ADMIN)
    yield World(seeded=seeded, rx_code=_prescribe(runtime, seeded))


def test_every_portal_view_says_who_may_open_it(app: Flask) -> None:
    missing = [
        r.endpoint
        for r in portal_rules(app)
        if r.endpoint not in OPEN
        and not getattr(app.view_functions[r.endpoint], "allowed_roles", None)
    ]
    assert missing == [], "portal views without roles_required"
    assert set(app.view_functions) >= OPEN  # the list names real routes


def _path(rule: Rule, world: World) -> str:
    unknown = set(rule.arguments) - set(PATH_VALUES)
    assert not unknown, f"{rule.rule}: add a seeded value for {unknown} to PATH_VALUES"
    values = {name: PATH_VALUES[name](world) for name in rule.arguments}
    path = rule.build(values, append_unknown=False)
    assert path is not None
    return path[1]


@pytest.mark.parametrize("person", list(PEOPLE))
def test_each_role_opens_its_pages_and_gets_403_elsewhere(
    person: str, app: Flask, client: FlaskClient, auth: AuthActions, world: World
) -> None:
    role, code = PEOPLE[person]
    if code is not None:
        assert auth.login(code).status_code == 302
    token = auth.csrf("/portal/password" if code else "/portal/login")
    wrong: list[str] = []
    for rule in portal_rules(app):
        if rule.endpoint in OPEN:
            continue
        allowed = role in getattr(app.view_functions[rule.endpoint], "allowed_roles", ())
        path = _path(rule, world)
        if "GET" in (rule.methods or set()):
            response = client.get(path)
        else:  # a POST-only action, with this browser's valid CSRF token
            response = client.post(path, data={"csrf_token": token})
        location = response.headers.get("Location", "")
        to_login = response.status_code == 302 and "/portal/login" in location
        if role is None:
            ok = to_login
        elif allowed and "GET" in (rule.methods or set()):
            ok = response.status_code in (200, 302) and not to_login
        elif allowed:  # the action ran (or refused its empty form): not a refusal of the role
            ok = response.status_code < 500 and response.status_code != 403 and not to_login
        else:
            ok = response.status_code == 403
        if not ok:
            wrong.append(f"{rule.endpoint} {path}: {response.status_code} {location}")
    assert wrong == [], f"{person} got the wrong answer"
