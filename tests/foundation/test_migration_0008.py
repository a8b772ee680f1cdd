"""Migration 0008: every prescription already issued gets the keys that type its code on a
phone (a letter is the key it is printed on), on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from models.migrate import downgrade, upgrade
from prescriptions.codes import keypad_code
from tests.foundation.test_migrations import empty_postgres  # noqa: F401  (a fixture)

INDEX = "ix_prescriptions_keypad_code"
#: code -> the keys a pharmacist presses for it
CODES = {"K7M2PX": "576279", "ABCDEF": "222333", "WXYZ98": "999998"}


def _issue_before_0008(url: str) -> None:
    """A district, a consultation and three prescriptions, written at revision 0007."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO districts (id, code, name, state) VALUES (1, 'KSG', 'K', 'Bihar')")
        )
        conn.execute(
            text(
                "INSERT INTO staff (id, code, name, role, mobile, languages, district_id,"
                " rank, fictional, active, available, missed_offers, created_at)"
                " VALUES (1, 'DR-1', 'Dr. A', 'doctor', '+919990200001', '[\"hi\"]', 1,"
                " 1, true, true, true, 0, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO consultations (id, reference, state, version, caller_mobile,"
                " channel, language, details, danger_signs, emergency, priority, created_at)"
                " VALUES (1, '100001', 'prescribed', 1, '+919431012345', 'spoke', 'hi', '{}',"
                " '[]', false, 2, CURRENT_TIMESTAMP)"
            )
        )
        for n, code in enumerate(CODES, start=1):
            conn.execute(
                text(
                    "INSERT INTO prescriptions (id, code, consultation_id, version, doctor_id,"
                    " doctor_name, doctor_qualification, doctor_registration, hub_name,"
                    " patient_name, patient_age, patient_sex, diagnosis, tests, mode, issued_at)"
                    " VALUES (:id, :code, 1, :id, 1, 'Dr. A', 'MBBS', 'BMC-1', 'Sadar', 'R',"
                    " 34, 'female', 'Fever', '[]', 'audio_anm_first', CURRENT_TIMESTAMP)"
                ),
                {"id": n, "code": code},
            )
    engine.dispose()


def _keys(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, keypad_code FROM prescriptions")).all()
    engine.dispose()
    return {row.code: row.keypad_code for row in rows}


def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = {str(i["name"]) for i in inspect(conn).get_indexes("prescriptions")}
    engine.dispose()
    return names


def _back_fills(url: str) -> None:
    upgrade(url, "0007")
    _issue_before_0008(url)
    upgrade(url, "0008")
    assert _keys(url) == CODES
    assert {code: keypad_code(code) for code in CODES} == CODES  # the product's own table
    assert INDEX in _indexes(url)
    downgrade(url, "0007")
    assert INDEX not in _indexes(url)
    assert set(_keys_or_codes(url)) == set(CODES)  # the prescriptions themselves are kept


def _keys_or_codes(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("prescriptions")}
        assert "keypad_code" not in columns
        codes = list(conn.scalars(text("SELECT code FROM prescriptions")))
    engine.dispose()
    return codes


def test_0008_back_fills_the_keypad_code_on_postgresql(empty_postgres: str) -> None:  # noqa: F811
    _back_fills(empty_postgres)


def test_0008_back_fills_the_keypad_code_on_sqlite(tmp_path: Path) -> None:
    _back_fills(f"sqlite:///{tmp_path / 'm.db'}")
