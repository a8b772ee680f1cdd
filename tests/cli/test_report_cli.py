"""``sampark report monthly``: the same table as the portal's report, as text or CSV."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from core.runtime import Runtime
from portal.report_monthly import HEADER, monthly_report, to_csv
from sampark.cli import main
from tests.builders import build_mini_district
from tests.portal.district_rows import build_rows


def test_the_csv_and_the_table_are_the_reports(runtime: Runtime, tmp_path: Path) -> None:
    with runtime.db.session() as s:
        build_rows(s, build_mini_district(s))
    env = {"DATABASE_URL": runtime.settings.database_url}
    with runtime.db.session() as s:
        expected = to_csv(monthly_report(s, "2026-11"))
    out = tmp_path / "nov.csv"
    result = CliRunner().invoke(
        main, ["report", "monthly", "--month", "2026-11", "--csv", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode("utf-8") == expected  # byte for byte, CRLF as CSV has it
    table = CliRunner().invoke(main, ["report", "monthly", "--month", "2026-11"], env=env)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[1].split() == list(HEADER)
    assert lines[-1].split()[:2] == ["district", "12"]  # every consultation of November


def test_a_bad_month_is_a_usage_error(runtime: Runtime) -> None:
    env = {"DATABASE_URL": runtime.settings.database_url}
    result = CliRunner().invoke(main, ["report", "monthly", "--month", "2026-13"], env=env)
    assert result.exit_code == 2 and "YYYY-MM" in result.output
