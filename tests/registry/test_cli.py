"""``sampark district import|export|stats`` as an operator runs them: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from core.runtime import Runtime
from core.settings import Settings
from sampark.cli import main
from tests.registry.conftest import SAMPLE, row_counts, sample_text


def _run(settings: Settings, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["district", *args], env={"DATABASE_URL": settings.database_url}
    )
    return result.exit_code, result.stdout, result.stderr


def test_import_then_stats_json(settings: Settings, runtime: Runtime) -> None:
    code, out, _ = _run(settings, "import", str(SAMPLE))
    assert code == 0, out
    assert "spokes: 230 new" in out

    code, out, _ = _run(settings, "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert (stats["blocks"], stats["hubs"], stats["spokes"]) == (7, 11, 230)
    assert stats["anms"] > 230 and stats["doctors"] > 40

    code, out, _ = _run(settings, "import", str(SAMPLE))
    assert code == 0
    assert "spokes: 0 new, 0 updated, 230 unchanged" in out
    assert json.loads(_run(settings, "stats", "--json")[1])["spokes"] == 230


def test_a_bad_file_exits_1_naming_every_line_and_writes_nothing(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        sample_text()
        .replace("hub: H-CHC-TRG", "hub: H-CHC-TRX", 1)
        .replace("mobile: +91 99990", "mobile: +91 12", 1),
        encoding="utf-8",
    )
    before = row_counts(runtime)

    code, _, err = _run(settings, "import", str(bad))

    assert code == 1
    assert f"{bad}:" in err and "unknown hub 'H-CHC-TRX'" in err and "'+91 12" in err
    assert "2 problem(s); nothing was imported" in err
    assert row_counts(runtime) == before


def test_check_only_validates_without_writing(settings: Settings, runtime: Runtime) -> None:
    code, out, _ = _run(settings, "import", "--check", str(SAMPLE))
    assert code == 0 and "valid" in out
    assert row_counts(runtime)["spokes"] == 0


def test_export_prints_yaml_that_imports_back(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    assert _run(settings, "import", str(SAMPLE))[0] == 0
    code, out, _ = _run(settings, "export")
    assert code == 0
    assert out.startswith("# Sampark district registry")
    exported = tmp_path / "exported.yaml"
    exported.write_text(out, encoding="utf-8")
    code, out, _ = _run(settings, "import", str(exported))
    assert code == 0
    assert "0 new, 0 updated" in out


def test_export_of_an_empty_registry_fails_clearly(settings: Settings, runtime: Runtime) -> None:
    code, _, err = _run(settings, "export")
    assert code == 1
    assert "found: none" in err


def test_a_missing_file_is_a_usage_error(settings: Settings, runtime: Runtime) -> None:
    code, _, err = _run(settings, "import", "/nonexistent/district.yaml")
    assert code == 2
    assert "does not exist" in err


def test_an_unreachable_database_exits_3_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["district", "stats"],
        env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"},
    )
    assert result.exit_code == 3
    assert "database error" in result.stderr
    assert "Traceback" not in result.output
