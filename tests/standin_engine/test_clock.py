"""The clocks' scheduling rules."""

from __future__ import annotations

import threading
import time

from standin import RealClock, VirtualClock


def test_virtual_clock_runs_in_due_then_scheduling_order() -> None:
    clock = VirtualClock()
    ran: list[str] = []
    clock.schedule(5, lambda: ran.append("b"))
    clock.schedule(1, lambda: ran.append("a"))
    clock.schedule(5, lambda: ran.append("c"))
    clock.schedule(90, lambda: ran.append("late"))
    assert clock.advance(10) == 3
    assert ran == ["a", "b", "c"] and clock.seconds() == 10
    clock.run_until_idle()
    assert ran[-1] == "late" and clock.seconds() == 90


def test_real_clock_keeps_order_within_a_key_and_overlaps_keys() -> None:
    clock = RealClock(workers=4)
    seen: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    lock = threading.Lock()

    def job(key: str, i: int) -> None:
        time.sleep(0.05)
        with lock:
            seen[key].append(i)

    try:
        t0 = time.monotonic()
        for i in range(6):
            for key in seen:
                clock.schedule(0, lambda key=key, i=i: job(key, i), key)  # type: ignore[misc]
        clock.run_until_idle(5)
        wall = time.monotonic() - t0
    finally:
        clock.stop()
    assert all(order == list(range(6)) for order in seen.values())
    assert wall < 18 * 0.05  # three keys ran side by side
