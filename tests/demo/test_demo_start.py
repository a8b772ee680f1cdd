"""``make demo`` tells the truth and starts clean (issue 14, item 10).

A second run is not blocked by the first run's consultations (no doctor left "busy"),
the district is summarised in words, the doctors' logins are printed with the password
at the start, other ports are accepted (``make demo PORT=...``), and the JSON log lines
carry no terminal colour codes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.logutils import colorizer
from sqlalchemy import select

from core.logs import JsonFormatter
from core.runtime import Runtime
from models import CallLeg, Consultation, ConsultationState, LegRole, Staff
from models.telephony import LegStatus
from sampark import demo
from sampark.demo_start import close_earlier_run, district_summary, doctor_logins, other_logins
from sampark.registry import ImportReport
from tests.builders import build_mini_district, intake_done
from workflows.people import busy_doctor_ids

S = ConsultationState
ROOT = Path(__file__).resolve().parents[2]


def _leg(c: Consultation, role: LegRole, staff: Staff, status: LegStatus) -> CallLeg:
    return CallLeg(
        consultation_id=c.id,
        role=role,
        staff_id=staff.id,
        from_number="+916456238276",
        to_number=staff.mobile,
        status=status,
    )


def test_a_second_run_frees_the_doctors_the_first_left_busy(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        doctors = {d.code: d for d in s.scalars(select(Staff).where(Staff.code.like("DR-%")))}
        talking = intake_done(s, mini.spoke_ids["HWC-001"], 1)
        for state in (S.CALLING_ANM, S.FINDING_DOCTOR, S.BRIDGING, S.IN_CONFERENCE):
            talking.transition(state, "test")
        talking.doctor_id = doctors["DR-GM-1"].id
        offered = intake_done(s, mini.spoke_ids["HWC-003"], 2)
        for state in (S.CALLING_ANM, S.FINDING_DOCTOR):
            offered.transition(state, "test")
        s.add(_leg(offered, LegRole.DOCTOR_OFFER, doctors["DR-GM-2"], LegStatus.RINGING))
        s.add(_leg(talking, LegRole.DOCTOR, doctors["DR-GM-1"], LegStatus.IN_PROGRESS))
        waiting = intake_done(s, mini.spoke_ids["HWC-002"], 3)
        for state in (S.CALLING_ANM, S.FINDING_DOCTOR, S.BRIDGING, S.AWAITING_PRESCRIPTION):
            waiting.transition(state, "test")
        doctors["DR-PD-1"].available = False  # set unavailable after missed offers
        refs = [talking.reference, offered.reference]
    with runtime.db.session() as s:
        assert busy_doctor_ids(s) == {doctors["DR-GM-1"].id, doctors["DR-GM-2"].id}

    clean = close_earlier_run(runtime)

    assert clean.text() == (
        f"earlier run: 2 unfinished consultation(s) cancelled ({', '.join(refs)}); "
        "2 call(s) marked ended; 1 doctor(s) made available again"
    )
    with runtime.db.session() as s:
        assert busy_doctor_ids(s) == set()
        states = dict(s.execute(select(Consultation.reference, Consultation.state)).tuples().all())
        assert states == {
            refs[0]: S.CANCELLED,
            refs[1]: S.CANCELLED,
            waiting.reference: S.AWAITING_PRESCRIPTION,  # the doctor may still prescribe
        }
        assert set(s.scalars(select(CallLeg.status))) == {LegStatus.LOST}
        assert all(s.scalars(select(Staff.available).where(Staff.code.like("DR-%"))))
    assert close_earlier_run(runtime).text() is None  # nothing left to clean


def test_the_district_is_summarised_in_words(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        build_mini_district(s)
    report = ImportReport(district="KSG")
    report.created["spokes"] = 3
    line = district_summary(runtime, report)
    assert line == (
        "district Kishanganj (KSG): 2 blocks, 2 hubs, 3 spokes, 4 ANMs, 5 doctors (loaded now)"
    )
    assert "unchanged" in district_summary(runtime, ImportReport(district="KSG"))


def test_the_logins_are_the_general_medicine_doctors_at_the_patients_hubs(
    runtime: Runtime,
) -> None:
    with runtime.db.session() as s:
        build_mini_district(s)
    logins = doctor_logins(runtime, ["HWC Belwa", "HWC Pothia"])
    assert [line.split()[0] for line in logins] == ["DR-GM-1", "DR-GM-2"]
    assert logins[0] == "DR-GM-1  Dr. Anil Prasad (Sadar Hospital Kishanganj; or +919990200001)"
    others = other_logins(runtime, ["HWC Belwa"])
    assert [line.split()[0] for line in others if "(ANM: HWC Belwa" in line] == [
        "ANM-001",
        "ANM-002",
    ]
    assert not [line for line in others if "(ANM: HWC Pothia" in line]  # not a patient's HWC


def test_json_log_lines_carry_no_terminal_colour_codes() -> None:
    def green(text: str) -> str:  # what RQ's worker wraps queue names in on a terminal
        return f"{colorizer.codes['darkgreen']}{text}{colorizer.codes['reset']}"

    record = logging.LogRecord(
        "rq.worker", logging.INFO, __file__, 1, "%s: Job OK (%s)", (green("workflow"), "x"), None
    )
    record.queue = green("workflow")
    line = JsonFormatter().format(record)
    assert "\x1b" not in line and "\\u001b" not in line
    payload = json.loads(line)
    assert payload["msg"] == "workflow: Job OK (x)" and payload["queue"] == "workflow"


def test_make_demo_takes_other_ports() -> None:
    done = subprocess.run(
        ["make", "-n", "demo", "PORT=8090", "TWILIO_PORT=8766"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".venv/bin/python -m sampark.demo --port 8090 --twilio-port 8766" in done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_the_demo_starts_by_saying_what_it_loaded_and_how_to_log_in(tmp_path: Path) -> None:
    """The real demo, without its scripted patients, to its banner; then Ctrl-C."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path}/demo.db")
    port, twilio = _free_port(), _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sampark.demo", "--port", str(port), "--twilio-port",
         str(twilio), "--no-journey"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, process.communicate()
            lines.append(line.rstrip("\n"))
            if line.lstrip().startswith("press keys:"):
                break
        process.send_signal(2)  # Ctrl-C
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    banner = "\n".join(lines)
    assert re.search(
        r"district Kishanganj \(\w+\): 7 blocks, 11 hubs, 230 spokes, \d+ ANMs, \d+ doctors "
        r"\(loaded now\)",
        banner,
    ), banner
    assert "ImportReport(" not in banner and "Counter(" not in banner
    assert f"general-medicine doctors at the patients' hubs (password {demo.DEMO_PASSWORD}):" in (
        banner
    )
    assert re.search(r"^\s+DR-\d+\s+Dr .+\(.+; or \+91\d{10}\)$", banner, re.M), banner
    assert re.search(r"^\s+ANM-\d+-\d\s+.+\(ANM: HWC .+; or \+91\d{10}\)$", banner, re.M), banner
    assert re.search(r"^\s+DA-\d+\s+.+\(district admin; or \+91\d{10}\)$", banner, re.M), banner
    assert f"http://127.0.0.1:{port}/portal/" in banner and f"127.0.0.1:{twilio}" in banner
    assert "demo stopped" in out and "Traceback" not in err, err


def test_the_readme_describes_the_demo_as_it_runs() -> None:
    """The README's timing rests on the demo's own constants, and names its ports' options."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What `make demo` shows", 1)[1].split("\n## ", 1)[0]
    assert f"scripted doctor after {demo.SCRIPTED_DOCTOR_DELAY_S} s" in section
    assert f"hang up after {demo.STAFF_HANGUP_S:.0f} s" in section
    assert "make demo PORT=8090 TWILIO_PORT=8766" in section
    # the conferences, the scripted doctor and the second call alone take 3 min 35 s
    floor_s = demo.STAFF_HANGUP_S + demo.SCRIPTED_DOCTOR_DELAY_S + demo.SECOND_PATIENT_DELAY_S
    assert floor_s < 6 * 60 and "about seven minutes of real time" in section
