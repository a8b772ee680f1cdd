"""The district registry: hubs, spokes, staff and rosters, imported from and exported to YAML.

``check`` reads and validates a whole file (every problem, with its line);
``import_file`` writes it in one transaction only when there is no problem at all.
"""

from __future__ import annotations

from pathlib import Path

from core.db import Database
from sampark.registry.documents import LANGUAGES, SPECIALTIES, Problem, RegistryDoc, RegistryInvalid
from sampark.registry.exporter import NoDistrict, export_document, export_yaml
from sampark.registry.importer import ImportReport, import_registry
from sampark.registry.loader import load
from sampark.registry.stats import registry_stats
from sampark.registry.validator import validate
from telephony.fictional import fictional_numbers, is_fictional_number


def check(text: str) -> RegistryDoc:
    """The validated document of a district file (phones in E.164).

    Raises:
        RegistryInvalid: with every problem found (shape and meaning), by line.
    """
    doc, problems = load(text)
    problems += validate(doc)
    if problems:
        raise RegistryInvalid(problems)
    return doc


def import_text(database: Database, text: str) -> ImportReport:
    """Validate then upsert a district file's text in one transaction.

    Raises:
        RegistryInvalid: the file (or its clash with the database) has problems;
            nothing was written.
    """
    doc = check(text)
    with database.session() as session:
        return import_registry(session, doc)


class RegistryNotText(ValueError):
    """The district file is not UTF-8 text (the message names the file, line and byte)."""


def read_registry(path: str | Path) -> str:
    """A district file's text.

    Raises:
        RegistryNotText: the file is not UTF-8 (saved in another encoding, or not text).
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegistryNotText(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from exc


def import_file(database: Database, path: str | Path) -> ImportReport:
    """:func:`import_text` on a file (UTF-8, else :class:`RegistryNotText`)."""
    return import_text(database, read_registry(path))


__all__ = [
    "LANGUAGES",
    "SPECIALTIES",
    "ImportReport",
    "NoDistrict",
    "Problem",
    "RegistryDoc",
    "RegistryInvalid",
    "RegistryNotText",
    "check",
    "export_document",
    "export_yaml",
    "fictional_numbers",
    "import_file",
    "import_registry",
    "import_text",
    "is_fictional_number",
    "read_registry",
    "registry_stats",
]
