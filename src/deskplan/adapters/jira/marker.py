"""How deskplan recognises the comments it wrote itself.

Every comment deskplan writes carries this marker text; reading it back marks the
timeline event `by_deskplan`, so deskplan's own notes never count as an agent's reply
to the customer, and write-back can find (and edit) its earlier comment.
"""

from __future__ import annotations

DESKPLAN_MARKER = "[deskplan:"


def is_deskplan_comment(body: str | None) -> bool:
    return DESKPLAN_MARKER in body if body else False
