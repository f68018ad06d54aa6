"""A simulated clock for adapter tests against a simulator in this process."""

from __future__ import annotations

from datetime import datetime, timedelta


class SimTime:
    """One clock for the simulator and the adapter; the adapter's sleeps advance it."""

    def __init__(self, start: datetime):
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)

    def monotonic(self) -> float:
        return self.now.timestamp()

    def advance(self, **delta: float) -> None:
        """Move on by a timedelta's keywords, as the world does between syncs: `advance(minutes=5)`."""
        self.now += timedelta(**delta)
