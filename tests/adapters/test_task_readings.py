"""Reading deskplan's own tasks back: each helpdesk's statuses mapped to open / done / gone, and
the Jira reader's batches and its handling of keys Jira says do not exist."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from deskplan.adapters.jira import tasks as jira_tasks
from deskplan.adapters.jira.client import SearchPage
from deskplan.adapters.zendesk.tasks import task_reading
from deskplan.state.tasks import TaskReading
from deskplan.transport.http import Rejected

SITE = "https://acme.zendesk.com/"


@pytest.mark.parametrize(("status", "done"), [
    ("new", False), ("open", False), ("pending", False), ("hold", False), ("solved", True), ("closed", True),
])
def test_zendesk_solved_and_closed_are_done(status, done):
    ticket = {"id": 41, "status": status, "due_at": "2026-10-09T16:00:00Z", "tags": ["deskplan_task"]}
    assert task_reading("41", ticket, SITE) == TaskReading(
        "41", done=done, status=status, due=datetime(2026, 10, 9, 16, tzinfo=timezone.utc),
        url="https://acme.zendesk.com/agent/tickets/41")


def test_zendesk_deleted_is_gone_and_an_unstored_task_is_not_read():
    assert task_reading("41", {"id": 41, "status": "deleted"}, SITE) == TaskReading("41", gone=True, status="deleted")
    assert task_reading("41", None, SITE) is None


@pytest.mark.parametrize("due", [None, "", "soon", 17, "9999-01-01T00:00:00Z", "2026-10-09T16:00:00"])
def test_zendesk_a_due_time_that_is_not_an_instant_is_no_due_time(due):
    assert task_reading("41", {"status": "open", "due_at": due}, SITE).due is None


def issue(key, category, name, duedate=None):
    return {"id": "1", "key": key, "fields": {
        "status": {"name": name, "statusCategory": {"key": category}}, "duedate": duedate}}


class FakeSearch:
    """JiraClient.search over a dict of issues, answering as Jira does for a missing key."""

    def __init__(self, issues, page_size=2):
        self.issues = issues
        self.page_size = page_size
        self.queries: list[str] = []
        self.http = type("Http", (), {"source": "jsm"})()

    def search(self, jql, *, fields, expand=None):
        assert fields == ["status", "duedate"] and expand is None
        self.queries.append(jql)
        keys = jql.removeprefix("key in (").removesuffix(") ORDER BY key ASC").split(", ")
        for key in keys:
            if key not in self.issues:
                raise Rejected(f"request rejected (An issue with key '{key}' does not exist for field 'key'.)",
                               source="jsm", where="POST /rest/api/3/search/jql", status=400)
        found = [self.issues[k] for k in keys]
        for start in range(0, len(found), self.page_size):
            yield SearchPage(found[start:start + self.page_size], start + self.page_size >= len(found))


def test_jira_status_category_done_is_done_and_duedate_is_a_day():
    client = FakeSearch({"IMP-1": issue("IMP-1", "done", "Done", "2026-10-09"),
                         "IMP-2": issue("IMP-2", "indeterminate", "In Progress"),
                         "IMP-3": issue("IMP-3", "new", "To Do", "not a date")})
    readings = list(jira_tasks.read_tasks(client, ["IMP-2", "IMP-1", "IMP-3"], "https://acme.atlassian.net"))
    assert readings == [
        TaskReading("IMP-1", done=True, status="Done", due_day=date(2026, 10, 9),
                    url="https://acme.atlassian.net/browse/IMP-1"),
        TaskReading("IMP-2", done=False, status="In Progress", url="https://acme.atlassian.net/browse/IMP-2"),
        TaskReading("IMP-3", done=False, status="To Do", url="https://acme.atlassian.net/browse/IMP-3"),
    ]
    assert client.queries == ["key in (IMP-1, IMP-2, IMP-3) ORDER BY key ASC"]


def test_jira_keys_are_asked_for_in_batches_and_what_is_not_a_key_never_reaches_jql(monkeypatch):
    monkeypatch.setattr(jira_tasks, "BATCH", 3)
    client = FakeSearch({f"IMP-{n}": issue(f"IMP-{n}", "new", "To Do") for n in range(1, 8)})
    keys = [f"IMP-{n}" for n in range(1, 8)] + ["IMP-1) OR project = SECRET", "imp 9"]
    readings = list(jira_tasks.read_tasks(client, keys, "https://acme.atlassian.net"))
    assert sorted(r.remote_id for r in readings) == [f"IMP-{n}" for n in range(1, 8)]
    assert client.queries == ["key in (IMP-1, IMP-2, IMP-3) ORDER BY key ASC",
                              "key in (IMP-4, IMP-5, IMP-6) ORDER BY key ASC", "key in (IMP-7) ORDER BY key ASC"]


def test_jira_a_key_that_does_not_exist_is_gone_and_its_batch_asked_again_without_it():
    client = FakeSearch({"IMP-1": issue("IMP-1", "new", "To Do"), "IMP-3": issue("IMP-3", "done", "Done")})
    readings = list(jira_tasks.read_tasks(client, ["IMP-1", "IMP-2", "IMP-3", "IMP-4"], "https://x.test"))
    assert [(r.remote_id, r.gone, r.done) for r in readings] == [
        ("IMP-2", True, False), ("IMP-4", True, False), ("IMP-1", False, False), ("IMP-3", False, True)]
    assert len(client.queries) == 3


def test_jira_reads_at_most_gone_retries_missing_keys_a_run(monkeypatch):
    monkeypatch.setattr(jira_tasks, "GONE_RETRIES", 2)
    client = FakeSearch({"IMP-9": issue("IMP-9", "new", "To Do")})
    readings = list(jira_tasks.read_tasks(client, [f"IMP-{n}" for n in range(1, 10)], "https://x.test"))
    assert [r.remote_id for r in readings] == ["IMP-1", "IMP-2", "IMP-3"]       # then it stops for this run
    assert len(client.queries) == 3


def test_jira_another_refusal_is_not_taken_for_a_missing_key():
    class Refusing(FakeSearch):
        def search(self, jql, *, fields, expand=None):
            raise Rejected("request rejected (Error in the JQL Query)", source="jsm", status=400)
            yield

    with pytest.raises(Rejected):
        list(jira_tasks.read_tasks(Refusing({}), ["IMP-1"], "https://x.test"))
