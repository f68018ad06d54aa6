"""The stored form of an issue: only what build reads, and the same ticket as the whole issue."""

from __future__ import annotations

import json

import pytest
from jira_builders import AGENT, CUSTOMER, SITE, comment, issue, status, status_change

from deskplan.adapters.jira.fields import JsmFields
from deskplan.adapters.jira.mapping import build_ticket, issue_record
from deskplan.adapters.jira.stored import stored_issue
from deskplan.errors import BadPayload

JSM = JsmFields(request_type="customfield_10010", feedback="customfield_10045", feedback_date="customfield_10046",
                organizations="customfield_10002", team="customfield_10001",
                sla=(("customfield_10071", "Time to resolution"),))
AVATARS = {"48x48": "https://avatar.example/48", "24x24": "https://avatar.example/24"}


def person(who: dict) -> dict:
    """A user as Jira sends it, with everything build does not read."""
    return {**who, "self": f"{SITE}/rest/api/3/user?accountId={who['accountId']}", "emailAddress": "x@acme.test",
            "avatarUrls": AVATARS, "timeZone": "Asia/Shanghai"}


def built(issue_json: dict, *, feedback=None, fields=JSM):
    """The ticket of the stored form, and of the whole issue (as earlier versions stored it)."""
    stored = build_ticket(issue_record(issue_json, feedback=feedback, fields=fields),
                          source="jsm", site=SITE, status_map={})
    whole = build_ticket({"issue": issue_json, "feedback": feedback, "jsm_fields": fields.to_json()},
                         source="jsm", site=SITE, status_map={})
    return stored, whole


def rich_issue() -> dict:
    agent, customer = person(AGENT), person(CUSTOMER)
    resolved = status_change("303", "2026-03-03T15:00:00.000+0800", "Waiting for customer", "Resolved", author=agent)
    resolved["items"].append({"field": "resolution", "fieldtype": "jira", "fieldId": "resolution", "from": None,
                              "fromString": None, "to": "10000", "toString": "Done"})
    return issue(
        current=status("Resolved", "done", "5"),
        updated="2026-03-05T10:00:00.000+0800",
        resolutiondate="2026-03-03T15:00:00.000+0800",
        histories=[
            {"id": "304", "author": customer, "created": "2026-03-04T10:00:00.000+0800", "items": [
                {"field": "Satisfaction", "fieldtype": "custom", "fieldId": "customfield_10045", "from": None,
                 "fromString": None, "to": None, "toString": "2"}]},
            resolved,
            status_change("302", "2026-03-02T11:00:00.000+0800", "In Progress", "Waiting for customer", author=agent),
        ],
        comments=[comment("501", "2026-03-02T10:00:00.000+0800", "您好，已收到您的问题。", author=agent),
                  comment("502", "2026-03-02T12:00:00.000+0800", "截图已经上传\n第二行", author=customer),
                  comment("503", "2026-03-02T12:30:00.000+0800", "[deskplan:sla] on_track", author=agent,
                          public=False)],
        reporter=customer,
        assignee=agent,
        priority={"self": f"{SITE}/rest/api/3/priority/1", "iconUrl": "https://x/p.svg", "name": "Highest",
                  "id": "1"},
        labels=["vip"],
        customfield_10010={"_links": {"web": f"{SITE}/servicedesk/customer/portal/1/SD-7"},
                           "requestType": {"id": "11", "name": "Emailed request", "icon": {"id": "1"}},
                           "currentStatus": {"status": "Resolved", "statusCategory": "DONE"}},
        customfield_10045={"rating": 2},
        customfield_10046="2026-03-04T10:00:00.000+0800",
        customfield_10002=[{"id": "1", "name": "上海星辰科技", "_links": {"self": "https://x/1"}},
                           {"id": "2", "name": "Other", "_links": {"self": "https://x/2"}}],
        customfield_10001={"id": "36885b3c", "name": "华东客服", "title": "华东客服", "avatarUrl": "https://x/t"},
        components=[{"self": "https://x/c/1", "id": "10065", "name": "Billing"}, {"id": "10066", "name": "Web"}],
        customfield_10071={"id": "2", "name": "Time to resolution", "_links": {"self": "https://x/sla/2"},
                           "completedCycles": [
                               {"startTime": {"epochMillis": 1}, "breached": False, "goalDuration": {"millis": 1},
                                "elapsedTime": {"millis": 1}, "remainingTime": {"millis": 0}},
                               {"startTime": {"epochMillis": 2}, "stopTime": {"epochMillis": 3}, "breached": True,
                                "goalDuration": {"millis": 28800000, "friendly": "8h"},
                                "elapsedTime": {"millis": 30000000, "friendly": "8h 20m"},
                                "remainingTime": {"millis": -1200000, "friendly": "-20m"}}],
                           "slaDisplayFormat": "NEW_SLA_FORMAT"},
    )


