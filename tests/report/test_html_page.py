"""The HTML report's page: the milestones' timeline, the tasks, when the data was synced, and a
layout that keeps every table inside its card on a phone (the CSS rules that do it, read back
from the page)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_json import render_json
from deskplan.app.report.render_text import render_text
from deskplan.app.review.render_html import render_html as render_review_html
from deskplan.kpi.freshness import SYNC_MODES, source_syncs
from deskplan.kpi.report import build_report
from deskplan.kpi.results import SourceSync
from deskplan.kpi.review import TaskState, build_review, period_for
from deskplan.kpi.tasks import build_tasks
from deskplan.rules.load import Workspace, load_workspace
from deskplan.state.store import Store
from deskplan.state.tasks import TaskRecord

from ..review import sample as review_sample
from .sample import NOW, tickets, utc, write_workspace

# The sample plan runs 2026-03-02 to 2026-06-30 (121 days) in Europe/Berlin; NOW is 15 April 14:00 there.
MILESTONES = """
milestones:
  - {id: rota, title: New rota, start: 2026-03-02, end: 2026-03-31, measures: [M2], owner: technology}
  - {id: training, title: Complaint training, start: 2026-04-01, end: 2026-05-15, measures: [M1]}
  - {id: rollout, title: Roll out, start: 2026-05-16, end: 2026-06-30}
  - {id: pushed, title: Pushed and done, start: 2026-03-02, end: 2026-04-10, measures: [M1]}
"""


def milestone_workspace(root: Path) -> Workspace:
    write_workspace(root)
    with (root / "plan.yaml").open("a", encoding="utf-8") as plan:
        plan.write(MILESTONES)
    return load_workspace(root)


class Page(HTMLParser):
    """Every element with its attributes, its enclosing elements, and the text inside it."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "rect", "circle", "line", "polyline"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[dict] = []
        self.open: list[dict] = []
        self.style = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "classes": set((dict(attrs).get("class") or "").split()),
                   "parents": [(e["tag"], e["classes"]) for e in self.open], "text": [], "cells": []}
        self.elements.append(element)
        rows = [e for e in self.open if e["tag"] == "tr"]
        if tag in ("td", "th") and rows:
            rows[-1]["cells"].append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        while self.open:
            element = self.open.pop()
            if element["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"].append(data)
        if self.open and self.open[-1]["tag"] == "style":
            self.style += data

    def find(self, tag: str, cls: str | None = None) -> list[dict]:
        return [e for e in self.elements if e["tag"] == tag and (cls is None or cls in e["classes"])]

    @staticmethod
    def text(element: dict) -> str:
        return " ".join("".join(element["text"]).split())

    def cells(self, row: dict) -> list[str]:
        return [self.text(cell) for cell in row["cells"]]


def css_rules(style: str) -> dict[str, dict[str, str]]:
    """selector -> declarations of the page's CSS; inside a media query the selector is
    prefixed with the query (`@media (max-width: 600px) .chart-wide`)."""
    rules: dict[str, dict[str, str]] = {}
    style = re.sub(r"/\*.*?\*/", "", style, flags=re.S)
    for media, body in re.findall(r"(@media[^{]*)\{((?:[^{}]*\{[^{}]*\})*)\s*\}", style):
        for selectors, block in re.findall(r"([^{}]+)\{([^{}]*)\}", body):
            for selector in selectors.split(","):
                rules.setdefault(f"{media.strip()} {selector.strip()}", {}).update(_declarations(block))
    outside = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", style)
    for selectors, block in re.findall(r"([^{}]+)\{([^{}]*)\}", outside):
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(_declarations(block))
    return rules


def _declarations(block: str) -> dict[str, str]:
    pairs = (d.split(":", 1) for d in block.split(";") if ":" in d)
    return {name.strip(): value.strip() for name, value in pairs}


# --- milestones ----------------------------------------------------------------------------------

