"""``sampark twilio setup|check`` against the stand-in with India's rules (issue 16 item 3).

The app runs over HTTP at PUBLIC_BASE_URL (the signed probe reaches it), the stand-in on a
free port with ``region="IN"``. A misconfigured account (a number pointing elsewhere, a +91
caller ID, a registry number not on the account) is three problems and exit 1; once the
operator does what the last two fixes say, ``setup --apply`` makes ``check`` pass; the dry
run changes nothing; a second apply finds nothing to change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, update
from werkzeug.serving import make_server

from core.runtime import Runtime
from models import NumberKind, ServiceNumber
from outbound.sms import sender_for
from sampark.app import create_app
from sampark.cli import main
from sampark.cli.twilio_check import (
    Registry,
    check_identities,
    check_numbers,
    check_signature,
    domestic_notes,
)
from standin import StandIn, VirtualClock
from telephony.errors import GatewayError
from telephony.gateway import TelephonyGateway
from telephony.region_rules import INDIA
from tests.builders import build_mini_district

SPOKES = {"HWC-001": "+442079460001", "HWC-002": "+442079460002", "HWC-003": "+442079460003"}
TOLL_FREE = "+9118001230001"  # the district line: Twilio's one kind of Indian number
ABROAD_LINE = "+442079460100"


@dataclass
class Live:
    runtime: Runtime
    standin: StandIn
    public: str
    env: dict[str, str]

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(main, ["twilio", *args], env=self.env)

    def numbers(self) -> dict[str, dict[str, Any]]:
        return {
            pn["phone_number"]: pn for pn in self.standin.engine.list_incoming_phone_numbers({})
        }


def _registry(runtime: Runtime) -> None:
    """The mini district with international spoke numbers and a toll-free district line."""
    with runtime.db.session() as s:
        district = build_mini_district(s)
        for code, number in SPOKES.items():
            s.execute(
                update(ServiceNumber)
                .where(ServiceNumber.number == district.spoke_numbers[code])
                .values(number=number)
            )
        s.execute(delete(ServiceNumber).where(ServiceNumber.kind == NumberKind.MISSED_CALL))
        s.execute(
            update(ServiceNumber)
            .where(ServiceNumber.kind == NumberKind.DISTRICT)
            .values(number=TOLL_FREE)
        )


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    _registry(runtime)
    holder: list[Any] = []
    server = make_server("127.0.0.1", 0, lambda e, r: holder[0](e, r), threaded=True)
    public = f"http://127.0.0.1:{server.server_port}"
    settings = runtime.settings.with_overrides(public_base_url=public)
    holder.append(create_app(settings, runtime=runtime, TESTING=True))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    si = StandIn(
        settings.twilio_account_sid, settings.twilio_auth_token, clock=VirtualClock(), region="IN"
    )
    base = si.start()
    env = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
        "TWILIO_API_BASE_URL": base,
        "PUBLIC_BASE_URL": public,
    }
    try:
        yield Live(runtime, si, public, env)
    finally:
        si.stop()
        server.shutdown()
        thread.join(timeout=5)


def _urls(public: str) -> dict[str, str]:
    return {
        "voice_url": f"{public}/ivr/incoming",
        "status_callback": f"{public}/ivr/status",
        "sms_url": f"{public}/sms/inbound",
    }


def _problems(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("problem: ")]


def test_misconfigured_account_is_three_problems_until_fixed_and_set_up(live: Live) -> None:
    si, public = live.standin, live.public
    si.add_number(SPOKES["HWC-001"], voice_url="http://old.example/voice")  # wrong webhook
    si.add_number(SPOKES["HWC-002"], **_urls(public))
    si.add_number(TOLL_FREE, **_urls(public))  # right URLs, but a +91 caller ID
    # HWC-003's number is not on the account

    result = live.run("check")
    problems = _problems(result)
    assert result.exit_code == 1, result.output
    assert len(problems) == 3, result.output
    wrong, caller_id, missing = (
        next(p for p in problems if SPOKES["HWC-001"] in p),
        next(p for p in problems if TOLL_FREE in p),
        next(p for p in problems if SPOKES["HWC-003"] in p),
    )
    assert "http://old.example/voice" in wrong and "sampark twilio setup --apply" in wrong
    assert "caller ID" in caller_id and "guidelines/in/voice" in caller_id
    assert "SMS sender" in caller_id and "guidelines/in/sms" in caller_id
    assert "set OUTBOUND_CALLER_ID to an international number of the account" in caller_id
    assert "not on the account" in missing and "buy or port" in missing
    assert "3 problem(s)" in result.output

    # What the two fixes say: the number bought, the calls and SMS from an international line.
    si.add_number(SPOKES["HWC-003"])
    si.add_number(ABROAD_LINE)
    with live.runtime.db.session() as s:
        s.execute(
            update(ServiceNumber)
            .where(ServiceNumber.number == TOLL_FREE)
            .values(number=ABROAD_LINE)
        )
    before = live.numbers()

    dry = live.run("setup")
    assert dry.exit_code == 0, dry.output
    assert f"{SPOKES['HWC-001']}  voice_url  http://old.example/voice -> {public}/ivr/incoming" in (
        dry.output
    )
    assert f"{ABROAD_LINE}  sms_url  (empty) -> {public}/sms/inbound" in dry.output
    assert "dry run:" in dry.output
    assert live.numbers() == before  # the dry run changed nothing

    applied = live.run("setup", "--apply")
    assert applied.exit_code == 0, applied.output
    assert "changed" in applied.output
    for number in [*SPOKES.values(), ABROAD_LINE]:
        pn = live.numbers()[number]
        assert {k: pn[k] for k in _urls(public)} == _urls(public)

    passed = live.run("check")
    assert passed.exit_code == 0, passed.output
    assert passed.output.splitlines()[-1].startswith("ok: credentials, 4 number(s)")
    assert "note: an SMS sent to these numbers from India never arrives" in passed.output

    again = live.run("setup", "--apply")
    assert again.exit_code == 0
    assert again.output.startswith("nothing to change"), again.output


def test_dialing_permissions_and_credentials(live: Live) -> None:
    si = live.standin
    for number in [*SPOKES.values(), TOLL_FREE]:
        if number != TOLL_FREE:
            si.add_number(number, **_urls(live.public))
    with live.runtime.db.session() as s:
        s.execute(delete(ServiceNumber).where(ServiceNumber.kind == NumberKind.DISTRICT))
    assert live.run("check").exit_code == 0

    si.dialing.set("IN", low_risk_numbers_enabled=False)
    result = live.run("check")
    assert result.exit_code == 1
    assert _problems(result) == [
        "problem: voice dialing permissions do not allow calls to India -- fix: enable India "
        "(low-risk numbers) in Twilio's Console, Voice, Settings, Geo permissions"
    ]

    live.env["TWILIO_AUTH_TOKEN"] = "not-the-token"
    refused = live.run("check")
    assert refused.exit_code == 1
    assert len(_problems(refused)) == 1 and "refused the credentials" in refused.output


def test_a_number_twilio_cannot_supply_names_a_domestic_provider() -> None:
    numbers = {"+916456220099": "missed_call", "+916456238276": "spoke"}
    alone = Registry(numbers=dict(numbers))  # no district line: patients could not reach us
    problems = check_numbers(alone, {}, "https://sampark.example", INDIA)
    assert sorted(p.what.split()[2] for p in problems) == sorted(numbers)
    assert all("domestic provider" in p.fix for p in problems)
    assert domestic_notes(alone, INDIA) == []

    served = Registry(numbers={**numbers, "+9118001230001": "district"})
    problems = check_numbers(served, {}, "https://sampark.example", INDIA)
    [problem] = problems  # the toll-free line is Twilio's to supply: buy it
    assert "+9118001230001" in problem.what and "buy or port" in problem.fix
    notes = domestic_notes(served, INDIA)
    assert len(notes) == 2  # one per kind, each naming the district line and a provider
    assert all("+9118001230001" in n and "domestic provider" in n for n in notes)
    assert "+916456238276" in notes[0] and "+916456220099" in notes[1]


def test_senders_by_india_rules() -> None:
    registry = Registry(numbers={})
    for identity in ("SMPARK", "+442079460001", "56789", "MG" + "0" * 32):
        registry.use(identity, "SMS sender")
    problems = check_identities(registry, INDIA)
    assert [p.what.split()[0] for p in problems] == ["SMPARK", "56789"]
    assert "Alphanumeric" in problems[0].what


def test_signature_probe_problems() -> None:
    (unreachable,) = check_signature("http://127.0.0.1:9", "token")
    assert "cannot be reached" in unreachable.what and "PUBLIC_BASE_URL" in unreachable.fix
    statuses = {True: 403, False: 200}  # another token, and a URL that checks nothing
    problems = check_signature(
        "https://sampark.example", "token", lambda url, form, headers: statuses[bool(headers)]
    )
    assert ["got 403, not 200" in problems[0].what, "got 200, not 403" in problems[1].what] == [
        True,
        True,
    ]
    assert "TRUST_PROXY" in problems[0].fix


def test_the_configured_outbound_number_is_what_calls_and_sms_use(live: Live) -> None:
    """With OUTBOUND_CALLER_ID the registry's lines are only dialled in to; the outbound
    number must be allowed by India's rules, on the account, and point here."""
    si, public = live.standin, live.public
    for number in [*SPOKES.values(), TOLL_FREE]:
        si.add_number(number, **_urls(public))
    live.env["OUTBOUND_CALLER_ID"] = "+919431012345"  # an Indian mobile: neither allowed
    result = live.run("check")
    assert result.exit_code == 1, result.output
    [missing, refused] = sorted(_problems(result), key=lambda p: "not on the account" not in p)
    assert "+919431012345 is not on the account" in missing
    assert "set OUTBOUND_CALLER_ID to an international number" in missing
    assert "caller ID for every outbound call (OUTBOUND_CALLER_ID)" in refused
    assert "SMS sender" in refused and "guidelines/in/voice" in refused
    assert TOLL_FREE not in result.output  # the toll-free line is only dialled in to

    live.env["OUTBOUND_CALLER_ID"] = ABROAD_LINE
    si.add_number(ABROAD_LINE, voice_url="http://old.example/voice")
    wrong = live.run("check")
    assert wrong.exit_code == 1
    [problem] = _problems(wrong)
    assert f"outbound caller ID (OUTBOUND_CALLER_ID) number {ABROAD_LINE} does not point" in (
        problem
    )
    assert live.run("setup", "--apply").exit_code == 0
    assert {k: live.numbers()[ABROAD_LINE][k] for k in _urls(public)} == _urls(public)
    passed = live.run("check")
    assert passed.exit_code == 0, passed.output


