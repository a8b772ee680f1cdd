"""The fast path's two statements sent straight through libpq (psycopg's ``pgconn``).

An answer is one ``SELECT`` and one write; through a psycopg cursor each costs about
twice the CPU of the statement itself (query conversion, per-parameter dumpers,
result loaders, in Python). Here each statement shape is prepared once per
connection and then executed with its parameters as text: what psycopg would send,
without the layers. Values are typed as psycopg types them (``int`` as int8,
``bool`` as bool, ``str`` and ``None`` left for the server to infer from the column),
so the SQL means the same on both paths. A value of any other type raises
:class:`Unsupported` before anything is sent, and the fast path leaves the answer to
the full transactional path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, cast

import psycopg
from psycopg import errors, pq

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_INT8, _BOOL, _TIMESTAMPTZ, _UNKNOWN = 20, 16, 1184, 0
_MAX_PREPARED = 256
_OK = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)

Row = tuple[bytes | None, ...]


class Unsupported(Exception):
    """A parameter this path does not encode; use a psycopg cursor."""


class Timestamp(bytes):
    """A ``timestamptz`` as PostgreSQL printed it: sent back as is, exactly equal."""


@functools.lru_cache(maxsize=512)
def positional(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """``%(name)s`` placeholders as ``$n``, and the names in ``$n`` order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


def encode(value: Any) -> tuple[bytes | None, int]:
    """A parameter as libpq takes it: text, and its type (0: inferred by the server)."""
    if value is None:
        return None, _UNKNOWN
    if isinstance(value, bool):
        return (b"t" if value else b"f"), _BOOL
    if isinstance(value, int):
        return str(value).encode(), _INT8
    if isinstance(value, str):
        return value.encode(), _UNKNOWN
    if isinstance(value, Timestamp):
        return bytes(value), _TIMESTAMPTZ
    raise Unsupported(type(value).__name__)


class RawStatements:
    """Prepared statements on one autocommit connection, executed through libpq."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.pgconn = connection.pgconn
        self._prepared: dict[tuple[bytes, tuple[int, ...]], bytes] = {}

    def run(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        """Execute ``sql`` (psycopg's ``%(name)s`` style) and return its rows as text."""
        text, names = positional(sql)
        encoded = [encode(params[name]) for name in names]
        values = [value for value, _ in encoded]
        types = tuple(oid for _, oid in encoded)
        name = self._prepared.get((text, types))
        if name is None and len(self._prepared) < _MAX_PREPARED:
            name = f"sampark_fast_{len(self._prepared)}".encode()
            self._check(self.pgconn.prepare(name, text, types))
            self._prepared[(text, types)] = name
        if name is None:
            result = self._check(self.pgconn.exec_params(text, cast(Any, values), types))
        else:
            result = self._check(self.pgconn.exec_prepared(name, cast(Any, values)))
        return [
            tuple(result.get_value(r, c) for c in range(result.nfields))
            for r in range(result.ntuples)
        ]

    def _check(self, result: pq.abc.PGresult) -> pq.abc.PGresult:
        if result.status in _OK:
            return result
        message = result.error_message.decode("utf-8", "replace").strip()
        if self.pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError(message or "the connection was lost")
        sqlstate = result.error_field(pq.DiagnosticField.SQLSTATE)
        try:
            cls = errors.lookup(sqlstate.decode()) if sqlstate else psycopg.DatabaseError
        except KeyError:
            cls = psycopg.DatabaseError
        raise cls(message)