def test_the_timeline_has_one_mark_per_milestone_in_its_state(tmp_path):
    workspace = milestone_workspace(tmp_path)
    page = Page(render_html(build_report(workspace, tickets(), NOW, milestones_done={"pushed": True})))
    rows = page.find("li", "milestone")
    bars = page.find("span", "bar")
    assert [r["attrs"]["data-milestone"] for r in rows] == ["rota", "training", "rollout", "pushed"]
    assert [sorted(b["classes"] - {"bar"}) for b in bars] == [["overdue"], ["active"], ["planned"], ["done"]]
    # Each mark sits inside its milestone's row, from its first day to the end of its last.
    assert all(("li", {"milestone"}) in b["parents"] for b in bars)
    assert [b["attrs"]["style"] for b in bars] == [
        "left: 0.0%; width: 24.79%", "left: 24.79%; width: 37.19%", "left: 61.98%; width: 38.02%",
        "left: 0.0%; width: 33.06%",
    ]
    assert [page.text(r) for r in rows] == [
        "overdue rota New rota 2026-03-02 to 2026-03-31 · technology · M2",
        "under way training Complaint training 2026-04-01 to 2026-05-15 · M1",
        "planned rollout Roll out 2026-05-16 to 2026-06-30",
        "done pushed Pushed and done 2026-03-02 to 2026-04-10 · M1",
    ]
    # Today (44 days and 14 hours into 121) on the ruler and on every track; the plan's edges too.
    todays = page.find("span", "today")
    assert len(todays) == 1 + 4
    assert {t["attrs"]["style"] for t in todays} == {"left: 36.85%"}
    assert {e["attrs"]["style"] for e in page.find("span", "edge")} == {"left: 0.0%", "left: 100.0%"}
    assert [page.text(t) for t in page.find("span", "tick")] == ["Apr", "May", "Jun"]


def test_milestones_not_read_back_say_so_and_none_at_all_too(tmp_path, workspace):
    (tmp_path / "with").mkdir()
    page = render_html(build_report(milestone_workspace(tmp_path / "with"), tickets(), NOW))
    assert "is not read back from the helpdesk yet" in page
    assert 'class="bar overdue"' in page and 'class="bar done"' not in page
    empty = render_html(build_report(workspace, tickets(), NOW))
    assert "plan.yaml has no milestones." in empty and 'class="bar' not in empty


def test_a_report_after_the_plan_puts_today_at_the_end_and_says_so(tmp_path):
    report = build_report(milestone_workspace(tmp_path), tickets(), utc(2026, 9, 1))
    page = Page(render_html(report))
    assert {t["attrs"]["style"] for t in page.find("span", "today")} == {"left: 100.0%"}
    assert "today, 2026-09-01 (after the plan's dates)" in " ".join(page.text(p) for p in page.find("p", "legend"))


# --- tasks ---------------------------------------------------------------------------------------

def task(remote_id: str, *, owner: str | None, origin: str, due: datetime | None, done: bool = False,
         gone: bool = False, url: str | None = None) -> TaskRecord:
    return TaskRecord(source="zd", remote_id=remote_id, key=f"k{remote_id}", ref=f"zd:{remote_id}",
                      title=f"Task {remote_id}", owner=owner, origin=origin, due=due, done=done, gone=gone,
                      status="open", url=url, read_at=NOW - timedelta(hours=2))


def tasks_report(workspace: Workspace):
    records = [
        task("1", owner="technology", origin="goal:reply-4h:2026-W14", due=NOW + timedelta(days=3)),
        task("2", owner="customer service", origin="rule:complaints", due=NOW - timedelta(days=2),
             url="https://help.example/2"),
        task("3", owner="technology", origin="goal:reply-4h:2026-W13", due=NOW - timedelta(days=9),
             url="https://help.example/3"),
        task("4", owner="customer service", origin="rule:complaints", due=NOW - timedelta(days=30), done=True),
        task("5", owner=None, origin="status", due=None),
        task("6", owner="technology", origin="rule:complaints", due=NOW - timedelta(days=1), gone=True),
    ]
    return replace(build_report(workspace, tickets(), NOW), tasks=build_tasks(records, workspace, NOW))


def test_tasks_overdue_first_each_linked_with_counts_per_owner_and_measure(workspace):
    page = Page(render_html(tasks_report(workspace)))
    rows = [e for e in page.elements if e["tag"] == "tr" and ("table", {"tasks-overdue"}) in e["parents"]
            and "data-ref" in e["attrs"]]
    assert [page.cells(r) for r in rows] == [
        ["zd:3Task 3", "9 days", "2026-04-06", "technology", "M2"],
        ["zd:2Task 2", "2 days", "2026-04-13", "customer service", "M1"],
    ]
    every = [e["attrs"]["data-ref"] for e in page.elements
             if e["tag"] == "tr" and ("table", {"tasks-all"}) in e["parents"] and "data-ref" in e["attrs"]]
    assert every == ["zd:3", "zd:2", "zd:1", "zd:5", "zd:4"]      # overdue, open by due date, done
    links = [(e["attrs"]["href"], page.text(e)) for e in page.find("a")
             if any(p == ("table", {"tasks-all"}) for p in e["parents"])]
    assert links == [("https://help.example/3", "zd:3"), ("https://help.example/2", "zd:2")]
    owners = [page.cells(e) for e in page.find("tr") if "data-owner" in e["attrs"]]     # overdue, open, done
    assert owners == [["technology", "1", "2", "0"], ["customer service", "1", "1", "1"], ["(no owner)", "0", "1", "0"]]
    measures = [page.cells(e) for e in page.find("tr") if "data-measure" in e["attrs"]]
    assert measures == [["M1Complaint handling", "1", "1", "1"], ["M2Rota", "1", "2", "0"],
                        ["(no measure)", "0", "1", "0"]]
    summary = page.text(page.find("p", "sub")[_index_after(page, "tasks")])
    assert summary == ("4 open, 2 of them overdue, 1 done, 1 deleted in the helpdesk (counted nowhere) "
                       "· read back from the helpdesk 2026-04-15 12:00 (2 hours ago)")


