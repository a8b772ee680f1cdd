"""What the operator is told when a command cannot run: one line on stderr, no traceback.

The ``sampark`` group runs every command through :func:`explain`: an exception the
operator can do something about (a database or Redis out of reach, an unknown
migration, a port taken, a file that is not text, settings production mode refuses)
becomes a :class:`CliError`, printed as ``sampark: <problem>`` (one line per problem)
with a non-zero exit code. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from alembic.util.exc import CommandError
from redis import exceptions as redis_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, ProgrammingError

from core.settings import SettingsError, UnsafeForProduction
from sampark.registry import RegistryNotText

EXIT_PROBLEM = 1
EXIT_USAGE = 2
#: A service the command needs (the database, Redis) is out of reach.
EXIT_SERVICE = 3
#: PostgreSQL's undefined_table: a database that was never migrated.
UNDEFINED_TABLE = "42P01"


class CliError(click.ClickException):
    """A problem the operator can fix: ``<source>: <message>`` on stderr, then exit."""

    exit_code = EXIT_PROBLEM

    def __init__(
        self, message: str, exit_code: int = EXIT_PROBLEM, source: str = "sampark"
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click's is a class default
        self.source = source

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.format_message().splitlines():  # a list of problems: each prefixed
            click.echo(f"{self.source}: {line}", err=True, file=file)


def first_line(exc: BaseException) -> str:
    """The driver's own words for ``exc`` (SQLAlchemy wraps them), one line."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0].strip()


def safe_url(url: str) -> str:
    """``url`` without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable URL)"


def explain(exc: BaseException) -> CliError | None:
    """The one line for an exception the operator can act on; None for a bug."""
    not_migrated = getattr(getattr(exc, "orig", None), "sqlstate", None) == UNDEFINED_TABLE
    if isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, ProgrammingError) and not_migrated
    ):
        return CliError(
            f"database error: {first_line(exc)} (is DATABASE_URL right, the server up "
            "and the database migrated? `sampark db upgrade`)",
            EXIT_SERVICE,
        )
    if isinstance(exc, CommandError):
        return CliError(f"migrations: {first_line(exc)}", EXIT_USAGE)
    if isinstance(exc, redis_exc.ResponseError) and "DB index" in str(exc):
        return CliError(
            f"Redis: {exc} (the database number at the end of REDIS_URL is more than "
            "the server has; 0 to 15 by default)",
            EXIT_SERVICE,
        )
    if isinstance(exc, redis_exc.ConnectionError | redis_exc.TimeoutError):
        return CliError(f"Redis unreachable: {first_line(exc)} (is REDIS_URL right?)", EXIT_SERVICE)
    if isinstance(exc, UnsafeForProduction):  # production mode's refusals: one line each
        return CliError(str(exc), EXIT_USAGE)
    if isinstance(exc, SettingsError):
        return CliError(f"configuration error: {exc}", EXIT_USAGE)
    if isinstance(exc, RegistryNotText):
        return CliError(str(exc), EXIT_PROBLEM)
    return None


class SamparkGroup(click.Group):
    """A click group whose commands' operator errors are :func:`explain`-ed, and whose
    usage errors (a bad option value) are one line too."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # one line, not click's usage block
            path = exc.ctx.command_path if exc.ctx else ctx.command_path
            message = f"{exc.format_message()} (see `{path} --help`)"
            raise CliError(message, EXIT_USAGE, source=path) from exc
        except click.ClickException:
            raise
        except Exception as exc:
            error = explain(exc)
            if error is None:
                raise
            raise error from exc


def port_in_use(host: str, port: int, what: str, hint: str = "") -> CliError:
    """The error for ``what`` finding ``host:port`` taken."""
    return CliError(f"{what}: port {port} on {host} is already in use{hint}", EXIT_USAGE)


@contextmanager
def binding(host: str, port: int, what: str, hint: str = "") -> Iterator[None]:
    """Turn "address already in use" while ``what`` binds ``host:port`` into one line."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise port_in_use(host, port, what, hint) from exc


def ensure_free(host: str, port: int, what: str, hint: str = "") -> None:
    """Raise :func:`port_in_use` unless ``host:port`` can be bound now (0: any port is)."""
    if port == 0:
        return
    with binding(host, port, what, hint), socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
