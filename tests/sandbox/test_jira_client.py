"""A client nobody here wrote — pycontribs `jira` — works against the simulator."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from .jira_support import EMAIL, TOKEN, app_for, minutes, served, ticket


@pytest.fixture()
def site():
    tickets = [ticket(n, statuses=[(minutes(5), "open")], comments=[(minutes(7), 1, f"Looking at {n}", True)])
               for n in range(1, 8)]
    app = app_for(*tickets)
    with served(app) as (url, _):
        yield app, url


def test_enhanced_search_pages_with_tokens(site):
    _app, url = site
    client = JIRA(server=url, basic_auth=(EMAIL, TOKEN))
    first = client.enhanced_search_issues("project = SUP ORDER BY key ASC", maxResults=3)
    everything = client.enhanced_search_issues("project = SUP ORDER BY key ASC", maxResults=0)
    assert client.deploymentType == "Cloud"
    assert [i.key for i in first] == ["SUP-1", "SUP-2", "SUP-3"] and first.nextPageToken
    assert [i.key for i in everything] == [f"SUP-{n}" for n in range(1, 8)]
    assert everything[0].fields.status.name == "In Progress"


def test_issue_with_changelog(site):
    _app, url = site
    issue = JIRA(server=url, basic_auth=(EMAIL, TOKEN)).issue("SUP-2", expand="changelog")
    assert issue.fields.summary == "Ticket 2" and issue.fields.description == "Description of 2"
    assert [(i.fromString, i.toString) for h in issue.changelog.histories for i in h.items] == [("Open", "In Progress")]
    assert issue.fields.comment.comments[0].body == "Looking at 2"


def test_internal_comment_and_created_issue_read_back(site):
    app, url = site
    client = JIRA(server=url, basic_auth=(EMAIL, TOKEN))
    comment = client.add_comment("SUP-1", "Checked with the carrier", is_internal=True)
    created = client.create_issue(fields={"project": {"key": "IMP"}, "issuetype": {"name": "Task"},
                                          "summary": "Follow up SUP-1", "description": "Rated 1/5",
                                          "labels": ["deskplan"]})
    assert comment.jsdPublic is False and client.comments("SUP-1")[-1].body == "Checked with the carrier"
    assert created.key == "IMP-1" and created.fields.description == "Rated 1/5"
    assert [i.key for i in client.enhanced_search_issues("project = IMP AND labels = deskplan")] == ["IMP-1"]
    assert [(w.method, w.path, w.status) for w in app.writes] == [
        ("POST", "/rest/api/2/issue/SUP-1/comment", 201), ("POST", "/rest/api/2/issue", 201)]
    assert app.writes[0].body["properties"] == [{"key": "sd.public.comment", "value": {"internal": True}}]


def test_a_v3_client_sending_a_plain_string_comment_gets_jiras_400(site):
    _app, url = site
    client = JIRA(server=url, basic_auth=(EMAIL, TOKEN), options={"rest_api_version": "3"},
                  max_retries=0)
    assert client.issue("SUP-3").raw["fields"]["description"]["type"] == "doc"
    with pytest.raises(JIRAError) as refused:
        client.add_comment("SUP-3", "plain text")
    assert refused.value.status_code == 400 and "Comment body is not valid!" in refused.value.text
