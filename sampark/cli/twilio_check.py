"""What ``sampark twilio setup|check`` look at: the registry's numbers, the caller IDs and SMS
senders the product would use, what each number should point at, and the checks themselves.

Every request to Twilio goes through the gateway (:mod:`telephony.gateway`); the only other
request is the signed probe to our own ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import urllib3
from sqlalchemy import null, select
from twilio.request_validator import RequestValidator

from core.runtime import Runtime
from models import NumberKind, ServiceNumber, Spoke, Staff
from outbound.caller_id import caller_id_column
from outbound.sms import sender_for
from telephony.errors import GatewayError
from telephony.gateway import TelephonyGateway
from telephony.region_rules import DOMESTIC_PROVIDERS, REGIONS, RegionRules, Rule, region_for

SETUP = "sampark twilio setup --apply"
#: The kind ``check`` and ``setup`` give the configured outbound number.
OUTBOUND_KIND = "outbound caller ID (OUTBOUND_CALLER_ID)"
#: A status callback for a call that does not exist, still ringing: /ivr/status answers it
#: with an empty response and changes nothing.
PROBE_FORM = {"CallSid": "CA" + "0" * 32, "CallStatus": "ringing", "Direction": "inbound"}


@dataclass
class Problem:
    """One thing that stops the deployment working on Twilio, and how to fix it."""

    what: str
    fix: str

    def line(self) -> str:
        return f"problem: {self.what} -- fix: {self.fix}"


@dataclass
class Registry:
    """What the registry makes the product use on Twilio."""

    numbers: dict[str, str]  # service number (and the outbound number) -> its kind
    #: number -> what the product uses it for ("caller ID for HWC-001", "SMS sender", ...)
    uses: dict[str, list[str]] = field(default_factory=dict)
    people: list[str] = field(default_factory=list)  # staff mobiles (where patients live)
    outbound: str | None = None  # OUTBOUND_CALLER_ID: what every call and SMS comes from

    def use(self, identity: str, purpose: str) -> None:
        self.uses.setdefault(identity, [])
        if purpose not in self.uses[identity]:
            self.uses[identity].append(purpose)


def wanted_fields(public_base_url: str) -> dict[str, str]:
    """What every number of the registry points at (ivr/README.md; SMS: prescriptions/verify)."""
    base = public_base_url.rstrip("/")
    return {
        "voice_url": f"{base}/ivr/incoming",
        "voice_method": "POST",
        "status_callback": f"{base}/ivr/status",
        "status_callback_method": "POST",
        "sms_url": f"{base}/sms/inbound",
        "sms_method": "POST",
    }


def differences(number: dict[str, Any], wanted: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, now, wanted) for each webhook field of ``number`` that is not as wanted."""
    out = []
    for name, value in wanted.items():
        now = str(number.get(name) or "")
        same = now.upper() == value if name.endswith("method") else now == value
        if not same:
            out.append((name, now, value))
    return out


def read_registry(runtime: Runtime) -> Registry:
    """The registry's numbers, and the caller IDs and SMS senders the product would use.

    Caller IDs come from the product's own rule (``outbound.caller_id``): the configured
    outbound number (``OUTBOUND_CALLER_ID``) for every call and SMS when set, which must
    then be on the account and point here too (a patient may ring it back); else the rule
    evaluated for each spoke, plus each line patients call (the rule's "line the patient
    called"). The SMS sender for each is what ``outbound.sms.sender_for`` would put in
    ``From``.
    """
    with runtime.db.session() as s:
        rows = s.execute(select(ServiceNumber.number, ServiceNumber.kind)).all()
        registry = Registry(numbers={n: k.value for n, k in rows})
        registry.people = list(s.scalars(select(Staff.mobile)))
        spokes = s.execute(select(Spoke.code, caller_id_column(Spoke.id, null()))).all()
    outbound = runtime.settings.outbound_caller_id
    if outbound:
        registry.outbound = outbound
        registry.numbers.setdefault(outbound, OUTBOUND_KIND)
        registry.use(outbound, "caller ID for every outbound call (OUTBOUND_CALLER_ID)")
        registry.use(sender_for(runtime, outbound), "SMS sender")
        return registry
    for code, number in spokes:
        if number:
            registry.use(number, f"caller ID for {code}")
    for number, kind in rows:
        if kind != NumberKind.SPOKE:
            registry.use(number, f"caller ID for calls that began on the {kind.value} line")
    callers = [n for n in registry.uses if n]
    for number in callers or [None]:  # type: ignore[list-item]
        registry.use(sender_for(runtime, number), "SMS sender")
    return registry


