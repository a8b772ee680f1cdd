"""The fast path: its own connection never leaks into the pool, and what it cannot send
still gets stored."""

from __future__ import annotations

import gc
import threading
from unittest.mock import patch

import pytest
from sqlalchemy import text

from core.runtime import Runtime
from ivr.rawpg import RawStatements, Unsupported
from models import Consultation
from tests.ivr.caller import Caller
from tests.ivr.conftest import stored

pytestmark = pytest.mark.usefixtures("server_only")  # PostgreSQL's own path


def test_answers_on_a_short_lived_thread_leave_the_pool_transactional(
    runtime: Runtime, call_spoke
) -> None:
    """A server that runs each request on a new thread (``sampark web``) drops the
    thread's fast-path connection when the thread ends; an ORM session must never be
    handed that connection afterwards (SAVEPOINT would fail outside a transaction)."""
    phone: Caller = call_spoke()
    phone.dial()
    phone.press("1")  # language: Hindi (an ordinary answer, taken by the fast path)

    def answer_on_its_own_thread() -> None:
        phone.press("1")  # consent

    worker = threading.Thread(target=answer_on_its_own_thread)
    worker.start()
    worker.join()
    del worker
    gc.collect()
    assert phone.node == "for_whom"

    pool_size = runtime.db.engine.pool.size()  # type: ignore[attr-defined]
    sessions = [runtime.db.sessions() for _ in range(pool_size + 1)]
    try:
        for s in sessions:  # every connection the pool hands out, including the newest
            with s.begin():
                with s.begin_nested():
                    s.execute(text("SELECT 1"))
                assert s.query(Consultation).count() == 1
    finally:
        for s in sessions:
            s.close()


def test_an_answer_the_raw_path_cannot_send_is_stored_by_the_full_path(
    runtime: Runtime, call_spoke
) -> None:
    phone: Caller = call_spoke()
    phone.dial()
    real_run = RawStatements.run

    def no_writes(self: RawStatements, sql: str, params: dict) -> list:  # type: ignore[type-arg]
        if sql.lstrip().startswith("SELECT"):
            return real_run(self, sql, params)
        raise Unsupported("float")

    with patch.object(RawStatements, "run", no_writes):
        phone.press("1")  # Hindi: the fast path reads the call, cannot write, steps aside
    assert phone.node == "consent"
    [row] = stored(runtime)
    assert row["answers"]["language"] == "hi" and row["language"] == "hi"
