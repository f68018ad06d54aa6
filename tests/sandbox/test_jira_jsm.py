"""servicedeskapi: customer requests, SLA cycles computed from a hand-built history, CSAT feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskplan_sandbox.jira.dates import to_ms

from .jira_support import T0, app_for, minutes, served, ticket

DAY = timedelta(days=1)
OPT_IN = {"X-ExperimentalApi": "opt-in"}


def ms(delta: timedelta) -> int:
    return to_ms(T0 + delta)


@pytest.fixture(scope="module")
def site():
    reopened = ticket(1, priority="high",
                      statuses=[(minutes(20), "waiting_customer"), (minutes(80), "open"), (minutes(260), "solved"),
                                (DAY, "open")],
                      comments=[(minutes(10), 1, "internal: checking", False),
                                (minutes(80), 2, "here are the logs", True),
                                (minutes(125), 1, "Fixed on our side", True)])
    waiting = ticket(2, priority="low", statuses=[(minutes(30), "waiting_customer")])
    rated = ticket(3, statuses=[(minutes(60), "solved")], ratings=[(minutes(120), "bad"), (minutes(180), "good")])
    app = app_for(reopened, waiting, rated, now=T0 + DAY + minutes(60))
    with served(app) as (url, session):
        yield url, session


def test_first_response_cycle_pauses_while_waiting_and_ignores_internal_and_customer_comments(site):
    url, session = site
    first, _ = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/sla").json()["values"]
    assert first["name"] == "Time to first response" and "ongoingCycle" not in first
    (cycle,) = first["completedCycles"]
    assert cycle["startTime"]["epochMillis"] == ms(minutes(0))
    assert cycle["stopTime"]["epochMillis"] == ms(minutes(125))
    assert cycle["goalDuration"]["millis"] == 3_600_000                      # High: 1 h
    # 20 min + 45 min, the hour waiting not counted
    assert cycle["elapsedTime"]["millis"] == 65 * 60_000
    assert cycle["remainingTime"] == {"millis": -5 * 60_000, "friendly": "-0h -5m"}
    assert cycle["breached"] is True and cycle["breachTime"]["epochMillis"] == ms(minutes(120))


def test_resolution_cycles_restart_on_reopen(site):
    url, session = site
    _, resolution = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/sla").json()["values"]
    (done,) = resolution["completedCycles"]
    assert (done["startTime"]["epochMillis"], done["stopTime"]["epochMillis"]) == (ms(minutes(0)), ms(minutes(260)))
    assert done["elapsedTime"]["millis"] == 200 * 60_000 and done["goalDuration"]["millis"] == 8 * 3_600_000
    assert done["breached"] is False and done["breachTime"]["epochMillis"] == ms(minutes(260 + 280))
    ongoing = resolution["ongoingCycle"]
    assert ongoing["startTime"]["epochMillis"] == ms(DAY)
    assert (ongoing["elapsedTime"]["millis"], ongoing["remainingTime"]["millis"]) == (3_600_000, 7 * 3_600_000)
    assert (ongoing["paused"], ongoing["breached"], ongoing["withinCalendarHours"]) == (False, False, True)
    assert ongoing["breachTime"]["epochMillis"] == ms(DAY + minutes(60 + 420))
    assert "stopTime" not in ongoing


def test_a_request_waiting_for_the_customer_has_paused_clocks(site):
    url, session = site
    for sla in session.get(f"{url}/rest/servicedeskapi/request/SUP-2/sla").json()["values"]:
        cycle = sla["ongoingCycle"]
        assert sla["completedCycles"] == []
        assert cycle["paused"] is True and cycle["elapsedTime"]["millis"] == 30 * 60_000
        assert "breachTime" not in cycle


def test_sla_fields_on_the_issue_hold_the_same_values(site):
    url, session = site
    catalog = session.get(f"{url}/rest/api/3/field").json()
    sla_fields = [f["id"] for f in catalog if f["schema"].get("custom") == "com.atlassian.servicedesk:sd-sla-field"]
    issue = session.get(f"{url}/rest/api/3/issue/SUP-1", params={"fields": ",".join(sla_fields)}).json()
    values = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/sla").json()["values"]
    assert [issue["fields"][f] for f in sla_fields] == values


def test_customer_request_shape(site):
    url, session = site
    request = session.get(f"{url}/rest/servicedeskapi/request/SUP-1").json()
    assert set(request) == {"_expands", "issueId", "issueKey", "summary", "requestTypeId", "serviceDeskId",
                            "createdDate", "reporter", "requestFieldValues", "currentStatus", "_links"}
    assert request["currentStatus"]["status"] == "In Progress"
    assert request["currentStatus"]["statusCategory"] == "INDETERMINATE"
    assert request["currentStatus"]["statusDate"]["epochMillis"] == ms(DAY)
    assert set(request["createdDate"]) == {"iso8601", "jira", "friendly", "epochMillis"}
    assert request["reporter"]["emailAddress"] == "carl@example.net" and request["requestTypeId"] == "11"


def test_feedback_needs_the_experimental_header(site):
    url, session = site
    refused = session.get(f"{url}/rest/servicedeskapi/request/SUP-3/feedback")
    given = session.get(f"{url}/rest/servicedeskapi/request/SUP-3/feedback", headers=OPT_IN)
    none = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/feedback", headers=OPT_IN)
    assert refused.status_code == 412 and set(refused.json()) == {"errorMessage", "i18nErrorMessage"}
    assert given.json() == {"type": "csat", "rating": 4}                  # bad, later changed to good
    assert none.status_code == 404


def test_rating_fields_and_history_on_the_issue(site):
    url, session = site
    catalog = session.get(f"{url}/rest/api/3/field").json()
    by_custom = {f["schema"].get("custom"): f["id"] for f in catalog if f["custom"]}
    rating_field = by_custom["com.atlassian.servicedesk:sd-request-feedback"]
    date_field = by_custom["com.atlassian.servicedesk:sd-request-feedback-date"]
    issue = session.get(f"{url}/rest/api/3/issue/SUP-3", params={"expand": "changelog"}).json()
    assert issue["fields"][rating_field] == {"rating": 4}
    assert issue["fields"][date_field] == "2026-03-02T04:00:00.000-0800"
    ratings = [i for h in reversed(issue["changelog"]["histories"]) for i in h["items"] if i["fieldId"] == rating_field]
    assert [(i["fromString"], i["toString"]) for i in ratings] == [(None, "1"), ("1", "4")]


def test_posted_feedback_replaces_the_rating():
    with served(app_for(ticket(1))) as (url, session):
        posted = session.post(f"{url}/rest/servicedeskapi/request/SUP-1/feedback", headers=OPT_IN,
                              json={"type": "csat", "rating": 2, "comment": {"body": "slow"}})
        read = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/feedback", headers=OPT_IN).json()
    assert posted.status_code == 201
    assert read == {"type": "csat", "rating": 2, "comment": {"body": "slow"}}


def test_jsm_pages(site):
    url, session = site
    first = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/comment", params={"limit": 2}).json()
    last = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/comment", params={"start": 2, "limit": 2}).json()
    assert (first["size"], first["start"], first["limit"], first["isLastPage"]) == (2, 0, 2, False)
    assert first["_links"]["next"] == f"{url}/rest/servicedeskapi/request/10001/comment?start=2&limit=2"
    assert [c["public"] for c in first["values"]] == [False, True]
    assert (last["size"], last["isLastPage"]) == (1, True) and "next" not in last["_links"]
    assert last["values"][0]["body"] == "Fixed on our side"


def test_status_history_is_most_recent_first(site):
    url, session = site
    values = session.get(f"{url}/rest/servicedeskapi/request/SUP-1/status").json()["values"]
    assert [v["status"] for v in values] == ["In Progress", "Resolved", "In Progress", "Waiting for customer", "Open"]
