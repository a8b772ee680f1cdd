"""The product's processes for a load run: a scratch database, the stand-in, gunicorn and
``sampark worker``s, each a separate OS process started as an operator starts it.

Workers run as under a supervisor (systemd ``Restart=always``, ``KillMode=control-group``):
each in its own process group; a killed worker's group is killed and a new worker started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sampark_exe() -> str:
    """The ``sampark`` console script of this interpreter's environment."""
    exe = BIN / "sampark"
    return str(exe) if exe.exists() else "sampark"


def gunicorn_exe() -> str:
    exe = BIN / "gunicorn"
    return str(exe) if exe.exists() else "gunicorn"


class ScratchDatabase:
    """A PostgreSQL database of the run's own on ``server_url``'s server (dropped after)."""

    def __init__(self, server_url: str, keep: bool = False) -> None:
        self.server_url = server_url
        self.name = f"sampark_lt_{uuid.uuid4().hex[:10]}"
        self.keep = keep
        self.url = (
            make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        )

    def create(self) -> str:
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        return self.url

    def drop(self) -> None:
        if self.keep:
            return
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def via_proxy(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the fault proxy's."""
    if url.startswith("redis"):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        netloc = f"127.0.0.1:{port}"
        if parts.username or parts.password:
            netloc = f"{parts.username or ''}:{parts.password or ''}@{netloc}"
        return urlunsplit(parts._replace(netloc=netloc))
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@dataclass
class Proc:
    """One started process (its own process group) and where its output goes."""

    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the group, then SIGKILL to what is left."""
        self.signal_group(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)


@dataclass
class Processes:
    """Start, kill and stop the stand-in, gunicorn and the workers."""

    env: dict[str, str]
    run_dir: Path
    procs: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    restarts: int = 0
    killed: list[Proc] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], extra: dict[str, str] | None = None) -> Proc:
        log_path = self.run_dir / f"{name}.log"
        out = open(log_path, "ab")  # noqa: SIM115 - the child keeps it
        popen = subprocess.Popen(
            argv,
            env={**self.env, **(extra or {})},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own: children die with it
        )
        out.close()
        proc = Proc(name, argv, popen, log_path)
        self.procs.append(proc)
        return proc

    def start_standin(self, port: int, app_url: str, seed: int, region: str | None) -> Proc:
        """``sampark standin`` with ``region``'s rules (None: none) for the registry's
        numbers and OUTBOUND_CALLER_ID (from the environment)."""
        argv = [sampark_exe(), "standin", "--port", str(port), "--app-url", app_url]
        argv += ["--seed", str(seed), "--region", region or "none"]
        proc = self.spawn("standin", argv)
        wait_http(f"http://127.0.0.1:{port}/_standin/", proc)
        return proc

    def start_gunicorn(self, port: int, workers: int) -> Proc:
        argv = [gunicorn_exe(), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
        proc = self.spawn(
            "gunicorn", argv, {"SAMPARK_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
        )
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, any_status=True)
        return proc

    def start_worker(self) -> Proc:
        n = len([p for p in self.procs if p.name.startswith("worker")]) + 1
        proc = self.spawn(f"worker{n}", [sampark_exe(), "worker"])
        self.workers.append(proc)
        return proc

    def kill_worker(self, index: int = 0) -> Proc:
        """SIGKILL one worker's main process (a crash); the supervisor's part follows in
        ``replace_worker``."""
        proc = self.workers[index]
        os.kill(proc.pid, signal.SIGKILL)
        return proc

    def replace_worker(self, proc: Proc) -> Proc:
        """What the supervisor does next: kill the rest of the group, start a new one."""
        proc.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=5)
        self.workers.remove(proc)
        self.killed.append(proc)
        self.restarts += 1
        return self.start_worker()

    def dead(self) -> list[str]:
        """Processes that exited by themselves (not killed by the harness)."""
        gone = [p for p in self.procs if not p.alive() and p not in self.killed]
        return [f"{p.name} (exit {p.popen.returncode})" for p in gone]

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.alive():
                proc.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in reversed(self.procs):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            proc.signal_group(signal.SIGKILL)


def wait_http(url: str, proc: Proc, timeout: float = 60.0, any_status: bool = False) -> None:
    """Until ``url`` answers (2xx, or anything with ``any_status``); fails if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited: see {proc.log_path}")
        try:
            r = requests.get(url, timeout=2)
            if any_status or r.ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not answer {url} in {timeout:.0f} s")
