"""``sampark twilio setup|check``: the Twilio account made to serve this deployment, and
checked before a district goes live.

``setup`` points every number of the registry at ``PUBLIC_BASE_URL`` (Voice URL
``/ivr/incoming``, status callback ``/ivr/status``, SMS URL ``/sms/inbound``, all POST) through
Twilio's REST API (IncomingPhoneNumbers update). It prints what it would change (number,
field, now -> wanted) and changes nothing unless given ``--apply``; a second apply finds
nothing to change and says so.

``check`` looks at everything that would make a call or an SMS fail, and prints each problem
on one line with its fix (exit 1 when there is any): the credentials; each registry number
on the account and pointing here; the caller IDs and SMS senders the product would use,
against the region's rules (``telephony/region_rules.py``); voice dialing permissions for the
region's country; a webhook signed with the auth token reaching ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from core.runtime import Runtime
from sampark.cli import load_settings
from sampark.cli.twilio_check import (
    Problem,
    check_account,
    check_dialing,
    check_identities,
    check_numbers,
    check_signature,
    differences,
    domestic_notes,
    domestic_only,
    pick_region,
    read_registry,
    wanted_fields,
)
from telephony.errors import GatewayError
from telephony.gateway import TelephonyGateway

REGION_CHOICES = ["auto", "IN", "none"]


@click.group("twilio")
def twilio_group() -> None:
    """Set up and check the Twilio account for this deployment."""


def _open() -> tuple[Runtime, TelephonyGateway]:
    settings = load_settings()
    runtime = Runtime.from_settings(settings)
    return runtime, TelephonyGateway(settings)


def _fail(problem: Problem) -> NoReturn:
    click.echo(problem.line())
    sys.exit(1)


@twilio_group.command("setup")
@click.option("--apply", "apply_", is_flag=True, help="Make the changes (default: dry run).")
def setup(apply_: bool) -> None:
    """Point every registry number at PUBLIC_BASE_URL (dry run unless --apply)."""
    runtime, gateway = _open()
    try:
        registry = read_registry(runtime)
    finally:
        runtime.close()
    base = runtime.settings.public_base_url
    wanted = wanted_fields(base)
    try:
        on_account = {n["phone_number"]: n for n in gateway.list_incoming_numbers()}
    except GatewayError as exc:
        _fail(Problem(f"listing the account's numbers failed: {exc}", "sampark twilio check"))
    missing = [n for n in sorted(registry.numbers) if n not in on_account]
    changes = {n: differences(on_account[n], wanted) for n in sorted(registry.numbers)}
    changes = {n: diff for n, diff in changes.items() if diff and n in on_account}
    for number, diff in changes.items():
        for name, now, value in diff:
            click.echo(f"{number}  {name}  {now or '(empty)'} -> {value}")
    for number in missing:
        click.echo(f"not on the account: {number} (sampark twilio check says what to do)", err=True)
    fields = sum(len(d) for d in changes.values())
    if not changes:
        click.echo(f"nothing to change: every registry number on the account points at {base}")
    elif not apply_:
        click.echo(
            f"dry run: {fields} field(s) of {len(changes)} number(s) would change; "
            "run sampark twilio setup --apply to change them"
        )
    else:
        for number, diff in changes.items():
            try:
                gateway.update_incoming_number(
                    on_account[number]["sid"], **{name: value for name, _, value in diff}
                )
            except GatewayError as exc:
                _fail(Problem(f"updating {number} failed: {exc}", "run it again"))
        click.echo(f"changed {fields} field(s) of {len(changes)} number(s): they point at {base}")
    if missing:
        sys.exit(1)


@twilio_group.command("check")
@click.option(
    "--region",
    type=click.Choice(REGION_CHOICES, case_sensitive=False),
    default="auto",
    show_default=True,
    help="Whose Twilio rules apply (auto: the country of the registry's staff and numbers).",
)
def check(region: str) -> None:
    """Every problem that would stop calls or SMS on Twilio, one line each with its fix."""
    runtime, gateway = _open()
    try:
        registry = read_registry(runtime)
    finally:
        runtime.close()
    settings = runtime.settings
    rules = pick_region(registry, region)
    problems = check_account(gateway)
    if problems:  # nothing else can be asked of Twilio
        for problem in problems:
            click.echo(problem.line())
        sys.exit(1)
    try:
        on_account = {n["phone_number"]: n for n in gateway.list_incoming_numbers()}
    except GatewayError as exc:
        _fail(Problem(f"listing the account's numbers failed: {exc}", "run it again"))
    problems += check_numbers(registry, on_account, settings.public_base_url, rules)
    problems += check_identities(registry, rules)
    problems += check_dialing(gateway, rules)
    problems += check_signature(settings.public_base_url, settings.twilio_auth_token)
    for problem in problems:
        click.echo(problem.line())
    for note in domestic_notes(registry, rules):
        click.echo(note)
    if rules is not None:  # what no setting can change, said once
        rule = rules.two_way_sms
        click.echo(
            f"note: an SMS sent to these numbers from {rules.name} never arrives "
            f'("{rule.says}", {rule.source}): nothing may rely on inbound SMS there'
        )
    if problems:
        click.echo(f"{len(problems)} problem(s)")
        sys.exit(1)
    where = f" under {rules.name}'s rules" if rules else ""
    click.echo(
        f"ok: credentials, {len(registry.numbers) - len(domestic_only(registry, rules))} "
        "number(s) pointing at "
        f"{settings.public_base_url}, caller IDs and SMS senders{where}, "
        f"{'dialing permissions, ' if rules else ''}webhook signatures"
    )


COMMANDS = [twilio_group]
