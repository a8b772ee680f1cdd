"""A phone driven by hand through the IVR's webhooks (Flask test client, signed requests).

It reads the TwiML it gets back the way Twilio would: a key press goes to the
``<Gather>`` action, silence follows the ``<Redirect>``, a recording posts to the
``<Record>`` action, a hang-up sends the status callback.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from ivr.after_commit import settle
from tests.ivr.signing import signed_post

_sids = itertools.count(1)


def parse(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "Response", xml
    return root


def spoken(root: ET.Element) -> list[str]:
    """Every <Say> text, in order (inside <Gather> too)."""
    return [el.text or "" for el in root.iter("Say")]


@dataclass
class Caller:
    client: FlaskClient
    caller: str
    dialled: str
    call_sid: str = field(default_factory=lambda: f"CA{next(_sids):032d}")
    direction: str = "inbound"
    last: ET.Element | None = None
    history: list[ET.Element] = field(default_factory=list)
    status_code: int = 0

    def _form(self, **extra: str) -> dict[str, str]:
        outbound = self.direction.startswith("outbound")
        form = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "a1" * 16,
            "From": self.dialled if outbound else self.caller,
            "To": self.caller if outbound else self.dialled,
            "Direction": self.direction,
            "CallStatus": "in-progress",
        }
        form.update(extra)
        return form

    def _post(self, url: str, form: dict[str, str]) -> ET.Element:
        response = signed_post(self.client, url, form)
        settle()  # let the after-commit work (hand-off, SMS, call-back) finish
        self.status_code = response.status_code
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        root = parse(response.data.decode())
        self.last = root
        self.history.append(root)
        return root

    def dial(self) -> ET.Element:
        return self._post("/ivr/incoming", self._form())

    def _action(self, tag: str) -> str:
        assert self.last is not None
        element = self.last.find(tag)
        assert element is not None, f"no <{tag}> in {ET.tostring(self.last, 'unicode')}"
        return element.get("action") or element.text or ""

    def press(self, digits: str) -> ET.Element:
        """Press keys; like Twilio, the ``finishOnKey`` ending them is not sent."""
        assert self.last is not None
        gather = self.last.find("Gather")
        finish = gather.get("finishOnKey", "#") if gather is not None else ""
        if finish and digits.endswith(finish):
            digits = digits[: -len(finish)]
        return self._post(self._action("Gather"), self._form(Digits=digits))

    def silence(self) -> ET.Element:
        return self._post(self._action("Redirect"), self._form())

    def speak(self, recording_url: str, recording_sid: str = "RE" + "0" * 32) -> ET.Element:
        return self._post(
            self._action("Record"),
            self._form(
                RecordingUrl=recording_url,
                RecordingSid=recording_sid,
                RecordingDuration="7",
                Digits="#",
            ),
        )

    def recording_ready(self, node: str, url: str, sid: str) -> None:
        form = self._form(
            RecordingUrl=url, RecordingSid=sid, RecordingStatus="completed", RecordingDuration="7"
        )
        response = signed_post(self.client, f"/ivr/recording?n={node}", form)
        assert response.status_code == 200

    def hang_up(self, status: str = "completed") -> None:
        response = signed_post(
            self.client, "/ivr/status", self._form(CallStatus=status, CallDuration="42")
        )
        settle()
        assert response.status_code == 200

    @property
    def node(self) -> str:
        """The node the last TwiML asks about (from its action URL), or "" at the end."""
        assert self.last is not None
        for tag in ("Gather", "Record", "Redirect"):
            element = self.last.find(tag)
            if element is not None:
                url = element.get("action") or element.text or ""
                return url.split("n=", 1)[1].split("&", 1)[0]
        return ""

    @property
    def words(self) -> list[str]:
        assert self.last is not None
        return spoken(self.last)

    def verbs(self) -> list[str]:
        assert self.last is not None
        return [child.tag for child in self.last]


def answers(caller: Caller, script: list[Any]) -> None:
    """Play a script: str = keys, None = silence, ("rec", url) = a recording."""
    for item in script:
        if item is None:
            caller.silence()
        elif isinstance(item, tuple):
            caller.speak(item[1])
        else:
            caller.press(item)
