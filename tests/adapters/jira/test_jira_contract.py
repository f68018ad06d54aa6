"""The Jira adapter against recorded Jira payloads, with `responses` on the HTTP side.

Given/when/then: the server answers with bodies from ../shared/contracts/jira (loaded,
never copied into the project); the adapter must send the documented requests and turn
the answers into records, typed errors and canonical tickets.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import responses
from jira_builders import CUSTOMER, comment, issue, status, status_change
from responses import matchers

from deskplan.adapters.jira import create_adapter
from deskplan.adapters.jira.client import JiraClient
from deskplan.config import SourceConfig
from deskplan.errors import AuthError, RequestRejected, ServerError
from deskplan.model import Status
from deskplan.state.records import Related
from deskplan.transport.http import HttpClient

SITE = "https://acme.atlassian.net"
SEARCH = f"{SITE}/rest/api/3/search/jql"
TOKEN = "WITNESS-JIRA-TOKEN"
NO_RELATED = Related(events=[], ratings=[], user=lambda uid: None)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def jira(contracts_dir: Path) -> Path:
    return contracts_dir / "jira"


def load(root: Path, relative: str):
    return json.loads((root / relative).read_text(encoding="utf-8"))


HOST_NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)      # the host's clock, for the reconciliations
HOST_NOW_MS = int(HOST_NOW.timestamp() * 1000)


def make_adapter(sleeps=None, projects=("SD",), status_map=None, rating_comments="bad"):
    config = SourceConfig(name="jsm", kind="jira", url=SITE, email="bot@acme.test", token_env="JIRA_TOKEN",
                          projects=projects, status_map=status_map or {})
    return create_adapter(config, TOKEN, sleep=sleeps if sleeps is not None else Sleeps(), clock=lambda: 0.0,
                          rating_comments=rating_comments, now=lambda: HOST_NOW)


def http_client() -> JiraClient:
    return JiraClient(HttpClient(SITE, auth=("bot@acme.test", TOKEN), source="jsm", sleep=Sleeps(), clock=lambda: 0.0))


def given_site(jira: Path, catalog=None):
    responses.get(f"{SITE}/rest/api/3/myself", json=load(jira, "spec-examples/platform/getCurrentUser__200.json"))
    responses.get(f"{SITE}/rest/api/3/field",
                  json=catalog if catalog is not None else load(jira, "spec-examples/platform/getFields__200.json"))


def search_bodies() -> list[dict]:
    return [json.loads(c.request.body) for c in responses.calls if c.request.url == SEARCH]


# --- search paging ----------------------------------------------------------------------

@responses.activate
def test_given_two_search_pages_when_searching_then_follows_the_token_until_the_last_page_without_one(jira):
    page1 = load(jira, "fixtures/mattermost-plugin-jira__rhs-search-jql-page1.json")
    last = load(jira, "fixtures/mattermost-plugin-jira__rhs-search-jql-last.json")
    responses.post(SEARCH, json=page1)
    responses.post(SEARCH, json=last, match=[matchers.json_params_matcher(
        {"jql": "project = TES", "fields": ["summary", "status"], "expand": "changelog", "maxResults": 100,
         "nextPageToken": "opaque-token-page-2"})])
    pages = list(http_client().search("project = TES", fields=["summary", "status"], expand="changelog"))
    assert [([i["key"] for i in p.issues], p.last) for p in pages] == [(["TES-41"], False), (["TES-42"], True)]
    assert "nextPageToken" not in search_bodies()[0]


@responses.activate
def test_given_a_spec_example_page_with_islast_when_searching_then_one_request(jira):
    responses.post(SEARCH, json=load(jira, "spec-examples/platform/searchAndReconsileIssuesUsingJqlPost__200.json"))
    pages = list(http_client().search("project = EX", fields=["summary"], expand="changelog"))
    assert [([i["key"] for i in p.issues], p.last) for p in pages] == [(["ED-1"], True)]
    assert len(responses.calls) == 1


@responses.activate
def test_given_the_same_token_twice_when_searching_then_server_error_not_a_loop():
    responses.post(SEARCH, json={"issues": [], "isLast": False, "nextPageToken": "t1"})
    responses.post(SEARCH, json={"issues": [], "isLast": False, "nextPageToken": "t1"})
    with pytest.raises(ServerError, match="same nextPageToken twice"):
        list(http_client().search("project = SD", fields=["id"], expand="changelog"))


@responses.activate
def test_given_the_removed_search_api_answer_410_then_a_typed_rejection_without_the_body(jira):
    removed = {"errorMessages": ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
                                 "API. A full migration guideline is available at "
                                 "https://developer.atlassian.com/changelog/#CHANGE-2046"], "errors": {}}
    responses.post(SEARCH, status=410, json=removed)
    with pytest.raises(RequestRejected) as caught:
        list(http_client().search("project = SD", fields=["id"], expand="changelog"))
    assert caught.value.status == 410
    assert str(caught.value).startswith("[jsm] POST /rest/api/3/search/jql -> 410: request rejected "
                                        "(The requested API has been removed.")
    assert "CHANGE-2046" not in str(caught.value) and len(responses.calls) == 1     # cut short; not retried


@responses.activate
def test_given_a_400_error_collection_then_a_typed_rejection_naming_the_fields(jira):
    recorded = load(jira, "recorded/platform/atlassian-python-api__v2_create_issue_400_error.json")
    body = {k: v for k, v in recorded.items() if k != "status_code"}      # the harness's key, not Jira's
    responses.post(SEARCH, status=400, json=body)
    with pytest.raises(RequestRejected, match=r"-> 400: request rejected \(invalid fields: labels\)") as caught:
        list(http_client().search("project = SD", fields=["id"], expand="changelog"))
    assert caught.value.status == 400


# --- changelog and comment pages ----------------------------------------------------------

@responses.activate
def test_given_changelog_pages_then_every_history_oldest_first_until_total(jira):
    url = f"{SITE}/rest/api/3/issue/TT-1/changelog"
    middle = load(jira, "spec-examples/platform/getChangeLogs__200.json")     # startAt 2 of 5, isLast false
    responses.get(url, json=middle, match=[matchers.query_param_matcher({"startAt": "2", "maxResults": "100"})])
    responses.get(url, json={"startAt": 4, "maxResults": 100, "total": 5, "isLast": True,
                             "values": [{"id": "10005", "created": "1970-01-18T06:27:52.429+0000", "items": []}]},
                  match=[matchers.query_param_matcher({"startAt": "4", "maxResults": "100"})])
    histories = list(http_client().changelog("TT-1", start=2))
    assert [h["id"] for h in histories] == ["10001", "10002", "10005"]


@responses.activate
def test_given_recorded_adf_comments_then_read_up_to_the_known_total(jira):
    url = f"{SITE}/rest/api/3/issue/SD-7/comment"
    responses.get(url, json=load(jira, "recorded/platform/airbyte-source-jira__v3_issue_comments.json"),
                  match=[matchers.query_param_matcher({"orderBy": "created", "startAt": "1", "maxResults": "2"})])
    comments = list(http_client().comments("SD-7", start=1, stop=3))
    assert [c["id"] for c in comments] == ["10755", "10521"]
    assert len(responses.calls) == 1


@responses.activate
def test_given_truncated_changelog_and_comments_when_pulling_then_only_the_missing_ones_are_fetched(jira):
    given_site(jira)
    newest = [status_change(str(300 + n), f"2026-03-0{2 + n // 10}T1{n % 10}:00:00.000+0800", "In Progress",
                            "Waiting for customer" if n % 2 else "In Progress") for n in range(20, 0, -1)]
    truncated = issue(key="SD-7", histories=newest, changelog_total=23,
                      comments=[comment("501", "2026-03-02T10:00:00.000+0800", "第一条")], comment_total=3,
                      updated="2026-03-04T10:00:00.000+0800")
    responses.post(SEARCH, json={"issues": [truncated], "isLast": True})
    older = [status_change(str(280 + n), f"2026-03-02T0{n}:10:00.000+0800", "Waiting for support", "In Progress")
             for n in range(3)]
    responses.get(f"{SITE}/rest/api/3/issue/SD-7/changelog",
                  json={"startAt": 0, "maxResults": 3, "total": 23, "isLast": False, "values": older},
                  match=[matchers.query_param_matcher({"startAt": "0", "maxResults": "3"})])
    responses.get(f"{SITE}/rest/api/3/issue/SD-7/comment",
                  json={"startAt": 1, "maxResults": 2, "total": 3, "comments": [
                      comment("502", "2026-03-02T11:00:00.000+0800", "第二条", author=CUSTOMER),
                      comment("503", "2026-03-02T12:00:00.000+0800", "third", public=False)]},
                  match=[matchers.query_param_matcher({"orderBy": "created", "startAt": "1", "maxResults": "2"})])
    adapter = make_adapter()
    [page] = list(adapter.pull("issues", None))
    stored = page.records[0].data["issue"]
    assert [h["id"] for h in stored["changelog"]["histories"]] == ["280", "281", "282"] + [
        str(300 + n) for n in range(20, 0, -1)]
    assert [c["id"] for c in stored["fields"]["comment"]["comments"]] == ["501", "502", "503"]
    assert adapter.requests == 5        # myself, fields, one search page, one changelog page, one comment page


# --- the whole pull ----------------------------------------------------------------------

@responses.activate
def test_given_a_full_pull_then_jql_fields_pages_cursor_and_the_recorded_issue_built(jira):
    given_site(jira, catalog=[
        {"id": "customfield_10010", "name": "Request Type", "custom": True,
         "schema": {"type": "sd-customerrequesttype", "custom": "com.atlassian.servicedesk:vp-origin",
                    "customId": 10010}},
        {"id": "customfield_10071", "name": "Time to resolution", "custom": True,
         "schema": {"custom": "com.atlassian.servicedesk:sd-sla-field", "customId": 10071,
                    "type": "sd-servicelevelagreement"}},
    ])
    recorded = load(jira, "recorded/platform/airbyte-source-jira__v3_issues_search_page.json")["issues"][0]
    page1 = load(jira, "fixtures/mattermost-plugin-jira__rhs-search-jql-page1.json")
    last = load(jira, "fixtures/mattermost-plugin-jira__rhs-search-jql-last.json")
    responses.post(SEARCH, json={**page1, "issues": [recorded]})
    responses.post(SEARCH, json={**last, "issues": []})
    adapter = make_adapter()
    pages = list(adapter.pull("issues", None))

    assert [(p.stream, [r.id for r in p.records], p.done) for p in pages] == [("issues", ["10627"], False),
                                                                              ("issues", [], True)]
    # A full pull is a reconciliation: it has read everything up to its watermark, and keeps what it
    # read in the half hour before it (the tail the next reconciliation tells late changes by).
    assert pages[0].cursor == pages[1].cursor == {"updated_ms": 1670494938889, "seen": {"10627": 1670494938889},
                                                  "reconciled_ms": 1670494938889, "reconciled_at": HOST_NOW_MS,
                                                  "tail": {"from": 1670494938889 - 30 * 60_000,
                                                           "read": {"10627": 1670494938889}}}
    first, second = search_bodies()
    assert first == {
        "jql": 'project in ("SD") ORDER BY updated ASC, key ASC',
        "fields": ["summary", "description", "status", "priority", "labels", "issuetype", "created",
                   "updated", "resolutiondate", "reporter", "creator", "assignee", "components", "comment",
                   "customfield_10010", "customfield_10071"],
        "expand": "changelog",
        "maxResults": 100,
    }
    assert second == {**first, "nextPageToken": "opaque-token-page-2"}
    assert adapter.requests == 4 and adapter.feedback_requests == 0

    ticket = adapter.build(pages[0].records[0], NO_RELATED)
    assert (ticket.source, ticket.id, ticket.key, ticket.url) == (
        "jsm", "10627", "TESTKEY13-1", f"{SITE}/browse/TESTKEY13-1")
    assert (ticket.subject, ticket.status, ticket.status_raw, ticket.group) == (
        "My Summary", Status.NEW, "To Do", "Component 0")
    assert ticket.created_at.isoformat() == "2022-06-09T23:29:31.871000+00:00"


@responses.activate
def test_given_a_cursor_when_pulling_then_jql_starts_before_it_in_the_users_zone_and_seen_versions_are_dropped(jira):
    given_site(jira)        # the API user's zone: Australia/Sydney
    same_ms = "2026-03-02T12:05:30.123+1100"
    responses.post(SEARCH, json={"isLast": True, "issues": [
        issue(key="SD-1", issue_id="1", updated=same_ms),                        # processed last run
        issue(key="SD-2", issue_id="2", updated=same_ms),                        # same ms, indexed late
        issue(key="SD-3", issue_id="3", updated="2026-03-02T12:05:59.000+1100"),  # same minute, later
    ]})
    cursor = {"updated_ms": 1772413530123, "seen": {"1": 1772413530123}}
    adapter = make_adapter()
    [page] = list(adapter.pull("issues", cursor))
    assert search_bodies()[0]["jql"] == ('project in ("SD") AND updated >= "2026/03/02 12:00" '
                                         'ORDER BY updated ASC, key ASC')
    assert [r.id for r in page.records] == ["2", "3"]
    # (a cursor from before reconciliations counts as reconciled where it stands)
    assert page.cursor == {"updated_ms": 1772413559000, "seen": {"1": 1772413530123, "2": 1772413530123,
                                                                 "3": 1772413559000}, "reconciled_ms": 1772413530123,
                           "reconciled_at": 0}


@responses.activate
def test_given_no_feedback_field_then_feedback_is_asked_only_for_resolved_issues_with_the_experimental_header(jira):
    given_site(jira)
    responses.post(SEARCH, json={"isLast": True, "issues": [
        issue(key="SD-1", issue_id="1", current=status("Resolved", "done"), updated="2026-03-02T10:00:00.000+0800"),
        issue(key="SD-2", issue_id="2", updated="2026-03-02T11:00:00.000+0800"),
        issue(key="SD-3", issue_id="3", current=status("Closed", "done"), updated="2026-03-02T12:00:00.000+0800"),
    ]})
    opt_in = [matchers.header_matcher({"X-ExperimentalApi": "opt-in"})]
    responses.get(f"{SITE}/rest/servicedeskapi/request/SD-1/feedback", match=opt_in,
                  json={"type": "csat", "rating": 5, "comment": {"body": "很满意"}})
    responses.get(f"{SITE}/rest/servicedeskapi/request/SD-3/feedback", match=opt_in, status=404,
                  json={"errorMessage": "No feedback", "i18nErrorMessage": {"i18nKey": "sd.feedback.none",
                                                                            "parameters": []}})
    adapter = make_adapter()
    [page] = list(adapter.pull("issues", None))
    assert [r.data["feedback"] for r in page.records] == [
        {"type": "csat", "rating": 5, "comment": {"body": "很满意"}}, None, None]
    assert adapter.feedback_requests == 2 and adapter.requests == 5
    assert adapter.build(page.records[0], NO_RELATED).satisfaction.comment == "很满意"


@pytest.mark.parametrize("rating_comments, asked", [("none", []), ("bad", ["SD-1"]), ("all", ["SD-1", "SD-4"])])
@responses.activate
def test_given_a_satisfaction_field_then_the_rating_comes_from_it_and_comments_as_configured(
        jira, rating_comments, asked):
    given_site(jira, catalog=[
        {"id": "customfield_10470", "name": "Satisfaction", "custom": True,
         "schema": {"type": "sd-feedback", "custom": "com.atlassian.servicedesk:sd-request-feedback",
                    "customId": 10470}},
    ])
    done = status("Resolved", "done")
    responses.post(SEARCH, json={"isLast": True, "issues": [
        issue(key="SD-1", issue_id="1", current=done, customfield_10470={"rating": 2}),
        issue(key="SD-2", issue_id="2", current=done, customfield_10470=None),
        issue(key="SD-3", issue_id="3", current=done, customfield_10470={"rating": 5, "comment": {"body": "快"}}),
        issue(key="SD-4", issue_id="4", current=done, customfield_10470={"rating": 4}),
    ]})
    answers = {"SD-1": {"type": "csat", "rating": 2, "comment": {"body": "问题根本没有解决。"}},
               "SD-4": {"type": "csat", "rating": 4, "comment": {"body": "还行"}}}
    for key in asked:
        responses.get(f"{SITE}/rest/servicedeskapi/request/{key}/feedback",
                      match=[matchers.header_matcher({"X-ExperimentalApi": "opt-in"})], json=answers[key])
    adapter = make_adapter(rating_comments=rating_comments)
    [page] = list(adapter.pull("issues", None))
    assert adapter.feedback_requests == len(asked) and adapter.requests == 3 + len(asked)
    built = [adapter.build(r, NO_RELATED).satisfaction for r in page.records]
    assert [(s.score.value, s.comment) if s else None for s in built] == [
        ("bad", "问题根本没有解决。" if "SD-1" in asked else None), None, ("good", "快"),
        ("good", "还行" if "SD-4" in asked else None)]


@responses.activate
def test_given_an_issue_without_a_readable_updated_time_then_it_is_quarantined_and_the_rest_goes_on(jira):
    given_site(jira)
    broken = issue(key="SD-9", issue_id="9", updated="not a time")
    responses.post(SEARCH, json={"isLast": True, "issues": [broken, issue(key="SD-2", issue_id="2")]})
    [page] = list(make_adapter().pull("issues", None))
    assert [r.id for r in page.records] == ["2"]
    assert [(q.ref, q.error) for q in page.quarantined] == [("SD-9", "unreadable id, key or updated time (ValueError)")]


# --- credentials and retries --------------------------------------------------------------

@pytest.mark.parametrize("status_code, body", [
    (401, {"message": "Client must be authenticated to access this resource.", "status-code": 401}),
    (403, {"errorMessages": ["You do not have permission."], "errors": {}}),
])
@responses.activate
def test_given_refused_credentials_when_checking_then_auth_error(status_code, body):
    responses.get(f"{SITE}/rest/api/3/myself", status=status_code, json=body)
    adapter = make_adapter()
    with pytest.raises(AuthError) as caught:
        adapter.check()
    assert caught.value.status == status_code and TOKEN not in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_given_check_then_pull_the_profile_is_asked_once(jira):
    given_site(jira)
    responses.post(SEARCH, json={"isLast": True, "issues": []})
    adapter = make_adapter()
    adapter.check()
    list(adapter.pull("issues", None))
    list(adapter.pull("issues", None))
    assert [c.request.url.removeprefix(SITE) for c in responses.calls] == [
        "/rest/api/3/myself", "/rest/api/3/field", "/rest/api/3/search/jql", "/rest/api/3/search/jql"]


@responses.activate
def test_given_429_on_search_then_waits_at_least_retry_after_and_goes_on(jira):
    given_site(jira)
    responses.post(SEARCH, status=429, headers={"Retry-After": "9", "X-RateLimit-Reset": "2026-06-05T06:00Z",
                                                "RateLimit-Reason": "jira-burst-based"})
    responses.post(SEARCH, json={"isLast": True, "issues": [issue()]})
    sleeps = Sleeps()
    adapter = make_adapter(sleeps)
    [page] = list(adapter.pull("issues", None))
    assert [r.id for r in page.records] == ["10100"] and len(sleeps) == 1 and 9 <= sleeps[0] <= 10
    assert adapter.requests == 4


def test_unknown_stream_is_a_programming_error():
    with pytest.raises(ValueError, match="no stream 'tickets'"):
        next(make_adapter().pull("tickets", None))


@responses.activate
def test_the_token_never_appears_in_logs_errors_or_records(jira, caplog):
    given_site(jira)
    responses.post(SEARCH, status=429, headers={"Retry-After": "1"})
    responses.post(SEARCH, json={"isLast": True, "issues": [issue(current=status("Resolved", "done"))]})
    responses.get(f"{SITE}/rest/servicedeskapi/request/SD-7/feedback", status=401,
                  json={"message": "Client must be authenticated to access this resource.", "status-code": 401})
    caplog.set_level("DEBUG")
    with pytest.raises(AuthError) as caught:
        list(make_adapter().pull("issues", None))
    assert caplog.records and all(TOKEN not in r.getMessage() for r in caplog.records)
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