def pick_region(registry: Registry, choice: str) -> RegionRules | None:
    """``auto``: the country of the registry's staff and numbers; ``none``: no rules."""
    if choice == "none":
        return None
    if choice != "auto":
        return REGIONS[choice.upper()]
    return region_for(registry.people + list(registry.numbers))


def _gateway_problem(exc: GatewayError, what: str) -> Problem:
    if exc.status in (401, 403):
        return Problem(
            f"Twilio refused the credentials ({what}: {exc.status} {exc.code})",
            "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to the account's (Console, Account info)",
        )
    return Problem(
        f"{what} failed: {exc}",
        "check TWILIO_API_BASE_URL and the network, then run sampark twilio check again",
    )


def check_account(gateway: TelephonyGateway) -> list[Problem]:
    """The credentials work and the account is active."""
    try:
        account = gateway.fetch_account()
    except GatewayError as exc:
        return [_gateway_problem(exc, "fetching the account")]
    if account.get("status") != "active":
        return [
            Problem(
                f"the account {account.get('sid')} is {account.get('status')}",
                "reactivate it in Twilio's Console (or use an active account's credentials)",
            )
        ]
    return []


def check_numbers(
    registry: Registry,
    on_account: dict[str, dict[str, Any]],
    public_base_url: str,
    region: RegionRules | None,
) -> list[Problem]:
    """Each registry number is on the account and points at this deployment."""
    wanted = wanted_fields(public_base_url)
    problems = []
    domestic = set(domestic_only(registry, region))
    for number, kind in sorted(registry.numbers.items()):
        pn = on_account.get(number)
        if pn is None and number in domestic:
            continue  # a note (``domestic_notes``): patients reach us through the district line
        if pn is None:
            refusal = region.number_refusal(number) if region else None
            fix = (
                f"Twilio cannot supply it ({_cite(refusal)}): {DOMESTIC_PROVIDERS} must, or "
                "take it out of the registry"
                if refusal
                else f"buy or port it on this account (Console, Phone Numbers), then {SETUP}"
            )
            if refusal and kind == OUTBOUND_KIND:
                fix = (
                    f"Twilio cannot supply it ({_cite(refusal)}): set OUTBOUND_CALLER_ID to "
                    "an international number of the account"
                )
            problems.append(Problem(f"{kind} number {number} is not on the account", fix))
            continue
        diff = differences(pn, wanted)
        if diff:
            said = "; ".join(f"{name} is {now or '(empty)'!r}" for name, now, _ in diff)
            problems.append(
                Problem(
                    f"{kind} number {number} does not point at {public_base_url}: {said}",
                    SETUP,
                )
            )
    return problems


def district_line(registry: Registry, region: RegionRules | None) -> str | None:
    """The district-wide line patients can reach on Twilio (the spoke asked by its code)."""
    lines = sorted(n for n, k in registry.numbers.items() if k == NumberKind.DISTRICT.value)
    return next((n for n in lines if region is None or region.number_refusal(n) is None), None)


def domestic_only(registry: Registry, region: RegionRules | None) -> dict[str, str]:
    """Numbers Twilio cannot supply in the region whose patients the district line serves
    instead (number -> kind): no problem for a Twilio deployment, but a domestic provider's
    to supply. Without such a district line they stay problems: patients could not reach us.
    """
    if region is None or district_line(registry, region) is None:
        return {}
    return {
        number: kind
        for number, kind in registry.numbers.items()
        if kind in (NumberKind.SPOKE.value, NumberKind.MISSED_CALL.value)
        and region.number_refusal(number) is not None
    }


def domestic_notes(registry: Registry, region: RegionRules | None) -> list[str]:
    """One note per kind of number only a domestic provider can supply (count, examples)."""
    numbers = domestic_only(registry, region)
    if region is None or not numbers:
        return []
    line = district_line(registry, region)
    rule = region.number_refusal(next(iter(numbers)))
    notes = []
    for kind, serves in (
        (NumberKind.SPOKE.value, "a spoke's own line (patients reach their HWC"),
        (NumberKind.MISSED_CALL.value, "the missed-call line (patients call"),
    ):
        of_kind = sorted(n for n, k in numbers.items() if k == kind)
        if not of_kind:
            continue
        examples = ", ".join(of_kind[:3]) + (", ..." if len(of_kind) > 3 else "")
        notes.append(
            f"note: {len(of_kind)} {kind} number(s) ({examples}) cannot be Twilio numbers in "
            f"{region.name} ({_cite(rule)}): for {serves} through the district line {line} "
            f"meanwhile), {DOMESTIC_PROVIDERS} must supply them"
        )
    return notes


