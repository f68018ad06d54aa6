"""Atlassian Document Format: the rich-text JSON of REST v3 (descriptions, comment bodies).

REST v2 speaks wiki-markup strings instead; the simulator stores ADF and converts at the edge.
"""

from __future__ import annotations

import html
from typing import Any


def text_to_adf(text: str) -> dict[str, Any]:
    """One paragraph per line, as Jira's own editor does for pasted plain text."""
    paragraphs = []
    for line in text.split("\n"):
        content = [{"type": "text", "text": line}] if line else []
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_to_text(doc: Any) -> str:
    """Plain text of a document: text nodes joined, block nodes on their own lines."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    blocks = [_inline_text(block) for block in doc.get("content", [])]
    return "\n".join(blocks)


def _inline_text(node: dict[str, Any]) -> str:
    if node.get("type") == "text":
        return node.get("text", "")
    if node.get("type") == "hardBreak":
        return "\n"
    children = node.get("content", [])
    joiner = "\n" if node.get("type") in ("bulletList", "orderedList", "listItem", "blockquote") else ""
    return joiner.join(_inline_text(child) for child in children)


def adf_to_html(doc: Any) -> str:
    """`renderedBody`: one `<p>` per block, text escaped."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return "".join(f"<p>{html.escape(line)}</p>" for line in doc.split("\n"))
    return "".join(f"<p>{html.escape(_inline_text(block))}</p>" for block in doc.get("content", []))


def is_adf_doc(value: Any) -> bool:
    """What Jira v3 accepts as a document: `{"type": "doc", "version": 1, "content": [...]}`."""
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )
