"""The report with plan.yaml `language: zh-CN`: the text report's headings and the HTML page's,
in Chinese, every line still within 100 columns; the JSON (for machines) stays as it is."""

from __future__ import annotations

import re
from dataclasses import replace

from deskplan.app.report.labels import width
from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_json import render_json
from deskplan.app.report.render_text import render_text
from deskplan.kpi.report import build_report

from .sample import NOW, tickets

CATEGORY_ROWS = ("服务态度", "服务质量", "产品", "流程", "投诉", "全部工单")


def chinese(workspace):
    report = build_report(workspace, tickets(), NOW)
    assert report.language == "en"          # the sample plan.yaml names none
    return replace(report, language="zh-CN")


def test_text_report_headings_in_chinese(workspace):
    text = render_text(chinese(workspace))
    lines = text.splitlines()
    assert lines[:4] == [
        "Test plan（test-plan）",
        "计划 2026-03-02 至 2026-06-30，Europe/Berlin；截至 2026-04-15 14:00 CEST；7 个工单",
        "",
        "目标                       目标值  截止日期    最新              计划值   趋势             状态",
    ]
    assert lines[4] == ("reply-4h                   ≥ 75%   2026-04-30  50.0% 2026-W14    63.1%    "
                        "↓ 更差 -50.0pp   偏离计划")
    assert lines[5].endswith("已结束的 3 周中 1 周未达成 · 4h 内首次回复")
    # kpi's stand-ins for none are rows in the reader's language too, not headings.
    assert [line.split()[0] for line in lines if line.startswith("（无")] == ["（无客户组织）", "（无渠道）"]
    assert "(no " not in text
    headings = [line for line in lines if line and not line.startswith((" ", "（无")) and line[0] > "\u2e80"]
    assert [h for h in headings if not h.startswith(CATEGORY_ROWS)][1:10] == [
        "目标                       目标值  截止日期    最新              计划值   趋势             状态",
        "趋势：最新值与前一个窗口相比，对目标而言 ↑ 更好、↓ 更差或 → 平稳",
        "（≤ 目标下降为更好）；百分点是数值本身的变化",
        "按组（每个目标在整个期间；✓ 达到目标值，✗ 未达到）",
        "按客户组织（每个目标在整个期间）",
        "按渠道（每个目标在整个期间）",
        "反馈类别（每月创建的工单）",
        "措施                                          负责人                   工单  SLA 达标    已违约",
        "任务：deskplan 的任务已写入但尚未读回；下次同步时读回",
    ]
    start = lines.index("反馈类别（每月创建的工单）")
    assert lines[start + 1:start + 9] == [
        "                2026-03 2026-04*   趋势",
        "服务态度              0        0   不适用",
        "服务质量              0        0   不适用",
        "产品                  0        0   不适用",
        "流程                  0        0   不适用",
        "投诉                  1        1   不适用",
        "全部工单              4        3",
        "* 仍未结束",
    ]
    assert max(width(line) for line in lines) <= 100


def test_html_report_in_chinese(workspace):
    page = render_html(chinese(workspace))
    assert page.startswith('<!doctype html>\n<html lang="zh-CN">')
    assert '<h2 id="glance">目标一览</h2>' in page
    assert ("<th>状态</th><th>目标</th><th class=\"num\">最新</th><th class=\"num\">计划值</th>\n"
            "  <th>趋势</th><th>目标值</th><th>截止日期</th>") in page
    assert '<span class="badge off_track">偏离计划</span>' in page
    # The charts' target label, kpi's stand-ins for none and the footer in Chinese too.
    assert 'fill="#009E73" font-family="inherit" font-size="12">目标 75%</text>' in page
    assert re.findall(r"<td>（[^<]*</td>", page) == ["<td>（无客户组织）</td>", "<td>（无渠道）</td>"]
    assert re.findall(r"<dt>[^<]*</dt>", page) == ["<dt>状态</dt>", "<dt>窗口</dt>"]
    assert "(no " not in page and ">target " not in page
    assert re.findall(r'class="tick" style="left: [0-9.]+%">([^<]+)<', page) == ["4月", "5月", "6月"]


def test_json_and_english_unchanged(workspace):
    report = build_report(workspace, tickets(), NOW)
    assert render_json(chinese(workspace)) == render_json(report)
    assert render_text(report).splitlines()[3].startswith("GOAL")
    assert '<h2 id="glance">Goals at a glance</h2>' in render_html(report)
