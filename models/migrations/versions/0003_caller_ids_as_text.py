"""caller IDs as text: Twilio's From/To may be sip:, client: or long foreign numbers

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 11:00:00

Twilio sends as ``From`` whatever called: an E.164 number, ``client:<identity>`` (up to
256 characters) or the SIP URI of the INVITE's From header (no documented bound). The
16-character columns overflowed on PostgreSQL, and the caller heard the apology. Text
costs PostgreSQL nothing over varchar; the downgrade fails (and changes nothing) if a
stored value no longer fits in 16 characters.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: (table, column, nullable) of every column that holds a caller or called party.
COLUMNS = [
    ("consultations", "caller_mobile", False),
    ("ivr_sessions", "caller", False),
    ("ivr_sessions", "dialled", False),
    ("call_legs", "from_number", False),
    ("call_legs", "to_number", False),
    ("sms_messages", "to_number", False),
    ("sms_messages", "from_number", True),
    ("patients", "mobile", False),
]


def _retype(old: sa.types.TypeEngine[str], new: sa.types.TypeEngine[str]) -> None:
    for table in dict.fromkeys(t for t, _, _ in COLUMNS):
        # batch: SQLite rebuilds the table (its ALTER cannot retype); PostgreSQL alters.
        with op.batch_alter_table(table) as batch:
            for t, column, nullable in COLUMNS:
                if t == table:
                    batch.alter_column(
                        column, type_=new, existing_type=old, existing_nullable=nullable
                    )


def upgrade() -> None:
    _retype(sa.String(length=16), sa.Text())


def downgrade() -> None:
    _retype(sa.Text(), sa.String(length=16))
