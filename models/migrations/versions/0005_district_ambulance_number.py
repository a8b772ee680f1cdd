"""the district's ambulance number replaces its emergency short code

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00

An emergency caller who presses 1 was connected to ``districts.emergency_number``, '108'
by default. Twilio dials only E.164 numbers (https://www.twilio.com/docs/api/errors/13224),
so that dial always failed. ``ambulance_number`` holds the district's ambulance or
control-room line in E.164, or '' when none is known (the caller is then told to dial 108
from their own phone). No stored short code can be dialled, so none is carried over; the
downgrade restores '108' and forgets the ambulance numbers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite rebuilds the table; PostgreSQL alters it in place.
    with op.batch_alter_table("districts") as batch:
        batch.add_column(
            sa.Column("ambulance_number", sa.String(length=16), nullable=False, server_default="")
        )
        batch.drop_column("emergency_number")


def downgrade() -> None:
    with op.batch_alter_table("districts") as batch:
        batch.add_column(
            sa.Column(
                "emergency_number", sa.String(length=16), nullable=False, server_default="108"
            )
        )
        batch.drop_column("ambulance_number")
