"""``sampark staff set-password CODE``: give a doctor a portal password."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from sampark.cli import load_settings


@click.group("staff")
def staff_group() -> None:
    """Staff accounts of the doctors' portal."""


@staff_group.command("set-password")
@click.argument("code")
@click.password_option(
    "--password",
    prompt="New password",
    help="The new password (prompted, hidden, when omitted).",
)
def set_password_cmd(code: str, password: str) -> None:
    """Set the portal password of staff member CODE (stored as an argon2id hash).

    Also clears any lock left by failed logins on that account.
    """
    from core.db import Database
    from models import LoginThrottle, Staff
    from portal.security import hash_password, password_problem
    from portal.throttle import account_key

    problem = password_problem(password)
    if problem:
        click.echo(f"sampark: password refused: {problem}", err=True)
        sys.exit(1)
    db = Database(load_settings().database_url)
    try:
        with db.session() as session:
            staff = session.scalars(
                select(Staff).where(func.upper(Staff.code) == code.strip().upper())
            ).one_or_none()
            if staff is None:
                click.echo(f"sampark: no staff member with code {code!r}", err=True)
                sys.exit(1)
            staff.password_hash = hash_password(password)
            lock = session.scalars(
                select(LoginThrottle).where(LoginThrottle.key == account_key(staff.id, code))
            ).one_or_none()
            if lock is not None:
                session.delete(lock)
            name, role = staff.name, staff.role.value
    finally:
        db.dispose()
    click.echo(f"password set for {code.upper()} ({name}, {role})")


COMMANDS = [staff_group]
