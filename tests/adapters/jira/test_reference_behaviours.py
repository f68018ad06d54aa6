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
from deskplan.transport.http import HttpClient
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app
from deskplan_sandbox.server import SandboxServer
from tests.adapters.simtime import SimTime

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


def test_writes_to_one_issue_past_its_write_limit_wait_and_land_once():
    """Jira's per-issue write limit (20 writes in 2 s, then 429 jira-per-issue-on-write): a write
    refused with it was not applied, so deskplan's writes (retry mode "connect_only") wait as told
    and send it again; every comment lands exactly once."""
    time = SimTime(NOW)
    app = create_app(email=EMAIL, token=TOKEN, scenario=generate_scenario(5, 3, NOW), log=io.StringIO(),
                     now=time, burst_limit=1000)
    key = next(r.key for r in app.store.records() if r.project_key == "SUP")
    before = len(app.store.require(key).comments)
    with SandboxServer(app) as server:
        http = HttpClient(server.url, auth=(EMAIL, TOKEN), source="jsm", sleep=time.sleep,
                          clock=lambda: time.now.timestamp())
        for n in range(25):
            body = {"body": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": f"note {n}"}]}]}}
            http.send("POST", f"/rest/api/3/issue/{key}/comment", json=body, retry="connect_only")
    # the 21st waited (Retry-After 2 s, and jitter on top), then went through with the other four
    assert len(time.slept) == 1 and time.slept[0] >= 2
    assert http.requests == 26 and len(app.writes) == 25
    assert len(app.store.require(key).comments) - before == 25
