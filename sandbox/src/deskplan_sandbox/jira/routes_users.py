"""User search: `GET /rest/api/{2,3}/user/search` ("Find users"), as write-back needs it to
turn an owner's email address into the accountId an issue is assigned to.

Jira matches `query` against the start of a user's display name (of each of its words) and
email address, case-insensitively, and `accountId` exactly; one of them is required. The
answer is a plain JSON array of users, `startAt` / `maxResults` (default 50) paging it. Only
active users of the site are found; a user whose email is hidden still matches by it.
"""

from __future__ import annotations

from typing import Any

from deskplan_sandbox.jira.errors import error_collection
from deskplan_sandbox.jira.site import Site, V
from deskplan_sandbox.server import Request, Response

MAX_RESULTS = 50


class UserRoutes:
    def __init__(self, app: Site):
        self.app = app

    def register(self) -> None:
        self.app.route("GET", f"{V}/user/search", self.search)

    def search(self, request: Request) -> Response:
        query = (request.arg("query") or "").strip().casefold()
        account = request.arg("accountId")
        if not query and not account:
            return error_collection(400, ["The query parameter 'query' or 'accountId' is required."])
        try:
            start = max(0, int(request.arg("startAt") or 0))
            size = max(0, min(1000, int(request.arg("maxResults") or MAX_RESULTS)))
        except ValueError:
            return error_collection(400, ["startAt and maxResults must be numbers."])
        found = [user for user in self.app.store.users.values()
                 if user.get("active", True) and _matches(user, query, account)]
        return Response(200, found[start:start + size])


def _matches(user: dict[str, Any], query: str, account: str | None) -> bool:
    if account:
        return bool(user.get("accountId") == account)
    email = str(user.get("emailAddress") or "").casefold()
    words = str(user.get("displayName") or "").casefold().split()
    return email.startswith(query) or any(word.startswith(query) for word in words)
