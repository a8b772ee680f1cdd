"""Running ``deploy/Procfile`` under honcho as an operator would, for tests/deploy.

An environment file like ``/etc/sampark/env`` (``honcho -e``), ``sampark db upgrade`` and
``sampark district import`` through ``honcho run``, then ``honcho start``; every process
honcho started (its descendants, read from /proc) is recorded so that a test can prove
each one is gone after honcho's SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
BIN = Path(sys.executable).parent


def honcho_exe() -> str:
    exe = BIN / "honcho"
    return str(exe) if exe.exists() else "honcho"


def write_env_file(path: Path, values: dict[str, str]) -> Path:
    """``KEY='value'`` lines, as systemd's EnvironmentFile and honcho's ``-e`` read them."""
    lines = []
    for key, value in values.items():
        assert "'" not in value, f"{key}: a single quote cannot be written here"
        lines.append(f"{key}='{value}'")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def base_environ() -> dict[str, str]:
    """This process's environment without the test session's own settings, the
    virtualenv's bin first on PATH (the Procfile names ``gunicorn`` and ``sampark``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    for key in ("DATABASE_URL", "REDIS_URL", "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL"):
        env.pop(key, None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def honcho_call(
    env_file: Path, *argv: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``honcho run -e ENV argv`` from the project's root, whatever its exit code."""
    return subprocess.run(
        [honcho_exe(), "run", "-e", str(env_file), *argv],
        cwd=ROOT,
        env=base_environ(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def honcho_run(env_file: Path, *argv: str, timeout: float = 120) -> str:
    """``honcho run -e ENV argv`` from the project's root; fails with its output."""
    done = honcho_call(env_file, *argv, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr}"
    return done.stdout


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in ticks) of ``pid``; None when it is gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[19])


def descendants(root: int) -> dict[int, int]:
    """Every live descendant of ``root``: pid -> start time (to tell a reused pid)."""
    parents: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            parents.setdefault(st[0], []).append(int(entry.name))
            starts[int(entry.name)] = st[1]
    out: dict[int, int] = {}
    todo = [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child in starts and child not in out:
                out[child] = starts[child]
                todo.append(child)
    return out


def alive(pids: dict[int, int]) -> dict[int, str]:
    """Those of ``pids`` still running (the same process: same start time), with argv."""
    out = {}
    for pid, start in pids.items():
        st = _stat(pid)
        if st is not None and st[1] == start:
            with contextlib.suppress(OSError):
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                out[pid] = cmd.decode(errors="replace").strip()
    return out


@dataclass
class Honcho:
    """``honcho start`` of the Procfile, its output in ``log_path``."""

    env_file: Path
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    seen: dict[int, int] = field(default_factory=dict)

    def start(self, *names: str) -> None:
        argv = [honcho_exe(), "start", "-f", str(PROCFILE), "-d", str(ROOT)]
        argv += ["-e", str(self.env_file), "--no-colour", *names]
        with open(self.log_path, "ab") as out:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=base_environ(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def record(self) -> dict[int, int]:
        """Note every process honcho runs now (called again as more appear)."""
        self.seen.update(descendants(self.pid))
        return self.seen

    def wait_http(self, url: str, timeout: float = 90.0) -> requests.Response:
        """Until ``url`` answers 200; fails with honcho's output if honcho exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise AssertionError(f"honcho exited ({self.popen.returncode}):\n{self.output()}")
            with contextlib.suppress(requests.RequestException):
                r = requests.get(url, timeout=2)
                if r.status_code == 200:
                    return r
            time.sleep(0.3)
        raise AssertionError(f"{url} did not answer 200 in {timeout:.0f} s:\n{self.output()}")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM to honcho alone (as a supervisor stops it); its exit code."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)

    def kill_all(self) -> None:
        """Clean-up after a failure: SIGKILL to honcho's group and each recorded process."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)
        for pid in alive(self.seen):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def workflow_json() -> str:
    """Calls allowed all day (the loadtest's setting), so the test runs at any hour."""
    return json.dumps({"call_window": ["00:00", "00:00"]})
