"""a partial index of the intake calls still active, by their last webhook

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:25:00

Every sweep looks for intake calls gone silent (``ivr/stale.py``: active, no webhook for
``intake_silence_s``). Only the calls in progress are active: a small partial index
instead of a scan of every call the IVR ever took.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_index(
        "ix_ivr_sessions_active_updated",
        "ivr_sessions",
        ["updated_at"],
        unique=False,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_ivr_sessions_active_updated", table_name="ivr_sessions")
