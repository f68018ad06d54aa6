"""The review digest with plan.yaml `language: zh-CN`: the week of test_digest's WEEK_46, word
for word in Chinese, dates formatted for the locale; the terminal page breaks Chinese lines
between characters (never before closing punctuation)."""

# The expected task body is the helpdesk's text line for line; its Chinese lines are wider than
# 120 columns (a CJK character counts two).
# ruff: noqa: E501

from __future__ import annotations

from dataclasses import replace

from deskplan.app.review.render_html import render_html
from deskplan.app.review.render_text import pieces, render_note, render_text
from deskplan.app.review.words import digest

from .test_digest import week_46

WEEK_46_NOTE = """\
Weekly check：2026年第46周（2026年11月9日至2026年11月15日）
Weekly check（weekly-check），2026-W46：2026年11月9日至2026年11月15日，Asia/Shanghai；负责人：customer service。
计划 Review test plan（sip-review）；数据截至 2026-11-16 09:00 CST。

目标
- 12h 内首次回复：本周 75.0%（4 个请求中的 3 个；目标 90%），比上一周上升 25.0 个百分点；未达成（偏离计划：按计划此时应为 82.3%）。
  - zd:B：first reply after 20h (allowed 12h)

按团队（落后的团队在前）
- 12h 内首次回复：Billing 50.0%（1/2，未达成）；Support 100.0%（2/2，已达成）。

反馈
- 本周创建了 4 个请求，上一周 2 个。
- 服务态度：本周 1 个，上一周 0 个（增加 1）。
- 投诉：本周 1 个，上一周 0 个（增加 1）。

里程碑
- P1 Train the agents（2026年10月1日至2026年11月15日，customer service）：逾期，已于2026年11月15日结束，尚不知是否完成。
- P2 Tune the rota（2026年11月16日至2027年1月31日）：计划中，2026年11月16日开始。
- P3 Go live（2027年2月1日至2027年3月31日）：计划中，2027年2月1日开始。
尚未从服务台读回里程碑是否完成：已过结束日期的里程碑显示为逾期。

按负责人的任务
尚未从服务台读回 deskplan 任务的状态：读回后，这里将按负责人显示未完成、逾期和已完成的任务。

本周写入
- zd:101（负责人 customer service），截止2026年11月17日：Goal reply-12h missed in 2026-W46。
"""


def chinese(workspace):
    return replace(week_46(workspace), language="zh-CN")


def test_review_task_body_in_chinese(workspace):
    review = chinese(workspace)
    assert render_note(review) == WEEK_46_NOTE
    assert digest(review).title == "Weekly check：2026年第46周（2026年11月9日至2026年11月15日）"


def test_terminal_page_breaks_chinese_between_characters(workspace):
    lines = render_text(chinese(workspace)).splitlines()
    assert lines[1:3] == [
        "Weekly check（weekly-check），2026-W46：2026年11月9日至2026年11月15日，Asia/Shanghai；负责人：",
        "customer service。",
    ]
    assert lines[6:8] == [
        "- 12h 内首次回复：本周 75.0%（4 个请求中的 3 个；目标 90%），比上一周上升 25.0 个百分点；未达成（偏",
        "  离计划：按计划此时应为 82.3%）。",
    ]
    assert [line for line in lines if line and not line.startswith((" ", "-"))][4:8] == [
        "目标", "按团队（落后的团队在前）", "反馈", "里程碑"]
    assert pieces("计划（P1），ok go") == [(True, "计"), (False, "划"), (False, "（P1），"), (False, "ok"),
                                          (True, "go")]


def test_review_page_in_chinese(workspace):
    page = render_html(chinese(workspace))
    assert page.startswith('<!doctype html>\n<html lang="zh-CN">')
    assert '<h2 id="goals">目标</h2>' in page
    assert "<th>状态</th><th>目标</th><th class=\"num\">本周</th><th class=\"num\">上一周</th>" in page


def test_english_stays_as_it_was(workspace):
    review = week_46(workspace)
    assert review.language == "en"
    assert render_note(review).splitlines()[0] == "Weekly check: week 46 of 2026 (9 to 15 Nov 2026)"
    assert '<html lang="en">' in render_html(review)
