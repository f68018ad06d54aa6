"""`deskplan demo --lang zh-CN`: the demo with the Chinese twin of the example workspace. What
deskplan writes reaches each simulator in Chinese (read back through its HTTP API, as an agent
would see it), and the report's headings are Chinese."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from deskplan.app.demo import Helpdesks, run_demo
from deskplan.cli import cli

NOW = "2026-05-20T09:30:00Z"
STATUS_HEADING = "deskplan 状态（sip-2026h1）"


def commented_ticket(desks: Helpdesks, name: str) -> str:
    """The first ticket deskplan wrote a status comment on, from the simulator's write log."""
    for record in desks.apps[name].writes:
        path = record.path.split("?")[0]
        if not 200 <= record.status < 300:
            continue
        if name == "zendesk":
            found = re.fullmatch(r"/api/v2/tickets/(\d+)(\.json)?", path)
            if found and record.method == "PUT" and "comment" in ((record.body or {}).get("ticket") or {}):
                return found.group(1)
        else:
            found = re.fullmatch(r"/rest/api/3/issue/([^/]+)/comment", path)
            if found and record.method == "POST":
                return found.group(1)
    raise AssertionError(f"no status comment written into {name}")


def test_the_chinese_demo_writes_chinese_into_both_simulators_and_reports_in_chinese(tmp_path: Path):
    seen: dict[str, Any] = {}

    def read_back(desks: Helpdesks) -> None:
        for name in desks.urls:
            agent = desks.agent(name, ZoneInfo("Asia/Shanghai"))     # the plan's
            try:
                ticket = commented_ticket(desks, name)
                seen[name] = [c for c in agent.comments(ticket)
                              if STATUS_HEADING in str(c.get("body"))]
                seen[f"{name} tasks"] = [t.title for t in agent.open_tasks()]
            finally:
                agent.close()

    root = tmp_path / "demo"
    result = run_demo(root, tickets={"zendesk": 60, "jsm": 40}, seed=5, environ={"DESKPLAN_NOW": NOW},
                      language="zh-CN", before_stop=read_back)
    assert result.sync.exit_code == 0 and result.next_sync is not None and result.next_sync.exit_code == 0

    # Zendesk: one internal note, its text Chinese from its first line on.
    (note,) = seen["zendesk"]
    assert note["public"] is False and note["body"].startswith(STATUS_HEADING + "\n措施 ")
    # Jira: one comment, ADF paragraphs, the first the Chinese heading.
    (comment,) = seen["jsm"]
    paragraphs = [p["content"][0]["text"] for p in comment["body"]["content"] if p.get("content")]
    assert paragraphs[0] == STATUS_HEADING and paragraphs[1].startswith("措施 ")
    assert any(p.startswith("SLA 首次回复：") for p in paragraphs)
    # The tasks left open in each: the latest ended milestone's, titled as plan push writes it.
    for name in ("zendesk", "jsm"):
        assert [t for t in seen[f"{name} tasks"] if t.startswith("里程碑 ")] == [
            "里程碑 P2：测试并调整值班、跟进和分派（第 3-4 个月）", "里程碑 P3：全面上线（第 5-6 个月）"]
    # The team found the milestones' tasks by their Chinese titles, as in English.
    assert [w.line() for w in result.team] == [
        "zendesk: 8 of 20 open tasks solved; milestone P1's task closed; milestone P2's task left open, past its end",
        "jsm: 7 of 16 open tasks solved; milestone P1's task closed; milestone P2's task left open, past its end",
    ]
    assert result.reviews[0].title == "首次回复和解决时间周检：2026年第20周（2026年5月11日至2026年5月17日）"

    lines = result.report_text.splitlines()
    assert lines[0] == "客户服务改进计划（基于生成工单的演示）（sip-2026h1）"
    assert lines[1] == "计划 2026-01-19 至 2026-07-14，Asia/Shanghai；截至 2026-05-20 17:30 CST；99 个工单"
    assert re.fullmatch(r"zendesk：同步于 \d{4}-\d\d-\d\d \d\d:\d\d（刚刚）", lines[2])
    assert "里程碑（其 plan push 任务在服务台完成后即为已完成）" in lines
    assert "任务（读回于 2026-05-20 17:30）：21 个未完成，其中 10 个逾期，15 个已完成" in lines
    milestones = lines.index("里程碑（其 plan push 任务在服务台完成后即为已完成）")
    assert lines[milestones + 2].split()[:3] == ["已完成", "P1", "升级订单系统并培训客服（第"]
    assert "(no " not in result.report_text
    page = result.html.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and '<h2 id="milestones">里程碑</h2>' in page


def test_demo_command_takes_the_language(tmp_path: Path):
    root = tmp_path / "demo"
    shown = CliRunner().invoke(cli, ["demo", "--workspace", str(root), "--tickets", "40", "--seed", "3",
                                     "--lang", "zh-CN"], env={"DESKPLAN_NOW": NOW})
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("客户服务改进计划（基于生成工单的演示）（sip-2026h1）\n")
    assert "language: zh-CN" in (root / "plan.yaml").read_text(encoding="utf-8")
