"""Fixtures for whole-consultation tests: a running stack on the session's PG and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sampark.runtime import Runtime
from tests.workflows.harness import Stack, running_stack


@pytest.fixture
def stack(runtime: Runtime) -> Iterator[Stack]:
    """The app over HTTP, the stand-in on a virtual clock, one RQ worker process."""
    if runtime.settings.redis_url is None or runtime.db.is_sqlite:
        pytest.skip("whole-consultation tests need real PostgreSQL and Redis")
    with running_stack(runtime.settings) as s:
        yield s
