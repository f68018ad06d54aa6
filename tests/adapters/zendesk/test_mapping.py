"""Zendesk JSON -> canonical ticket, on hand-built and recorded payloads, with exact timelines."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from deskplan.adapters.zendesk.mapping import Context, build_ticket, is_deskplan_comment, relevant_event
from deskplan.errors import BadPayload
from deskplan.model import EventKind, Priority, Satisfaction, Score, Status, TimelineEvent

from .builders import SITE, changed, comment, created, rating, ticket, ticket_event, user

CONTEXT = Context(source="zd", site=SITE, status_map={}, own_user="201")      # deskplan writes as the admin 201
USERS = {"100": user(100, "end-user"), "200": user(200, "agent"), "201": user(201, "admin"),
         "300": user(300, "end-user")}


def lookup(user_id: str):
    return USERS.get(user_id)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def status(when, new, old=None, id=None):
    return TimelineEvent(at=at(when), kind=EventKind.STATUS, id=id, status=new, from_status=old)


def say(when, kind, id, author, body, by_deskplan=False):
    return TimelineEvent(at=at(when), kind=kind, id=id, author=author, body=body, by_deskplan=by_deskplan)


LIFE = [
    ticket_event(1, 7, "2026-03-02T09:00:00Z", comment(11, 100, "The printer is broken"), created(12, "new")),
    ticket_event(2, 7, "2026-03-02T09:30:00Z", changed(21, "open", "new"), comment(22, 200, "Turn it off and on")),
    ticket_event(3, 7, "2026-03-02T09:40:00Z", comment(31, 201, "[deskplan:sla] first reply met", public=False)),
    ticket_event(4, 7, "2026-03-02T10:00:00Z", changed(41, "pending", "open")),
    ticket_event(5, 7, "2026-03-02T11:00:00Z", comment(51, 300, "Same here"), changed(52, "open", "pending")),
    ticket_event(6, 7, "2026-03-02T12:00:00Z", changed(61, "solved", "open")),
    ticket_event(7, 7, "2026-03-06T12:00:00Z", changed(71, "closed", "solved")),
]


def test_given_a_ticket_life_then_the_timeline_is_exact_and_in_order():
    raw = ticket(7, status="closed", updated_at="2026-03-06T12:00:00Z", priority="high", type="incident",
                 tags=["vip", "printer"], group_id=360001, organization_id=55, assignee_id=200,
                 custom_fields=[{"id": 9001, "value": "emea"}, {"id": 9002, "value": None},
                                {"id": 9003, "value": True}])
    ratings = [rating(81, 7, "bad", created_at="2026-03-02T12:30:00Z", comment="slow")]

    # The second delivery of event 2 (a time-based export re-reads its boundary second) counts once.
    built = build_ticket(raw, [*LIFE, LIFE[1]], ratings, lookup, CONTEXT)

    assert built.timeline == (
        status("2026-03-02T09:00:00", Status.NEW, id="12"),
        say("2026-03-02T09:00:00", EventKind.REQUESTER_COMMENT, "11", "100", "The printer is broken"),
        status("2026-03-02T09:30:00", Status.OPEN, Status.NEW, id="21"),
        say("2026-03-02T09:30:00", EventKind.PUBLIC_REPLY, "22", "200", "Turn it off and on"),
        say("2026-03-02T09:40:00", EventKind.INTERNAL_NOTE, "31", "201", "[deskplan:sla] first reply met",
            by_deskplan=True),
        status("2026-03-02T10:00:00", Status.WAITING_CUSTOMER, Status.OPEN, id="41"),
        status("2026-03-02T11:00:00", Status.OPEN, Status.WAITING_CUSTOMER, id="52"),
        say("2026-03-02T11:00:00", EventKind.REQUESTER_COMMENT, "51", "300", "Same here"),
        status("2026-03-02T12:00:00", Status.SOLVED, Status.OPEN, id="61"),
        TimelineEvent(at=at("2026-03-02T12:30:00"), kind=EventKind.RATING, id="rating-81", author="100",
                      score=Score.BAD, body="slow"),
        status("2026-03-06T12:00:00", Status.CLOSED, Status.SOLVED, id="71"),
    )
    assert built.model_dump(exclude={"timeline"}) == {
        "source": "zd", "id": "7", "key": "7", "url": f"{SITE}/agent/tickets/7", "subject": "Ticket 7",
        "description": "The printer is broken", "status": Status.CLOSED, "status_raw": "closed",
        "priority": Priority.HIGH, "type": "incident", "channel": "email", "tags": ("vip", "printer"),
        "group": "360001", "organization": "55", "requester": "100", "assignee": "200",
        "requester_name": "User 100", "assignee_name": "User 200",
        "created_at": at("2026-03-02T09:00:00"), "updated_at": at("2026-03-06T12:00:00"),
        "solved_at": at("2026-03-02T12:00:00"),
        "satisfaction": {"score": Score.BAD, "comment": "slow", "at": at("2026-03-02T12:30:00")},
        "custom": {"9001": "emea", "9003": True}, "deleted": False,
    }
    assert "[deskplan:" not in built.text


def test_a_changed_rating_replaces_the_earlier_score():
    raw = ticket(7, status="solved")
    versions = [
        rating(81, 7, "bad", created_at="2026-03-02T12:30:00Z", comment="slow"),
        rating(81, 7, "good", created_at="2026-03-02T12:30:00Z", updated_at="2026-03-03T08:00:00Z", comment="fixed"),
        rating(82, 7, "offered", created_at="2026-03-04T08:00:00Z"),
    ]
    built = build_ticket(raw, [], versions, lookup, CONTEXT)

    assert built.satisfaction == Satisfaction(score=Score.GOOD, comment="fixed", at=at("2026-03-03T08:00:00"))
    assert [(e.kind, e.id, e.score, e.at) for e in built.timeline if e.kind is EventKind.RATING] == [
        (EventKind.RATING, "rating-81", Score.GOOD, at("2026-03-03T08:00:00"))]


def test_given_no_exported_history_then_the_creation_status_is_the_current_one():
    built = build_ticket(ticket(3, status="pending"), [], [], lookup, CONTEXT)
    assert built.timeline == (status("2026-03-02T09:00:00", Status.WAITING_CUSTOMER),)
    assert built.solved_at is None


def test_given_changes_without_the_creation_then_the_creation_status_is_the_first_left():
    events = [ticket_event(4, 3, "2026-03-02T10:00:00Z", changed(41, "solved", "open"))]
    built = build_ticket(ticket(3, status="solved"), events, [], lookup, CONTEXT)
    assert built.timeline == (
        status("2026-03-02T09:00:00", Status.OPEN),
        status("2026-03-02T10:00:00", Status.SOLVED, Status.OPEN, id="41"),
    )
    assert built.solved_at == at("2026-03-02T10:00:00")


def test_given_a_resolved_ticket_whose_solve_event_lags_then_solved_at_is_its_last_update():
    events = [ticket_event(1, 3, "2026-03-02T09:00:00Z", created(12, "open"))]
    built = build_ticket(ticket(3, status="solved", updated_at="2026-03-02T15:00:00Z"), events, [], lookup, CONTEXT)
    assert built.solved_at == at("2026-03-02T15:00:00")


def test_an_agent_opening_a_ticket_for_a_customer_has_not_replied_yet():
    events = [
        ticket_event(1, 5, "2026-03-02T09:00:00Z", comment(11, 200, "Customer called: VPN down"), created(12, "open")),
        ticket_event(2, 5, "2026-03-02T09:20:00Z", comment(21, 200, "Fixed the VPN profile")),
    ]
    built = build_ticket(ticket(5, requester_id=100), events, [], lookup, CONTEXT)
    assert built.description == "Customer called: VPN down"
    assert [(e.kind, e.id) for e in built.timeline] == [(EventKind.STATUS, "12"), (EventKind.PUBLIC_REPLY, "21")]


def test_people_are_named_from_their_stored_user_records_and_stay_ids_for_rules():
    named = {"100": {**user(100, "end-user"), "name": " 李伟 "}, "200": {**user(200, "agent"), "name": ""}}
    built = build_ticket(ticket(5, requester_id=100, assignee_id=200), [], [], named.get, CONTEXT)
    assert (built.requester, built.requester_name, built.assignee, built.assignee_name) == ("100", "李伟", "200", None)
    unknown = build_ticket(ticket(5, requester_id=999), [], [], lambda _: None, CONTEXT)
    assert (unknown.requester, unknown.requester_name, unknown.assignee_name) == ("999", None, None)


def test_a_public_comment_by_an_unknown_author_is_a_reply_unless_it_is_the_requester():
    events = [ticket_event(2, 5, "2026-03-02T09:20:00Z", comment(21, 999, "hello"), comment(22, 100, "hi"))]
    built = build_ticket(ticket(5, requester_id=100), events, [], lambda _: None, CONTEXT)
    assert [(e.kind, e.author) for e in built.timeline[1:]] == [
        (EventKind.PUBLIC_REPLY, "999"), (EventKind.REQUESTER_COMMENT, "100")]


def test_audit_shaped_events_are_read_too():
    audit = {"id": 9, "ticket_id": 5, "created_at": "2026-03-02T09:00:00Z", "author_id": 100, "events": [
        {"id": 91, "type": "Comment", "author_id": 100, "body": "help", "plain_body": "help", "public": True},
        {"id": 92, "type": "Create", "field_name": "status", "value": "new"},
        {"id": 93, "type": "Create", "field_name": "priority", "value": "low"},
    ]}
    change = {"id": 10, "ticket_id": 5, "created_at": "2026-03-02T10:00:00Z", "author_id": 200, "events": [
        {"id": 101, "type": "Change", "field_name": "status", "value": "hold", "previous_value": "new"}]}
    built = build_ticket(ticket(5, status="hold"), [change, audit], [], lookup, CONTEXT)
    assert built.timeline == (
        status("2026-03-02T09:00:00", Status.NEW, id="92"),
        say("2026-03-02T09:00:00", EventKind.REQUESTER_COMMENT, "91", "100", "help"),
        status("2026-03-02T10:00:00", Status.ON_HOLD, Status.NEW, id="101"),
    )


def test_status_map_overrides_the_defaults():
    context = Context(source="zd", site=SITE, status_map={"hold": Status.WAITING_CUSTOMER})
    assert build_ticket(ticket(5, status="hold"), [], [], lookup, context).status is Status.WAITING_CUSTOMER


def test_a_deleted_ticket_is_a_tombstone_with_its_last_known_status():
    events = [ticket_event(1, 6, "2026-03-02T09:00:00Z", created(12, "open")),
              ticket_event(2, 6, "2026-03-02T09:30:00Z", changed(21, "pending", "open"))]
    built = build_ticket(ticket(6, status="deleted"), events, [], lookup, CONTEXT)
    assert (built.deleted, built.status, built.status_raw) == (True, Status.WAITING_CUSTOMER, "deleted")

    bare = build_ticket(ticket(6, status="deleted", subject="SCRUBBED", description="X"), [], [], lookup, CONTEXT)
    assert (bare.deleted, bare.status, bare.timeline, bare.solved_at) == (True, Status.CLOSED, (), None)


def test_the_ticket_embedded_rating_is_used_when_no_rating_record_is_stored():
    raw = ticket(5, updated_at="2026-03-03T08:00:00Z", satisfaction_rating={"id": 1, "score": "good", "comment": "ok"})
    assert build_ticket(raw, [], [], lookup, CONTEXT).satisfaction == Satisfaction(
        score=Score.GOOD, comment="ok", at=at("2026-03-03T08:00:00"))
    unoffered = ticket(5, satisfaction_rating={"score": "unoffered"})
    assert build_ticket(unoffered, [], [], lookup, CONTEXT).satisfaction is None


@pytest.mark.parametrize("fields, message", [
    ({"status": "escalated-WITNESS"}, "unknown status 'escalated-WITNESS' (map it in the source's status_map)"),
    ({"created_at": "WITNESS-not-a-time"}, "unreadable payload (ValueError)"),
    ({"updated_at": "WITNESS-not-a-time"}, "unreadable field(s): updated_at"),
    ({"priority": "asap"}, "unknown priority 'asap'"),
    ({"custom_fields": "redacted"}, "custom_fields is not a list of {id, value}"),
])
def test_unreadable_payloads_are_bad_payloads_naming_the_ticket_not_the_payload(fields, message):
    raw = ticket(5, subject="WITNESS subject", **fields)
    with pytest.raises(BadPayload) as err:
        build_ticket(raw, [], [], lookup, CONTEXT)
    assert str(err.value) == f"[zd] ticket 5: {message}"
    assert err.value.ref == "5"
    assert "WITNESS subject" not in str(err.value)


def test_a_comment_keeps_its_own_time_but_its_place_is_its_events():
    late = {**comment(12, 200, "later words"), "created_at": "2026-03-02T09:45:00Z"}
    events = [ticket_event(1, 5, "2026-03-02T09:00:00Z", comment(11, 100, "help"), created(10, "open")),
              ticket_event(2, 5, "2026-03-02T09:30:00Z",
                           {**comment(13, 200, "on it"), "created_at": "2026-03-02T09:30:00Z"}),
              ticket_event(3, 5, "2026-03-02T09:40:00Z", late)]
    built = build_ticket(ticket(5), events, [], lookup, CONTEXT)
    assert [(e.id, e.at) for e in built.timeline] == [
        ("10", at("2026-03-02T09:00:00")), ("11", at("2026-03-02T09:00:00")), ("13", at("2026-03-02T09:30:00")),
        ("12", at("2026-03-02T09:45:00"))]


def test_a_comment_stamped_without_a_zone_is_unreadable_even_at_its_events_time():
    # The event's own time is read as UTC; a comment's time goes to the model as it came.
    naive = {**comment(11, 100, "help"), "created_at": "2026-03-02T09:00:00"}
    events = [ticket_event(1, 5, "2026-03-02T09:00:00", naive, created(10, "open"))]
    with pytest.raises(BadPayload) as err:
        build_ticket(ticket(5), events, [], lookup, CONTEXT)
    assert str(err.value) == "[zd] ticket 5: unreadable field(s): timeline.1.at"


def test_events_at_the_same_time_without_ids_keep_their_delivered_order():
    first = {**ticket_event(1, 5, "2026-03-02T09:30:00Z", comment(21, 200, "first")), "id": None}
    second = {**ticket_event(2, 5, "2026-03-02T09:30:00Z", comment(22, 200, "second")), "id": None}
    for delivered, expected in (([first, second], ["21", "22"]), ([second, first], ["22", "21"])):
        built = build_ticket(ticket(5), delivered, [], lookup, CONTEXT)
        assert [e.id for e in built.timeline if e.kind is EventKind.PUBLIC_REPLY] == expected


def test_relevant_event_keeps_only_comments_and_status_changes():
    tags = {"id": 13, "tags": ["a"], "added_tags": ["a"], "removed_tags": [], "event_type": "Change"}
    notify = {"id": 14, "event_type": "Notification", "subject": "x"}
    event = ticket_event(1, 7, "2026-03-02T09:00:00Z", comment(11, 100, "hi"), created(12), tags, notify)
    assert [c["id"] for c in relevant_event(event)["child_events"]] == [11, 12]
    assert relevant_event(ticket_event(2, 7, "2026-03-02T09:00:00Z", tags, notify)) is None


def test_is_deskplan_comment_only_for_an_internal_note_by_deskplans_own_user_with_its_marker():
    own = {"author": "201", "public": False, "own_user": "201"}
    assert is_deskplan_comment("SLA at risk\n[deskplan:sla:abc]", **own)
    assert not is_deskplan_comment("deskplan is great", **own)
    assert not is_deskplan_comment(None, **own)
    # Anyone can type the marker: a customer's or an agent's comment, public or not, is theirs.
    assert not is_deskplan_comment("[deskplan:sla:abc]", **{**own, "public": True})
    assert not is_deskplan_comment("[deskplan:sla:abc]", **{**own, "author": "200"})
    assert not is_deskplan_comment("[deskplan:sla:abc]", **{**own, "author": None, "own_user": None})


# --- recorded payloads -------------------------------------------------------------------

INCREMENTAL = "zendesk/zenpy/responses/TicketsIncrementalTest.test_get_values"
AUDITS = "zendesk/zenpy/responses/TestTicketAudits.test_values"


def recorded(contracts_dir, folder: str, stem: str) -> dict:
    [path] = (contracts_dir / folder).glob(f"*{stem}*.body.json")
    return json.loads(path.read_text())


def test_recorded_ticket_with_its_recorded_audit_builds_exactly(contracts_dir):
    tickets = {t["id"]: t for t in recorded(contracts_dir, INCREMENTAL, "001.GET")["tickets"]}
    audits = [a for a in recorded(contracts_dir, AUDITS, "000.GET")["audits"] if a["ticket_id"] == 28]
    requester = {"6130907993114": {"id": 6130907993114, "role": "admin"}}

    built = build_ticket(tickets[28], audits, [], requester.get, CONTEXT)

    # The requester is an admin who opened it through the API: still the requester's own words.
    creation = next(e for e in audits[0]["events"] if e.get("field_name") == "status")
    opening = next(e for e in audits[0]["events"] if e["type"] == "Comment")
    assert built.description == "test"
    assert built.timeline == (
        status("2023-09-18T15:57:42", Status.NEW, id=str(creation["id"])),
        say("2023-09-18T15:57:42", EventKind.REQUESTER_COMMENT, str(opening["id"]), "6130907993114", "test"),
    )
    assert (built.status, built.requester, built.organization, built.channel) == (
        Status.NEW, "6130907993114", "6130869157658", "api")


def test_recorded_ticket_deleted_and_restored_keeps_its_workflow_statuses_only(contracts_dir):
    """Ticket 1 was deleted and restored (status open -> deleted -> open), then got a public
    and a private comment from the admin; its requester is the sample customer."""
    tickets = {t["id"]: t for t in recorded(contracts_dir, INCREMENTAL, "001.GET")["tickets"]}
    audits = [a for a in recorded(contracts_dir, AUDITS, "000.GET")["audits"] if a["ticket_id"] == 1]
    roles = {"6130869168922": {"role": "end-user"}, "6130907993114": {"role": "admin"}}

    built = build_ticket(tickets[1], audits, [], roles.get, CONTEXT)

    def child(audit_at: str, kind: str) -> dict:
        return next(e for a in audits if a["created_at"] == audit_at for e in a["events"] if e["type"] == kind)

    opening, reply, note = (child("2023-09-09T23:52:05Z", "Comment"), child("2024-02-07T00:09:24Z", "Comment"),
                            child("2024-02-07T00:11:18Z", "Comment"))
    creation = next(e for e in audits[0]["events"] if e.get("field_name") == "status")
    assert (reply["public"], note["public"]) == (True, False)
    assert built.timeline == (
        status("2023-09-09T23:52:05", Status.OPEN, id=str(creation["id"])),
        say("2023-09-09T23:52:05", EventKind.REQUESTER_COMMENT, str(opening["id"]), "6130869168922",
            opening["body"]),
        say("2024-02-07T00:09:24", EventKind.PUBLIC_REPLY, str(reply["id"]), "6130907993114", reply["body"]),
        say("2024-02-07T00:11:18", EventKind.INTERNAL_NOTE, str(note["id"]), "6130907993114", note["body"]),
    )
    assert (built.status, built.deleted, built.description) == (Status.OPEN, False, opening["body"])


def test_only_an_internal_note_of_deskplans_own_user_with_the_marker_is_deskplans():
    """Anyone can type `[deskplan:...]`: the customer's complaint stays theirs (and in the text
    rules read), the agent's public reply that quotes a note is the first reply."""
    marker = "[deskplan:0123456789abcdef]"
    events = [
        ticket_event(1, 7, "2026-03-02T09:00:00Z", comment(11, 100, "The printer is broken"), created(12, "new")),
        ticket_event(2, 7, "2026-03-02T09:10:00Z", comment(21, 100, f"This is unacceptable {marker}")),
        ticket_event(3, 7, "2026-03-02T09:20:00Z", comment(31, 200, f"An agent's note {marker}", public=False)),
        ticket_event(4, 7, "2026-03-02T09:30:00Z", comment(41, 201, f"deskplan status\n{marker}", public=False)),
        ticket_event(5, 7, "2026-03-02T09:40:00Z", comment(51, 200, f"On it (our note said {marker})")),
    ]
    built = build_ticket(ticket(7), events, [], lookup, CONTEXT)
    assert [(e.id, e.kind, e.by_deskplan) for e in built.timeline if e.kind is not EventKind.STATUS] == [
        ("11", EventKind.REQUESTER_COMMENT, False),
        ("21", EventKind.REQUESTER_COMMENT, False),
        ("31", EventKind.INTERNAL_NOTE, False),
        ("41", EventKind.INTERNAL_NOTE, True),
        ("51", EventKind.PUBLIC_REPLY, False),
    ]
    assert "unacceptable" in built.text and "deskplan status" not in built.text
    # Not knowing deskplan's own user (never checked), no comment is deskplan's.
    unknown = build_ticket(ticket(7), events, [], lookup, Context(source="zd", site=SITE, status_map={}))
    assert not any(e.by_deskplan for e in unknown.timeline)
