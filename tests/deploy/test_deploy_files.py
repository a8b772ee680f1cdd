"""``deploy/``'s files agree with each other and with the code.

The systemd units and compose.yaml run the Procfile's commands (tests/deploy/
test_procfile.py runs the Procfile itself); nginx sets the forwarded headers that
``TRUST_PROXY`` reads, so a Twilio signature made for the public https URL is accepted
behind it; /metrics and the stand-in's control API are not served to the internet.
This machine has no Docker and no systemd: ``docker compose config`` and ``nginx -t``
run only where those programs are installed (skipped otherwise).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask import Flask, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from telephony.webhooks import is_valid_twilio_request
from tests.deploy.deploy_files import DEPLOY, ROOT, Server, argv, nginx_servers, procfile, unit

SYSTEMD = DEPLOY / "systemd"
UNITS = {
    "web": "sampark-web.service",
    "worker": "sampark-worker@.service",
    "standin": "sampark-standin.service",
}


@pytest.fixture(scope="module")
def proc() -> dict[str, list[str]]:
    return procfile()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))


def _workers(proc: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: cmd for name, cmd in proc.items() if name.startswith("worker")}


# -- the Procfile ------------------------------------------------------------------------
def test_the_procfile_runs_gunicorn_two_workers_and_the_stand_in(
    proc: dict[str, list[str]],
) -> None:
    assert proc["web"] == ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    assert list(_workers(proc).values()) == [["sampark", "worker"]] * 2
    standin = proc["standin"]
    assert standin[:2] == ["sampark", "standin"]
    assert standin[standin.index("--app-url") + 1] == "$PUBLIC_BASE_URL"
    # no --region: the default, auto, applies India's rules to an Indian registry
    assert "--region" not in standin
    assert set(proc) == {"web", "standin", *_workers(proc)}


# -- systemd -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(UNITS))
def test_each_unit_runs_the_procfiles_command_as_the_sampark_user(
    role: str, proc: dict[str, list[str]]
) -> None:
    service = unit(SYSTEMD / UNITS[role])["Service"]
    expected = proc[role] if role != "worker" else proc["worker1"]
    assert [argv(c) for c in service["ExecStart"]] == [expected]
    assert service["ExecStart"][0].startswith("/opt/sampark/.venv/bin/")
    assert service["WorkingDirectory"] == ["/opt/sampark"]  # gunicorn.conf.py, wsgi.py
    assert service["EnvironmentFile"] == ["/etc/sampark/env"]
    assert service["User"] == ["sampark"] and service["Group"] == ["sampark"]
    assert service["Restart"] == ["always"]
    assert service["KillMode"] == ["control-group"]
    assert unit(SYSTEMD / UNITS[role])["Install"]["WantedBy"] == ["multi-user.target"]


def test_only_the_web_unit_migrates_before_it_starts() -> None:
    web = unit(SYSTEMD / UNITS["web"])["Service"]
    assert [argv(c) for c in web["ExecStartPre"]] == [["sampark", "db", "upgrade"]]
    for role in ("worker", "standin"):
        assert "ExecStartPre" not in unit(SYSTEMD / UNITS[role])["Service"]
    worker = unit(SYSTEMD / UNITS["worker"])
    assert "sampark-web.service" in worker["Unit"]["After"][0].split()


def test_only_gunicorn_gets_the_metrics_multiprocess_directory(compose: dict[str, Any]) -> None:
    web = unit(SYSTEMD / UNITS["web"])["Service"]
    run_dir = f"/run/{web['RuntimeDirectory'][0]}/"
    assert web["Environment"] == [f"PROMETHEUS_MULTIPROC_DIR={run_dir}metrics"]
    for role in ("worker", "standin"):
        assert "Environment" not in unit(SYSTEMD / UNITS[role])["Service"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in (DEPLOY / "env.example").read_text(encoding="utf-8")
    services = compose["services"]
    assert "PROMETHEUS_MULTIPROC_DIR" in services["web"]["environment"]
    assert "PROMETHEUS_MULTIPROC_DIR" not in services["worker"]["environment"]


def test_a_stopping_worker_has_time_to_drain_its_leg_sender() -> None:
    from sampark.cli.worker import SEND_DRAIN_S

    worker = unit(SYSTEMD / UNITS["worker"])["Service"]
    assert int(worker["TimeoutStopSec"][0]) > SEND_DRAIN_S


# -- compose -----------------------------------------------------------------------------
def test_compose_runs_the_procfiles_commands(
    compose: dict[str, Any], proc: dict[str, list[str]]
) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "standin"} <= set(services)
    assert services["web"]["command"] == proc["web"]
    assert services["worker"]["command"] == proc["worker1"]
    assert services["worker"]["deploy"]["replicas"] == len(_workers(proc))
    web_unit = unit(SYSTEMD / UNITS["web"])["Service"]
    assert services["migrate"]["command"] == argv(web_unit["ExecStartPre"][0])
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    # The stand-in: the same program and options, its values the compose network's.
    standin = services["standin"]["command"]
    assert standin[:2] == proc["standin"][:2]
    assert {w for w in proc["standin"] if w.startswith("--")} <= set(standin)
    assert services["standin"]["profiles"] == ["standin"]
    assert standin[standin.index("--app-url") + 1] == "http://web:8000"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert cmd is not None and yaml.safe_load(cmd.group(1)) == proc["web"]


def test_compose_points_the_product_at_its_postgres_and_a_redis_that_keeps_nothing(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("migrate", "web", "worker", "standin"):
        env = services[name]["environment"]
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["env_file"] == "sampark.env"
    assert services["web"]["environment"]["SAMPARK_BIND"] == "0.0.0.0:8000"
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # nginx on the host
    assert services["redis"]["command"] == ["redis-server", "--save", "", "--appendonly", "no"]
    assert "volumes" not in services["redis"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def _has_docker_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.skipif(not _has_docker_compose(), reason="no docker compose on this machine")
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    shutil.copy(DEPLOY / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(DEPLOY / "env.example", tmp_path / "sampark.env")
    done = subprocess.run(
        ["docker", "compose", "-f", str(tmp_path / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# -- nginx -------------------------------------------------------------------------------
def _tls_server() -> Server:
    servers = [s for s in nginx_servers() if any("ssl" in v for v in s.values("listen"))]
    assert len(servers) == 1
    return servers[0]


def _headers_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for path in ("telephony/webhooks.py", "portal/security.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        found |= set(re.findall(r'headers\.get\("(X-Forwarded-[A-Za-z]+)"', text))
    return found


def test_nginx_sets_every_forwarded_header_the_code_reads() -> None:
    read = _headers_read_by_the_code()
    assert {"X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-For"} <= read
    app = _tls_server().match("/ivr/incoming")
    assert app.values("proxy_pass") == [["http://sampark_web"]]
    set_headers = {h: v for h, v in app.values("proxy_set_header")}
    assert read <= set(set_headers)
    assert set_headers["X-Forwarded-Proto"] == "$scheme"  # https: TLS ends here
    assert set_headers["X-Forwarded-Host"] in ("$host", "$http_host")
    # One hop, the address nginx saw: the portal's throttle reads the last one.
    assert set_headers["X-Forwarded-For"] == "$remote_addr"


def test_a_signature_for_the_public_url_is_accepted_behind_nginx() -> None:
    """Twilio requests https://HOST/ivr/incoming; gunicorn gets http://127.0.0.1:8000/...
    with the headers nginx sets: with TRUST_PROXY the app checks the URL Twilio signed."""
    server = _tls_server()
    host = server.values("server_name")[0][0]
    location = server.match("/ivr/incoming")
    nginx_vars = {"$scheme": "https", "$host": host, "$http_host": host}
    nginx_vars["$remote_addr"] = "203.0.113.9"
    headers = {h: nginx_vars.get(v, v) for h, v in location.values("proxy_set_header")}
    headers.pop("Connection", None)
    token = "deploy-test-token-0123456789"
    form = {"CallSid": "CA" + "1" * 32, "From": "+919400000001", "To": "+916100000001"}
    signature = RequestValidator(token).compute_signature(
        f"https://{host}/ivr/incoming", MultiDict(form)
    )

    def accepted(trust_proxy: bool) -> bool:
        with Flask(__name__).test_request_context(
            "/ivr/incoming",
            method="POST",
            base_url="http://127.0.0.1:8000",
            data=urlencode(form),
            content_type="application/x-www-form-urlencoded",
            headers={**headers, "X-Twilio-Signature": signature},
        ):
            return is_valid_twilio_request(request, token, trust_proxy)

    assert accepted(trust_proxy=True)
    assert not accepted(trust_proxy=False)  # why env.example sets TRUST_PROXY=true
    env = (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert re.search(r"^TRUST_PROXY=true$", env, re.M)
    assert re.search(r"^PUBLIC_BASE_URL=https://", env, re.M)


@pytest.mark.parametrize("uri", ["/metrics", "/metrics/", "/_standin/", "/_standin/dial-in"])
def test_metrics_and_the_stand_ins_control_api_are_not_public(uri: str) -> None:
    for server in nginx_servers():
        location = server.match(uri)
        assert not location.values("proxy_pass"), f"{uri} is proxied"
        assert location.values("return")[0][0] in ("404", "403", "301", "444")
    for server in nginx_servers():
        assert all(loc.modifier in ("", "=", "^~") for loc in server.locations)  # no regex


def test_nginx_proxies_to_gunicorns_bind_and_plain_http_only_redirects() -> None:
    conf = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    default = re.search(r'environ\.get\("SAMPARK_BIND", "([^"]+)"\)', conf)
    assert default is not None
    bind = default.group(1)
    text = (DEPLOY / "nginx" / "sampark.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream sampark_web \{\s*server ([^;\s]+);", text)
    assert upstream is not None and upstream.group(1) == bind
    env = (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert f"SAMPARK_BIND={bind}" in env
    plain = [s for s in nginx_servers() if not any("ssl" in v for v in s.values("listen"))]
    assert plain and all(not loc.values("proxy_pass") for s in plain for loc in s.locations)


#: nginx's temporary directories: under the test's own directory, not /var/lib/nginx.
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx on this machine")
def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    """``nginx -t`` on the site inside a minimal nginx.conf, with a throwaway certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=sampark.example.in", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "sampark.conf").read_text(encoding="utf-8")
    site = re.sub(r"ssl_certificate (\S+);", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key (\S+);", f"ssl_certificate_key {key};", site)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in TEMP_PATHS)
        + f"  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
