"""ADF (REST v3 rich text) to plain text."""

from __future__ import annotations

import json

from deskplan.adapters.jira.adf import adf_to_text


def doc(*content):
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*content):
    return {"type": "paragraph", "content": list(content)}


def text(value, **extra):
    return {"type": "text", "text": value, **extra}


def test_paragraphs_become_lines_and_empty_paragraphs_blank_lines():
    body = doc(para(text("第一行")), {"type": "paragraph"},
               para(text("Second "), text("line", marks=[{"type": "strong"}])))
    assert adf_to_text(body) == "第一行\n\nSecond line"


def test_blank_paragraphs_before_and_after_the_text_are_dropped_and_line_breaks_kept():
    body = doc({"type": "paragraph"}, para(text("line one\nline two")), para(), para(text("")))
    assert adf_to_text(body) == "line one\nline two"
    assert adf_to_text(doc(para(text("a")), para({"type": "text"}), para(text("b")))) == "a\n\nb"


def test_hard_break_splits_a_paragraph():
    assert adf_to_text(doc(para(text("a"), {"type": "hardBreak"}, text("b")))) == "a\nb"


def test_lists_headings_code_and_rules():
    body = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Steps")]},
        {"type": "orderedList", "attrs": {"order": 1}, "content": [
            {"type": "listItem", "content": [para(text("重启设备"))]},
            {"type": "listItem", "content": [para(text("Retry")), {"type": "bulletList", "content": [
                {"type": "listItem", "content": [para(text("nested"))]}]}]},
        ]},
        {"type": "codeBlock", "content": [text("curl -v\nexit 1")]},
        {"type": "rule"},
        {"type": "blockquote", "content": [para(text("quoted"))]},
    )
    assert adf_to_text(body) == "Steps\n1. 重启设备\n2. Retry\n  - nested\ncurl -v\nexit 1\n---\nquoted"


def test_inline_nodes_with_their_text_in_attrs():
    body = doc(para(
        {"type": "mention", "attrs": {"id": "5b10", "text": "@Mia Krystof"}},
        text(" see "),
        {"type": "inlineCard", "attrs": {"url": "https://example.com/x"}},
        text(" "),
        {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
        {"type": "status", "attrs": {"text": "DONE", "color": "green"}},
        {"type": "mediaInline", "attrs": {"id": "m"}},
    ))
    assert adf_to_text(body) == "@Mia Krystof see https://example.com/x 😄DONE"


def test_table_rows_become_lines_and_media_disappears():
    cell = lambda v: {"type": "tableCell", "content": [para(text(v))]}  # noqa: E731
    body = doc(
        {"type": "table", "content": [{"type": "tableRow", "content": [cell("订单"), cell("状态")]},
                                      {"type": "tableRow", "content": [cell("#1"), cell("ok")]}]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x", "type": "file"}}]},
        para(text("end")),
    )
    assert adf_to_text(body) == "订单 | 状态\n#1 | ok\nend"


def test_unknown_nodes_keep_their_words():
    assert adf_to_text(doc(para({"type": "futureThing", "content": [text("still here")]}))) == "still here"


def test_strings_and_nothing():
    assert adf_to_text("wiki *markup* body") == "wiki *markup* body"
    assert adf_to_text(None) == ""
    assert adf_to_text(doc()) == ""


def test_recorded_comment_bodies(contracts_dir):
    path = contracts_dir / "jira/recorded/platform/airbyte-source-jira__v3_issue_comments.json"
    recorded = json.loads(path.read_text())
    assert [adf_to_text(c["body"]) for c in recorded["comments"]] == [
        "Closed",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Pellentesque eget venenatis elit. "
        "Duis eu justo eget augue iaculis fermentum. Sed semper quam laoreet nisi egestas at posuere augue semper.",
    ]
