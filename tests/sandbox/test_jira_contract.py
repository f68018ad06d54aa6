"""The simulator against payloads recorded from Jira Cloud and Atlassian's own examples (the
`contracts_dir` fixture): same keys, types, pagination fields and error bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from deskplan_sandbox.jira import create_app
from deskplan_sandbox.jira.adf import text_to_adf

from .jira_support import EMAIL, T0, TOKEN, app_for, minutes, served, ticket


def load(contracts_dir: Path, name: str):
    return json.loads((contracts_dir / "jira" / name).read_text(encoding="utf-8"))


def shape(value):
    """Keys and JSON types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture(scope="module")
def site():
    flips = [(minutes(m), "open" if m % 2 else "waiting_customer") for m in range(1, 6)]
    tickets = [ticket(1, statuses=flips, comments=[(minutes(3), 1, "On it", True)]), ticket(2), ticket(3)]
    with served(app_for(*tickets)) as (url, session):
        yield url, session


def test_search_pages_have_the_enhanced_search_shape(contracts_dir, site):
    url, session = site
    page1 = load(contracts_dir, "fixtures/mattermost-plugin-jira__rhs-search-jql-page1.json")
    last = load(contracts_dir, "fixtures/mattermost-plugin-jira__rhs-search-jql-last.json")
    spec = load(contracts_dir, "spec-examples/platform/searchAndReconsileIssuesUsingJql__200.json")
    params = {"jql": "project = SUP ORDER BY key ASC", "fields": "summary,status", "maxResults": 2}
    first = session.get(f"{url}/rest/api/3/search/jql", params=params).json()
    final = session.get(f"{url}/rest/api/3/search/jql",
                        params={**params, "nextPageToken": first["nextPageToken"]}).json()
    assert shape(first)["nextPageToken"] == shape(page1)["nextPageToken"] == "str"
    assert set(first) == set(page1) and shape(first)["isLast"] == shape(page1)["isLast"]
    assert set(final) == set(last) == set(spec)
    assert set(first["issues"][0]) == set(spec["issues"][0])
    assert set(page1["issues"][0]) <= set(first["issues"][0])
    ours, theirs = shape(first["issues"][0]["fields"]["status"]), shape(page1["issues"][0]["fields"]["status"])
    assert {k: ours[k] for k in theirs if k != "statusCategory"} == \
           {k: v for k, v in theirs.items() if k != "statusCategory"}
    assert {k: ours["statusCategory"][k] for k in theirs["statusCategory"]} == theirs["statusCategory"]


def test_removed_search_body_is_the_one_atlassian_sends(contracts_dir, site):
    url, session = site
    notes = (contracts_dir.parent / "api" / "jira.md").read_text(encoding="utf-8")
    body = session.get(f"{url}/rest/api/3/search", params={"jql": "project = SUP"}).json()
    assert json.dumps(body, separators=(",", ":")) in notes


def test_changelog_page_matches_page_bean_changelog(contracts_dir, site):
    url, session = site
    spec = load(contracts_dir, "spec-examples/platform/getChangeLogs__200.json")
    page = session.get(f"{url}/rest/api/3/issue/SUP-1/changelog", params={"startAt": 2, "maxResults": 2}).json()
    ours, theirs = shape(page), shape(spec)
    assert {k: v for k, v in ours.items() if k != "values"} == {k: v for k, v in theirs.items() if k != "values"}
    assert set(ours["values"][0]) == set(theirs["values"][0])
    assert set(ours["values"][0]["items"][0]) == set(theirs["values"][0]["items"][0])
    assert set(ours["values"][0]["author"]) >= {"accountId", "active", "avatarUrls", "displayName", "self", "timeZone"}


def test_comments_match_recorded_v3_comments(contracts_dir, site):
    url, session = site
    spec = load(contracts_dir, "spec-examples/platform/getComments__200.json")
    recorded = load(contracts_dir, "recorded/platform/airbyte-source-jira__v3_issue_comments.json")["comments"][0]
    page = session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json()
    assert set(page) == set(spec)
    assert {k: shape(page)[k] for k in ("maxResults", "startAt", "total")} == {
        k: shape(spec)[k] for k in ("maxResults", "startAt", "total")}
    assert shape(page["comments"][0]) == shape(recorded)


