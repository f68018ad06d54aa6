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

A page whose continuation token equals the one just sent, while the stream claims not to
be finished, is a loop: it raises instead of asking again forever.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deskplan.errors import ServerError
from deskplan.transport.http import HttpClient

EXPORT_PAGE_SIZE = 1000          # the incremental exports' maximum
LIST_PAGE_SIZE = 100             # cursor pagination's maximum
# Zendesk withholds the most recent minute and refuses a start_time inside it.
HOLD_BACK = timedelta(minutes=1)


@dataclass(frozen=True)
class ExportPage:
    items: list[dict[str, Any]]
    cursor: dict[str, Any]       # where the next page starts; JSON-able
    done: bool
    sideloads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)   # `include=` key -> objects


class ZendeskClient:
    """Typed calls to the few Zendesk endpoints deskplan reads."""

    def __init__(self, http: HttpClient, *, now: Callable[[], datetime]):
        self.http = http
        self._now = now

    def me(self) -> dict[str, Any]:
        body = self.http.get_json("/api/v2/users/me.json")
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, dict):
            raise ServerError("unexpected answer shape", source=self.http.source, where="GET /api/v2/users/me.json")
        return user

    def cursor_export(self, resource: str, cursor: dict[str, Any] | None, *, include: tuple[str, ...] = ()
                      ) -> Iterator[ExportPage]:
        """`/api/v2/incremental/{resource}/cursor.json` (resource: "tickets" or "users"),
        with the side-loads named in `include` (e.g. "groups", "organizations")."""
        path = f"/api/v2/incremental/{resource}/cursor.json"
        sent = (cursor or {}).get("after_cursor")
        while True:
            params: dict[str, Any] = {"per_page": EXPORT_PAGE_SIZE}
            if include:
                params["include"] = ",".join(include)
            if sent:
                params["cursor"] = sent
            else:
                params["start_time"] = self._start_time(0)
            body = self._object(path, params)
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
        while True:
            since = self._start_time(start)
            params = {"start_time": since, "include": "comment_events", "per_page": EXPORT_PAGE_SIZE}
            body = self._object(path, params)
            items = _list(body, "ticket_events", self.http.source, path)
            done = bool(body.get("end_of_stream"))
            end_time = body.get("end_time")
            following = int(end_time) if isinstance(end_time, (int, float)) else since
            if not done and following <= since:
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

    def list_pages(self, path: str, key: str, params: dict[str, Any], *, after: str | None = None
                   ) -> Iterator[ExportPage]:
        """Cursor pagination (`page[size]`, `page[after]`) of the list under `key`.

        Ends on `meta.has_more == false`, whatever `links.next` says. Resume point of a
        page that is not the last: `{"page_after": <meta.after_cursor>}`.
        """
        sent = after
        while True:
            query = {**params, "page[size]": LIST_PAGE_SIZE}
            if sent:
                query["page[after]"] = sent
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

    def _start_time(self, wanted: int) -> int:
        latest = int((self._now() - HOLD_BACK).timestamp())
        return max(0, min(wanted, latest))


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
