"""Helpers of the staff administration and route-matrix tests: passwords for seeded staff,
a POST through the real form's CSRF token."""

from __future__ import annotations

from collections.abc import Mapping

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from core.runtime import Runtime
from models import Staff
from portal.security import hash_password
from tests.portal.conftest import PASSWORD, AuthActions

ADMIN = "ADM-1"


def give_password(runtime: Runtime, *codes: str) -> None:
    """The seeded staff ``codes`` can log in with ``PASSWORD``."""
    with runtime.db.session() as s:
        for person in s.scalars(select(Staff).where(Staff.code.in_(codes))):
            person.password_hash = hash_password(PASSWORD)


def post(
    client: FlaskClient, auth: AuthActions, path: str, data: Mapping[str, object], page: str = ""
) -> TestResponse:
    """POST ``data`` to ``path`` with the CSRF token of the form's page (``path`` itself)."""
    return client.post(path, data={**data, "csrf_token": auth.csrf(page or path)})