def test_add_comment_answers_like_the_recorded_201(contracts_dir, site):
    url, session = site
    recorded = load(contracts_dir, "recorded/platform/demisto-content__v3_add_comment_201_role_visibility.json")
    request = load(contracts_dir, "spec-examples/platform/addComment__request.json")
    response = session.post(f"{url}/rest/api/3/issue/SUP-2/comment", params={"expand": "renderedBody"}, json=request)
    assert response.status_code == 201
    created = response.json()
    assert shape(created) == shape(recorded)
    assert created["jsdPublic"] is True and created["visibility"] == request["visibility"]
    assert created["body"] == request["body"]


def test_update_comment_answers_with_the_comment(contracts_dir, site):
    url, session = site
    spec = load(contracts_dir, "spec-examples/platform/updateComment__200.json")
    request = load(contracts_dir, "spec-examples/platform/updateComment__request.json")
    comment_id = session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json()["comments"][0]["id"]
    updated = session.put(f"{url}/rest/api/3/issue/SUP-1/comment/{comment_id}", json=request).json()
    assert set(spec) <= set(updated) and updated["body"] == request["body"]


def test_create_issue_answers(contracts_dir, site):
    url, session = site
    created_spec = load(contracts_dir, "spec-examples/platform/createIssue__201.json")
    recorded_400 = load(contracts_dir, "recorded/platform/atlassian-python-api__v2_create_issue_400_error.json")
    created = session.post(f"{url}/rest/api/3/issue", json={"fields": {
        "project": {"key": "IMP"}, "issuetype": {"id": "10004"}, "summary": "x",
        "description": text_to_adf("y")}}).json()
    refused = session.post(f"{url}/rest/api/3/issue", json={"fields": {
        "project": {"key": "IMP"}, "issuetype": {"id": "10004"}, "summary": "x", "timeoriginalestimate": 5}})
    assert {k: shape(created)[k] for k in created} == {k: shape(created_spec)[k] for k in created}
    assert set(created) == {"id", "key", "self"}
    expected = {k: v for k, v in recorded_400.items() if k != "status_code"}       # the test harness's key
    expected["errors"] = {
        "timeoriginalestimate": expected["errors"]["labels"].replace("'labels'", "'timeoriginalestimate'")}
    assert refused.status_code == 400 and refused.json() == expected


def test_bulk_create_answers(contracts_dir, site):
    url, session = site
    spec_201 = load(contracts_dir, "spec-examples/platform/createIssues__201.json")
    spec_400 = load(contracts_dir, "spec-examples/platform/createIssues__400.json")
    bad = {"fields": {"project": {"key": "IMP"}, "issuetype": {"id": "1"}, "summary": "bad"}}
    good = {"fields": {"project": {"key": "IMP"}, "issuetype": {"id": "10004"}, "summary": "ok"}}
    failed = session.post(f"{url}/rest/api/3/issue/bulk", json={"issueUpdates": [bad, bad]})
    created = session.post(f"{url}/rest/api/3/issue/bulk", json={"issueUpdates": [good]})
    assert failed.status_code == 400 and set(failed.json()) == set(spec_400)
    assert shape(failed.json()["errors"][0])["elementErrors"]["errors"] == {"issuetype": "str"}
    assert set(failed.json()["errors"][0]) == set(spec_400["errors"][0])
    assert created.status_code == 201 and set(created.json()) == set(spec_201)
    assert created.json()["errors"] == spec_201["errors"] == []


def test_field_catalog_and_myself_shapes(contracts_dir, site):
    url, session = site
    fields_spec = load(contracts_dir, "spec-examples/platform/getFields__200.json")
    user_spec = load(contracts_dir, "spec-examples/platform/getCurrentUser__200.json")
    catalog = session.get(f"{url}/rest/api/3/field").json()
    by_id = {f["id"]: f for f in catalog}
    for entry in fields_spec:
        assert shape(by_id[entry["id"]]) == {**shape(entry), "key": "str"}
    sla = next(f for f in catalog if f["schema"].get("custom") == "com.atlassian.servicedesk:sd-sla-field")
    # the real SLA field definition published in demisto/content (Packs/Jira/Integrations/JiraV3/README.md)
    assert set(sla) == {"clauseNames", "custom", "id", "key", "name", "navigable", "orderable", "schema",
                        "searchable", "untranslatedName"}
    assert set(sla["schema"]) == {"custom", "customId", "type"} and sla["schema"]["type"] == "sd-servicelevelagreement"
    assert sla["id"] != "customfield_10010" and sla["clauseNames"][0] == f"cf[{sla['schema']['customId']}]"
    me = session.get(f"{url}/rest/api/3/myself").json()
    assert {k: shape(me)[k] for k in user_spec} == shape(user_spec)


