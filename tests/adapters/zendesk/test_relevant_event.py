"""The ticket event as it is stored: reduced to what the timeline reads, and building from the
reduced events gives exactly the ticket the whole events give."""

from __future__ import annotations

from datetime import datetime, timezone

from deskplan.adapters.zendesk.mapping import Context, build_ticket, relevant_event
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.zendesk import derive
from deskplan_sandbox.zendesk.store import ZendeskStore

from .builders import changed, comment, created, ticket_event

CONTEXT = Context(source="zd", site="https://acme.zendesk.com", status_map={})
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def test_a_comment_keeps_its_identity_author_visibility_time_and_text_only():
    child = {**comment(11, 100, "hi", public=False), "created_at": "2026-03-02T09:00:00Z", "audit_id": 1,
             "plain_body": "hi", "metadata": {"system": {}}}
    event = {**ticket_event(1, 7, "2026-03-02T09:00:00Z", child), "metadata": {}, "system": {}}
    assert relevant_event(event) == {
        "id": 1, "ticket_id": 7, "created_at": "2026-03-02T09:00:00Z", "timestamp": 0,
        "child_events": [{"id": 11, "event_type": "Comment", "type": "Comment", "created_at": "2026-03-02T09:00:00Z",
                          "author_id": 100, "public": False, "body": "hi"}],
    }


def test_a_comment_without_body_keeps_its_plain_text_as_the_body():
    child = {**comment(11, 100, ""), "plain_body": "plain words"}
    (kept,) = relevant_event(ticket_event(1, 7, "2026-03-02T09:00:00Z", child))["child_events"]
    assert kept["body"] == "plain words" and "plain_body" not in kept and "html_body" not in kept


def test_status_children_keep_both_of_zendesks_shapes():
    audit_shape = {"id": 12, "type": "Change", "field_name": "status", "value": "solved", "previous_value": "open",
                   "via": {"channel": "web"}}
    event = ticket_event(1, 7, "2026-03-02T09:00:00Z", created(11), changed(13, "pending", "new"), audit_shape)
    assert relevant_event(event)["child_events"] == [
        {"id": 11, "event_type": "Create", "status": "new"},
        {"id": 13, "event_type": "Change", "status": "pending", "previous_value": "new"},
        {"id": 12, "type": "Change", "field_name": "status", "value": "solved", "previous_value": "open"},
    ]


def test_reducing_twice_changes_nothing():
    event = ticket_event(1, 7, "2026-03-02T09:00:00Z", comment(11, 100, "hi"), created(12))
    once = relevant_event(event)
    assert relevant_event(once) == once


def test_generated_tickets_build_the_same_from_reduced_events_as_from_whole_ones():
    store = ZendeskStore(lambda: NOW)
    store.load_scenario(generate_scenario(300, 3, NOW))
    users = {}
    compared = kept_children = all_children = 0
    for ticket_id in range(1, 301):
        doc = store.ticket(ticket_id, include_deleted=True)
        whole = [derive.ticket_event(audit, include_comments=True) for audit in store._audits(store._entry(ticket_id))]
        for event in whole:
            for child in event["child_events"]:
                if child.get("author_id") and child["author_id"] not in users:
                    users[child["author_id"]] = store.user(child["author_id"])
        lookup = lambda uid: users.get(int(uid))  # noqa: E731
        reduced = [kept for kept in map(relevant_event, whole) if kept is not None]
        kept_children += sum(len(e["child_events"]) for e in reduced)
        all_children += sum(len(e["child_events"]) for e in whole)
        assert build_ticket(doc, reduced, [], lookup, CONTEXT) == build_ticket(doc, whole, [], lookup, CONTEXT)
        compared += 1
    assert compared == 300
    assert 0 < kept_children < all_children      # something was dropped, and the builds did not notice
