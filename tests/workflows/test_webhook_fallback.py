"""The workflow's webhooks never drop an event: kept while the database is down, replayed after.

The outage is real: the runtime's engine points at a port nobody listens on
(``tests.ivr.outages.database_down``); the replay is the sweeper's own pass.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core import fallback
from core.runtime import Runtime
from core.timeutil import utcnow
from models import CallLeg, Consultation, ConsultationState, Staff
from ops import sweeper
from tests.builders import build_mini_district, intake_done
from tests.ivr.outages import database_down
from tests.workflows.test_webhooks import post
from workflows import engine

S = ConsultationState
SIDS = {"doctor": "CA" + "d" * 32, "anm": "CA" + "a" * 32, "patient": "CA" + "p" * 32}


def reasons(runtime: Runtime, cid: int) -> list[str]:
    with runtime.db.session() as s:
        return [t.reason for t in s.get_one(Consultation, cid).transitions]


def state(runtime: Runtime, cid: int) -> ConsultationState:
    with runtime.db.session() as s:
        return s.get_one(Consultation, cid).state


def legs(runtime: Runtime, cid: int) -> list[tuple[int, str]]:
    with runtime.db.session() as s:
        rows = s.scalars(select(CallLeg).where(CallLeg.consultation_id == cid)).all()
        return sorted((leg.id, leg.status) for leg in rows)


def consultations(runtime: Runtime, n: int, *, bridging: bool = False) -> list[int]:
    """``n`` consultations at intake end, or bridging (ANM and doctor chosen)."""
    with runtime.db.session() as s:
        mini = build_mini_district(s)
        anm = s.scalars(select(Staff).where(Staff.code == "ANM-001")).one()
        doctor = s.scalars(select(Staff).where(Staff.code == "DR-GM-1")).one()
        ids = []
        for k in range(1, n + 1):
            c = intake_done(s, mini.spoke_ids["HWC-001"], k)
            if bridging:
                c.transition(S.CALLING_ANM, "intake-complete")
                c.transition(S.FINDING_DOCTOR, "anm-accepted")
                c.transition(S.BRIDGING, "doctor-accepted", deadline=utcnow() + timedelta(hours=1))
                c.anm_id, c.doctor_id = anm.id, doctor.id
            s.flush()
            ids.append(c.id)
        return ids


def conference(client: FlaskClient, cid: int, event: str, label: str) -> None:
    form = {
        "StatusCallbackEvent": event,
        "CallSid": SIDS[label],
        "ParticipantLabel": label,
        "ConferenceSid": "CF" + "c" * 32,
    }
    answer = post(client, f"/calls/consultations/{cid}/conference", form)
    assert answer.tag == "Response" and len(answer) == 0  # valid, empty, even in an outage


def status(client: FlaskClient, leg_id: int, call_status: str) -> None:
    form = {"CallSid": "CA" + f"{leg_id:032d}", "CallStatus": call_status}
    answer = post(client, f"/calls/legs/{leg_id}/status", form)
    assert answer.tag == "Response" and len(answer) == 0


def kept(runtime: Runtime) -> list[fallback.Record]:
    return [r for r in fallback.pending(runtime.settings) if r["area"] == "workflows"]


def replay_again(runtime: Runtime) -> None:
    """Put the records of the last replay back, as a crash before it finished would."""
    directory = fallback.fallback_dir(runtime.settings)
    for done in directory.glob("workflows-*.jsonl.done"):
        shutil.copy(done, directory / ("again-" + done.name.removesuffix(".done")))


def in_conference(runtime: Runtime, client: FlaskClient, n: int) -> list[int]:
    cids = consultations(runtime, n, bridging=True)
    for cid in cids:
        for label in ("doctor", "anm", "patient"):
            conference(client, cid, "participant-join", label)
        assert state(runtime, cid) is S.IN_CONFERENCE
    return cids


def test_a_conference_leave_lost_in_an_outage_is_replayed_as_if_it_had_arrived(
    runtime: Runtime, client: FlaskClient
) -> None:
    live, outage = in_conference(runtime, client, 2)
    for label in ("doctor", "anm"):
        conference(client, live, "participant-leave", label)
    with database_down(runtime):
        for label in ("doctor", "anm"):
            conference(client, outage, "participant-leave", label)
    assert state(runtime, outage) is S.IN_CONFERENCE
    records = kept(runtime)
    assert [(r["kind"], r["route"], r["form"]["ParticipantLabel"]) for r in records] == [
        ("conference", {"consultation_id": outage}, "doctor"),
        ("conference", {"consultation_id": outage}, "anm"),
    ]

    counts = sweeper.sweep(runtime)

    assert counts["fallback"] == 2 and kept(runtime) == []
    assert state(runtime, outage) is state(runtime, live) is S.AWAITING_PRESCRIPTION
    assert reasons(runtime, outage) == reasons(runtime, live)
    assert reasons(runtime, outage)[-1] == "doctor-and-anm-left"
    with runtime.db.session() as s:
        details = s.get_one(Consultation, outage).details
        assert details is not None and details["present"] == {"patient": SIDS["patient"]}

    replay_again(runtime)  # the same leaves replayed twice change nothing twice
    assert sweeper.sweep(runtime)["fallback"] == 2
    assert reasons(runtime, outage) == reasons(runtime, live)


def anm_legs(runtime: Runtime, n: int) -> list[tuple[int, int]]:
    """``n`` consultations calling their first ANM: (consultation id, leg id) each."""
    pairs = []
    for cid in consultations(runtime, n):
        engine.advance(runtime, cid, "start")  # the leg is created, not placed (no effects)
        [(leg_id, _)] = legs(runtime, cid)
        pairs.append((cid, leg_id))
    return pairs


def test_a_leg_status_replayed_twice_changes_nothing_twice(
    runtime: Runtime, client: FlaskClient
) -> None:
    (live, live_leg), (outage, outage_leg) = anm_legs(runtime, 2)
    status(client, live_leg, "no-answer")
    with database_down(runtime):
        status(client, outage_leg, "no-answer")
    assert reasons(runtime, outage) == ["ivr-complete", "intake-complete"]

    sweeper.sweep(runtime)
    after_one = reasons(runtime, outage), legs(runtime, outage)
    assert after_one[0] == reasons(runtime, live)  # as if it had arrived: the next ANM
    assert len(after_one[1]) == len(legs(runtime, live)) == 2
    assert dict(after_one[1])[outage_leg] == "no-answer"

    replay_again(runtime)
    assert sweeper.sweep(runtime)["fallback"] == 1
    assert (reasons(runtime, outage), legs(runtime, outage)) == after_one


def test_a_status_replayed_after_a_newer_one_is_ignored(
    runtime: Runtime, client: FlaskClient
) -> None:
    [(cid, leg_id)] = anm_legs(runtime, 1)
    with database_down(runtime):
        status(client, leg_id, "ringing")
    assert [r["form"]["CallStatus"] for r in kept(runtime)] == ["ringing"]
    status(client, leg_id, "in-progress")  # the database is back before the replay
    before = reasons(runtime, cid)
    assert sweeper.sweep(runtime)["fallback"] == 1
    assert kept(runtime) == []
    assert dict(legs(runtime, cid))[leg_id] == "in-progress"
    assert reasons(runtime, cid) == before


def test_events_are_replayed_in_order_of_arrival_whatever_file_holds_them(
    runtime: Runtime, client: FlaskClient
) -> None:
    [(_, leg_id)] = anm_legs(runtime, 1)
    with database_down(runtime):
        status(client, leg_id, "in-progress")
        status(client, leg_id, "completed")
    directory = fallback.fallback_dir(runtime.settings)
    [path] = directory.glob("workflows-*.jsonl")
    answered, completed = [json.loads(line) for line in path.read_text().splitlines()]
    path.unlink()  # two processes kept them: the later one in the file named first
    (directory / "workflows-20200101-1.jsonl").write_text(json.dumps(completed) + "\n")
    (directory / "workflows-20991231-2.jsonl").write_text(json.dumps(answered) + "\n")

    assert sweeper.sweep(runtime)["fallback"] == 2

    with runtime.db.session() as s:
        leg = s.get_one(CallLeg, leg_id)
        assert leg.status == "completed" and leg.answered_at is not None


@pytest.mark.parametrize(
    ("path", "speaks"),
    [
        ("/calls/legs/{leg}/answer?n=0&lang=ur", True),
        ("/calls/legs/{leg}/menu?lang=ur", True),
        ("/calls/legs/{leg}/status", False),
        ("/calls/consultations/{cid}/join?lang=ur", True),
        ("/calls/consultations/{cid}/conference", False),
    ],
)
def test_every_webhook_answers_valid_twiml_in_an_outage_and_keeps_its_event(
    runtime: Runtime, client: FlaskClient, path: str, speaks: bool
) -> None:
    [(cid, leg_id)] = anm_legs(runtime, 1)
    url = path.format(leg=leg_id, cid=cid)
    form = {"CallSid": "CA" + "9" * 32, "Digits": "1", "CallStatus": "busy"}
    with database_down(runtime):
        answer = post(client, url, form)
    assert [child.tag for child in answer] == (["Say", "Hangup"] if speaks else [])
    [record] = kept(runtime)
    kind = url.split("?")[0].rsplit("/", 1)[1]
    route = {"leg_id": leg_id} if "/legs/" in url else {"consultation_id": cid}
    assert (record["kind"], record["route"], record["form"], record["tries"]) == (
        kind,
        route,
        form,
        0,
    )
    assert record["args"] == dict(a.split("=") for a in url.partition("?")[2].split("&") if a)
    assert Path(fallback.fallback_dir(runtime.settings)).is_dir()
