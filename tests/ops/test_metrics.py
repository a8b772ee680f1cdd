"""``/metrics``: who may read it, what it says, and that it moves with a consultation."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from core import fallback
from core.db import Database
from core.runtime import Runtime
from core.settings import Settings, SettingsError
from core.timeutil import utcnow
from ops.simulate import run_simulation
from ops.sweeper import sweep
from sampark.app import create_app
from tests.builders import build_mini_district, intake_done

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-0123456789"
NAMES = {
    "sampark_http_request_duration_seconds",
    "sampark_http_responses",
    "sampark_consultations",
    "sampark_consultations_stuck",
    "sampark_call_legs",
    "sampark_sms_messages",
    "sampark_doctors_on_duty",
    "sampark_rq_queue_depth",
    "sampark_rq_oldest_job_age_seconds",
    "sampark_rq_jobs_failed",
    "sampark_rq_jobs_scheduled",
    "sampark_rq_workers",
    "sampark_sweeper_passes",
    "sampark_sweeper_redrives",
    "sampark_sweeper_redrive_failures",
    "sampark_fallback_records",
    "sampark_fallback_oldest_age_seconds",
    "sampark_metrics_source_up",
}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: FlaskClient, **kwargs: object) -> Samples:
    response = client.get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, have), value in samples.items()
        if sample == name and set(labels.items()) <= set(have)
    )


def app_with(runtime: Runtime, **overrides: object) -> Flask:
    settings = runtime.settings.with_overrides(**overrides)
    return create_app(settings, runtime=Runtime(settings=settings, db=runtime.db), TESTING=True)


def test_loopback_reads_every_metric_as_prometheus_text(client: FlaskClient) -> None:
    client.get("/no-such-page")  # an unmatched path counts under one label, not its own
    text = client.get("/metrics").get_data(as_text=True)
    described = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP")}
    names = {name.removesuffix("_total") for name in described}
    assert names >= NAMES, NAMES - names  # each family described, even with no rows yet
    samples = scrape(client)
    assert total(samples, "sampark_metrics_source_up") == 3  # database, Redis, fallback
    assert total(samples, "sampark_http_responses_total", route="<unmatched>", status="404") >= 1
    assert not any(dict(labels).get("route") == "/no-such-page" for _, labels in samples)


@pytest.mark.parametrize(
    ("remote", "headers"),
    [
        ("203.0.113.9", {}),  # the public internet, straight to the app
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}),  # relayed by the local proxy
        ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}),  # a forged first hop
        ("203.0.113.9", {"X-Forwarded-For": "127.0.0.1"}),  # forged, from outside
        ("203.0.113.9", {"Authorization": "Bearer wrong-token-0123456789"}),
    ],
)
def test_anyone_else_gets_the_apps_404(
    runtime: Runtime, remote: str, headers: dict[str, str]
) -> None:
    client = app_with(runtime, metrics_token=TOKEN).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == 404
    assert response.get_json() == {"error": "not found"}
    assert b"sampark_" not in response.data


def test_allowed_networks_and_the_bearer_token_let_a_remote_scraper_in(runtime: Runtime) -> None:
    allow = Settings.from_env({"METRICS_ALLOW": "10.0.0.0/8, ::1"}).metrics_allow
    client = app_with(runtime, metrics_allow=allow, metrics_token=TOKEN).test_client()
    scrape(client, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    scrape(client, headers={"X-Forwarded-For": "10.9.9.9"})  # through the local proxy
    scrape(client, environ_base={"REMOTE_ADDR": "::1"})
    scrape(
        client,
        headers={"Authorization": f"Bearer {TOKEN}"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert refused.status_code == 404  # loopback is allowed only while METRICS_ALLOW says so


def test_settings_check_the_networks_and_the_token() -> None:
    assert Settings.from_env({}).metrics_allow == ("127.0.0.0/8", "::1/128")
    assert Settings.from_env({}).metrics_token is None
    with pytest.raises(SettingsError, match="METRICS_ALLOW: 'intranet'"):
        Settings.from_env({"METRICS_ALLOW": "10.0.0.0/8,intranet"})
    with pytest.raises(SettingsError, match="METRICS_TOKEN is too short"):
        Settings.from_env({"METRICS_TOKEN": "short"})


def test_queues_and_the_fallback_are_read_at_scrape_time(
    runtime: Runtime, client: FlaskClient
) -> None:
    runtime.queue("sms").enqueue(print, "never run: no worker here")
    fallback.append_record(runtime.settings, "ivr", "step", {"CallSid": "CA1"}, {})
    samples = scrape(client)
    assert total(samples, "sampark_rq_queue_depth", queue="sms") == 1
    assert total(samples, "sampark_rq_queue_depth", queue="workflow") == 0
    assert total(samples, "sampark_rq_oldest_job_age_seconds", queue="sms") >= 0
    assert total(samples, "sampark_fallback_records", state="pending") == 1
    assert total(samples, "sampark_fallback_records", state="quarantined") == 0


def test_stuck_consultations_doctors_on_duty_and_the_sweepers_redrives(
    runtime: Runtime, client: FlaskClient
) -> None:
    with runtime.db.session() as session:
        build_mini_district(session)
        intake_done(session, None, 1, intake_completed_at=utcnow() - timedelta(minutes=10))
    before = scrape(client)
    assert total(before, "sampark_consultations_stuck", state="intake_complete") == 1
    assert total(before, "sampark_doctors_on_duty", district="KSG") > 0
    assert total(before, "sampark_sweeper_passes_total") == 0
    sweep(runtime)  # the hand-off was lost: the sweeper re-drives it
    sweep(runtime)
    after = scrape(client)
    assert total(after, "sampark_sweeper_passes_total") == 2
    assert total(after, "sampark_sweeper_redrives_total") >= 1
    assert total(after, "sampark_sweeper_last_pass_timestamp_seconds") > 0
    assert total(after, "sampark_consultations_stuck", state="intake_complete") == 0


def test_a_source_out_of_reach_is_left_out_and_said(runtime: Runtime) -> None:
    unreachable = Database("postgresql+psycopg://sampark@127.0.0.1:1/none")
    app = create_app(
        runtime.settings, runtime=Runtime(settings=runtime.settings, db=unreachable), TESTING=True
    )
    samples = scrape(app.test_client())
    assert total(samples, "sampark_metrics_source_up", source="database") == 0
    assert total(samples, "sampark_metrics_source_up", source="redis") == 1
    assert not any(name == "sampark_consultations" for name, _ in samples)
    assert any(name == "sampark_rq_queue_depth" for name, _ in samples)


@pytest.mark.slow
def test_a_simulated_consultation_moves_the_counters(runtime: Runtime, client: FlaskClient) -> None:
    before = scrape(client)
    summary = run_simulation(
        runtime.settings,
        patients=3,
        seed=5,
        database_url=runtime.settings.database_url,
        app_factory=create_app,
    )
    assert summary.patients == 3
    after = scrape(client)
    for name in ("sampark_consultations", "sampark_call_legs", "sampark_sms_messages"):
        assert total(after, name) > total(before, name), name
    latency = "sampark_http_request_duration_seconds_count"
    assert total(after, latency) > total(before, latency)
    assert total(after, "sampark_call_legs", status="completed") > 0
    assert total(after, "sampark_sms_messages", status="delivered") > 0


def test_gunicorn_workers_latency_adds_up_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    observe = "from ops.metrics import LATENCY; LATENCY.labels('/ivr', 'POST').observe(0.2)"
    for _ in range(2):  # two workers, each its own process
        subprocess.run([sys.executable, "-c", observe], env=env, cwd=ROOT, check=True)
    read = (
        "from prometheus_client import CollectorRegistry, generate_latest\n"
        "from prometheus_client.multiprocess import MultiProcessCollector\n"
        "r = CollectorRegistry(); MultiProcessCollector(r)\n"
        "print(generate_latest(r).decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", read], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    assert 'sampark_http_request_duration_seconds_count{method="POST",route="/ivr"} 2.0' in out
