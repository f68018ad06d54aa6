"""The HTTP client under test, on a fake clock (tests/connector/test_http.py, test_unreachable.py)."""

from __future__ import annotations

import random

import pytest

from deskplan.transport.http import HttpClient

from .test_http import BASE, TOKEN, FakeTime


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime) -> HttpClient:
    return HttpClient(BASE, auth=("agent@acme.test/token", TOKEN), source="zd",
                      sleep=fake_time.sleep, clock=fake_time.clock, rng=random.Random(7))