def _index_after(page: Page, heading_id: str) -> int:
    """The index, among the page's p.sub, of the first one after the h2 with this id."""
    seen = False
    index = 0
    for element in page.elements:
        if element["tag"] == "h2" and element["attrs"].get("id") == heading_id:
            seen = True
        elif element["tag"] == "p" and "sub" in element["classes"]:
            if seen:
                return index
            index += 1
    raise AssertionError(f"no p.sub after #{heading_id}")


def test_tasks_not_read_back_or_none_written(workspace):
    unread = render_html(build_report(workspace, tickets(), NOW))
    assert "their state has not been read back from the helpdesk yet" in unread
    none = render_html(replace(build_report(workspace, tickets(), NOW), tasks=build_tasks([], workspace, NOW)))
    assert "deskplan has no tasks in the helpdesk yet." in none and "tasks-overdue" not in none


def test_only_the_ten_longest_overdue_are_listed_apart(workspace):
    records = [task(str(n), owner="technology", origin="rule:complaints", due=NOW - timedelta(days=n))
               for n in range(1, 13)]
    report = replace(build_report(workspace, tickets(), NOW), tasks=build_tasks(records, workspace, NOW))
    page = Page(render_html(report))
    listed = [e["attrs"]["data-ref"] for e in page.elements
              if e["tag"] == "tr" and ("table", {"tasks-overdue"}) in e["parents"] and "data-ref" in e["attrs"]]
    assert listed == [f"zd:{n}" for n in range(12, 2, -1)]
    assert "Overdue: the 10 longest overdue of 12" in render_html(report)


# --- last synced ---------------------------------------------------------------------------------

def test_last_synced_per_source_and_stale_flagged(workspace):
    synced = (SourceSync("zd", NOW - timedelta(hours=3), NOW - timedelta(hours=3), 0, stale=False),
              SourceSync("jsm", NOW - timedelta(days=4), NOW - timedelta(minutes=20), 4, stale=True),
              SourceSync("new", None, None, None, stale=True))
    page = Page(render_html(build_report(workspace, tickets(), NOW, synced=synced)))
    items = [(e["attrs"]["data-source"], sorted(e["classes"]), page.text(e)) for e in page.find("li")
             if "data-source" in e["attrs"]]
    assert items == [
        ("zd", ["fresh"], "zd synced 2026-04-15 11:00 (3 hours ago)"),
        ("jsm", ["stale"], "jsm synced 2026-04-11 14:00 (4 days ago) stale "
                           "· the last sync, 2026-04-15 13:40, ended with exit 4"),
        ("new", ["stale"], "new never synced without error stale"),
    ]
    warning = page.find("p", "warning")
    assert len(warning) == 1 and page.text(warning[0]).startswith(
        "The tickets of jsm, new were not synced without error in the last 2 days")


def test_fresh_data_has_no_warning_and_unknown_syncs_no_line(workspace):
    fresh = (SourceSync("zd", NOW - timedelta(days=1, hours=23), NOW, 1, stale=False),)
    page = Page(render_html(build_report(workspace, tickets(), NOW, synced=fresh)))
    assert page.find("p", "warning") == []
    # exit 1 after the last success is named
    assert [page.text(e) for e in page.find("li") if "data-source" in e["attrs"]] == [
        "zd synced 2026-04-13 15:00 (1 day ago) · the last sync, 2026-04-15 14:00, ended with exit 1"]
    assert 'id="synced"' not in render_html(build_report(workspace, tickets(), NOW))


