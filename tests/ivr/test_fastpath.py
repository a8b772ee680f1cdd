"""The fast path's own connection never leaks back into the pool in autocommit mode."""

from __future__ import annotations

import gc
import threading

from sqlalchemy import text

from models import Consultation
from sampark.runtime import Runtime
from tests.ivr.caller import Caller


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