def test_property_and_link_type_shapes(contracts_dir, site):
    url, session = site
    prop_spec = load(contracts_dir, "spec-examples/platform/getIssueProperty__200.json")
    keys_spec = load(contracts_dir, "spec-examples/platform/getIssuePropertyKeys__200.json")
    link_types = load(contracts_dir, "recorded/platform/airbyte-source-jira__v3_get_issueLinkType.json")
    session.put(f"{url}/rest/api/3/issue/SUP-3/properties/issue.support", json=prop_spec["value"])
    assert session.get(f"{url}/rest/api/3/issue/SUP-3/properties/issue.support").json() == prop_spec
    assert shape(session.get(f"{url}/rest/api/3/issue/SUP-3/properties").json()) == shape(keys_spec)
    ours = {t["name"]: t for t in session.get(f"{url}/rest/api/3/issueLinkType").json()["issueLinkTypes"]}
    for recorded in link_types["issueLinkTypes"]:
        assert {k: v for k, v in ours[recorded["name"]].items() if k != "self"} == \
               {k: v for k, v in recorded.items() if k != "self"}


@pytest.fixture(scope="module")
def recorded_site(contracts_dir, tmp_path_factory):
    page = load(contracts_dir, "recorded/platform/airbyte-source-jira__v3_issues_search_page.json")
    issue = copy.deepcopy(page["issues"][0])
    comments = load(contracts_dir, "recorded/platform/airbyte-source-jira__v3_issue_comments.json")["comments"]
    issue["fields"]["comment"] = {**issue["fields"]["comment"], "comments": comments, "maxResults": 2, "total": 2}
    path = tmp_path_factory.mktemp("fixtures") / "jira.json"
    path.write_text(json.dumps({"issues": [issue]}), encoding="utf-8")
    app = create_app(email=EMAIL, token=TOKEN, fixtures=path, now=lambda: T0)
    with served(app) as (url, session):
        yield issue, url, session


def test_recorded_issue_is_served_back_verbatim(recorded_site):
    issue, url, session = recorded_site
    served_issue = session.get(f"{url}/rest/api/3/issue/TESTKEY13-1").json()
    fields = {k: v for k, v in served_issue["fields"].items() if k != "comment"}
    assert fields == {k: v for k, v in issue["fields"].items() if k != "comment"}
    assert served_issue["fields"]["comment"]["comments"] == issue["fields"]["comment"]["comments"]
    assert {k: served_issue[k] for k in ("id", "key", "expand", "projectId", "projectKey")} == {
        k: issue[k] for k in ("id", "key", "expand", "projectId", "projectKey")}


def test_recorded_issue_is_searchable_and_its_comments_keep_jsd_public(recorded_site):
    issue, url, session = recorded_site
    found = session.get(f"{url}/rest/api/3/search/jql", params={
        "jql": 'project = TESTKEY13 AND updated >= "2022/12/08 02:22"', "fields": "*all"}).json()
    assert [i["key"] for i in found["issues"]] == ["TESTKEY13-1"]
    assert found["issues"][0]["fields"]["updated"] == issue["fields"]["updated"]
    listed = session.get(f"{url}/rest/api/3/issue/TESTKEY13-1/comment").json()
    assert [c["jsdPublic"] for c in listed["comments"]] == [True, True]


def test_a_fixture_catalog_replaces_the_default_one(contracts_dir, tmp_path):
    catalog = load(contracts_dir, "spec-examples/platform/getFields__200.json")
    issue = load(contracts_dir, "recorded/platform/airbyte-source-jira__v3_issues_search_page.json")["issues"][0]
    path = tmp_path / "jira.json"
    path.write_text(json.dumps({"fields": catalog, "issues": [issue]}), encoding="utf-8")
    with served(create_app(email=EMAIL, token=TOKEN, fixtures=path, now=lambda: T0)) as (url, session):
        assert session.get(f"{url}/rest/api/3/field").json() == catalog
