"""Helpers for registry tests: the sample district and table row counts."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from core.runtime import Runtime
from models import Base

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "kishanganj.yaml"


@cache
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def row_counts(runtime: Runtime) -> dict[str, int]:
    """Rows in every table."""
    with runtime.db.engine.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in Base.metadata.sorted_tables
        }
