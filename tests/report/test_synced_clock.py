"""When the stored tickets were last synced is judged by the real clock: the runs table records
when each run really ended (what monitoring needs), so a report as of another time
(DESKPLAN_NOW) still calls a sync of a minute ago fresh and says how long ago it was."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from deskplan.app.report.command import report_from_store
from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_text import render_text
from deskplan.state.store import Store

from .sample import NOW, write_workspace

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_report_as_of_another_time_compares_the_runs_with_the_real_clock(tmp_path):
    workspace = write_workspace(tmp_path)
    store = Store.open(tmp_path / "state.db")
    try:
        run = store.start_run("sync")
        store.finish_run(run, 0, [{"source": "zd", "exit_code": 0}])
        (finished_text, _), = store.finished_runs(["sync"])
        finished = datetime.fromisoformat(finished_text)
        # The figures as of NOW (15 Apr 2026), the freshness three minutes after the run ended.
        report = report_from_store(workspace, store, NOW, ["zd"], real_now=finished + timedelta(minutes=3))
        # By the real clock (the default): the run that just ended is fresh too.
        assert [s.stale for s in report_from_store(workspace, store, NOW, ["zd"]).synced] == [False]
    finally:
        store.close()
    assert report.now == NOW and [(s.source, s.synced_at, s.stale) for s in report.synced] == [
        ("zd", finished, False)]
    local = finished.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
    assert render_text(report).splitlines()[2] == f"zd: synced {local} (3 minutes ago)"
    item = re.search(r'<li class="(\w+)" data-source="zd">(.*?)</li>', render_html(report), re.S)
    assert item is not None and item.group(1) == "fresh"
    assert re.sub(r"<[^>]+>|\s+", " ", item.group(2)).split() == ["zd", "synced", *local.split(), "(3", "minutes",
                                                                 "ago)"]
