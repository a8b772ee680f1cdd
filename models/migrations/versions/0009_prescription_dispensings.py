"""what the HWC did with a prescription: dispensed, or medicines not in stock

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 19:30:00

An issued prescription never changes, so the ANM's "Dispensed" and "Not in stock" are rows
of their own (``models.dispensing``): who, when, which medicines were missing. The doctor's
prescription page shows the newest (issue 17 item 1).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prescription_dispensings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_prescription_dispensings_prescription_id_prescriptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_prescription_dispensings_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prescription_dispensings")),
    )
    op.create_index(
        op.f("ix_prescription_dispensings_prescription_id"),
        "prescription_dispensings",
        ["prescription_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_prescription_dispensings_prescription_id"),
        table_name="prescription_dispensings",
    )
    op.drop_table("prescription_dispensings")
