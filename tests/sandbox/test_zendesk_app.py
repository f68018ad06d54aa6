"""The Zendesk simulator's factory, programmatic test API, fixtures file and `deskplan sandbox`."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import requests
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.serve import run
from deskplan_sandbox.zendesk import create_app
from deskplan_sandbox.zendesk.store import NotFound

NOW = datetime(2026, 11, 20, 9, 0, 0, tzinfo=timezone.utc)


def app_at(moment: datetime = NOW, **options):
    return create_app(email="owner@example.com", token="t", now=lambda: moment, log=io.StringIO(), **options)


def live_ticket(app) -> int:
    return max(t["id"] for _, t in app.store.exported((0, 0), 10_000, 1 << 40)[0]
               if t["status"] in ("new", "open", "pending"))


def test_the_clock_starts_at_deskplan_now(monkeypatch):
    monkeypatch.setenv("DESKPLAN_NOW", "2026-03-01T08:00:00Z")
    app = create_app(email="owner@example.com", token="t", tickets=20, seed=1, log=io.StringIO())
    start = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    assert start <= app.clock() < start + timedelta(seconds=30)
    created = [t["created_at"] for _, t in app.store.exported((0, 0), 100, 1 << 40)[0]]
    assert max(created) <= "2026-03-01T08:00:00Z" and min(created) >= "2025-08-31"


def test_rating_changes_are_ratings_audits_and_export_bumps():
    later = NOW + timedelta(hours=1)
    app = app_at(tickets=60, seed=2)
    tid = live_ticket(app)
    app.store.rate(tid, "bad", "too slow", at=NOW)
    rating = app.store.rate(tid, "good", "sorted now", at=later)
    assert (rating["score"], rating["comment"], rating["created_at"], rating["updated_at"]) == \
           ("good", "sorted now", "2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z")
    ticket = app.store.ticket(tid)
    assert ticket["satisfaction_rating"] == {"id": rating["id"], "score": "good", "comment": "sorted now"}
    assert ticket["generated_timestamp"] == int(later.timestamp())
    events = [e for a in app.store.audits(tid)[-2:] for e in a["events"]]
    assert [(e["type"], e["score"]) for e in events] == [("SatisfactionRating", "bad"), ("SatisfactionRating", "good")]
    listed, _ = app.store.ratings_after((int(later.timestamp()) - 1, 1 << 62), 10, 1 << 62, lambda doc: True)
    assert [doc["id"] for _, doc in listed] == [rating["id"]]


def test_programmatic_update_touch_and_delete():
    app = app_at(tickets=60, seed=2)
    tid = live_ticket(app)
    result = app.store.update_ticket(tid, status="hold", comment={"body": "waiting on vendor", "public": False},
                                     at=NOW, author_id=app.api_user_id)
    assert result.ticket["status"] == "hold" and result.ticket["updated_at"] == "2026-11-20T09:00:00Z"
    assert [e["field_name"] for e in result.audit["events"] if e["type"] == "Change"] == ["status"]
    before = app.store.ticket(tid)["updated_at"]
    app.store.touch([tid], at=NOW + timedelta(minutes=5))
    touched = app.store.ticket(tid)
    assert touched["updated_at"] == before                         # a system update: no ticket event
    assert touched["generated_timestamp"] == int((NOW + timedelta(minutes=5)).timestamp())
    app.store.delete_ticket(tid, at=NOW + timedelta(minutes=6))
    assert app.store.ticket(tid) is None and app.store.ticket(tid, include_deleted=True)["status"] == "deleted"
    with pytest.raises(NotFound):
        app.store.update_ticket(tid, status="open")
    with pytest.raises(NotFound):
        app.store.touch([10_000_000])


def test_recorded_audits_become_ticket_events(tmp_path, contracts_dir):
    responses = contracts_dir / "zendesk" / "zenpy" / "responses"
    tickets_page = next((responses / "TicketsIncrementalTest.test_get_values").glob("*.001.*.body.json"))
    tickets = json.loads(tickets_page.read_text())
    audits = json.loads(next((responses / "TestTicketAudits.test_values").glob("*.000.*.body.json")).read_text())
    fixtures = tmp_path / "zendesk.json"
    fixtures.write_text(json.dumps({"tickets": tickets["tickets"], "audits": audits["audits"]}))
    app = app_at(datetime(2024, 2, 8, tzinfo=timezone.utc), fixtures=fixtures)
    found, more = app.store.ticket_events(0, 1000, 1 << 40)
    assert not more and sorted(a["id"] for a in found) == sorted(a["id"] for a in audits["audits"])
    assert [a["created_at"] for a in found] == sorted(a["created_at"] for a in audits["audits"])


@pytest.mark.parametrize("content, message", [
    ("[]", "fixtures must be an object"),
    ('{"tickets": [{"id": 1}]}', "tickets[0] lacks created_at"),
    ('{"issues": []}', "unknown fixture lists ['issues']"),
    ("{", "not JSON"),
])
def test_bad_fixtures_name_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        app_at(fixtures=path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_unknown_kind_is_refused():
    with pytest.raises(ConfigError, match="unknown sandbox kind 'freshdesk'"):
        run("freshdesk")


def test_cli_reports_bad_fixtures_with_exit_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("[]")
    result = CliRunner().invoke(cli, ["sandbox", "--kind", "zendesk", "--fixtures", str(path)])
    assert result.exit_code == 2 and "fixtures must be an object" in result.output


def test_deskplan_sandbox_prints_where_it_serves_and_stops_on_ctrl_c():
    command = [sys.executable, "-m", "deskplan.cli", "sandbox", "--kind", "zendesk", "--tickets", "30",
               "--seed", "4", "--email", "me@example.com", "--token", "tok-1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "DESKPLAN_NOW": "2026-11-20T09:00:00Z"})
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"deskplan sandbox \(zendesk\) serving at (http://127\.0\.0\.1:\d+)  "
                             r"email=me@example\.com  token=tok-1  "
                             r"groups=Support,Billing,Technical,Logistics,华东客服\n", first)
        assert match, first
        me = requests.get(f"{match.group(1)}/api/v2/users/me.json", auth=("me@example.com/token", "tok-1"), timeout=10)
        assert me.json()["user"]["email"] == "me@example.com"
        assert requests.get(f"{match.group(1)}/api/v2/tickets/30", timeout=10).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert err.splitlines()[:2] == ["GET /api/v2/users/me.json 200", "GET /api/v2/tickets/30 401"]
    assert "Traceback" not in err
