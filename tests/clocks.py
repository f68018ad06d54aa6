"""The clock a test hands a simulator (`now=clock`): it stands still until the test moves it."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        """Move on by a timedelta's keywords: `advance(minutes=10)`."""
        self.at += timedelta(**delta)
