"""The review digest as plain text: for a terminal (`deskplan review`), and as the body of a
review task in the helpdesk (a Zendesk internal note, a Jira description).

Both are the digest's sentences with a simple line structure: the title, the lines under it,
then each section as a heading line and its items as `- ` bullets, details as indented `- `
bullets under them. The terminal page wraps at 100 columns (CJK characters count two) and
writes headings in capitals, as `deskplan report` does; the task body does not wrap (the
helpdesk does) and Jira's writer turns each line into a paragraph.
"""

from __future__ import annotations

from deskplan.app.report.labels import width
from deskplan.app.review.words import Digest, Section, digest
from deskplan.kpi.review import Review

WIDTH = 100


# Chinese punctuation that never starts a line (it stays with the character before it), and
# that never ends one (it stays with the character after it).
NO_BREAK_BEFORE = frozenset("，。；：、）》」』！？…")
NO_BREAK_AFTER = frozenset("（《「『")


def pieces(text: str) -> list[tuple[bool, str]]:
    """(spaced, piece): the words of `text`, a line may break between two. Chinese has no
    spaces: each wide (CJK) character is a piece of its own, joined to the one before it
    without a space, and punctuation stays with what it opens or closes."""
    out: list[tuple[bool, str]] = []
    for word in text.split():
        spaced, run = True, ""
        for char in word:
            wide = width(char) == 2
            joined = char in NO_BREAK_BEFORE or (run and run[-1] in NO_BREAK_AFTER)
            if joined or not run or not (wide or width(run[-1]) == 2):
                run += char
            else:
                out.append((spaced, run))
                spaced, run = False, char
        if run:
            out.append((spaced, run))
    return out


def wrap(text: str, first: str, rest: str, columns: int = WIDTH) -> list[str]:
    """`text` after the prefix `first`, continued after `rest`, in lines of at most `columns`
    terminal columns (a word longer than a line stays whole; Chinese breaks between characters)."""
    lines: list[str] = []
    line = first
    fresh = True
    for spaced, word in pieces(text):
        gap = 1 if spaced else 0
        if not fresh and width(line) + gap + width(word) > columns:
            lines.append(line)
            line, fresh = rest, True
        line = line + word if fresh else line + " " * gap + word
        fresh = False
    lines.append(line)
    return lines


def _section_lines(section: Section, *, heading: str, columns: int | None) -> list[str]:
    def put(text: str, first: str, rest: str) -> list[str]:
        return wrap(text, first, rest, columns) if columns else [first + text]

    lines = [heading]
    for item in section.items:
        lines += put(item.text, "- ", "  ")
        for detail in item.details:
            lines += put(detail, "  - ", "    ")
    if section.note:
        lines += put(section.note, "", "")
    return lines


def digest_lines(doc: Digest, *, terminal: bool) -> list[str]:
    columns = WIDTH if terminal else None
    lines = wrap(doc.title, "", "", WIDTH) if terminal else [doc.title]
    for line in doc.lines:
        lines += wrap(line, "", "", WIDTH) if terminal else [line]
    for section in doc.sections:
        lines.append("")
        heading = section.heading.upper() if terminal else section.heading
        lines += _section_lines(section, heading=heading, columns=columns)
    return lines


def render_text(review: Review) -> str:
    """The digest for a terminal."""
    return "\n".join(digest_lines(digest(review), terminal=True)) + "\n"


def render_note(review: Review) -> str:
    """The digest as the body of a review task: plain lines, headings as lines, `- ` bullets."""
    return note_text(digest(review))


def note_text(doc: Digest) -> str:
    """A digest already built, as the body of a review task (`render_note`)."""
    return "\n".join(digest_lines(doc, terminal=False)) + "\n"
