"""Item 8 of issue 14: an operator's mistake or a service out of reach is one line, no traceback.

Each case runs the real ``sampark`` command (click's runner, or a subprocess where the
command binds a port) and checks that stderr is exactly one line naming the problem and
that the exit code is not 0.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sampark.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPARK = "from sampark.cli import main; main()"
NO_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def run(*args: str, **env: str) -> tuple[int, str, str]:
    """``sampark ARGS`` with ``env``: exit code, stdout, stderr."""
    result = CliRunner().invoke(main, list(args), env=env, prog_name="sampark")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("args", [["db", "current"], ["db", "upgrade"], ["consultations"]])
def test_an_unreachable_database_is_one_line(args: list[str]) -> None:
    code, _, err = run(*args, DATABASE_URL=NO_DATABASE)
    line = one_line(err)
    assert code == 3
    assert line.startswith("sampark: database error: ") and "Connection refused" in line


def test_a_database_never_migrated_is_one_line(database_url: str) -> None:
    """On PostgreSQL (the tests' own schema holds tables: a new database does not)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite says 'no such table' as an OperationalError")
    server = make_url(database_url)
    name = f"sampark_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        code, _, err = run("consultations", DATABASE_URL=url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    line = one_line(err)
    assert code == 3
    assert line.startswith("sampark: database error: relation ") and "sampark db upgrade" in line


@pytest.mark.parametrize("verb", ["upgrade", "downgrade"])
def test_an_unknown_revision_is_one_line(verb: str, tmp_path: Path) -> None:
    code, _, err = run("db", verb, "nosuchrev", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert code == 2
    assert one_line(err) == "sampark: migrations: Can't locate revision identified by 'nosuchrev'"


def test_an_unknown_state_is_one_line_listing_the_states() -> None:
    code, _, err = run("consultations", "--state", "bogus", DATABASE_URL=NO_DATABASE)
    line = one_line(err)
    assert code == 2
    assert line.startswith("sampark consultations: Invalid value for '--state': 'bogus'")
    assert "'awaiting_prescription'" in line


def test_a_registry_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "district.yaml"
    bad.write_bytes("district:\n  name: Kishanganj\n  state: Bih\u00e4r\n".encode("latin-1"))
    code, _, err = run("district", "import", str(bad), DATABASE_URL=NO_DATABASE)
    assert code == 1
    assert one_line(err) == f"sampark: {bad}:3: not UTF-8 text (byte 0xe4); save the file as UTF-8"


@pytest.mark.parametrize(
    ("redis_url", "problem"),
    [
        ("redis://127.0.0.1:1/0", "sampark: Redis unreachable: "),
        (None, "sampark: Redis: DB index is out of range"),
    ],
)
def test_the_worker_without_its_redis_is_one_line(
    redis_url: str | None, problem: str, tmp_path: Path
) -> None:
    if redis_url is None:  # a real server, a database number it does not have
        base = os.environ.get("TEST_REDIS_URL")
        if not base:
            pytest.skip("TEST_REDIS_URL is not set")
        redis_url = base.rsplit("/", 1)[0] + "/999"
    code, _, err = run(
        "worker", "--burst", REDIS_URL=redis_url, DATABASE_URL=f"sqlite:///{tmp_path}/x.db"
    )
    assert code == 3
    assert one_line(err).startswith(problem)


# -- a port already taken ----------------------------------------------------------------------


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``sampark ARGS`` (or ``python -m sampark.demo``) as a process of its own."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_the_standin_on_a_taken_port_is_one_line(taken_port: int) -> None:
    done = command(
        "-c", "from sampark.cli import main; main()", "standin", "--port", str(taken_port)
    )
    assert done.returncode == 2
    assert one_line(done.stderr) == (
        f"sampark: the stand-in: port {taken_port} on 127.0.0.1 is already in use"
        " (another --port, or 0 for a free one)"
    )


@pytest.mark.parametrize("which", ["--port", "--twilio-port"])
def test_the_demo_on_a_taken_port_is_one_line(which: str, taken_port: int, tmp_path: Path) -> None:
    done = command(
        "-m", "sampark.demo", which, str(taken_port), DATABASE_URL=f"sqlite:///{tmp_path}/d.db"
    )
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert (
        line.startswith("make demo: ")
        and f"port {taken_port} on 127.0.0.1 is already in use" in line
    )
    assert not (tmp_path / "d.db").exists()  # refused before anything was done
