"""Item 4 of issue 16: with ``SAMPARK_PRODUCTION=true`` nothing serves on a development default.

The web app factory, ``sampark web``, ``sampark worker`` and ``wsgi.py`` (under gunicorn
too) refuse the development secret, the stand-in's credentials and base URL, SQLite, the
embedded Redis and an ``http://`` public URL: one line per setting, naming what to set,
all of them at once, and a non-zero exit. Outside production mode the defaults serve
(``make demo``). ``sampark web`` with a database or Redis out of reach is one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.settings import Settings, UnsafeForProduction
from sampark.app import create_app
from sampark.cli import main

ROOT = Path(__file__).resolve().parents[2]
NO_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
#: Every variable the checks read; None: unset (a test's process may have them set).
SAFE: dict[str, str | None] = {
    "SAMPARK_PRODUCTION": "true",
    "SECRET_KEY": "f3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "TWILIO_ACCOUNT_SID": "AC" + "3f9c2b7d" * 4,
    "TWILIO_AUTH_TOKEN": "9f86d081884c7d659a2feaa0c55ad015",
    "TWILIO_API_BASE_URL": None,
    "DATABASE_URL": "postgresql+psycopg://sampark:secret@db.internal:5432/sampark",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "PUBLIC_BASE_URL": "https://sampark.kishanganj.example.in",
}
#: One unsafe value per setting, and the start of the line that refuses it.
UNSAFE = [
    ({"SECRET_KEY": None}, "SECRET_KEY is the development key: set SECRET_KEY "),
    ({"SECRET_KEY": "dev-only-secret-key-change-me"}, "SECRET_KEY is the development key: "),
    ({"TWILIO_ACCOUNT_SID": None}, "TWILIO_ACCOUNT_SID is the local stand-in's: set "),
    ({"TWILIO_AUTH_TOKEN": None}, "TWILIO_AUTH_TOKEN is the local stand-in's: set "),
    ({"TWILIO_AUTH_TOKEN": "sampark-local-token"}, "TWILIO_AUTH_TOKEN is the local stand-in's"),
    ({"DATABASE_URL": None}, "DATABASE_URL is SQLite (sqlite:///"),
    ({"DATABASE_URL": "sqlite:////srv/sampark.db"}, "DATABASE_URL is SQLite (sqlite:////srv/"),
    ({"REDIS_URL": None}, "REDIS_URL is not set (the embedded Redis lives in one process): "),
    ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL=http://127.0.0.1:5000 is not https: set "),
    ({"PUBLIC_BASE_URL": "http://sampark.example.in"}, "PUBLIC_BASE_URL=http://sampark.exam"),
    ({"TWILIO_API_BASE_URL": "http://127.0.0.1:8765"}, "TWILIO_API_BASE_URL=http://127.0.0."),
    ({"TWILIO_API_BASE_URL": "http://api.twilio.com"}, "TWILIO_API_BASE_URL=http://api.twil"),
    ({"TWILIO_API_BASE_URL": "https://twilio.example.in"}, "TWILIO_API_BASE_URL=https://twili"),
]
#: The seven lines of a production start on nothing but defaults (and the stand-in).
ALL_DEFAULTS = {
    **{name: None for name in SAFE},
    "SAMPARK_PRODUCTION": "true",
    "TWILIO_API_BASE_URL": "http://127.0.0.1:8765",
}
ALL_SETTINGS = [
    "SECRET_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
    "TWILIO_API_BASE_URL",
]
HEADER = "sampark: SAMPARK_PRODUCTION is true: refusing to start with "


def environ(**changes: str | None) -> dict[str, str]:
    """The safe production environment with ``changes`` (None: unset), as ``from_env`` sees it."""
    merged = {**SAFE, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def run(*args: str, env: dict[str, str | None]) -> tuple[int, str]:
    """``sampark ARGS`` in this process with ``env`` (None: unset): exit code, stderr."""
    result = CliRunner().invoke(main, list(args), env=env, prog_name="sampark")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr
    return [line for line in stderr.splitlines() if line.strip()]


def problem_lines(stderr: str) -> list[str]:
    """The refusal's lines after its header, without the ``sampark: `` prefix."""
    header, *rest = lines(stderr)
    assert header.startswith(HEADER) and header.endswith(" unsafe for production")
    assert all(line.startswith("sampark: ") for line in rest), stderr
    return [line.removeprefix("sampark: ") for line in rest]


# -- the settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "line"), UNSAFE)
def test_each_development_default_is_refused_with_its_line(
    change: dict[str, str | None], line: str
) -> None:
    settings = Settings.from_env(environ(**change))
    with pytest.raises(UnsafeForProduction) as refused:
        settings.check_production()
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith(line)
    assert f"set {next(iter(change))}" in refused.value.problems[0]


def test_a_production_configuration_is_accepted() -> None:
    settings = Settings.from_env(environ())
    assert settings.production and settings.production_problems() == []
    settings.check_production()
    for regional in ("https://api.twilio.com", "https://api.singapore.in1.twilio.com/"):
        Settings.from_env(environ(TWILIO_API_BASE_URL=regional)).check_production()


