"""REST fault injection (seeded, per endpoint, set at run time) and the control endpoints."""

from __future__ import annotations

import requests

from standin.faults_rest import RestFaults
from tests.standin_rest.conftest import TOKEN, FakeStandIn
from tests.standin_rest.fake_engine import ACCOUNT

CALL = {"To": "+919990000001", "From": "+916456222333", "Url": "http://app.test/voice"}
PLAN = {"seed": 42, "rules": [{"endpoint": "calls.*", "error_rate": 0.3, "rate_limit_rate": 0.2}]}


def statuses(fs: FakeStandIn, n: int) -> list[int]:
    url = fs.url("/Calls.json")
    return [
        requests.post(url, data=CALL, auth=(ACCOUNT, TOKEN), timeout=5).status_code
        for _ in range(n)
    ]


def test_seeded_faults_repeat_exactly(fake_standin: FakeStandIn):
    control = fake_standin.base_url + "/_standin/faults/rest"
    assert requests.put(control, json=PLAN, timeout=5).status_code == 200
    first = statuses(fake_standin, 40)
    assert requests.put(control, json=PLAN, timeout=5).status_code == 200
    second = statuses(fake_standin, 40)
    assert first == second
    assert {201, 500, 429} <= set(first)
    snapshot = requests.get(control, timeout=5).json()
    assert snapshot["injected"]["calls.create:500"] == first.count(500)
    requests.put(control, json={**PLAN, "seed": 43}, timeout=5)
    assert statuses(fake_standin, 40) != first


def test_fault_bodies_are_twilios(fake_standin: FakeStandIn):
    fake_standin.faults.configure([{"endpoint": "calls.create", "sequence": ["429", "503", "ok"]}])
    got = [
        requests.post(fake_standin.url("/Calls.json"), data=CALL, auth=(ACCOUNT, TOKEN), timeout=5)
        for _ in range(3)
    ]
    assert [r.status_code for r in got] == [429, 503, 201]
    assert got[0].json() == {
        "code": 20429,
        "message": "Too Many Requests",
        "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }
    assert got[1].json()["code"] == 20503


def test_faults_do_not_depend_on_other_endpoints_interleaving():
    rules = [{"endpoint": "*", "error_rate": 0.5}]
    alone = RestFaults(seed=1, rules=rules)
    mixed = RestFaults(seed=1, rules=rules)
    a = [alone.decide("calls.create").outcome for _ in range(30)]
    b = []
    for _ in range(30):
        mixed.decide("messages.create")
        b.append(mixed.decide("calls.create").outcome)
    assert a == b and "error" in a and "ok" in a


def test_timeout_holds_then_answers_504_without_acting(fake_standin: FakeStandIn):
    fake_standin.faults.configure(
        [{"endpoint": "calls.create", "sequence": ["timeout"], "timeout_seconds": 0.3}]
    )
    response = requests.post(
        fake_standin.url("/Calls.json"), data=CALL, auth=(ACCOUNT, TOKEN), timeout=5
    )
    assert response.status_code == 504
    assert fake_standin.engine.calls == {}


def test_bad_fault_plans_are_refused(fake_standin: FakeStandIn):
    control = fake_standin.base_url + "/_standin/faults/rest"
    for plan in (
        {"rules": [{"endpoint": "*", "eror_rate": 0.1}]},
        {"rules": [{"endpoint": "*", "error_rate": 0.8, "rate_limit_rate": 0.5}]},
        {"rules": [{"endpoint": "*", "sequence": ["explode"]}]},
    ):
        response = requests.put(control, json=plan, timeout=5)
        assert response.status_code == 400 and "error" in response.json()
    assert requests.delete(control, timeout=5).json()["rules"] == []


def test_control_index_and_unknown_endpoint(fake_standin: FakeStandIn):
    index = requests.get(fake_standin.base_url + "/_standin/", timeout=5).json()
    assert any("timeline" in line for line in index["endpoints"])
    missing = requests.get(fake_standin.base_url + "/_standin/nothing", timeout=5)
    assert missing.status_code == 404
