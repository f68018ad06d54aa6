"""The review digest as Markdown (for a wiki page, a chat message, a pull request)."""

from __future__ import annotations

import re

from deskplan.app.review.words import digest
from deskplan.kpi.review import Review

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def escape(text: str) -> str:
    """Text shown as written: Markdown's special characters escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def render_md(review: Review) -> str:
    doc = digest(review)
    lines = [f"# {escape(doc.title)}", ""]
    lines += [f"{escape(line)}  " for line in doc.lines]
    lines[-1] = lines[-1].rstrip()
    for section in doc.sections:
        lines += ["", f"## {escape(section.heading)}", ""]
        for item in section.items:
            lines.append(f"- {escape(item.text)}")
            lines += [f"  - {escape(detail)}" for detail in item.details]
        if section.note:
            lines += ([""] if section.items else []) + [f"_{escape(section.note)}_"]
    return "\n".join(lines) + "\n"
