"""The Jira adapter over loopback HTTP against simulator behaviours from Atlassian's references:
search pages cut short before the last page, and the CSAT comment of an issue loaded from a
fixtures file reaching the built ticket."""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timezone

from protocol_driver import MemoryState, sync

from deskplan.adapters.jira import create_adapter
from deskplan.config import SourceConfig
from deskplan.model import Score
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app
from deskplan_sandbox.server import SandboxServer

EMAIL, TOKEN = "bot@acme.test", "reference-token"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def adapter_for(server: SandboxServer):
    config = SourceConfig(name="jsm", kind="jira", url=server.url, email=EMAIL, token_env="JIRA_TOKEN",
                          projects=("SUP",))
    return create_adapter(config, TOKEN, sleep=lambda s: None)


def test_search_pages_shorter_than_asked_for_do_not_end_the_pull():
    app = create_app(email=EMAIL, token=TOKEN, scenario=generate_scenario(60, 3, NOW), log=io.StringIO(),
                     now=lambda: NOW)
    app.search_page_bytes = 40_000              # a few issues a page, though the adapter asks for 100
    with SandboxServer(app) as server:
        adapter = adapter_for(server)
        state = MemoryState()
        run = sync(adapter, state)
    expected = {r.id for r in app.store.records() if r.project_key == "SUP"}
    assert {r.id for r in run.pulled} == expected
    assert run.pages > 3 and len(expected) > 3 * 3


def test_the_csat_comment_of_a_fixture_issue_reaches_the_built_ticket(contracts_dir, tmp_path):
    page = json.loads((contracts_dir / "jira/recorded/platform/airbyte-source-jira__v3_issues_search_page.json")
                      .read_text("utf-8"))
    issue = copy.deepcopy(page["issues"][0])
    issue.update(key="SUP-900", id="90900",
                 feedback={"type": "csat", "rating": 1, "comment": {"body": "Nobody called back"}})
    issue["fields"]["project"] = {"id": "10000", "key": "SUP", "name": "Support", "projectTypeKey": "service_desk"}
    issue["fields"]["status"]["statusCategory"] = {"key": "done", "name": "Done", "id": 3}
    issue["fields"]["customfield_10470"] = {"rating": 1}
    path = tmp_path / "jira.json"
    path.write_text(json.dumps({"issues": [issue]}), encoding="utf-8")
    app = create_app(email=EMAIL, token=TOKEN, fixtures=path, log=io.StringIO())
    with SandboxServer(app) as server:
        adapter = adapter_for(server)
        state = MemoryState()
        sync(adapter, state)
    satisfaction = state.tickets["90900"].satisfaction
    assert (satisfaction.score, satisfaction.comment) == (Score.BAD, "Nobody called back")
    assert adapter.feedback_requests == 1
