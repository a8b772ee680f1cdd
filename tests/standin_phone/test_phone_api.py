"""The browser phone's API (``/_standin/phone``) against the stand-in and the real app, on a
virtual clock: a whole intake played key by key, Gathers that time out as on a real phone,
recordings uploaded and served, staff phones that ring until answered or declined."""

from __future__ import annotations

import urllib.request
from base64 import b64encode
from typing import Any

from core.runtime import Runtime
from ivr.after_commit import settle
from ivr.catalog import catalog
from sampark.cli.consultations import consultation_rows
from standin import PhoneScript, StandIn
from tests.builders import MiniDistrict
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.standin_phone.conftest import VISITOR, PhoneApi, wav_bytes

#: English (4), consent, for self, [name], age 28#, female, fever, 3# days, no, no,
#: [description] (English SMS are in Roman script already: no script question).
INTAKE = ["4", "1", "1", "REC", "28#", "1", "1", "3#", "2", "2", "REC"]


class Cursor:
    """Reads the page's events as the browser does, moving the virtual clock meanwhile."""

    def __init__(self, si: StandIn, phone: PhoneApi) -> None:
        self.si, self.phone, self.next = si, phone, 0
        self.seen: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        answer = self.phone.ok("GET", f"/events?after={self.next}")
        self.next = answer["next"]
        self.seen.extend(answer["events"])
        return list(answer["events"])

    def until(self, *kinds: str, limit: float = 120.0) -> dict[str, Any]:
        """Advance half a second at a time until an event of one of ``kinds`` comes."""
        waited = 0.0
        while waited <= limit:
            for event in self.read():
                if event["kind"] in kinds:
                    return event
            self.si.advance(0.5)
            waited += 0.5
        raise AssertionError(f"no {kinds} within {limit} s; saw {self.seen[-5:]}")


def test_the_page_and_its_files_are_served(phone: PhoneApi) -> None:
    with urllib.request.urlopen(f"{phone.url}/_standin/phone") as resp:
        assert resp.headers["Content-Type"].startswith("text/html")
        assert 'src="/_standin/phone/static/phone.js"' in resp.read().decode()
    with urllib.request.urlopen(f"{phone.url}/_standin/phone/static/phone.js") as resp:
        assert resp.headers["Content-Type"].startswith("text/javascript")
        assert "MediaRecorder" in resp.read().decode()


def test_the_lines_are_the_numbers_that_answer_calls_by_name(
    phone: PhoneApi, mini: MiniDistrict
) -> None:
    lines = {line["name"]: line["number"] for line in phone.ok("GET", "/lines")["lines"]}
    assert lines == {**mini.spoke_numbers, "District line": mini.district_number}


def test_a_whole_intake_played_on_the_browser_phone_ends_with_the_reference_number(
    si: StandIn, phone: PhoneApi, mini: MiniDistrict, runtime: Runtime
) -> None:
    cursor = Cursor(si, phone)
    sid = phone.ok("POST", "/calls", {"from": VISITOR, "to": mini.spoke_numbers["HWC-002"]})[
        "call_sid"
    ]
    uploaded: list[str] = []
    for key in INTAKE:
        wanted = cursor.until("record" if key == "REC" else "gather")
        assert wanted["call_sid"] == sid and wanted["interactive"] is True
        if key == "REC":
            si.advance(1)
            answer = phone.ok("POST", f"/calls/{sid}/recording?key=%23", wav_bytes(3))
            uploaded.append(answer["recording_sid"])
        else:
            for digit in key:
                phone.ok("POST", f"/calls/{sid}/digits", {"digits": digit})
    cursor.until("gather")  # the offer to stay on the line
    settle()
    [row] = consultation_rows_of(runtime)
    spoken = [e["text"] for e in cursor.seen if e["kind"] == "say"]
    english = catalog("en")
    assert english.spoken("reference", digits=", ".join(row["reference"])) in spoken
    assert row["state"] == "intake_complete" and row["language"] == "en"
    assert (row["patient"]["age_years"], row["complaint"]) == (28, "fever")
    assert row["recording_sid"] == uploaded[1]
    # the doctor hears the patient's own voice: the upload is the recording's media
    request = urllib.request.Request(
        f"{si.base_url}/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Recordings/{uploaded[1]}.wav",
        headers={"Authorization": "Basic " + b64encode(
            f"{TEST_ACCOUNT_SID}:{TEST_AUTH_TOKEN}".encode()).decode()},
    )  # fmt: skip
    with urllib.request.urlopen(request) as resp:
        assert resp.read() == wav_bytes(3)
    assert si.recordings[uploaded[1]]["duration"] == "3"
    assert si.errors() == []