def test_the_stored_issue_holds_only_what_build_reads_with_bodies_as_plain_text():
    stored = stored_issue(rich_issue(), JSM)
    agent = {"accountId": "agent-1", "accountType": "atlassian", "displayName": "Mia Krystof"}
    customer = {"accountId": "qm:cust-1", "accountType": "customer", "displayName": "王芳"}
    assert stored == {
        "id": "10100",
        "key": "SD-7",
        "changelog": {"total": 3, "histories": [
            {"id": "304", "created": "2026-03-04T10:00:00.000+0800", "author": {"accountId": "qm:cust-1"},
             "items": [{"field": "Satisfaction", "fieldtype": "custom", "fieldId": "customfield_10045",
                        "from": None, "fromString": None, "to": None, "toString": "2"}]},
            # The resolution set with the status change is not read.
            {"id": "303", "created": "2026-03-03T15:00:00.000+0800", "author": {"accountId": "agent-1"},
             "items": [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1",
                        "fromString": "Waiting for customer", "to": "2", "toString": "Resolved"}]},
            {"id": "302", "created": "2026-03-02T11:00:00.000+0800", "author": {"accountId": "agent-1"},
             "items": [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1",
                        "fromString": "In Progress", "to": "2", "toString": "Waiting for customer"}]},
        ]},
        "fields": {
            "summary": "Refund not received",
            "description": "订单 #1 的退款还没到账",
            "status": {"name": "Resolved", "statusCategory": {"key": "done"}},
            "priority": {"name": "Highest"},
            "labels": ["vip"],
            "issuetype": {"name": "Service Request"},
            "created": "2026-03-02T09:00:00.000+0800",
            "updated": "2026-03-05T10:00:00.000+0800",
            "resolutiondate": "2026-03-03T15:00:00.000+0800",
            "reporter": customer,
            "creator": customer,
            "assignee": agent,
            "components": [{"name": "Billing"}],
            "comment": {"total": 3, "comments": [
                {"id": "501", "created": "2026-03-02T10:00:00.000+0800", "jsdPublic": True, "author": agent,
                 "body": "您好，已收到您的问题。"},
                {"id": "502", "created": "2026-03-02T12:00:00.000+0800", "jsdPublic": True, "author": customer,
                 "body": "截图已经上传\n第二行"},
                {"id": "503", "created": "2026-03-02T12:30:00.000+0800", "jsdPublic": False, "author": agent,
                 "body": "[deskplan:sla] on_track"},
            ]},
            "customfield_10010": {"requestType": {"name": "Emailed request"}},
            "customfield_10045": {"rating": 2},
            "customfield_10046": "2026-03-04T10:00:00.000+0800",
            "customfield_10002": [{"name": "上海星辰科技"}],
            "customfield_10001": {"name": "华东客服", "title": "华东客服"},
            "customfield_10071": {"completedCycles": [
                {"breached": True, "goalDuration": {"millis": 28800000, "friendly": "8h"},
                 "elapsedTime": {"millis": 30000000, "friendly": "8h 20m"},
                 "remainingTime": {"millis": -1200000, "friendly": "-20m"}}]},
        },
    }
    assert len(json.dumps(stored)) < len(json.dumps(rich_issue())) / 2


def test_the_stored_issue_builds_the_ticket_the_whole_issue_builds():
    stored, whole = built(rich_issue(), feedback={"type": "csat", "rating": 2, "comment": {"body": "等了太久"}})
    assert stored == whole
    assert (stored.requester_name, stored.group, stored.organization, stored.channel) == (
        "王芳", "华东客服", "上海星辰科技", "email")
    assert stored.custom["Time to resolution"] == {"breached": True, "running": False, "goal_ms": 28800000,
                                                   "elapsed_ms": 30000000, "remaining_ms": -1200000}
    assert stored.satisfaction.comment == "等了太久"
    assert [e.body for e in stored.timeline if e.body] == [
        "订单 #1 的退款还没到账", "您好，已收到您的问题。", "截图已经上传\n第二行", "[deskplan:sla] on_track",
        "等了太久"]


def test_the_recorded_issue_builds_the_same_ticket_from_its_stored_form(contracts_dir):
    recorded = json.loads(
        (contracts_dir / "jira/recorded/platform/airbyte-source-jira__v3_issues_search_page.json").read_text())
    for issue_json in recorded["issues"]:
        stored, whole = built(issue_json, fields=JsmFields())
        assert stored == whole


def test_shapes_the_projection_does_not_expect_are_kept_for_build_to_read_as_before():
    # A creator with none of the keys build reads is still a creator: the description is
    # then nobody's request, not the reporter's.
    odd_creator = {"self": f"{SITE}/rest/api/3/user?accountId=gone"}
    payload = issue(creator=odd_creator)
    assert stored_issue(payload, JSM)["fields"]["creator"] == odd_creator
    stored, whole = built(payload)
    assert stored == whole and [e.id for e in stored.timeline] == ["created"]
    # An ongoing cycle without a verdict yet still counts as running; an empty one does not.
    for cycle in ({"startTime": {"epochMillis": 1}}, {}):
        stored, whole = built(issue(customfield_10071={"ongoingCycle": cycle, "completedCycles": []}))
        assert stored == whole
    # A body that is no ADF document is kept as it is and reported by build, as before.
    broken = issue(comments=[{**comment("501", "2026-03-02T10:00:00.000+0800", "x"), "body": {"content": 7}}])
    assert stored_issue(broken, JSM)["fields"]["comment"]["comments"][0]["body"] == {"content": 7}
    for data in (issue_record(broken, feedback=None, fields=JSM),
                 {"issue": broken, "feedback": None, "jsm_fields": JSM.to_json()}):
        with pytest.raises(BadPayload, match="SD-7: TypeError"):
            build_ticket(data, source="jsm", site=SITE, status_map={})


def test_an_issue_without_fields_is_kept_whole():
    assert stored_issue({"id": "1", "key": "SD-1"}, JSM) == {"id": "1", "key": "SD-1"}
    with pytest.raises(BadPayload, match="SD-1: missing 'fields'"):
        build_ticket(issue_record({"id": "1", "key": "SD-1"}, feedback=None, fields=JSM),
                     source="jsm", site=SITE, status_map={})
