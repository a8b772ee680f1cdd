"""each prescription's code as keyed on a phone, for a check by call

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:30:00

In India Twilio has no two-way SMS (https://www.twilio.com/en-us/guidelines/in/sms), so an
ANM or pharmacist checks a prescription by calling a service line and keying its code: a
letter is the key it is printed on (K -> 5), digits are themselves. ``keypad_code`` holds
those keys, indexed (several codes may share them); ``prescriptions.service`` sets it at
issue, and this back-fills every prescription already issued. The key table is copied here
(a migration does not import the product), equal to ``prescriptions.codes.KEYPAD``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEYS = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV"}
KEYPAD = {letter: key for key, letters in {**KEYS, "9": "WXYZ"}.items() for letter in letters}


def keypad_code(code: str) -> str:
    return "".join(KEYPAD.get(ch, ch) for ch in code.upper() if ch.isalnum())


def upgrade() -> None:
    # batch: SQLite rebuilds the table; PostgreSQL alters it in place.
    with op.batch_alter_table("prescriptions") as batch:
        batch.add_column(sa.Column("keypad_code", sa.String(length=12), nullable=True))
        batch.create_index("ix_prescriptions_keypad_code", ["keypad_code"], unique=False)
    prescriptions = sa.table(
        "prescriptions", sa.column("id", sa.Integer), sa.column("code", sa.String)
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(prescriptions.c.id, prescriptions.c.code)).all()
    if rows:
        connection.execute(
            sa.text("UPDATE prescriptions SET keypad_code = :keys WHERE id = :id"),
            [{"id": row.id, "keys": keypad_code(row.code)} for row in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table("prescriptions") as batch:
        batch.drop_index("ix_prescriptions_keypad_code")
        batch.drop_column("keypad_code")
