"""Canonical tickets for in-process benchmarks: the seeded generator's story, rendered as the
Zendesk simulator serves it and built by the Zendesk mapping (tests/generated_tickets.py), so
that texts (English and Chinese), tags, groups, timelines and ratings look like a real
helpdesk's; and as many distinct copies of them as a benchmark needs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from deskplan.model import Ticket

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.generated_tickets import NOW, generated_tickets  # the tests' builder

__all__ = ["NOW", "generated_tickets", "many"]


def many(tickets: list[Ticket], count: int) -> Iterator[Ticket]:
    """`count` distinct tickets (ids and keys of their own) cycling through the contents of `tickets`."""
    for number in range(count):
        template = tickets[number % len(tickets)]
        yield template.model_copy(update={"id": str(number + 1), "key": str(number + 1)})
