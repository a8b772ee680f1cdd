"""a partial index of the doctor offers still open (the doctor queue's busy check)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = sa.text("role = 'doctor_offer' AND outcome IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_call_legs_open_offers",
        "call_legs",
        ["staff_id"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_call_legs_open_offers", table_name="call_legs")
