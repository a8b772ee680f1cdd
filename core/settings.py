"""Typed settings read from the environment and validated at start-up.

Every problem names the variable at fault, so a district IT officer can fix a
deployment from the error message alone.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

TWILIO_DEFAULT_API_BASE_URL = "https://api.twilio.com"
#: The development defaults: the stand-in's credentials and the session key of ``make demo``.
LOCAL_ACCOUNT_SID = "AC" + "0" * 32
LOCAL_AUTH_TOKEN = "sampark-local-token"
DEV_SECRET_KEY = "dev-only-secret-key-change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"
DISPLAY_TIMEZONE = "Asia/Kolkata"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class UnsafeForProduction(SettingsError):
    """``SAMPARK_PRODUCTION`` is true and some settings are development defaults.

    Attributes:
        problems: one line per setting at fault, each naming what to set.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} setting{'s' if len(problems) > 1 else ''}"
        header = f"SAMPARK_PRODUCTION is true: refusing to start with {count} unsafe for production"
        super().__init__("\n".join([header, *problems]))


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    scheme = parsed.scheme.split("+", 1)[0]
    if scheme not in schemes:
        raise SettingsError(
            f"{name}={value!r} is not a valid URL: expected a scheme among {', '.join(schemes)}"
        )
    if scheme not in ("sqlite", "memory") and not parsed.netloc:
        raise SettingsError(f"{name}={value!r} is not a valid URL: it has no host")
    return value


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name}={value!r} is not a boolean (use true or false)")


