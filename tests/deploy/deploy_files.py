"""Reading ``deploy/``'s files for tests/deploy: the Procfile, systemd units, the nginx site.

Each reader is as small as the files it reads need: a Procfile is ``name: command`` lines;
a unit is INI-like with repeatable keys; the nginx site is blocks of ``directive args;``
with ``location`` blocks one level inside ``server``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def argv(command: str) -> list[str]:
    """A command as its words: the program's basename, ``${VAR}`` written ``$VAR``."""
    words = shlex.split(_VAR.sub(r"$\1", command), posix=True)
    return [Path(words[0]).name, *words[1:]] if words else []


def procfile(path: Path = DEPLOY / "Procfile") -> dict[str, list[str]]:
    """``name -> argv`` of each process line (honcho's rule: ``^[A-Za-z0-9_-]+:``)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line):
            out[m.group(1)] = argv(m.group(2))
    return out


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit: section -> key -> every value given (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@dataclass
class Location:
    """One nginx ``location``: its modifier (``=``, ``^~`` or none), path, directives."""

    modifier: str
    path: str
    directives: list[list[str]] = field(default_factory=list)

    def values(self, name: str) -> list[list[str]]:
        return [d[1:] for d in self.directives if d[0] == name]


@dataclass
class Server:
    directives: list[list[str]] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)

    def values(self, name: str) -> list[list[str]]:
        return [d[1:] for d in self.directives if d[0] == name]

    def match(self, uri: str) -> Location:
        """The location nginx picks for ``uri`` (exact, then the longest prefix; the
        site has no regex locations, which the test checks)."""
        for loc in self.locations:
            if loc.modifier == "=" and loc.path == uri:
                return loc
        prefixes = [x for x in self.locations if x.modifier != "=" and uri.startswith(x.path)]
        assert prefixes, f"no location serves {uri}"
        return max(prefixes, key=lambda x: len(x.path))


def _tokens(text: str) -> list[str]:
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return re.findall(r'"[^"]*"|[{};]|[^\s{};]+', text)


def nginx_servers(path: Path = DEPLOY / "nginx" / "sampark.conf") -> list[Server]:
    """The ``server`` blocks of the site, with their ``location`` blocks."""
    servers: list[Server] = []
    stack: list[str] = []
    words: list[str] = []
    for tok in _tokens(path.read_text(encoding="utf-8")):
        if tok == "{":
            stack.append(words[0])
            if words[0] == "server":
                servers.append(Server())
            elif words[0] == "location":
                modifier, loc_path = (words[1], words[2]) if len(words) == 3 else ("", words[1])
                servers[-1].locations.append(Location(modifier, loc_path))
            words = []
        elif tok == "}":
            stack.pop()
        elif tok == ";":
            directive = [w.strip('"') for w in words]
            if stack[-1:] == ["location"]:
                servers[-1].locations[-1].directives.append(directive)
            elif stack[-1:] == ["server"]:
                servers[-1].directives.append(directive)
            words = []
        else:
            words.append(tok)
    return servers
