"""What deskplan writes into the helpdesk with plan.yaml `language: zh-CN`, and that a switch of
language plans nothing again (the keys and fingerprints hold no word of the text)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from deskplan.effects import marker
from deskplan.i18n import translator
from deskplan.writes.planner import EvidenceTicket, GoalMiss, PlanItem, goal_tasks, plan_push_tasks, plan_ticket
from tests.writeback.fakes import (
    FOLLOW_UP,
    SECRET,
    assessment,
    clock,
    settle,
)

ZH = translator("zh-CN")
EN = translator("en")
SHANGHAI = ZoneInfo("Asia/Shanghai")

MISS = GoalMiss(
    plan_id="sip-2026", goal_id="G2", metric="first_reply_within", window_label="2026-10",
    window_start=datetime(2026, 9, 30, 16, tzinfo=timezone.utc),
    window_end=datetime(2026, 10, 31, 16, tzinfo=timezone.utc), value=0.8, target=0.9,
    title="12小时内首次回复", owners=("客户服务部",), measures=("M2",), numerator=8, denominator=10,
    evidence=(EvidenceTicket("zd", "12", "12", "no reply"),),
)


def test_status_comment_in_chinese(ledger):
    a = replace(assessment(7), zone=SHANGHAI)
    (write,) = plan_ticket(a, ledger, secret=SECRET, lang=ZH)
    assert write.body == (
        "deskplan 状态（sip-2026）\n"
        "措施 M2 24-hour support rota（负责人：customer service） [规则 urgent-vip]\n"
        "SLA 首次回复：正常，目标 4h，截止 2026-11-23 13:00 CST，已用 30m，剩余 3h30m，"
        "日历 support-hours [规则 urgent-vip]\n"
        f"{marker(write.key)}"
    )
    assert write.title == "7 的 SLA 首次回复正常"


def test_breached_clock_in_chinese(ledger):
    breached = clock(state="breached", target_h=1, elapsed_m=100)
    (write,) = plan_ticket(replace(assessment(1), clocks=(breached,)), ledger, secret=SECRET, lang=ZH)
    assert "SLA 首次回复：已违约，目标 1h，截止 2026-11-23 02:00 UTC，已用 1h40m，已超时 40m，" in write.body


def test_switching_language_writes_no_comment_or_task_again(ledger):
    a = assessment(3, tasks=(FOLLOW_UP,))
    english = plan_ticket(a, ledger, secret=SECRET, lang=EN)
    chinese = plan_ticket(a, ledger, secret=SECRET, lang=ZH)
    assert [w.key for w in english] == [w.key for w in chinese]
    assert [w.fingerprint for w in english] == [w.fingerprint for w in chinese]
    assert english[0].body != chinese[0].body
    settle(ledger, english)
    assert plan_ticket(a, ledger, secret=SECRET, lang=ZH) == []
    (goal,) = goal_tasks([MISS], ["zd"], ledger, secret=SECRET, lang=EN)
    settle(ledger, [goal])
    assert list(goal_tasks([MISS], ["zd"], ledger, secret=SECRET, lang=ZH)) == []


def test_rule_task_lines_in_chinese_the_rules_own_text_as_written(ledger):
    writes = plan_ticket(assessment(1, tasks=(FOLLOW_UP,)), ledger, secret=SECRET, lang=ZH)
    task = writes[-1]
    assert task.title == "Follow up on the rating of 1"       # the rule author's own template
    assert task.body == (
        "Call back.\n跟进 zd:1（zd:1），规则 bad-rating-follow-up。\n负责人：Marketing\n"
        f"截止：2026-11-25 01:00 UTC\n{marker(task.key)}"
    )


def test_goal_miss_task_in_chinese(ledger):
    (task,) = goal_tasks([MISS], ["zd"], ledger, secret=SECRET, lang=ZH)
    assert task.title == "目标 G2 在 2026-10 未达成（first_reply_within）"
    assert task.body == (
        "计划 sip-2026 的目标 G2（12小时内首次回复） 在 2026-10（UTC 2026-09-30 16:00 至 2026-10-31 16:00）"
        "未达到目标值。\n"
        "指标 first_reply_within：80%（8/10），目标不低于 90%。\n"
        "措施：M2\n"
        "负责人：客户服务部\n"
        "最差的工单：\n"
        "- zd:12 no reply\n"
        f"{marker(task.key)}"
    )


def test_a_goal_task_of_several_owners_names_them_in_the_plans_language(ledger):
    miss = replace(MISS, owners=("市场部", "客户服务部"))
    (task,) = goal_tasks([miss], ["zd"], ledger, secret=SECRET, lang=ZH, zone=SHANGHAI)
    assert task.owner == "市场部、客户服务部"
    assert "负责人：市场部、客户服务部\n" in task.body
    # Due a week after the window closed (1 Nov 00:00 in Shanghai): by the end of 7 Nov there.
    assert (task.due, task.zone) == (datetime(2026, 11, 7, 16, tzinfo=timezone.utc), "Asia/Shanghai")
    (english,) = goal_tasks([miss], ["zd"], ledger, secret=SECRET, lang=EN)
    assert (english.owner, english.zone) == ("市场部, 客户服务部", None)


def test_plan_push_task_in_chinese(ledger):
    items = [PlanItem("sip-2026", "milestone", "P1", "系统升级与培训", owner="技术部", due=date(2026, 12, 31),
                      measures=("M1", "M2"))]
    (task,) = plan_push_tasks(items, "zd", ledger, secret=SECRET, lang=ZH)
    assert task.title == "里程碑 P1：系统升级与培训"
    assert task.body == f"计划 sip-2026 的里程碑 P1。\n措施：M1、M2\n负责人：技术部\n{marker(task.key)}"
    assert task.zone == "UTC"       # no zone given: the plan push's default
