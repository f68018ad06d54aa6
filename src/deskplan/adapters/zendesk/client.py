"""Zendesk's REST names and paging rules, and nothing else.

Three paging styles, each a generator of `ExportPage`s carrying the JSON-able resume point
that follows the page (stored with the page's records, in one transaction):

- cursor exports (`/incremental/{tickets,users}/cursor`): `start_time` on the first call,
  then `cursor=<after_cursor>`; stop on `end_of_stream`, never on an empty page.
  Resume point: `{"after_cursor": "..."}`. Side-loads (`include=`) are asked for on every
  page (the `after_url` does not carry them) and come back as top-level arrays.
- the time-based ticket-events export: `start_time=<end_time of the previous page>`;
  stop on `end_of_stream`. Resume point: `{"start_time": <epoch seconds>}`.
- cursor pagination (`page[size]`, `page[after]`) for satisfaction ratings, filtered by
  `start_time`; stop on `meta.has_more == false` (a last page can still carry a
  `links.next`). Resume point: `{"start_time": <epoch>, "page_after": "..."|None, "newest": <epoch>}`
  while paging, `{"start_time": <newest seen>}` once done.

Every resume point is the server's own (`after_cursor`, `end_time`, the newest rating seen),
sent back as it came: never moved by the host's clock, whose skew against the helpdesk's
would move a cursor back or repeat it. A `start_time` inside the minute Zendesk holds back
(by its clock) is answered 422 "Too recent start_time": caught up, the stream ends for this
run, the cursor stays.

Each loop remembers what it sent: a request it already made in this run, or a page that
claims not to be the last but does not move the continuation on, is a loop, and raises
(the pages before it are stored; the next run resumes there) instead of asking forever.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from deskplan.errors import RequestRejected, ServerError
from deskplan.transport.http import HttpClient, Rejected

log = logging.getLogger(__name__)

EXPORT_PAGE_SIZE = 1000          # the incremental exports' maximum
LIST_PAGE_SIZE = 100             # cursor pagination's maximum
AGENT_ROLES = ("agent", "admin")  # the roles that can be assigned a ticket
# Zendesk's answer (422 InvalidValue) to a start_time inside the minute it holds back
TOO_RECENT = "too recent start_time"


@dataclass(frozen=True)
class ExportPage:
    items: list[dict[str, Any]]
    cursor: dict[str, Any]       # where the next page starts; JSON-able
    done: bool
    sideloads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # `include=` key -> objects


class ZendeskClient:
    """Typed calls to the few Zendesk endpoints deskplan reads."""

    def __init__(self, http: HttpClient):
        self.http = http

    def me(self) -> dict[str, Any]:
        body = self.http.get_json("/api/v2/users/me.json")
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict):
            raise ServerError("unexpected answer shape", source=self.http.source, where="GET /api/v2/users/me.json")
        return user

    def own_user_id(self) -> str:
        """The id of the user the credentials belong to. Zendesk answers bad credentials on
        /users/me with 200 and an anonymous user (no id): that is refused credentials."""
        user = self.me()
        if user.get("id") is None:
            raise self.http.refused("the credentials were not accepted (Zendesk answered as an anonymous user)",
                                    "GET /api/v2/users/me.json")
        return str(user["id"])

    def group(self, group_id: str) -> dict[str, Any] | None:
        """The group with that id, or None when Zendesk has none (404)."""
        try:
            body = self.http.get_json(f"/api/v2/groups/{quote(group_id)}.json")
        except RequestRejected as exc:
            if exc.status == 404:
                return None
            raise
        group = body.get("group") if isinstance(body, dict) else None
        return group if isinstance(group, dict) else None

    def groups(self) -> Iterator[dict[str, Any]]:
        """Every group of the account (deleted ones included, marked `deleted`)."""
        for page in self.list_pages("/api/v2/groups.json", "groups", {}):
            yield from (g for g in page.items if isinstance(g, dict))

    def search_users(self, query: str) -> list[dict[str, Any]]:
        """Users matching `query` (an email finds its user)."""
        body = self.http.get_json("/api/v2/users/search.json", {"query": query})
        users = body.get("users") if isinstance(body, dict) else None
        return [u for u in users if isinstance(u, dict)] if isinstance(users, list) else []

    def agent(self, email: str) -> dict[str, Any] | None:
        """The active agent or admin whose email is `email` (in any case), or None: the search
        also finds end users and suspended agents, who cannot be assigned a ticket."""
        wanted = email.casefold()
        return next((u for u in self.search_users(email) if str(u.get("email") or "").casefold() == wanted
                     and u.get("role") in AGENT_ROLES and u.get("active", True)), None)

    def cursor_export(self, resource: str, cursor: dict[str, Any] | None, *, include: tuple[str, ...] = ()
                      ) -> Iterator[ExportPage]:
        """`/api/v2/incremental/{resource}/cursor.json` (resource: "tickets" or "users"),
        with the side-loads named in `include` (e.g. "groups", "organizations")."""
        path = f"/api/v2/incremental/{resource}/cursor.json"
        sent = (cursor or {}).get("after_cursor")
        asked = _Asked(self.http.source, path)
        while True:
            params: dict[str, Any] = {"per_page": EXPORT_PAGE_SIZE}
            if include:
                params["include"] = ",".join(include)
            if sent:
                params["cursor"] = sent
            else:
                params["start_time"] = 0
            asked.once(sent)
            body = self._export_page(path, params)
            if body is None:
                return
            items = _list(body, resource, self.http.source, path)
            after = body.get("after_cursor") or sent
            done = bool(body.get("end_of_stream"))
            if not done:
                _guard_loop(sent, after, self.http.source, path)
            # A server that does not side-load leaves the names to fall back on ids.
            sideloads = {key: body[key] for key in include if isinstance(body.get(key), list)}
            yield ExportPage(items, {"after_cursor": after} if after else {}, done, sideloads)
            if done:
                return
            sent = after

    def ticket_events(self, cursor: dict[str, Any] | None) -> Iterator[ExportPage]:
        """`/api/v2/incremental/ticket_events.json?include=comment_events` (time-based)."""
        path = "/api/v2/incremental/ticket_events.json"
        start = int((cursor or {}).get("start_time") or 0)
        asked = _Asked(self.http.source, path)
        while True:
            asked.once(start)
            params = {"start_time": start, "include": "comment_events", "per_page": EXPORT_PAGE_SIZE}
            body = self._export_page(path, params)
            if body is None:
                return
            items = _list(body, "ticket_events", self.http.source, path)
            done = bool(body.get("end_of_stream"))
            end_time = body.get("end_time")
            following = int(end_time) if isinstance(end_time, (int, float)) else start
            if not done and following <= start:
                raise _loop(self.http.source, path)
            yield ExportPage(items, {"start_time": max(following, start)}, done)
            if done:
                return
            start = following

    def satisfaction_ratings(self, cursor: dict[str, Any] | None) -> Iterator[ExportPage]:
        """`/api/v2/satisfaction_ratings?score=received` (only good/bad) since `start_time`."""
        cursor = cursor or {}
        start = int(cursor.get("start_time") or 0)
        newest = int(cursor.get("newest") or start)
        params = {"score": "received", "start_time": start}
        for page in self.list_pages("/api/v2/satisfaction_ratings.json", "satisfaction_ratings", params,
                                    after=cursor.get("page_after")):
            newest = max([newest, *(_epoch(item.get("updated_at")) for item in page.items)])
            if page.done:
                # Re-reading the newest second next time is harmless (records are keyed by id)
                # and catches ratings changed within that second.
                yield ExportPage(page.items, {"start_time": newest}, True)
            else:
                yield ExportPage(page.items, {"start_time": start, "page_after": page.cursor["page_after"],
                                              "newest": newest}, False)

    def satisfaction_rating(self, rating_id: str) -> dict[str, Any] | None:
        """`GET /api/v2/satisfaction_ratings/{id}`; None when Zendesk no longer has it (404)."""
        path = f"/api/v2/satisfaction_ratings/{rating_id}.json"
        try:
            body = self._object(path, {})
        except Rejected as exc:
            if exc.status == 404:
                return None
            raise
        rating = body.get("satisfaction_rating")
        return rating if isinstance(rating, dict) else None

    def list_pages(self, path: str, key: str, params: dict[str, Any], *, after: str | None = None
                   ) -> Iterator[ExportPage]:
        """Cursor pagination (`page[size]`, `page[after]`) of the list under `key`.

        Ends on `meta.has_more == false`, whatever `links.next` says. Resume point of a
        page that is not the last: `{"page_after": <meta.after_cursor>}`.
        """
        sent = after
        asked = _Asked(self.http.source, path)
        while True:
            query = {**params, "page[size]": LIST_PAGE_SIZE}
            if sent:
                query["page[after]"] = sent
            asked.once(sent)
            body = self._object(path, query)
            items = _list(body, key, self.http.source, path)
            meta = body["meta"] if isinstance(body.get("meta"), dict) else {}
            if not meta.get("has_more"):
                yield ExportPage(items, {}, True)
                return
            following = meta.get("after_cursor")
            _guard_loop(sent, following, self.http.source, path)
            yield ExportPage(items, {"page_after": following}, False)
            sent = following

    # --- helpers ---------------------------------------------------------------------------

    def _object(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        body = self.http.get_json(path, params=params)
        if not isinstance(body, dict):
            raise ServerError("unexpected answer shape (not an object)", source=self.http.source, where=f"GET {path}")
        return body

    def _export_page(self, path: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """An incremental export's page, or None when Zendesk refuses the start_time as too
        recent: everything up to its held-back minute has been read."""
        try:
            return self._object(path, params)
        except Rejected as exc:
            if exc.status == 422 and TOO_RECENT in str(exc).lower():
                log.info("%s: GET %s: caught up (start_time %s is inside the minute Zendesk holds back)",
                         self.http.source, path, params.get("start_time"))
                return None
            raise


class _Asked:
    """What one paging loop has sent: asking for the same page twice in one run is a loop."""

    def __init__(self, source: str, path: str):
        self.source = source
        self.path = path
        self._sent: set[Hashable] = set()

    def once(self, request: Hashable) -> None:
        if request in self._sent:
            raise ServerError("pagination loop: this request was already made in this run", source=self.source,
                              where=f"GET {self.path}")
        self._sent.add(request)


def _list(body: dict[str, Any], key: str, source: str, path: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list):
        raise ServerError(f"unexpected answer shape (no {key!r} list)", source=source, where=f"GET {path}")
    return items


def _guard_loop(sent: str | None, after: str | None, source: str, path: str) -> None:
    if not after or after == sent:
        raise _loop(source, path)


def _loop(source: str, path: str) -> ServerError:
    return ServerError("pagination loop: the next page token repeats the one just used", source=source,
                       where=f"GET {path}")


def _epoch(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return 0
