"""Webhook delivery faults: dropped, duplicated and reordered status callbacks, reproducible
from the seed."""

from __future__ import annotations

from flask import Flask

from standin import Faults, PhoneScript, StandIn, VirtualClock, WsgiTransport
from tests.standin_engine.conftest import ACCOUNT, CLINIC, PATIENT, TOKEN
from tests.standin_engine.twiml_app import BASE, make_app

EVENTS = ["initiated", "ringing", "answered", "completed"]


def run(seed: int, faults: Faults) -> tuple[list[tuple[str, str]], list[dict]]:
    """Ten calls; (CallSid, CallStatus) of the callbacks as the app received them."""
    app = make_app(TOKEN)
    si = StandIn(ACCOUNT, TOKEN, clock=VirtualClock(), seed=seed, transport=WsgiTransport(app),
                 faults=faults)  # fmt: skip
    si.add_number(CLINIC)
    si.script(PATIENT, PhoneScript(digits=["9"]))
    for _ in range(10):
        si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": "<Response><Say>hi</Say>"
                               "</Response>", "StatusCallback": f"{BASE}/status",
                               "StatusCallbackEvent": EVENTS})  # fmt: skip
    si.run_until_idle()
    got = [(s["form"]["CallSid"], s["form"]["CallStatus"]) for s in app.config["SEEN"]]
    return got, si.timeline()


def faulty() -> Faults:
    return Faults(drop_rate=0.15, duplicate_rate=0.15, reorder_rate=0.2)


def test_faults_repeat_exactly_from_the_seed() -> None:
    first, _ = run(3, faulty())
    again, _ = run(3, faulty())
    other, _ = run(4, faulty())
    assert first == again
    assert first != other


def test_drops_duplicates_and_reordering_happen() -> None:
    clean, _ = run(3, Faults())
    got, timeline = run(3, faulty())
    assert len(clean) == 40
    dropped = [e for e in timeline if e["kind"] == "webhook-dropped"]
    duplicated = [e for e in timeline if "duplicate" in e.get("faults", [])]
    assert dropped and duplicated
    assert len(got) == 40 - len(dropped) + len(duplicated)
    # some call's callbacks arrive out of order (e.g. "completed" before "in-progress")
    order = {"initiated": 0, "ringing": 1, "in-progress": 2, "completed": 3}
    per_call: dict[str, list[int]] = {}
    for sid, status in got:
        per_call.setdefault(sid, []).append(order[status])
    assert any(seq != sorted(seq) for seq in per_call.values())


def test_a_duplicate_carries_the_same_signature_and_idempotency_token() -> None:
    app = make_app(TOKEN)
    si = StandIn(ACCOUNT, TOKEN, seed=1, transport=WsgiTransport(app),
                 faults=Faults(duplicate_rate=1.0))  # fmt: skip
    si.add_number(CLINIC)
    si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": "<Response/>",
                           "StatusCallback": f"{BASE}/status"})  # fmt: skip
    si.run_until_idle()
    seen = app.config["SEEN"]
    assert len(seen) == 2 and seen[0]["form"] == seen[1]["form"]
    assert seen[0]["token"] == seen[1]["token"] and all(s["valid"] for s in seen)


def test_delay_and_slow_answers_shift_virtual_time(twiml_app: Flask) -> None:
    si = StandIn(ACCOUNT, TOKEN, seed=1, transport=WsgiTransport(twiml_app),
                 faults=Faults(delay_rate=1.0, delay_seconds=(30, 30), slow_answer_rate=1.0,
                               slow_answer_seconds=(12, 12)))  # fmt: skip
    si.add_number(CLINIC)
    si.script(PATIENT, PhoneScript(answer_after=2))
    sid = si.engine.create_call({"To": PATIENT, "From": CLINIC, "Twiml": "<Response/>",
                                 "StatusCallback": f"{BASE}/status"})["sid"]  # fmt: skip
    si.run_until_idle()
    answered = next(e for e in si.timeline() if e.get("event") == "answered")
    assert answered["at"] == 1.0 + 2 + 12
    hook = si.webhooks(purpose="call-status", subject=sid)[0]
    assert hook["at"] == answered["at"] + 30 and hook["faults"] == ["delayed 30.0s"]
