"""A runtime whose Twilio is a running stand-in, over the mini district (for in-process tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.runtime import Runtime
from standin import StandIn, VirtualClock
from tests.builders import MiniDistrict, build_mini_district


@contextmanager
def on_standin(runtime: Runtime) -> Iterator[tuple[Runtime, StandIn, MiniDistrict]]:
    """``runtime``'s settings pointed at a fresh stand-in that owns the district's numbers."""
    settings = runtime.settings
    standin = StandIn(settings.twilio_account_sid, settings.twilio_auth_token, VirtualClock())
    api = standin.start()
    rt = Runtime.from_settings(settings.with_overrides(twilio_api_base_url=api))
    try:
        with rt.db.session() as s:
            mini = build_mini_district(s)
        for number in mini.spoke_numbers.values():
            standin.add_number(number)
        yield rt, standin, mini
    finally:
        standin.stop()
        rt.close()
