"""Reading deskplan's own Zendesk tasks back: they are tickets of type `task` that the export
pulls like any other, so their state comes from the stored ticket whose id the ledger holds,
at no extra request (app/tasks.py decides which ids those are).

Done is `solved` or `closed` (Zendesk's own status, whatever status_map says for requests);
a ticket the export marks `deleted` is gone. `due_at` is read as the helpdesk holds it now:
an agent who moves the date moves it for deskplan too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from deskplan.state.tasks import TaskReading

DONE_STATUSES = ("solved", "closed")
DELETED = "deleted"


def task_reading(remote_id: str, ticket: Mapping[str, Any] | None, site: str) -> TaskReading | None:
    """The task's state from its stored ticket; None while no pull has stored it yet."""
    if not isinstance(ticket, Mapping):
        return None
    status = ticket.get("status")
    status = status if isinstance(status, str) else ""
    if status == DELETED:
        return TaskReading(remote_id, gone=True, status=status)
    return TaskReading(remote_id, done=status in DONE_STATUSES, status=status, due=_instant(ticket.get("due_at")),
                       url=task_url(site, remote_id))


def task_url(site: str, remote_id: str) -> str:
    """The ticket in the agent interface."""
    return f"{site.rstrip('/')}/agent/tickets/{remote_id}"


def _instant(value: Any) -> datetime | None:
    """An ISO instant as Zendesk writes it; anything else (hostile or malformed) is no due time."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or not 1970 <= moment.year < 2100:
        return None
    return moment.astimezone(timezone.utc)
