"""``sampark standin``: run the local Twilio stand-in (REST API + control endpoints)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

import click

from sampark.cli import load_settings
from sampark.cli.errors import binding

log = logging.getLogger(__name__)

#: Where the app answers Twilio for our numbers (ivr/README.md, prescriptions/verify.py).
VOICE_PATH = "/ivr/incoming"
STATUS_PATH = "/ivr/status"
SMS_PATH = "/sms/inbound"


def number_urls(app_url: str | None) -> dict[str, str | None]:
    """A number's URLs as an operator sets them on Twilio's IncomingPhoneNumber.

    Voice URL and status callback (POST): the IVR's ``/ivr/incoming`` and ``/ivr/status``,
    so a caller who hangs up mid-intake is reported; SMS URL: ``/sms/inbound``. Without
    an app URL, none (they can be set per number through ``/_standin/numbers``).
    """
    base = (app_url or "").rstrip("/")
    if not base:
        return {"voice_url": None, "status_callback": None, "sms_url": None}
    return {
        "voice_url": f"{base}{VOICE_PATH}",
        "voice_method": "POST",
        "status_callback": f"{base}{STATUS_PATH}",
        "status_callback_method": "POST",
        "sms_url": f"{base}{SMS_PATH}",
        "sms_method": "POST",
    }


def configure_numbers(standin: Any, numbers: list[str], app_url: str | None) -> None:
    """Give the stand-in's account ``numbers``, each with :func:`number_urls`; a number
    the region's rules keep off a Twilio account (a +91 landline or mobile) is reported on
    stderr and left off, as an operator could not buy it (not a request the product made,
    so not counted among the region's refusals)."""
    urls = number_urls(app_url)
    region = getattr(standin, "region", None)
    for number in numbers:
        if region is not None and (rule := region.number_refusal(number)) is not None:
            click.echo(
                f"sampark standin: not on the account: {number}: Twilio has no such number "
                f"in {region.name} ({rule.source})",
                err=True,
            )
            continue
        try:
            standin.add_number(number, **urls)
        except ValueError as exc:
            click.echo(f"sampark standin: not on the account: {exc}", err=True)


def pick_region(choice: str, registry: list[str]) -> str | None:
    """``IN``, ``none`` (None), or ``auto``: the country of the registry's numbers when the
    stand-in has its rules (``standin/regions.py``; India for an Indian registry)."""
    from standin.regions import REGIONS
    from telephony.region_rules import region_for

    if choice.lower() == "none":
        return None
    if choice.lower() != "auto":
        return choice.upper()
    found = region_for(registry)
    return found.code if found is not None and found.code in REGIONS else None


def _registry_numbers(settings: Any) -> list[str]:
    """The service numbers in the registry ([] when the database cannot be read)."""
    from sqlalchemy import select

    from core.runtime import Runtime
    from models import ServiceNumber

    try:
        runtime = Runtime.from_settings(settings)
        with runtime.db.session() as session:
            return list(session.scalars(select(ServiceNumber.number)))
    except Exception as exc:  # a missing database must not stop the stand-in
        click.echo(f"sampark standin: could not read the registry's numbers: {exc}", err=True)
        return []


@click.command("standin")
@click.option("--port", default=8765, show_default=True, type=int, help="0 = a free port")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--virtual", is_flag=True, help="Virtual clock: time moves only through /_standin/clock."
)
@click.option("--seed", default=1, show_default=True, type=int, help="Seed for SIDs and faults.")
@click.option(
    "--app-url",
    default=None,
    help="The app's base URL (PUBLIC_BASE_URL): the registry's numbers ring its IVR there.",
)
@click.option("--number", "numbers", multiple=True, help="Another number the account owns (E.164).")
@click.option(
    "--region",
    type=click.Choice(["auto", "IN", "none"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="Apply a country's Twilio rules (standin/regions.py), e.g. IN: India's guidelines; "
    "auto: those of the registry's numbers (read with --app-url), none without a registry.",
)
@click.option(
    "--control-from-anywhere",
    is_flag=True,
    help="Serve /_standin/ to every client, not only loopback ones: anyone who reaches it "
    "can make the stand-in sign any request with TWILIO_AUTH_TOKEN.",
)
def standin_cmd(
    port: int,
    host: str,
    virtual: bool,
    seed: int,
    app_url: str | None,
    numbers: tuple[str, ...],
    region: str,
    control_from_anywhere: bool,
) -> None:
    """Run the local Twilio stand-in until interrupted.

    It answers Twilio's REST API 2010-04-01 with TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN,
    signs webhooks with that token, and serves control endpoints under /_standin/
    (see standin/README.md), to loopback clients only unless
    --control-from-anywhere. Point the app at it with TWILIO_API_BASE_URL=http://HOST:PORT.
    OUTBOUND_CALLER_ID, when set, is on the account too (every call and SMS comes from it).
    """
    from standin import RealClock, StandIn, VirtualClock

    settings = load_settings()
    clock = VirtualClock() if virtual else RealClock()
    registry = _registry_numbers(settings) if app_url else []
    standin = StandIn(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        clock=clock,
        seed=seed,
        region=pick_region(region, registry),
    )
    owned = list(numbers)
    owned += [n for n in registry if n not in owned]
    outbound = settings.outbound_caller_id
    if outbound and outbound not in owned:
        owned.append(outbound)
    configure_numbers(standin, owned, app_url)
    if standin.region is not None and not outbound:
        click.echo(
            f"sampark standin: {standin.region.name}'s rules refuse a {standin.region.name} "
            "caller ID: set OUTBOUND_CALLER_ID to an international number (see "
            "outbound/caller_id.py), else the product's calls and SMS are refused",
            err=True,
        )
    with binding(host, port, "the stand-in", " (another --port, or 0 for a free one)"):
        base_url = standin.start(port=port, host=host, control_from_anywhere=control_from_anywhere)
    base = (app_url or "").rstrip("/")
    who = "any client" if control_from_anywhere else "loopback clients only"
    rules = f", {standin.region.name}'s rules" if standin.region else ""
    click.echo(f"Twilio stand-in on {base_url} ({'virtual' if virtual else 'real'} clock{rules})")
    on_account = len(standin.engine.numbers)
    click.echo(f"  numbers: {on_account}; webhooks to {base or '(set per number)'}")
    click.echo(f"  control: {base_url}/_standin/ ({who})   app: TWILIO_API_BASE_URL={base_url}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
        click.echo("stand-in stopped")


COMMANDS = [standin_cmd]
