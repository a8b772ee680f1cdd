"""a password someone else set must be changed at the next login

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:15:00

``staff.password_must_change`` is true after ``sampark staff set-password`` or a district
admin's reset: the portal lets that person do nothing but choose a password of their own.
Existing passwords were chosen under the old rule and stay as they are (false).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(
            sa.Column(
                "password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("password_must_change")
