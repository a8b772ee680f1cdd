"""Helpers of the staff administration and route-matrix tests: passwords for seeded staff,
the district admin's start page, a POST through the real form's CSRF token."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from unittest.mock import patch

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from core.runtime import Runtime
from models import Staff, StaffRole
from portal.blueprint import HOME_BY_ROLE
from portal.security import hash_password
from tests.portal.conftest import PASSWORD, AuthActions

ADMIN = "ADM-1"


def give_password(runtime: Runtime, *codes: str) -> None:
    """The seeded staff ``codes`` can log in with ``PASSWORD``."""
    with runtime.db.session() as s:
        for person in s.scalars(select(Staff).where(Staff.code.in_(codes))):
            person.password_hash = hash_password(PASSWORD)


@contextmanager
def admin_start_page(app: Flask) -> Iterator[None]:
    """The district admin's start page: the staff list until the dashboard
    (``portal.district_home``, issue 17 item 2) is registered on the app."""
    if "portal.district_home" in app.view_functions:
        yield
        return
    with_staff_list = {StaffRole.DISTRICT_ADMIN: "portal.admin_staff"}
    with patch.dict(HOME_BY_ROLE, with_staff_list):
        yield


def post(
    client: FlaskClient, auth: AuthActions, path: str, data: Mapping[str, object], page: str = ""
) -> TestResponse:
    """POST ``data`` to ``path`` with the CSRF token of the form's page (``path`` itself)."""
    return client.post(path, data={**data, "csrf_token": auth.csrf(page or path)})
