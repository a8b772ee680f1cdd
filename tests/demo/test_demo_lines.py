"""``make demo`` names its numbers on the local Twilio: the browser phone lists an HWC and
the code on its wall, or the district line, instead of a bare number (issue 17 item 5)."""

from __future__ import annotations

import json
import urllib.request

from core.runtime import Runtime
from sampark.demo_lines import line_names
from standin import StandIn, VirtualClock
from tests.builders import build_mini_district
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN


def test_the_phone_page_lists_the_demo_numbers_by_name(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        mini = build_mini_district(s)
    names = line_names(runtime)
    assert names[mini.spoke_numbers["HWC-001"]] == "HWC Belwa, code 101"
    assert names[mini.spoke_numbers["HWC-003"]] == "HWC Pothia, code 203"
    assert names[mini.district_number] == "District line, toll-free"  # +91 1800 ...

    si = StandIn(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, clock=VirtualClock())
    for number, name in names.items():  # as sampark.demo.run registers them
        si.add_number(number, voice_url="http://127.0.0.1:9/ivr/incoming", friendly_name=name)
    si.start()
    try:
        with urllib.request.urlopen(f"{si.base_url}/_standin/phone/lines", timeout=10) as r:
            lines = {line["number"]: line["name"] for line in json.loads(r.read())["lines"]}
    finally:
        si.stop()
    assert lines == names