def consultation_rows_of(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.db.session() as s:
        return consultation_rows(s)


def test_a_gather_waits_for_its_prompt_and_timeout_then_the_app_asks_again(
    si: StandIn, phone: PhoneApi, mini: MiniDistrict
) -> None:
    cursor = Cursor(si, phone)
    sid = phone.ok("POST", "/calls", {"from": VISITOR, "to": mini.spoke_numbers["HWC-001"]})[
        "call_sid"
    ]
    gather = cursor.until("gather")
    assert gather["timeout"] == 7 and gather["num_digits"] == 1
    si.advance(gather["timeout"])  # the prompt is still being said: no time-out yet
    assert not [e for e in si.timeline() if e["kind"] == "gather" and e.get("sid") == sid]
    si.advance(60)
    [first, *_] = [e for e in si.timeline() if e["kind"] == "gather" and e.get("sid") == sid]
    assert first["result"] == "no input"
    assert si.calls[sid]["status"] == "in-progress"  # a person may still be thinking


def test_a_recording_must_be_wav_and_only_while_a_record_runs(
    si: StandIn, phone: PhoneApi, mini: MiniDistrict
) -> None:
    cursor = Cursor(si, phone)
    sid = phone.ok("POST", "/calls", {"from": VISITOR, "to": mini.spoke_numbers["HWC-001"]})[
        "call_sid"
    ]
    cursor.until("gather")
    status, answer = phone.request("POST", f"/calls/{sid}/recording", wav_bytes(2))
    assert status == 400 and "no <Record>" in answer["error"]
    status, answer = phone.request("POST", f"/calls/{sid}/recording", b"OggS not a wav")
    assert status == 400 and "not a WAV" in answer["error"]
    status, answer = phone.request("POST", f"/calls/{sid}/digits", {"digits": "12a"})
    assert status == 400


ACCEPT = (
    '<Response><Gather numDigits="1" timeout="5"><Say language="hi-IN">Sweekar karne ke liye '
    "1 dabaiye</Say></Gather><Say>Bye</Say></Response>"
)


def call_staff(si: StandIn, mini: MiniDistrict, to: str) -> str:
    """The app rings a staff phone (as the workflow does, through the REST API)."""
    params = {"To": to, "From": mini.district_number, "Twiml": ACCEPT, "Timeout": "20"}
    return str(si.engine.create_call(params)["sid"])


def test_a_staff_phone_without_a_script_rings_on_the_page_until_answered(
    si: StandIn, phone: PhoneApi, mini: MiniDistrict
) -> None:
    cursor = Cursor(si, phone)
    anm = mini.anms["ANM-001"]
    phone.ok("PUT", "/settings", {"labels": {anm: "ANM of HWC-001"}})
    sid = call_staff(si, mini, anm)
    si.advance(20)  # rings far longer than a script takes to answer (3 s by default)
    assert si.calls[sid]["status"] == "ringing"
    dialled = [e for e in cursor.read() if e["kind"] == "call"]
    assert (dialled[0]["phone"], dialled[0]["label"], dialled[0]["interactive"]) == (
        anm, "ANM of HWC-001", True,
    )  # fmt: skip
    phone.ok("POST", f"/calls/{sid}/answer", {})
    prompt = cursor.until("gather")
    said = [e for e in cursor.seen if e["kind"] == "say"]
    assert (said[0]["text"], said[0]["language"]) == ("Sweekar karne ke liye 1 dabaiye", "hi-IN")
    assert prompt["phone"] == anm
    phone.ok("POST", f"/calls/{sid}/digits", {"digits": "1"})
    si.advance(10)
    [result] = [e for e in si.timeline() if e["kind"] == "gather" and e["sid"] == sid]
    assert result["result"] == {"Digits": "1", "FinishedOnKey": ""}


def test_declined_is_busy_and_unanswered_is_no_answer(
    si: StandIn, phone: PhoneApi, mini: MiniDistrict
) -> None:
    phone.ok("GET", "/lines")  # the page is open
    declined = call_staff(si, mini, mini.anms["ANM-001"])
    si.advance(3)
    phone.ok("POST", f"/calls/{declined}/hangup", {})
    assert si.calls[declined]["status"] == "busy"
    unanswered = call_staff(si, mini, mini.doctors["DR-GM-1"])
    si.advance(30)
    assert si.calls[unanswered]["status"] == "no-answer"  # Timeout 20 s + Twilio's 5 s


def test_scripted_phones_keep_their_script_and_are_shown(
    si: StandIn, phone: PhoneApi, mini: MiniDistrict
) -> None:
    cursor = Cursor(si, phone)
    cursor.read()  # the page is open
    doctor = mini.doctors["DR-GM-1"]
    si.script(doctor, PhoneScript(answer_after=2, digits=["1"]))
    sid = call_staff(si, mini, doctor)
    si.advance(15)
    events = cursor.read()
    assert {e["interactive"] for e in events} == {False}
    [result] = [e for e in si.timeline() if e["kind"] == "gather" and e["sid"] == sid]
    assert result["result"]["Digits"] == "1"
    # "every phone": the browser answers it too
    phone.ok("PUT", "/settings", {"staff": "all"})
    again = call_staff(si, mini, doctor)
    si.advance(15)
    assert si.calls[again]["status"] == "ringing"