def test_source_syncs_reads_the_newest_success_per_source():
    def run(at: datetime, **codes: int) -> tuple[str, str]:
        summary = ",".join(f'{{"source": "{s}", "exit_code": {c}}}' for s, c in codes.items())
        return at.isoformat(), f"[{summary}]"

    runs = [
        run(NOW - timedelta(hours=1), zd=0, jsm=4),
        ("not a time", "[]"),
        (NOW.isoformat(), "not json"),
        run(NOW - timedelta(days=3), jsm=0, old=0),
        run(NOW - timedelta(days=5), zd=1, jsm=0),
    ]
    assert source_syncs(runs, ["zd", "jsm", "never"], NOW) == (
        SourceSync("zd", NOW - timedelta(hours=1), NOW - timedelta(hours=1), 0, stale=False),
        SourceSync("jsm", NOW - timedelta(days=3), NOW - timedelta(hours=1), 4, stale=True),
        SourceSync("never", None, None, None, stale=True),
    )
    # Without the config's sources: every source the runs name, by name.
    assert [s.source for s in source_syncs(runs, [], NOW)] == ["jsm", "old", "zd"]


def test_source_syncs_stops_reading_once_every_source_has_a_success():
    read: list[int] = []

    def runs():
        for n in range(1000):
            read.append(n)
            yield (NOW - timedelta(hours=n)).isoformat(), '[{"source": "zd", "exit_code": 0}]'

    assert source_syncs(runs(), ["zd"], NOW)[0].synced_at == NOW
    assert read == [0]


def test_store_lists_finished_sync_and_pull_runs_newest_first(tmp_path):
    store = Store.open(tmp_path / "state.db")
    try:
        first = store.start_run("sync")
        store.finish_run(first, 0, [{"source": "zd", "exit_code": 0}])
        push = store.start_run("plan-push")
        store.finish_run(push, 0, [{"source": "zd", "exit_code": 0}])
        second = store.start_run("sync")
        store.finish_run(second, 4, [{"source": "zd", "exit_code": 4}])
        pulled = store.start_run("pull")
        store.finish_run(pulled, 0, [{"source": "jsm", "exit_code": 0}])
        store.start_run("sync")         # killed: never finished
        rows = list(store.finished_runs(SYNC_MODES))
    finally:
        store.close()
    assert [summary for _, summary in rows] == ['[{"exit_code": 0, "source": "jsm"}]',
                                                '[{"exit_code": 4, "source": "zd"}]',
                                                '[{"exit_code": 0, "source": "zd"}]']
    assert all(datetime.fromisoformat(at).tzinfo is not None for at, _ in rows)


# --- a phone's screen ----------------------------------------------------------------------------

def test_every_table_scrolls_inside_its_card(tmp_path):
    report = tasks_report(milestone_workspace(tmp_path))
    page = Page(render_html(report))
    tables = page.find("table")
    # goals at a glance; tasks per owner, per measure, overdue, every one; each goal's windows; groups,
    # feedback categories, measures; and any a later section brings
    assert len(tables) >= 1 + 4 + 3 + 3
    assert {"tasks-owners", "tasks-measures", "tasks-overdue", "tasks-all", "by-group"} <= set().union(
        *(t["classes"] for t in tables))
    for table in tables:
        assert table["parents"][-1] == ("div", {"scroll"}), table["attrs"]
    rules = css_rules(page.style)
    assert rules[".scroll"]["overflow-x"] == "auto"
    assert rules[".scroll"]["max-width"] == "100%"
    assert rules["table"]["width"] == "100%"
    # Cards and their children may shrink below their content's width (else the page scrolls).
    assert rules[".panel"]["min-width"] == "0"
    assert rules[".pair > div"]["min-width"] == "0"


def test_status_first_and_charts_drawn_for_a_phone(workspace):
    page = Page(render_html(build_report(workspace, tickets(), NOW)))
    glance = [e for e in page.find("th") if ("table", set()) in e["parents"]][:2]
    assert [page.text(e) for e in glance] == ["Status", "Goal"]
    wide, phone = page.find("div", "chart-wide"), page.find("div", "chart-phone")
    assert len(wide) == len(phone) == 3 + 3
    rules = css_rules(page.style)
    assert rules[".chart-phone"]["display"] == "none"
    assert rules["@media (max-width: 600px) .chart-wide"]["display"] == "none"
    assert rules["@media (max-width: 600px) .chart-phone"]["display"] == "block"
    assert rules["svg.chart"]["max-width"] == "100%" and rules["svg.chart"]["height"] == "auto"
    for svg in page.find("svg"):
        assert svg["attrs"]["width"] == "100%" and svg["attrs"]["viewbox"].split()[2] in ("720", "400")
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in render_html(
        build_report(workspace, tickets(), NOW))


