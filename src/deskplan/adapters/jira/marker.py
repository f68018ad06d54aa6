"""How deskplan recognises the comments it wrote itself.

Every comment deskplan writes is internal and carries this marker text. A comment is
deskplan's own (the timeline event `by_deskplan`) only when deskplan's own account wrote it
internally with the marker: anyone can type the marker (a customer, an agent quoting a
note), and a comment counted as deskplan's would not count as a reply or as what a customer
said, and write-back would take it for its own (and edit it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DESKPLAN_MARKER = "[deskplan:"


def is_deskplan_comment(body: str | None, *, author: str | None, internal: bool, own_user: str | None) -> bool:
    return own_user is not None and author == own_user and internal and body is not None and DESKPLAN_MARKER in body


def is_internal(comment: Mapping[str, Any]) -> bool:
    """Not shown to the customer: JSM says `jsdPublic: false`; outside a service project (a task)
    there is no customer, and no `jsdPublic`."""
    return comment.get("jsdPublic") is not True
