"""The load harness: the product in separate processes, patients, faults, accounting."""

from ops.loadtest.run import LoadtestConfig, run_loadtest

__all__ = ["LoadtestConfig", "run_loadtest"]
