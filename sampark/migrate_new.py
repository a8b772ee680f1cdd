"""Generate a migration by comparing the models with a scratch PostgreSQL database.

Usage: ``python -m sampark.migrate_new "what changed"`` (needs TEST_DATABASE_URL's server).
"""

from __future__ import annotations

import os
import sys
import uuid

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sampark.migrate import alembic_config


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "change"
    server = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
    name = f"sampark_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        config = alembic_config(url)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