def check_identities(registry: Registry, region: RegionRules | None) -> list[Problem]:
    """Caller IDs and SMS senders the region's rules allow (one line per number or ID)."""
    if region is None:
        return []
    problems = []
    for identity, uses in registry.uses.items():
        refusals: list[Rule] = []
        for use in uses:
            rule = (
                region.sender_refusal(identity)
                if use == "SMS sender"
                else region.caller_id_refusal(identity)
            )
            if rule is not None and rule not in refusals:
                refusals.append(rule)
        if refusals:
            fix = (
                f"set OUTBOUND_CALLER_ID to an international number of the account (not "
                f"{region.country_prefix}), pointed at this deployment ({SETUP}): every call "
                "and SMS then comes from it; the registry's lines stay for dialling in"
            )
            if registry.outbound is not None and identity != registry.outbound:
                fix = "set sms.yaml sender to auto (the OUTBOUND_CALLER_ID number) " + (
                    "or to a Messaging Service SID"
                )
            problems.append(
                Problem(
                    f"{identity} is used as {' and as '.join(uses)}, which Twilio refuses for "
                    f"{region.name}: " + "; ".join(_cite(r) for r in refusals),
                    fix,
                )
            )
    return problems


def check_dialing(gateway: TelephonyGateway, region: RegionRules | None) -> list[Problem]:
    """Voice dialing geographic permissions let the account call the region's phones."""
    if region is None:
        return []
    try:
        country = gateway.fetch_dialing_permissions(region.code)
    except GatewayError as exc:
        return [_gateway_problem(exc, f"fetching the dialing permissions for {region.code}")]
    if not country.get("low_risk_numbers_enabled"):
        return [
            Problem(
                f"voice dialing permissions do not allow calls to {region.name}",
                f"enable {region.name} (low-risk numbers) in Twilio's Console, Voice, Settings, "
                "Geo permissions",
            )
        ]
    return []


def check_signature(
    public_base_url: str,
    auth_token: str,
    post: Callable[[str, dict[str, str], dict[str, str]], int] | None = None,
) -> list[Problem]:
    """A request signed as Twilio signs it reaches ``/ivr/status`` through PUBLIC_BASE_URL
    (200), and the same request unsigned is refused (403)."""
    post = post or _post
    url = public_base_url.rstrip("/") + "/ivr/status"
    signature = RequestValidator(auth_token).compute_signature(url, PROBE_FORM)
    try:
        signed = post(url, PROBE_FORM, {"X-Twilio-Signature": signature})
        unsigned = post(url, PROBE_FORM, {})
    except urllib3.exceptions.HTTPError as exc:
        return [
            Problem(
                f"{url} cannot be reached ({type(exc).__name__})",
                "set PUBLIC_BASE_URL to the address Twilio reaches this deployment at, and "
                "start sampark web there",
            )
        ]
    problems = []
    if signed != 200:
        problems.append(
            Problem(
                f"a request signed with TWILIO_AUTH_TOKEN to {url} got {signed}, not 200",
                "the web process must use the same TWILIO_AUTH_TOKEN; behind a TLS proxy "
                "set TRUST_PROXY=true and forward X-Forwarded-Proto and X-Forwarded-Host",
            )
        )
    if unsigned != 403:
        problems.append(
            Problem(
                f"an unsigned request to {url} got {unsigned}, not 403",
                "PUBLIC_BASE_URL must reach sampark web itself, which refuses unsigned webhooks",
            )
        )
    return problems


def _post(url: str, form: dict[str, str], headers: dict[str, str]) -> int:
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5.0, read=10.0), retries=False)
    answer = http.request_encode_body(
        "POST", url, fields=form, headers=headers, encode_multipart=False
    )
    return int(answer.status)


def _cite(rule: Rule | None) -> str:
    return f'"{rule.says}" ({rule.source})' if rule else ""
