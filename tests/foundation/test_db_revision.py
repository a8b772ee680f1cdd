"""``sampark db revision``: the next migration is written from the models' difference."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from models.migrate import MIGRATIONS_DIR, new_revision

SERVER = os.environ.get("TEST_DATABASE_URL", "")


@pytest.mark.skipif(not SERVER.startswith("postgresql"), reason="needs a PostgreSQL server")
def test_a_revision_when_models_and_migrations_agree_changes_nothing(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    before = set((migrations / "versions").glob("*.py"))

    written = new_revision(SERVER, "nothing new", script_location=migrations)

    new = set((migrations / "versions").glob("*.py")) - before
    assert [str(p) for p in new] == [written]
    body = Path(written).read_text()
    upgrade = body.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    assert "op." not in upgrade  # the models hold nothing the migrations lack
    assert "nothing new" in body
