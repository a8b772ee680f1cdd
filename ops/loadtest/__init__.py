"""The load harness: the product in separate processes, patients, faults, accounting."""

from ops.loadtest.config import LoadtestConfig
from ops.loadtest.run import run_loadtest

__all__ = ["LoadtestConfig", "run_loadtest"]
