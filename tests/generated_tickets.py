"""Canonical tickets of the seeded generator's story, rendered as the Zendesk simulator serves it
and built by the Zendesk mapping: texts in two scripts, tags, group and organization names,
custom fields, timelines with every event kind, ratings. Used by tests and by the in-process
benchmarks (bench/tickets.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from deskplan.adapters.zendesk.mapping import Context, build_ticket
from deskplan.model import Ticket
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.zendesk.render import ScenarioRenderer
from deskplan_sandbox.zendesk.store import ZendeskStore

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
CONTEXT = Context(source="zd", site="https://acme.zendesk.com", status_map={})


def generated_tickets(count: int, seed: int = 7, now: datetime = NOW) -> list[Ticket]:
    """`count` tickets of one generated story told up to `now` (deleted ones left out)."""
    scenario = generate_scenario(count, seed, now)
    store = ZendeskStore(lambda: now)
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
