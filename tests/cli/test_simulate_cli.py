"""``sampark simulate`` as an operator runs it (issue 14, item 8).

Ctrl-C and SIGTERM stop it within seconds with the summary so far; ``--patients`` below 1
is refused; the run's temporary database is removed unless ``--keep-db PATH``; with
``DATABASE_URL`` the run is in that database.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sampark.cli import main
from tests.cli.test_errors import ROOT, SAMPARK, one_line

#: The interpreter's start and the imports take a few seconds on a busy machine.
START_TIMEOUT_S = 60.0
STOP_WITHIN_S = 8.0


def _simulate(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path))
    return subprocess.Popen(
        [sys.executable, "-c", SAMPARK, "simulate", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_database(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("sampark-sim-*"))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("mode", [["--real-time", "-n", "5"], ["-n", "400"]])
def test_a_signal_stops_the_run_within_seconds_cleanly(
    sig: signal.Signals, mode: list[str], tmp_path: Path
) -> None:
    process = _simulate(tmp_path, *mode)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _run_database(tmp_path):  # the run has started: its database exists
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the simulation did not start"
            time.sleep(0.1)
        time.sleep(1.0)
        assert process.poll() is None, "the run ended before it was interrupted"
        sent = time.monotonic()
        process.send_signal(sig)
        out, err = process.communicate(timeout=STOP_WITHIN_S + 5)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert took < STOP_WITHIN_S
    assert process.returncode == 128 + sig
    assert "Traceback" not in err
    assert f"sampark simulate: interrupted by {sig.name}; the summary is of the run so far" in err
    assert "patients" in out  # the summary of the run so far
    assert _run_database(tmp_path) == []  # its temporary database removed


def _invoke(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["simulate", *args], env=env, prog_name="sampark")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("n", ["0", "-3"])
def test_fewer_than_one_patient_is_refused(n: str) -> None:
    code, _, err = _invoke("--patients", n)
    assert code == 2
    assert one_line(err).startswith("sampark simulate: Invalid value for '--patients'")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The run's temporary files go to a directory of this test's own."""
    run_tmp = tmp_path / "tmp"
    run_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(run_tmp))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return run_tmp


def _districts(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT code FROM districts")]


def test_the_temporary_database_is_removed_at_the_end(private_tmp: Path) -> None:
    code, out, _ = _invoke("-n", "2", "--json")
    assert code in (0, 1), out
    assert '"patients": 2' in out
    assert _run_database(private_tmp) == []


def test_keep_db_keeps_the_runs_database_where_asked(private_tmp: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept.db"
    code, out, err = _invoke("-n", "2", "--json", "--keep-db", str(kept))
    assert code in (0, 1), out
    assert f"database kept: {kept}" in err
    assert _districts(kept) == ["SIM"]
    assert _run_database(private_tmp) == []
    code, _, err = _invoke("-n", "2", "--keep-db", str(kept))  # not over an earlier run
    assert code == 2
    assert one_line(err) == f"sampark: simulate: --keep-db {kept} exists; name a new file"


def test_database_url_is_honoured_and_must_be_empty(private_tmp: Path, tmp_path: Path) -> None:
    given = tmp_path / "given.db"
    code, out, _ = _invoke("-n", "2", "--json", DATABASE_URL=f"sqlite:///{given}")
    assert code in (0, 1), out
    assert _districts(given) == ["SIM"]
    assert _run_database(private_tmp) == []
    code, _, err = _invoke("-n", "2", DATABASE_URL=f"sqlite:///{given}")
    assert code == 2
    assert "already holds 1 district(s)" in one_line(err)
    code, _, err = _invoke("--keep-db", str(tmp_path / "k.db"), DATABASE_URL=f"sqlite:///{given}")
    assert code == 2
    assert one_line(err).startswith("sampark: simulate: --keep-db is for the run's own SQLite")