def test_outside_production_the_defaults_serve(tmp_path: Path) -> None:
    settings = Settings.from_env({"SAMPARK_INSTANCE_PATH": str(tmp_path)})
    assert not settings.production
    assert len(settings.production_problems()) == 6  # what make demo runs on
    settings.check_production()
    app = create_app(settings, TESTING=True)
    assert app.test_client().get("/healthz").status_code == 200


def test_the_app_factory_refuses_all_problems_at_once(tmp_path: Path) -> None:
    env = {**environ(**ALL_DEFAULTS), "SAMPARK_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(UnsafeForProduction) as refused:
        create_app(Settings.from_env(env))
    named = [problem.split("=", 1)[0].split(" ", 1)[0] for problem in refused.value.problems]
    assert named == ALL_SETTINGS


# -- the commands ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["web"], ["worker", "--burst"]])
def test_a_command_lists_every_problem_and_exits_non_zero(command: list[str]) -> None:
    code, err = run(*command, env=ALL_DEFAULTS)
    assert code == 2
    assert lines(err)[0] == f"{HEADER}7 settings unsafe for production"
    named = [line.split("=", 1)[0].split(" ", 1)[0] for line in problem_lines(err)]
    assert named == ALL_SETTINGS


@pytest.mark.parametrize(("change", "line"), UNSAFE[:1] + UNSAFE[5:6] + UNSAFE[10:11])
def test_a_command_refuses_one_default_alone(change: dict[str, str | None], line: str) -> None:
    code, err = run("web", env={**SAFE, **change})
    assert code == 2
    assert lines(err)[0] == f"{HEADER}1 setting unsafe for production"
    assert len(problem_lines(err)) == 1 and problem_lines(err)[0].startswith(line)


def test_web_with_its_database_out_of_reach_is_one_line() -> None:
    code, err = run("web", env={"DATABASE_URL": NO_DATABASE, "SAMPARK_PRODUCTION": None})
    assert code == 3
    [line] = lines(err)
    assert line.startswith("sampark: database error: ") and "Connection refused" in line
    assert "DATABASE_URL" in line


def test_web_with_its_redis_out_of_reach_is_one_line(tmp_path: Path) -> None:
    env: dict[str, str | None] = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SAMPARK_PRODUCTION": None,
    }
    code, err = run("web", env=env)
    assert code == 3
    [line] = lines(err)
    assert line.startswith("sampark: Redis unreachable: ") and "REDIS_URL" in line


def test_the_worker_with_its_database_out_of_reach_is_one_line() -> None:
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set: the worker checks Redis first")
    env: dict[str, str | None] = {
        "DATABASE_URL": NO_DATABASE,
        "REDIS_URL": redis_url,
        "SAMPARK_PRODUCTION": None,
        "SAMPARK_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:6]}",
    }
    code, err = run("worker", "--burst", env=env)
    assert code == 3
    [line] = lines(err)
    assert line.startswith("sampark: database error: ") and "Connection refused" in line


def process(args: list[str], env: dict[str, str | None], timeout: float = 60) -> tuple[int, str]:
    """A process of its own in the project's directory: exit code, stderr."""
    full = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    done = subprocess.run(args, cwd=ROOT, env=full, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stderr


def test_a_production_worker_starts_on_a_production_configuration(
    database_url: str, redis_url: str | None
) -> None:
    if redis_url is None or not database_url.startswith("postgresql"):
        pytest.skip("needs the test PostgreSQL and Redis servers")
    env = {
        **SAFE,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SAMPARK_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:6]}",
    }
    sampark = [sys.executable, "-c", "from sampark.cli import main; main()"]
    code, err = process([*sampark, "worker", "--burst"], env)
    assert code == 0, err


# -- wsgi.py and gunicorn ------------------------------------------------------------------------


def test_wsgi_refuses_a_bad_production_configuration_in_lines() -> None:
    code, err = process([sys.executable, "-c", "import wsgi"], ALL_DEFAULTS)
    assert code == 4  # gunicorn's "app failed to load": the arbiter halts
    assert lines(err)[0] == f"{HEADER}7 settings unsafe for production"
    assert len(problem_lines(err)) == 7


def test_wsgi_says_a_malformed_setting_in_one_line() -> None:
    code, err = process([sys.executable, "-c", "import wsgi"], {"SECRET_KEY": "short"})
    assert code == 4
    assert lines(err) == ["sampark: SECRET_KEY is too short: use at least 16 characters"]


def test_wsgi_loads_a_production_configuration() -> None:
    code, err = process([sys.executable, "-c", "import wsgi; assert wsgi.app"], SAFE)
    assert code == 0, err


def test_gunicorn_halts_on_a_bad_production_configuration() -> None:
    env = {**ALL_DEFAULTS, "SAMPARK_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "2"}
    code, err = process([str(ROOT / ".venv/bin/gunicorn"), "wsgi:app"], env, timeout=30)
    assert code != 0
    assert "Traceback" not in err
    ours = [line for line in err.splitlines() if line.startswith("sampark: ")]
    assert ours[0] == f"{HEADER}7 settings unsafe for production" and len(ours) >= 8
    assert "App failed to load" in err
