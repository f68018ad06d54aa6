"""Canonical tickets for in-process benchmarks: the seeded generator's story, rendered as the
Zendesk simulator serves it and built by the Zendesk mapping, so that texts (English and
Chinese), tags, groups, timelines and ratings look like a real helpdesk's."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

from deskplan.adapters.zendesk.mapping import Context, build_ticket
from deskplan.model import Ticket
from deskplan.sandbox.generate import generate_scenario
from deskplan.sandbox.zendesk.render import ScenarioRenderer
from deskplan.sandbox.zendesk.store import ZendeskStore

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
CONTEXT = Context(source="zd", site="https://acme.zendesk.com", status_map={})


def generated_tickets(count: int, seed: int = 7) -> list[Ticket]:
    """`count` tickets of one generated story (deleted ones left out)."""
    scenario = generate_scenario(count, seed, NOW)
    store = ZendeskStore(lambda: NOW)
    store.load_scenario(scenario)
    renderer = ScenarioRenderer(scenario)
    names = {("group", str(gid)): {"name": name} for name, gid in renderer.group_ids.items()}
    names.update({("organization", str(oid)): {"name": name} for name, oid in renderer.org_ids.items()})
    tickets = []
    for story in scenario.tickets:
        audits = store.audits(story.number)
        if audits is None:
            continue
        rating = store.rating(renderer.rating_id(story.number)) if story.ratings else None
        tickets.append(build_ticket(store.ticket(story.number), audits, [rating] if rating else [],
                                    lambda uid: store.user(int(uid)), CONTEXT,
                                    lambda kind, rid: names.get((kind, str(rid)))))
    return tickets


def many(tickets: list[Ticket], count: int) -> Iterator[Ticket]:
    """`count` distinct tickets (ids and keys of their own) cycling through the contents of `tickets`."""
    for number in range(count):
        template = tickets[number % len(tickets)]
        yield template.model_copy(update={"id": str(number + 1), "key": str(number + 1)})
