"""A generated Scenario rendered as a JSM site: every mapping, checked ticket by ticket."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from itertools import pairwise

import pytest

from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app
from deskplan_sandbox.jira.adf import adf_to_text

from .jira_support import EMAIL, TOKEN, served

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
STATUS = {"new": "Open", "open": "In Progress", "waiting_customer": "Waiting for customer", "on_hold": "Pending",
          "solved": "Resolved", "closed": "Closed"}
PRIORITY = {"low": "Low", "normal": "Medium", "high": "High", "urgent": "Highest", None: None}
OPT_IN = {"X-ExperimentalApi": "opt-in"}


@pytest.fixture(scope="module")
def site():
    scenario = generate_scenario(150, 11, NOW)
    app = create_app(email=EMAIL, token=TOKEN, tickets=150, seed=11, now=lambda: NOW, log=io.StringIO())
    with served(app) as (url, session):
        catalog = session.get(f"{url}/rest/api/3/field").json()
        fields = {**{f["name"]: f["id"] for f in catalog},
                  **{f["schema"]["custom"]: f["id"] for f in catalog if f["custom"]}}
        issues, token = {}, None
        while True:
            params = {"jql": "project = SUP ORDER BY key ASC", "fields": "*all", "maxResults": 100,
                      **({"nextPageToken": token} if token else {})}
            page = session.get(f"{url}/rest/api/3/search/jql", params=params).json()
            issues.update({issue["key"]: issue for issue in page["issues"]})
            if page["isLast"]:
                break
            token = page["nextPageToken"]
        yield scenario, issues, fields, url, session


def kept(scenario):
    return [t for t in scenario.tickets if t.deleted_at is None]


def test_the_same_seed_gives_the_same_tickets_and_deleted_ones_are_absent(site):
    scenario, issues, _fields, url, session = site
    assert sorted(issues, key=lambda k: int(k.split("-")[1])) == [f"SUP-{t.number}" for t in kept(scenario)]
    for gone in (t for t in scenario.tickets if t.deleted_at is not None):
        assert session.get(f"{url}/rest/api/3/issue/SUP-{gone.number}").status_code == 404


def test_statuses_priorities_labels_and_team(site):
    scenario, issues, fields, _url, _session = site
    for t in kept(scenario):
        f = issues[f"SUP-{t.number}"]["fields"]
        assert f["status"]["name"] == STATUS[t.status_changes[-1].status]
        assert (f["resolution"] is not None) == (t.status_changes[-1].status in ("solved", "closed"))
        assert (f["priority"] or {}).get("name") == PRIORITY[t.priority]
        assert f["labels"] == [tag.replace(" ", "_") for tag in t.tags]
        assert (f[fields["Team"]] or {}).get("value") == t.group
        assert f["summary"] == t.subject and adf_to_text(f["description"]) == t.description


def test_comments_keep_visibility_and_authors(site):
    scenario, _issues, _fields, url, session = site
    roles = {p.id: p.role for p in scenario.people}
    for t in kept(scenario):
        page = session.get(f"{url}/rest/api/3/issue/SUP-{t.number}/comment").json()
        expected = [(c.public, "customer" if roles[c.author] == "requester" else "atlassian", c.body)
                    for c in t.comments[1:]]
        got = [(c["jsdPublic"], c["author"]["accountType"], adf_to_text(c["body"])) for c in page["comments"]]
        assert got == expected


def test_status_changes_are_changelog_histories(site):
    """Each change of status is one history; a "change" to the current status writes none (Jira has no such move)."""
    scenario, _issues, _fields, url, session = site
    for t in kept(scenario)[:40]:
        values = session.get(f"{url}/rest/api/3/issue/SUP-{t.number}/changelog").json()["values"]
        moves = [(h["created"], i["toString"]) for h in values for i in h["items"] if i["fieldId"] == "status"]
        statuses = [STATUS[c.status] for c in t.status_changes]
        expected = [b for a, b in pairwise(statuses) if a != b]
        assert [name for _, name in moves] == expected


def test_ratings_are_csat_feedback(site):
    scenario, issues, fields, url, session = site
    rated = [t for t in kept(scenario) if t.ratings]
    assert rated, "the generator rates some tickets"
    for t in rated:
        feedback = session.get(f"{url}/rest/servicedeskapi/request/SUP-{t.number}/feedback", headers=OPT_IN).json()
        good = t.ratings[-1].score == "good"
        assert (feedback["rating"] >= 4) == good and feedback["type"] == "csat"
        assert issues[f"SUP-{t.number}"]["fields"][fields["com.atlassian.servicedesk:sd-request-feedback"]] == {
            "rating": feedback["rating"]}
