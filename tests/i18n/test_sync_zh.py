"""A sync of a workspace with `language: zh-CN` writes its status comments in Chinese, and a
language switch writes nothing again."""

from __future__ import annotations

from pathlib import Path

from deskplan.app.sync import run_sync
from deskplan.effects import WriteKind
from deskplan.workspace.init import init_workspace
from tests.connector.fake_adapter import FakeAdapter, raw_ticket
from tests.connector.test_sync import ENV, make_config
from tests.writeback.fakes import FakeWriter

NOW = {**ENV, "DESKPLAN_NOW": "2026-03-02T09:00:00+08:00"}     # a Monday of the packaged plan


def planned(config, tickets):
    writes = []
    run_sync(config, environ=NOW, adapter_factory=lambda cfg, token: FakeAdapter("fake", tickets), dry_run=True,
             on_write=writes.append)
    return writes


def test_status_comments_of_a_chinese_plan(tmp_path: Path):
    init_workspace(tmp_path, language="zh-CN")
    config = make_config(tmp_path)
    writes = planned(config, [raw_ticket(1, 1)])
    comments = [w for w in writes if w.kind is WriteKind.COMMENT]
    assert comments, writes
    comment = comments[0]
    assert comment.title == "1 的 SLA 首次回复已违约"
    assert comment.body.splitlines()[:3] == [
        "deskplan 状态（sip-2026h1）",
        "SLA 首次回复：已违约，目标 12h，截止 2026-01-04 18:00 CST，已用 324h，已超时 312h，"
        "日历 support-hours [规则 standard-sla]",
        "SLA 解决：已违约，目标 24h，截止 2026-01-06 14:00 CST，已用 324h，已超时 300h，"
        "日历 support-hours [规则 standard-sla]",
    ]


def test_switching_the_plans_language_writes_nothing_again(tmp_path: Path):
    init_workspace(tmp_path)
    config = make_config(tmp_path)
    writer = FakeWriter(source="fake")
    tickets = [raw_ticket(1, 1), raw_ticket(2, 2)]

    def sync():
        return run_sync(config, environ=NOW, adapter_factory=lambda cfg, token: FakeAdapter("fake", tickets),
                        writer_factory=lambda cfg, token: writer)

    sync()
    written = dict(writer.comments)
    assert written and all(body.startswith("deskplan status") for notes in written.values() for _, body in notes)
    plan = tmp_path / "plan.yaml"
    plan.write_text("language: zh-CN\n" + plan.read_text(encoding="utf-8"), encoding="utf-8")
    assert planned(config, tickets) == []
    sync()
    assert writer.comments == written
