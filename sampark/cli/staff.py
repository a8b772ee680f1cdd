"""``sampark staff set-password CODE``: give a staff member a portal password."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from sampark.cli import load_settings


@click.group("staff")
def staff_group() -> None:
    """Staff accounts of the portal (doctors, ANMs, district admins)."""


@staff_group.command("set-password")
@click.argument("code")
@click.password_option(
    "--password",
    prompt="New password",
    help="The new password (prompted, hidden, when omitted).",
)
@click.option(
    "--permanent",
    is_flag=True,
    help="Do not ask for a new password at the next login (e.g. a shared training account).",
)
def set_password_cmd(code: str, password: str, permanent: bool) -> None:
    """Set the portal password of staff member CODE (stored as an argon2id hash).

    The password is temporary: the portal asks for a new one at the next login, unless
    --permanent. Also clears any lock left by failed logins on that account.
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
            staff.password_must_change = not permanent
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