def _count(name: str, value: str, most: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = -1
    if not 0 <= number <= most:
        raise SettingsError(f"{name}={value!r} is not a whole number from 0 to {most}")
    return number


#: Who may read ``/metrics`` by default: this machine only.
DEFAULT_METRICS_ALLOW = "127.0.0.1/8,::1/128"


def _networks(name: str, value: str) -> tuple[str, ...]:
    """A comma-separated list of CIDR networks (``10.0.0.0/8,::1/128``), each checked."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(f"{name}: {item!r} is not an address or network (CIDR)") from None
    return tuple(networks)


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _e164(name: str, value: str) -> str | None:
    """An E.164 number (``+`` and 7 to 15 digits) or None when empty; spaces are dropped."""
    number = "".join(value.split())
    if not number:
        return None
    if not _E164.fullmatch(number):
        raise SettingsError(
            f"{name}={value!r} is not an E.164 number: write it as + and the country code "
            "and number, digits only (e.g. +14155550100)"
        )
    return number


def _is_twilio_api(url: str) -> bool:
    """Twilio's https REST API: ``api.twilio.com`` or a regional ``api.EDGE.REGION.twilio.com``."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    regional = host.startswith("api.") and host.endswith(".twilio.com")
    return parsed.scheme == "https" and (host == "api.twilio.com" or regional)


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from its environment.

    Attributes:
        database_url: SQLAlchemy URL; defaults to a SQLite file under ``instance/``.
        redis_url: ``redis://`` URL, or ``None`` for the embedded in-process stand-in.
        twilio_account_sid: the account SID used for REST calls and webhook checks.
        twilio_auth_token: signs and verifies webhooks; never logged.
        twilio_api_base_url: Twilio's API or any Twilio-compatible stand-in.
        public_base_url: the address Twilio calls back.
        secret_key: Flask session signing key.
        trust_proxy: honour X-Forwarded-Proto/Host when checking signatures.
        send_threads: threads of a simple worker that send its claimed call legs'
            requests (``SAMPARK_SEND_THREADS``; 0: each job sends its own, inline).
        production: ``SAMPARK_PRODUCTION``: serving processes refuse development
            defaults (:meth:`check_production`).
        metrics_allow: ``METRICS_ALLOW``: the networks that may read ``/metrics``
            (CIDR list, default loopback only).
        metrics_token: ``METRICS_TOKEN``: a bearer token that reads ``/metrics`` from
            anywhere (unset: none does).
        outbound_caller_id: ``OUTBOUND_CALLER_ID``: an E.164 number on the Twilio account
            that every outbound call and SMS comes from when set (for India an international,
            non-+91 number: ``outbound.caller_id``); unset: the registry's lines.
    """

    database_url: str
    redis_url: str | None
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base_url: str
    public_base_url: str
    secret_key: str
    trust_proxy: bool = False
    instance_path: Path = DEFAULT_INSTANCE_PATH
    queue_prefix: str = "sampark"
    send_threads: int = 4
    production: bool = False
    metrics_allow: tuple[str, ...] = _networks("METRICS_ALLOW", DEFAULT_METRICS_ALLOW)
    metrics_token: str | None = None
    outbound_caller_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def talks_to_real_twilio(self) -> bool:
        return urlparse(self.twilio_api_base_url).hostname in ("api.twilio.com",)

    def production_problems(self) -> list[str]:
        """Each development default in these settings, one line naming what to set instead."""
        problems = []
        if self.secret_key == DEV_SECRET_KEY:
            problems.append(
                "SECRET_KEY is the development key: set SECRET_KEY to a long random string "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if self.twilio_account_sid == LOCAL_ACCOUNT_SID:
            problems.append(
                "TWILIO_ACCOUNT_SID is the local stand-in's: set TWILIO_ACCOUNT_SID to the "
                "account SID from the Twilio console"
            )
        if self.twilio_auth_token == LOCAL_AUTH_TOKEN:
            problems.append(
                "TWILIO_AUTH_TOKEN is the local stand-in's: set TWILIO_AUTH_TOKEN to the "
                "account's auth token from the Twilio console (it signs Twilio's webhooks)"
            )
        if self.uses_embedded_database:
            problems.append(
                f"DATABASE_URL is SQLite ({self.database_url}): set DATABASE_URL to PostgreSQL "
                "(postgresql+psycopg://USER:PASSWORD@HOST/DATABASE)"
            )
        if self.uses_embedded_redis:
            problems.append(
                "REDIS_URL is not set (the embedded Redis lives in one process): set REDIS_URL "
                "to the Redis server shared by web and workers (redis://HOST:6379/0)"
            )
        if urlparse(self.public_base_url).scheme != "https":
            problems.append(
                f"PUBLIC_BASE_URL={self.public_base_url} is not https: set PUBLIC_BASE_URL to "
                "the https:// address where Twilio reaches this deployment (TLS at the proxy)"
            )
        if not _is_twilio_api(self.twilio_api_base_url):
            problems.append(
                f"TWILIO_API_BASE_URL={self.twilio_api_base_url} is not Twilio's API: unset "
                f"TWILIO_API_BASE_URL (default {TWILIO_DEFAULT_API_BASE_URL}) or set a regional "
                "https://api.EDGE.REGION.twilio.com"
            )
        return problems

    def check_production(self) -> None:
        """In production mode, refuse every development default at once.

        Raises:
            UnsafeForProduction: listing all of :meth:`production_problems`.
        """
        if self.production and (problems := self.production_problems()):
            raise UnsafeForProduction(problems)

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced (for tests and tools)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings from ``environ`` (default ``os.environ``).

        Raises:
            SettingsError: naming the first variable that is invalid.
        """
        env = os.environ if environ is None else environ
        instance_path = Path(env.get("SAMPARK_INSTANCE_PATH", str(DEFAULT_INSTANCE_PATH)))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'sampark.db'}"
        _url("DATABASE_URL", database_url, ("sqlite", "postgresql"))
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None:
            _url("REDIS_URL", redis_url, ("redis", "rediss", "unix"))
        sid = env.get("TWILIO_ACCOUNT_SID", LOCAL_ACCOUNT_SID)
        if not (len(sid) == 34 and sid.startswith("AC") and sid[2:].isalnum()):
            raise SettingsError(
                f"TWILIO_ACCOUNT_SID={sid!r} is not an account SID (AC followed by 32 characters)"
            )
        token = env.get("TWILIO_AUTH_TOKEN", LOCAL_AUTH_TOKEN)
        if not token:
            raise SettingsError("TWILIO_AUTH_TOKEN is empty")
        api_base = env.get("TWILIO_API_BASE_URL", TWILIO_DEFAULT_API_BASE_URL).rstrip("/")
        _url("TWILIO_API_BASE_URL", api_base, ("http", "https"))
        public = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        _url("PUBLIC_BASE_URL", public, ("http", "https"))
        secret = env.get("SECRET_KEY", "") or DEV_SECRET_KEY  # refused in production mode
        if len(secret) < 16:
            raise SettingsError("SECRET_KEY is too short: use at least 16 characters")
        metrics_token = env.get("METRICS_TOKEN") or None
        if metrics_token is not None and len(metrics_token) < 16:
            raise SettingsError("METRICS_TOKEN is too short: use at least 16 characters")
        return cls(
            database_url=database_url,
            redis_url=redis_url,
            twilio_account_sid=sid,
            twilio_auth_token=token,
            twilio_api_base_url=api_base,
            public_base_url=public,
            secret_key=secret,
            trust_proxy=_bool("TRUST_PROXY", env.get("TRUST_PROXY", "false")),
            instance_path=instance_path,
            queue_prefix=env.get("SAMPARK_QUEUE_PREFIX", "sampark"),
            send_threads=_count("SAMPARK_SEND_THREADS", env.get("SAMPARK_SEND_THREADS", "4"), 64),
            production=_bool("SAMPARK_PRODUCTION", env.get("SAMPARK_PRODUCTION", "false")),
            metrics_allow=_networks(
                "METRICS_ALLOW", env.get("METRICS_ALLOW", DEFAULT_METRICS_ALLOW)
            ),
            metrics_token=metrics_token,
            outbound_caller_id=_e164("OUTBOUND_CALLER_ID", env.get("OUTBOUND_CALLER_ID", "")),
        )
