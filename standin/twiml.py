"""Parsing TwiML the way Twilio's voice engine reads it.

A document that is not well-formed XML, or whose root is not <Response>, is a document parse
failure (https://www.twilio.com/docs/api/errors/12100). An unknown verb or a verb nested where
Twilio does not allow it is a schema validation problem
(https://www.twilio.com/docs/api/errors/12200): Twilio logs it and skips the element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from standin.util import words_seconds

VOICE_VERBS = frozenset(
    {
        "Say", "Play", "Pause", "Gather", "Record", "Redirect", "Dial", "Enqueue", "Hangup",
        "Reject", "Leave", "Sms", "Message", "Connect", "Refer", "Pay", "Start", "Stop", "Echo",
    }
)  # fmt: skip
GATHER_CHILDREN = frozenset({"Say", "Play", "Pause"})
DIAL_NOUNS = frozenset({"Number", "Conference", "Client", "Sip", "Queue", "Application"})
WAIT_VERBS = frozenset({"Say", "Play", "Pause", "Redirect"})


class TwimlError(Exception):
    """A document Twilio cannot run: ``code`` is 12100 (parse) or 12200 (schema)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Verb:
    """One TwiML element."""

    name: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Verb] = field(default_factory=list)

    def attr(self, name: str, default: str | None = None) -> str | None:
        """An attribute (Twilio's attribute names are case-sensitive camelCase)."""
        return self.attrs.get(name, default)

    def number(self, name: str, default: float) -> float:
        """A numeric attribute, ``default`` when absent or unreadable."""
        raw = self.attrs.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return float(raw)
        except ValueError:
            return default

    def describe(self) -> str:
        """Short text for the timeline (nested verbs included)."""
        attrs = " ".join(f'{k}="{v}"' for k, v in self.attrs.items())
        text = self.text.strip()[:60]
        inner = text + "".join(child.describe() for child in self.children)
        body = f">{inner}</{self.name}>" if inner else "/>"
        return f"<{self.name}{' ' + attrs if attrs else ''}{body}"


@dataclass
class Document:
    """A parsed TwiML response: its verbs and the schema warnings Twilio would log."""

    verbs: list[Verb]
    warnings: list[str] = field(default_factory=list)


def _convert(el: ET.Element) -> Verb:
    # <Say> may carry SSML children (<prosody>, <break>...): its text is all of their text
    text = "".join(el.itertext()) if el.tag == "Say" else (el.text or "")
    return Verb(
        name=el.tag,
        attrs=dict(el.attrib),
        text=text,
        children=[_convert(child) for child in el],
    )


def parse(body: str, *, allowed: frozenset[str] = VOICE_VERBS) -> Document:
    """Parse a TwiML document; raises TwimlError(12100) when it cannot be read."""
    text = (body or "").strip()
    if not text:
        raise TwimlError(12100, "Document parse failure: empty response body")
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise TwimlError(12100, f"Document parse failure: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(12100, f"Document parse failure: root element is <{root.tag}>")
    verbs: list[Verb] = []
    warnings: list[str] = []
    for el in root:
        verb = _convert(el)
        if verb.name not in allowed:
            warnings.append(f"12200 Schema validation warning: <{verb.name}> is not allowed here")
            continue
        if verb.name == "Gather":
            bad = [c.name for c in verb.children if c.name not in GATHER_CHILDREN]
            if bad:
                warnings.append(f"12200 Schema validation warning: <Gather> cannot nest {bad}")
                verb.children = [c for c in verb.children if c.name in GATHER_CHILDREN]
        if verb.name == "Dial":
            bad = [c.name for c in verb.children if c.name not in DIAL_NOUNS]
            if bad:
                warnings.append(f"12200 Schema validation warning: <Dial> cannot nest {bad}")
                verb.children = [c for c in verb.children if c.name in DIAL_NOUNS]
        verbs.append(verb)
    return Document(verbs, warnings)


def resolve(base: str | None, url: str | None) -> str | None:
    """An absolute URL for a TwiML attribute (relative to the document that carried it)."""
    if not url:
        return base
    return urljoin(base or "", url.strip())


def method_of(verb: Verb, name: str = "method") -> str:
    """The HTTP method attribute (POST unless GET)."""
    return "GET" if (verb.attr(name) or "POST").upper() == "GET" else "POST"


PLAY_SECONDS = 8.0  # a <Play> clip lasts this long in the simulation


def verb_seconds(verb: Verb) -> float:
    """How long a Say/Play/Pause takes."""
    loops = verb.number("loop", 1) or 10  # loop="0" repeats "forever": count ten
    if verb.name == "Say":
        return words_seconds(verb.text) * loops
    if verb.name == "Play":
        if verb.attr("digits"):
            return 0.5 * len(verb.attr("digits") or "")
        return PLAY_SECONDS * loops
    if verb.name == "Pause":
        return verb.number("length", 1)
    return 0.0


def collect_keys(keys: str, finish: str, num: int | None) -> tuple[str, str | None, bool]:
    """Digits a Gather keeps from ``keys``: (digits, finishing key, whether input ended)."""
    out = ""
    for key in keys:
        if finish and key in finish:
            return out, key, True
        out += key
        if num and len(out) >= num:
            return out, None, True
    return out, None, False
