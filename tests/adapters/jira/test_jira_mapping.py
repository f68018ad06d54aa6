"""Jira issue JSON -> canonical Ticket (pure; no HTTP)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from jira_builders import AGENT, CUSTOMER, SITE, comment, issue, status, status_change

from deskplan.adapters.jira.fields import JsmFields
from deskplan.adapters.jira.mapping import (
    build_ticket,
    comment_kind,
    issue_record,
    map_priority,
    status_resolver,
)
from deskplan.errors import BadPayload
from deskplan.model import EventKind, Priority, Satisfaction, Score, Status, Ticket, TimelineEvent

JSM = JsmFields(
    request_type="customfield_10010", feedback="customfield_10045", feedback_date="customfield_10046",
    organizations="customfield_10002", team="customfield_10001",
    sla=(("customfield_10071", "Time to resolution"),),
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


# deskplan's own account (the API user): its internal comments with a marker are deskplan's
BOT = {"accountId": "deskplan-bot", "displayName": "deskplan", "accountType": "atlassian", "active": True}


def build(payload, *, feedback=None, fields=JSM, status_map=None):
    return build_ticket(issue_record(payload, feedback=feedback, fields=fields),
                        source="jsm", site=SITE, status_map=status_map or {}, own_user=BOT["accountId"])


def test_recorded_v3_issue_maps_to_the_canonical_ticket(contracts_dir):
    recorded = json.loads(
        (contracts_dir / "jira/recorded/platform/airbyte-source-jira__v3_issues_search_page.json").read_text())
    ticket = build_ticket(issue_record(recorded["issues"][0], feedback=None, fields=JsmFields()),
                          source="jsm", site="https://airbyteio.atlassian.net", status_map={})
    created = utc("2022-06-09T16:29:31.871-07:00")
    assert ticket == Ticket(
        source="jsm",
        id="10627",
        key="TESTKEY13-1",
        url="https://airbyteio.atlassian.net/browse/TESTKEY13-1",
        subject="My Summary",
        description="Test issue",
        status=Status.NEW,
        status_raw="To Do",
        priority=Priority.LOW,
        type="epic",
        channel=None,
        tags=("test",),
        group="Component 0",
        organization=None,
        requester="5fc9e78d2730d800760becc4",
        assignee="5fc9e78d2730d800760becc4",
        requester_name="integration test",
        assignee_name="integration test",
        created_at=created,
        updated_at=utc("2022-12-08T02:22:18.889-08:00"),
        solved_at=None,
        satisfaction=None,
        custom={},
        timeline=(
            TimelineEvent(at=created, kind=EventKind.STATUS, id="created", status=Status.NEW),
            # The reporter wrote the description: the requester's opening message.
            TimelineEvent(at=created, kind=EventKind.REQUESTER_COMMENT, id="description",
                          author="5fc9e78d2730d800760becc4", body="Test issue"),
        ),
    )
    assert ticket.created_at.isoformat() == "2022-06-09T23:29:31.871000+00:00"


def test_a_jsm_request_with_history_comments_feedback_and_fields():
    payload = issue(
        current=status("Closed", "done", "6"),
        updated="2026-03-06T10:00:00.000+0800",
        resolutiondate="2026-03-03T15:00:00.000+0800",
        histories=[  # newest first, as expand=changelog returns them
            status_change("304", "2026-03-06T09:00:00.000+0800", "Resolved", "Closed"),
            status_change("303", "2026-03-03T15:00:00.000+0800", "Waiting for customer", "Resolved"),
            status_change("302", "2026-03-02T11:00:00.000+0800", "In Progress", "Waiting for customer"),
            # Two JSM statuses that are both "open": no canonical change.
            status_change("301", "2026-03-02T10:00:00.000+0800", "Waiting for support", "In Progress"),
        ],
        comments=[
            comment("501", "2026-03-02T10:00:00.000+0800", "您好，已收到您的问题，我们正在核实。"),
            comment("502", "2026-03-02T10:30:00.000+0800", "Internal: key account", public=False),
            comment("503", "2026-03-02T12:00:00.000+0800", "截图已经上传", author=CUSTOMER),
            comment("504", "2026-03-03T15:00:00.000+0800", "[deskplan:sla] resolution on_track", author=BOT,
                    public=False),
        ],
        priority={"name": "Highest", "id": "1"},
        labels=["vip", "refund"],
        assignee=AGENT,
        customfield_10010={"_links": {}, "requestType": {"id": "11", "name": "Emailed request"},
                           "currentStatus": {"status": "Closed", "statusCategory": "DONE"}},
        customfield_10045={"rating": 2, "comment": {"body": "等了太久"}},
        customfield_10046="2026-03-04T08:00:00.000+0800",
        customfield_10002=[{"id": "1", "name": "上海星辰科技"}],
        customfield_10001={"id": "36885b3c", "name": "华东客服", "title": "华东客服"},
        components=[{"id": "10065", "name": "Billing"}],
        customfield_10071={"id": "2", "name": "Time to resolution", "completedCycles": [
            {"breached": True, "goalDuration": {"millis": 28800000}, "elapsedTime": {"millis": 30000000},
             "remainingTime": {"millis": -1200000}}], "slaDisplayFormat": "NEW_SLA_FORMAT"},
    )
    ticket = build(payload)
    t = utc
    assert ticket.status is Status.CLOSED and ticket.status_raw == "Closed"
    assert (ticket.priority, ticket.type, ticket.channel) == (Priority.URGENT, "service request", "email")
    assert (ticket.group, ticket.organization, ticket.tags) == ("华东客服", "上海星辰科技", ("vip", "refund"))
    assert (ticket.requester, ticket.assignee) == ("qm:cust-1", "agent-1")
    assert (ticket.requester_name, ticket.assignee_name) == ("王芳", "Mia Krystof")
    assert ticket.solved_at == t("2026-03-03T15:00:00+08:00")
    assert ticket.satisfaction == Satisfaction(score=Score.BAD, comment="等了太久", at=t("2026-03-04T08:00:00+08:00"))
    assert ticket.custom == {"request_type": "Emailed request", "Time to resolution": {
        "breached": True, "running": False, "goal_ms": 28800000, "elapsed_ms": 30000000, "remaining_ms": -1200000}}
    assert [(e.at, e.kind, e.status, e.from_status, e.body, e.by_deskplan, e.score) for e in ticket.timeline] == [
        (t("2026-03-02T09:00:00+08:00"), EventKind.STATUS, Status.OPEN, None, None, False, None),
        (t("2026-03-02T09:00:00+08:00"), EventKind.REQUESTER_COMMENT, None, None, "订单 #1 的退款还没到账", False,
         None),
        (t("2026-03-02T10:00:00+08:00"), EventKind.PUBLIC_REPLY, None, None, "您好，已收到您的问题，我们正在核实。",
         False, None),
        (t("2026-03-02T10:30:00+08:00"), EventKind.INTERNAL_NOTE, None, None, "Internal: key account", False, None),
        (t("2026-03-02T11:00:00+08:00"), EventKind.STATUS, Status.WAITING_CUSTOMER, Status.OPEN, None, False, None),
        (t("2026-03-02T12:00:00+08:00"), EventKind.REQUESTER_COMMENT, None, None, "截图已经上传", False, None),
        (t("2026-03-03T15:00:00+08:00"), EventKind.STATUS, Status.SOLVED, Status.WAITING_CUSTOMER, None, False, None),
        (t("2026-03-03T15:00:00+08:00"), EventKind.INTERNAL_NOTE, None, None, "[deskplan:sla] resolution on_track",
         True, None),
        (t("2026-03-04T08:00:00+08:00"), EventKind.RATING, None, None, "等了太久", False, Score.BAD),
        (t("2026-03-06T09:00:00+08:00"), EventKind.STATUS, Status.CLOSED, Status.SOLVED, None, False, None),
    ]
    # Deskplan's own comment is not customer-facing text.
    assert "[deskplan:" not in ticket.text and "截图已经上传" in ticket.text


def test_status_map_from_config_wins_then_fixed_names_then_categories():
    resolve = status_resolver({"Fixed": Status.SOLVED, "waiting for partner": Status.ON_HOLD},
                              current=("Triage", "new"))
    assert [resolve(n) for n in (
        "Fixed", "Waiting for Partner", "Waiting for customer", "Pending", "Closed", "Canceled",
        "Triage", "Waiting for support", "In Progress", "Resolved", "Done", "Somewhere custom", None,
    )] == [
        Status.SOLVED, Status.ON_HOLD, Status.WAITING_CUSTOMER, Status.ON_HOLD, Status.CLOSED, Status.CLOSED,
        Status.NEW, Status.OPEN, Status.OPEN, Status.SOLVED, Status.SOLVED, Status.OPEN, Status.OPEN,
    ]
    # The current status's own category decides for a name Jira does not ship.
    assert status_resolver({}, current=("Fixed", "done"))("Fixed") is Status.SOLVED


@pytest.mark.parametrize("name, expected", [
    ("Highest", Priority.URGENT), ("Blocker", Priority.URGENT), ("Critical", Priority.URGENT),
    ("High", Priority.HIGH), ("Major", Priority.HIGH), ("Medium", Priority.NORMAL), ("normal", Priority.NORMAL),
    ("Low", Priority.LOW), ("Lowest", Priority.LOW), ("Minor", Priority.LOW), ("Trivial", Priority.LOW),
    ("P1 - whenever", None), (None, None),
])
def test_priority_names(name, expected):
    assert map_priority(name) is expected


def test_comment_kinds():
    assert comment_kind({"author": AGENT, "jsdPublic": True}, "qm:cust-1") is EventKind.PUBLIC_REPLY
    assert comment_kind({"author": AGENT}, "qm:cust-1") is EventKind.PUBLIC_REPLY       # not a JSM project
    assert comment_kind({"author": AGENT, "jsdPublic": False}, "qm:cust-1") is EventKind.INTERNAL_NOTE
    assert comment_kind({"author": CUSTOMER, "jsdPublic": True}, None) is EventKind.REQUESTER_COMMENT
    # A licensed user who raised the request writes as its requester.
    assert comment_kind({"author": AGENT, "jsdPublic": True}, "agent-1") is EventKind.REQUESTER_COMMENT
    assert comment_kind({"author": AGENT, "jsdPublic": False}, "agent-1") is EventKind.INTERNAL_NOTE


def test_creation_status_comes_from_the_first_change_or_the_current_status():
    moved = build(issue(current=status("Resolved", "done"), histories=[
        status_change("2", "2026-03-02T10:00:00.000+0800", "Waiting for support", "Resolved")]))
    assert [(e.id, e.status, e.from_status) for e in moved.timeline if e.kind is EventKind.STATUS] == [
        ("created", Status.OPEN, None), ("2", Status.SOLVED, Status.OPEN)]
    untouched = build(issue(current=status("Waiting for customer", "indeterminate")))
    assert [(e.id, e.status) for e in untouched.timeline if e.kind is EventKind.STATUS] == [
        ("created", Status.WAITING_CUSTOMER)]
    # Sites that log the creation itself (as webhooks show: `"field": "Status"`, from null).
    logged = build(issue(current=status("To Do", "new"), histories=[{
        "id": "10222", "created": "2026-03-02T09:00:00.000+0800", "items": [
            {"field": "Status", "fieldtype": "jira", "fieldId": "status", "from": None, "fromString": None,
             "to": "10001", "toString": "To Do"}]}]))
    assert [(e.id, e.status, e.from_status) for e in logged.timeline if e.kind is EventKind.STATUS] == [
        ("10222", Status.NEW, None)]


def test_solved_at_is_the_latest_entry_into_solved_after_a_reopen():
    ticket = build(issue(current=status("Resolved", "done"), histories=[
        status_change("1", "2026-03-02T10:00:00.000+0800", "Waiting for support", "Resolved"),
        status_change("2", "2026-03-03T10:00:00.000+0800", "Resolved", "In Progress"),
        status_change("3", "2026-03-04T10:00:00.000+0800", "In Progress", "Resolved"),
        status_change("4", "2026-03-05T10:00:00.000+0800", "Resolved", "Closed"),
    ], resolutiondate="2026-03-04T10:00:00.000+0800"))
    assert ticket.status is Status.SOLVED        # the current status decides, not the last change
    assert ticket.solved_at == utc("2026-03-04T10:00:00+08:00")


def test_feedback_from_the_feedback_endpoint_when_the_site_has_no_field():
    payload = issue(current=status("Resolved", "done"), updated="2026-03-05T10:00:00.000+0800",
                    resolutiondate="2026-03-04T10:00:00.000+0800")
    ticket = build(payload, feedback={"type": "csat", "rating": 4, "comment": {"body": "Great work!"}},
                   fields=JsmFields())
    assert ticket.satisfaction == Satisfaction(score=Score.GOOD, comment="Great work!",
                                               at=utc("2026-03-04T10:00:00+08:00"))
    assert build(payload, feedback=None, fields=JsmFields()).satisfaction is None


def test_a_changed_rating_counts_once_with_its_latest_score_at_its_latest_change():
    payload = issue(
        current=status("Resolved", "done"),
        customfield_10045={"rating": 5},
        histories=[
            {"id": "71", "created": "2026-03-05T10:00:00.000+0800",
             "items": [{"field": "Satisfaction", "fieldtype": "custom", "fieldId": "customfield_10045",
                        "from": "1", "fromString": "1", "to": "5", "toString": "5"}]},
            {"id": "70", "created": "2026-03-04T10:00:00.000+0800",
             "items": [{"field": "Satisfaction", "fieldtype": "custom", "fieldId": "customfield_10045",
                        "from": None, "fromString": None, "to": "1", "toString": "1"}]},
        ],
    )
    ticket = build(payload, fields=JsmFields(feedback="customfield_10045"))
    # As a Zendesk rating: one event, not one per change (the csat KPI counts a rating once).
    assert [(e.at, e.score) for e in ticket.timeline if e.kind is EventKind.RATING] == [
        (utc("2026-03-05T10:00:00+08:00"), Score.GOOD)]
    assert ticket.satisfaction == Satisfaction(score=Score.GOOD, at=utc("2026-03-05T10:00:00+08:00"))


def test_group_from_a_team_select_option_else_the_first_component():
    fields = JsmFields(team="customfield_10480")
    option = {"self": f"{SITE}/rest/api/3/customFieldOption/10104", "value": "华东客服", "id": "10104"}
    assert build(issue(customfield_10480=option), fields=fields).group == "华东客服"
    assert build(issue(customfield_10480=None, components=[{"id": "1", "name": "Billing"}, {"id": "2", "name": "X"}]),
                 fields=fields).group == "Billing"
    assert build(issue(customfield_10480=None), fields=fields).group is None


@pytest.mark.parametrize("rating, score", [(1, Score.BAD), (3, Score.BAD), (4, Score.GOOD), (5, Score.GOOD)])
def test_csat_good_from_four(rating, score):
    ticket = build(issue(customfield_10045={"rating": rating}))
    assert ticket.satisfaction.score is score


def test_unreadable_payloads_raise_bad_payload_with_the_key():
    broken = issue()
    del broken["fields"]["created"]
    with pytest.raises(BadPayload, match=r"\[jsm\] ticket SD-7: missing 'created'"):
        build(broken)
    with pytest.raises(BadPayload, match="SD-7: ValueError"):
        build(issue(updated="yesterday"))
    with pytest.raises(BadPayload, match="SD-7: ValueError: time without an offset"):
        build(issue(updated="2026-03-02T09:00:00.000"))


def test_only_an_internal_comment_of_deskplans_own_account_with_the_marker_is_deskplans():
    """Anyone can type `[deskplan:...]`: the customer's complaint stays theirs, the agent's public
    reply that quotes a note is a reply, deskplan's own public comment (were it ever made) too."""
    marker = "[deskplan:0123456789abcdef]"
    ticket = build(issue(comments=[
        comment("601", "2026-03-02T09:10:00.000+0800", f"This is unacceptable {marker}", author=CUSTOMER),
        comment("602", "2026-03-02T09:20:00.000+0800", f"An agent's note {marker}", public=False),
        comment("603", "2026-03-02T09:30:00.000+0800", f"deskplan status\n{marker}", author=BOT, public=False),
        comment("604", "2026-03-02T09:40:00.000+0800", f"On it (our note said {marker})"),
        comment("605", "2026-03-02T09:50:00.000+0800", f"deskplan, in public {marker}", author=BOT),
    ]))
    assert [(e.id, e.kind, e.by_deskplan) for e in ticket.timeline if e.id and e.id.startswith("60")] == [
        ("601", EventKind.REQUESTER_COMMENT, False),
        ("602", EventKind.INTERNAL_NOTE, False),
        ("603", EventKind.INTERNAL_NOTE, True),
        ("604", EventKind.PUBLIC_REPLY, False),
        ("605", EventKind.PUBLIC_REPLY, False),
    ]
    assert "unacceptable" in ticket.text and "deskplan status" not in ticket.text


def test_an_unreadable_issue_nested_past_the_recursion_limit_is_quarantined_not_raised():
    from deskplan.adapters.jira.adapter import _quarantine

    deep: list = []
    inner = deep
    for _ in range(5000):              # as transport/deepjson.py reads a 5,000-level body
        inner.append([])
        inner = inner[0]
    bad = _quarantine({"key": None, "fields": {"description": deep}}, "no key")
    assert bad.ref == "?" and bad.payload.startswith("(not shown")


@pytest.mark.parametrize("key", [None, 7, "SUP-", "SUP-1e9", "sup-7", "../../etc", "\u202eSUP-9", "SUP-0"])
def test_an_issue_whose_key_jira_could_not_resolve_is_a_bad_payload(key):
    hostile = issue()
    hostile["key"] = key
    with pytest.raises(BadPayload, match="not a Jira issue key"):
        build(hostile)
    assert build(issue()).key == "SD-7"