# --- the same in JSON and text -------------------------------------------------------------------

def test_json_and_text_carry_milestones_and_last_syncs(tmp_path):
    synced = (SourceSync("zd", NOW - timedelta(hours=3), NOW - timedelta(hours=3), 0, stale=False),
              SourceSync("jsm", None, NOW - timedelta(minutes=20), 4, stale=True))
    report = build_report(milestone_workspace(tmp_path), tickets(), NOW, synced=synced,
                          milestones_done={"pushed": True})
    data = json.loads(render_json(report))
    assert data["milestones"][0] == {"id": "rota", "title": "New rota", "start": "2026-03-02", "end": "2026-03-31",
                                     "owner": "technology", "measures": ["M2"], "state": "overdue"}
    assert [m["state"] for m in data["milestones"]] == ["overdue", "active", "planned", "done"]
    assert data["synced"] == [
        {"source": "zd", "synced_at": "2026-04-15T11:00:00+02:00", "last_run_at": "2026-04-15T11:00:00+02:00",
         "last_exit": 0, "stale": False},
        {"source": "jsm", "synced_at": None, "last_run_at": "2026-04-15T13:40:00+02:00", "last_exit": 4,
         "stale": True},
    ]
    lines = render_text(report).splitlines()
    assert lines[2:4] == ["zd: synced 2026-04-15 11:00 (3 hours ago)",
                          "jsm: never synced without error — STALE, the figures may lag the helpdesk"]


def test_the_text_report_lists_the_milestones_with_state_dates_owner_and_measures(tmp_path):
    report = build_report(milestone_workspace(tmp_path), tickets(), NOW, milestones_done={"pushed": True})
    lines = render_text(report).splitlines()
    start = lines.index("MILESTONES (done once their plan push task is done in the helpdesk)")
    assert lines[start + 1:start + 7] == [
        "STATE      MILESTONE                       DATES                    OWNER             MEASURES",
        "overdue    rota New rota                   2026-03-02 to 2026-03-31 technology        M2",
        "under way  training Complaint training     2026-04-01 to 2026-05-15 –                 M1",
        "planned    rollout Roll out                2026-05-16 to 2026-06-30 –                 –",
        "done       pushed Pushed and done          2026-03-02 to 2026-04-10 –                 M1",
        "",
    ]
    # In the plan's language; with no task read back yet, the reader is told why one is overdue.
    zh = render_text(replace(report, language="zh-CN", milestones_done_known=False)).splitlines()
    start = zh.index("里程碑（其 plan push 任务在服务台完成后即为已完成）")
    assert zh[start + 1:start + 4] == [
        "状态       里程碑                          日期                     负责人            措施",
        "逾期       rota New rota                   2026-03-02至2026-03-31   technology        M2",
        "进行中     training Complaint training     2026-04-01至2026-05-15   –                 M1",
    ]
    assert zh[start + 6] == "尚未读回已完成的 plan push 任务：已过最后一天的里程碑显示为逾期，直到其任务完成。"
    assert "MILESTONES" not in render_text(build_report(workspace_without_milestones(tmp_path), tickets(), NOW))


def workspace_without_milestones(tmp_path: Path) -> Workspace:
    (tmp_path / "plain").mkdir()
    return write_workspace(tmp_path / "plain")


# --- the review page, in the report's style ------------------------------------------------------

def test_the_review_page_keeps_its_tables_in_their_cards_status_first(tmp_path):
    workspace = review_sample.write_workspace(tmp_path)
    now = review_sample.local(2026, 12, 1, 9)
    monthly = workspace.plan.cadence[1]
    tasks = [TaskState("zd:T1", "Check the routing", "marketing", done=False, due=review_sample.local(2026, 11, 20),
                       url="https://help.example/T1"),
             TaskState("zd:T2", "Train", "customer service", done=True)]
    review = build_review(workspace, review_sample.november(), now, monthly, period_for(monthly, workspace.plan, now),
                          tasks=tasks)
    page = Page(render_review_html(review))
    tables = page.find("table")
    assert len(tables) >= 5
    for table in tables:
        assert table["parents"][-1] == ("div", {"scroll"})
    assert [page.text(e) for e in page.find("th")][:2] == ["Status", "Goal"]
    assert css_rules(page.style)[".scroll"]["overflow-x"] == "auto"
