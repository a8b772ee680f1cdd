"""Logging set-up: one JSON handler, and a level only a caller that names one can change."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from core.logs import JsonFormatter, configure_logging


@pytest.fixture(name="root")
def bare_root_logger() -> Iterator[logging.Logger]:
    """The root logger without handlers for the test, restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield root
    finally:
        root.handlers, root.level = handlers, level


def test_the_worker_gets_info_under_the_clis_warning_and_the_app_keeps_what_it_finds(
    root: logging.Logger,
) -> None:
    configure_logging("WARNING")  # the CLI group
    configure_logging()  # the app factory (sampark simulate, the demo): the level stays
    assert root.level == logging.WARNING
    configure_logging("INFO")  # sampark worker
    assert root.level == logging.INFO
    assert sum(isinstance(h.formatter, JsonFormatter) for h in root.handlers) == 1  # not twice


def test_the_first_call_without_a_level_logs_info(root: logging.Logger) -> None:
    configure_logging()  # gunicorn's app factory
    assert root.level == logging.INFO