def test_the_stand_in_under_india_takes_calls_and_sms_from_the_outbound_number_only(
    live: Live,
) -> None:
    """What Twilio does in India, played by the stand-in (region IN): a call or SMS to an
    Indian mobile from the international outbound number goes; from +91 it is refused."""
    si = live.standin
    si.add_number(ABROAD_LINE)
    si.add_number(TOLL_FREE)
    settings = live.runtime.settings.with_overrides(
        twilio_api_base_url=live.env["TWILIO_API_BASE_URL"], outbound_caller_id=ABROAD_LINE
    )
    gateway, to = TelephonyGateway(settings), "+919431012345"
    status = f"{live.public}/ivr/status"
    url = f"{live.public}/ivr/incoming"
    assert gateway.place_call(to=to, from_=ABROAD_LINE, url=url, status_callback=status)
    with pytest.raises(GatewayError) as call_refused:
        gateway.place_call(to=to, from_=TOLL_FREE, url=url, status_callback=status)
    assert call_refused.value.code == 21216
    sender = sender_for(Runtime(settings, live.runtime.db), None)
    assert gateway.send_sms(to=to, from_=sender, body="Sampark test", status_callback=None)
    for refused in (TOLL_FREE, "SMPARK"):
        with pytest.raises(GatewayError) as sms_refused:
            gateway.send_sms(to=to, from_=refused, body="Sampark test", status_callback=None)
        assert sms_refused.value.code == 21612
