"""a partial index of the call legs not ended, by called number (one call per number)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 11:30:00

Before a leg is placed, the workflow checks that no other call of ours to the same number
is up (``outbound/lines.py``); the reconciliation with Twilio reads the same rows. Both
look only at legs whose status is not final: a small partial index instead of a scan of
every leg ever placed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOT_ENDED = sa.text(
    "status NOT IN ('busy', 'canceled', 'completed', 'failed', 'lost', 'no-answer')"
)


def upgrade() -> None:
    op.create_index(
        "ix_call_legs_not_ended",
        "call_legs",
        ["to_number"],
        unique=False,
        postgresql_where=NOT_ENDED,
        sqlite_where=NOT_ENDED,
    )


def downgrade() -> None:
    op.drop_index("ix_call_legs_not_ended", table_name="call_legs")
