"""Jira tasks whose create answer is lost: found through their source ticket in the same run.

A task is created with its link to the source ticket in the create request, so reading that
ticket's links (immediate, unlike search) settles whether the task exists. Counts come from
the simulator's own issues, never from deskplan's ledger.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from deskplan.adapters import open_adapter, open_writer
from deskplan.app.sync import run_sync
from deskplan.config import load_config

from .harness import Site, environment, make_workspace, pending_writes

CREATE = ("POST", "/rest/api/3/issue")
COMMENTS, TASKS = 12, 7           # compact workspace on the harness story: 1 rule task (SUP-7), 6 goal tasks
SEARCH = ("GET", "/rest/api/3/search/jql")


class LosingSession(requests.Session):
    """The writer's session. It loses the answers of the task creates numbered in `lose_after`
    (1 = the first) once Jira has handled them, and fails those in `lose_before` before they
    reach Jira; either way the writer sees a read timeout."""

    def __init__(self, *, lose_after: tuple[int, ...] = (), lose_before: tuple[int, ...] = ()):
        super().__init__()
        self.lose_after = lose_after
        self.lose_before = lose_before
        self.creates = 0
        self.sent: list[tuple[str, str]] = []

    def request(self, method, url, *args, **kwargs):
        call = (method.upper(), urlsplit(url).path)
        self.sent.append(call)
        if call == CREATE:
            self.creates += 1
            if self.creates in self.lose_before:
                raise requests.ReadTimeout("read timed out")
        response = super().request(method, url, *args, **kwargs)
        if call == CREATE and self.creates in self.lose_after:
            raise requests.ReadTimeout("read timed out")
        return response


def _no_sleep(seconds: float) -> None:
    pass


def sync_with(workspace, session: LosingSession):
    (summary,) = run_sync(
        load_config(workspace / "deskplan.toml"), environ=environment(),
        adapter_factory=lambda cfg, token: open_adapter(cfg, token, sleep=_no_sleep),
        writer_factory=lambda cfg, token: open_writer(cfg, token, session=session, sleep=_no_sleep),
    ).summaries
    return summary


@pytest.fixture
def site(story):
    site = Site("jira", story)
    yield site
    site.stop()


@pytest.fixture
def workspace(tmp_path, site):
    return make_workspace(tmp_path / "ws", site, compact=True)


def rule_task(site: Site):
    (task,) = [d for d in site.effects().task_details.values() if d[0] == "Follow up on the rating of SUP-7"]
    return task


def test_a_task_whose_answer_was_lost_is_found_through_its_source_ticket_in_the_same_run(site, workspace):
    session = LosingSession(lose_after=(1,))                 # the first create is the rule task
    summary = sync_with(workspace, session)
    assert (summary.exit_code, summary.writes_applied, summary.writes_failed) == (0, COMMENTS + TASKS, 0)
    effects = site.effects()
    assert len(effects.tasks) == TASKS and effects.duplicates() == []
    assert rule_task(site)[2] == ("SUP-7",)                   # linked by the create itself
    assert pending_writes(workspace) == []
    creates = [w for w in site.app.writes if (w.method, w.path) == CREATE]
    assert len(creates) == TASKS and not [w for w in site.app.writes if w.path == "/rest/api/3/issueLink"]
    # Settled by reading SUP-7's links, then the task's `deskplan` property and creator (deskplan's own
    # account, which this writer asks Jira for once); never by search.
    lost = session.sent.index(CREATE)
    assert session.sent[lost + 1:lost + 4] == [("GET", "/rest/api/3/issue/SUP-7"), ("GET", "/rest/api/3/issue/IMP-1"),
                                               ("GET", "/rest/api/3/myself")]
    assert SEARCH not in session.sent


def test_a_create_lost_before_it_reached_jira_is_sent_again_in_the_same_run(site, workspace):
    session = LosingSession(lose_before=(1,))
    summary = sync_with(workspace, session)
    assert (summary.exit_code, summary.writes_applied) == (0, COMMENTS + TASKS)
    assert session.creates == TASKS + 1                      # the lost one, then once more
    assert len(site.effects().tasks) == TASKS and site.effects().duplicates() == []
    assert pending_writes(workspace) == []


def test_a_goal_task_whose_answer_was_lost_waits_for_the_next_run_and_is_found_by_search(site, workspace):
    session = LosingSession(lose_after=(2,))                 # the first goal task (no source ticket)
    first = sync_with(workspace, session)
    assert (first.exit_code, first.writes_applied, first.writes_failed) == (1, COMMENTS + TASKS - 1, 1)
    assert len(pending_writes(workspace)) == 1
    again = sync_with(workspace, LosingSession())
    assert (again.exit_code, again.writes_planned) == (0, 0)
    assert pending_writes(workspace) == []
    assert len(site.effects().tasks) == TASKS and site.effects().duplicates() == []


def test_a_site_without_links_on_create_links_after_creating_and_looks_lost_tasks_up_next_run(site, workspace):
    site.app.create_screen_links = False
    first = sync_with(workspace, LosingSession(lose_after=(2,)))     # 1 is refused (400), 2 is the rule task again
    assert (first.exit_code, first.writes_failed) == (1, 1)
    assert len(pending_writes(workspace)) == 1
    again = sync_with(workspace, LosingSession())
    assert again.exit_code == 0 and pending_writes(workspace) == []
    effects = site.effects()
    assert len(effects.tasks) == TASKS and effects.duplicates() == []
    assert rule_task(site)[2] == ("SUP-7",)                  # the link the lost answer cut short, made good
    assert all(d[2] for d in effects.task_details.values())
