"""What the staff pages ask of the district registry, and the hook it answers through.

A staff change made in the browser goes through the same checks and the same writer as
``sampark district import`` (``sampark.registry``). The registry lives above the portal
(``sampark`` > ``portal``), so it registers its implementation here
(``sampark.wiring.wire``), the way the workflow registers its handlers with ``outbound``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from models import Staff


@dataclass
class StaffEntry:
    """A staff member as the admin typed them (a registry ``STAFF`` record and its place).

    ``role`` is a ``StaffRole`` value; ``hub`` (doctors, pharmacists, hub admins) and
    ``spoke`` (ANMs) are codes; ``roster`` holds ``(days, hours)`` rows in the registry's
    notation (``mon-sat``, ``08:00-14:00``; an end before the start runs overnight).
    """

    code: str
    name: str
    role: str
    mobile: str
    languages: list[str] = field(default_factory=list)
    hub: str = ""
    spoke: str = ""
    rank: str = "1"
    specialty: str = ""
    qualification: str = ""
    registration_number: str = ""
    roster: list[tuple[str, str]] = field(default_factory=list)
    fictional: bool | None = None  # None: the district file's default


@dataclass(frozen=True)
class FieldProblem:
    """One problem the registry found, placed at a form field.

    ``field`` is a :class:`StaffEntry` field name, ``roster`` with ``row`` set for a roster
    row, or None for a problem elsewhere in the district's registry.
    """

    field: str | None
    message: str
    row: int | None = None


class StaffRegistry(Protocol):
    """The district registry's side of a staff change (``sampark.registry.staff_edit``)."""

    def save(
        self,
        session: Session,
        district_id: int,
        replaces: str | None,
        entry: StaffEntry | None,
        actor: str,
    ) -> list[FieldProblem]:
        """Write ``entry`` in place of staff ``replaces`` (None: add; ``entry`` None: take
        ``replaces`` off the registry, i.e. deactivate) through the registry's validation
        and importer, in ``session`` (flushed, not committed). Empty list: done; otherwise
        nothing was written and the session is rolled back."""
        ...

    def roster_rows(self, staff: Staff) -> list[tuple[str, str]]:
        """``staff``'s weekly slots as ``(days, hours)`` rows, as the export writes them."""
        ...

    def entry_of(self, staff: Staff) -> StaffEntry:
        """``staff`` as a :class:`StaffEntry` (to edit, or to put back on the registry)."""
        ...


_registry: StaffRegistry | None = None


def register(registry: StaffRegistry) -> None:
    """Install the registry's implementation (``sampark.wiring.wire``; replaces any before)."""
    global _registry
    _registry = registry


def staff_registry() -> StaffRegistry:
    """The registered implementation.

    Raises:
        RuntimeError: nothing registered (the entry point did not call ``wire()``).
    """
    if _registry is None:
        raise RuntimeError("no staff registry registered: call sampark.wiring.wire()")
    return _registry
