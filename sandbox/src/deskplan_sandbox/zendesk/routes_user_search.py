"""User search (`GET /api/v2/users/search?query=...`), as far as write-back needs it: finding an
agent by email address, to assign a task to them.

Zendesk's search matches a query against names, emails, phone numbers and more (its search
syntax); this one matches an email address exactly (case-insensitive), bare or as `email:...`,
and a name exactly, and answers the offset-paged shape Zendesk does: `users`, `next_page`,
`previous_page`, `count`. A request without `query` (or `external_id`) is refused (422).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from deskplan_sandbox.server import Request, Response
from deskplan_sandbox.zendesk.errors import invalid_value
from deskplan_sandbox.zendesk.site import Site, api


def register(sim: Site) -> None:
    sim.router.add("GET", api("users/search"), partial(search_users, sim))


def search_users(sim: Site, request: Request) -> Response:
    query = (request.arg("query") or "").strip()
    external_id = request.arg("external_id")
    if not query and not external_id:
        return invalid_value("Search query or external_id is required")
    found: list[dict[str, Any]] = []
    email = query.removeprefix("email:").strip().strip('"')
    if "@" in email:
        user_id = sim.store.user_id_by_email(email)
        user = sim.store.user(user_id) if user_id is not None else None
        if user is not None:
            found.append(user)
    return Response(200, {"users": found, "next_page": None, "previous_page": None, "count": len(found)})
