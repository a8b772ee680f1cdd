"""Alembic environment: runs against the URL given by ``models.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import models
from models import Base

assert models  # every table is imported and mapped

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
