"""Atlassian Document Format (v3 rich text) to plain text.

Rules match on comment and description text, so block structure is kept as line
breaks and every character is kept as is (CJK text included). Nodes that carry no
readable text (media, extensions) are dropped; unknown nodes still give the text of
their children, so a new ADF node type degrades to its words instead of vanishing.
"""

from __future__ import annotations

from typing import Any

# Nodes laid out on their own lines; everything else flows inline.
_BLOCKS = frozenset({
    "paragraph", "heading", "blockquote", "codeBlock", "panel", "rule",
    "bulletList", "orderedList", "listItem", "taskList", "taskItem",
    "decisionList", "decisionItem", "table", "tableRow", "mediaSingle", "mediaGroup",
    "expand", "nestedExpand", "layoutSection", "layoutColumn",
})
# Inline nodes whose text lives in `attrs`.
_ATTR_TEXT = {"mention": "text", "emoji": "text", "status": "text", "inlineCard": "url", "blockCard": "url"}


def adf_to_text(doc: Any) -> str:
    """Plain text of an ADF document; a string (REST v2 / wiki body) is returned unchanged."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    plain = _plain_paragraphs(doc)
    if plain is not None:
        return plain
    lines = _blocks(doc)
    return "\n".join(lines).strip("\n")


def _plain_paragraphs(doc: Any) -> str | None:
    """The text of a document made of paragraphs of plain text (most comments), read without
    the general walk, which costs several times more; None for any other document.

    A paragraph of text nodes is one line of their joined text, as `_blocks` renders it."""
    try:
        if doc["type"] != "doc":
            return None
        paragraphs = []
        for block in doc["content"]:
            if block["type"] != "paragraph":
                return None
            texts = []
            for node in block.get("content", ()):
                if node["type"] != "text":
                    return None
                texts.append(node["text"])
            paragraphs.append("".join(texts))
    except (KeyError, TypeError, AttributeError):
        return None     # not of that shape: the general walk reads it (or says what is wrong)
    return "\n".join(paragraphs).strip("\n")


def _blocks(node: dict[str, Any]) -> list[str]:
    """The lines a node renders as (a block node renders one or more whole lines)."""
    kind = node.get("type")
    if kind == "rule":
        return ["---"]
    if kind in ("mediaSingle", "mediaGroup"):
        return []
    if kind in ("tableRow",):
        return [" | ".join(_cell(c) for c in node.get("content", []))]
    if kind in ("orderedList", "bulletList"):
        lines: list[str] = []
        for number, item in enumerate(node.get("content", []), start=node.get("attrs", {}).get("order", 1)):
            bullet = f"{number}. " if kind == "orderedList" else "- "
            item_lines = _children_lines(item)
            lines.extend(bullet + line if i == 0 else "  " + line for i, line in enumerate(item_lines))
        return lines
    if kind in _BLOCKS or kind == "doc" or kind is None:
        return _children_lines(node)
    return [_inline(node)]


def _children_lines(node: dict[str, Any]) -> list[str]:
    """Lines of a container: consecutive inline children join into one line (split at hard breaks)."""
    lines: list[str] = []
    run: list[str] = []
    for child in node.get("content", []):
        if child.get("type") in _BLOCKS:
            if run:
                lines.extend("".join(run).split("\n"))
                run = []
            lines.extend(_blocks(child))
        else:
            run.append(_inline(child))
    if run or not lines:
        lines.extend("".join(run).split("\n"))
    return lines


def _inline(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "text":
        return node.get("text", "")
    if kind == "hardBreak":
        return "\n"
    if kind in _ATTR_TEXT:
        attrs = node.get("attrs", {})
        return str(attrs.get(_ATTR_TEXT[kind]) or attrs.get("shortName") or "")
    if kind in ("media", "mediaInline", "extension", "inlineExtension", "bodiedExtension", "placeholder"):
        return ""
    return "".join(_inline(child) for child in node.get("content", []))


def _cell(cell: dict[str, Any]) -> str:
    return " ".join(line for line in _children_lines(cell) if line)
