"""Invariants of the Zendesk timeline on generated tickets, as the sync stores their events:
neither the order the ticket events arrive in nor events delivered twice change the ticket,
and the timeline runs in time order with each event once."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from deskplan.adapters.zendesk.mapping import Context, build_ticket, relevant_event
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.zendesk import derive
from deskplan_sandbox.zendesk.store import ZendeskStore

CONTEXT = Context(source="zd", site="https://acme.zendesk.com", status_map={})
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
TICKETS = 80


@pytest.fixture(scope="module")
def story():
    """Per generated ticket: its export document and its ticket events as stored (reduced);
    and the users, for comment authors' roles."""
    store = ZendeskStore(lambda: NOW)
    store.load_scenario(generate_scenario(TICKETS, 11, NOW))
    tickets, users = [], {}
    for number in range(1, TICKETS + 1):
        audits = store._audits(store._entry(number))
        events = [kept for audit in audits
                  if (kept := relevant_event(derive.ticket_event(audit, include_comments=True))) is not None]
        for audit in audits:
            users.setdefault(str(audit["author_id"]), store.user(audit["author_id"]))
        doc = store.ticket(number, include_deleted=True)
        users.setdefault(str(doc["requester_id"]), store.user(doc["requester_id"]))
        tickets.append((doc, events))
    return tickets, users


@settings(max_examples=80, deadline=None)
@given(index=st.integers(0, TICKETS - 1), seed=st.integers(0, 2**32 - 1), repeats=st.integers(0, 4))
def test_delivery_order_and_repeated_events_do_not_change_the_ticket(story, index, seed, repeats):
    tickets, users = story
    doc, events = tickets[index]
    shuffle = random.Random(seed)
    # A repeat is a copy, as a second delivery is decoded apart from the first.
    delivered = [*events, *(copy.deepcopy(shuffle.choice(events)) for _ in range(repeats if events else 0))]
    shuffle.shuffle(delivered)

    assert build_ticket(doc, delivered, [], users.get, CONTEXT) == build_ticket(doc, events, [], users.get, CONTEXT)


def test_every_generated_timeline_is_in_time_order_with_each_event_once(story):
    tickets, users = story
    checked = 0
    for doc, events in tickets:
        timeline = build_ticket(doc, events, [], users.get, CONTEXT).timeline
        assert [e.at for e in timeline] == sorted(e.at for e in timeline)
        assert len({(e.kind, e.id) for e in timeline}) == len(timeline)
        checked += bool(timeline)
    assert checked == TICKETS
