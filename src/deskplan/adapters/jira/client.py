"""The Jira Cloud and JSM endpoints deskplan reads, over the shared HttpClient.

REST names (`nextPageToken`, `startAt`, `maxResults`, `X-ExperimentalApi`) stay in this
module; callers get plain iterators of JSON objects. Paging loops stop on what the
server says (`isLast`, a missing token, `total`), never on a short page, and a token
that comes back unchanged is an error rather than an endless loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from deskplan.errors import RequestRejected, ServerError
from deskplan.transport.http import HttpClient

SEARCH_PATH = "/rest/api/3/search/jql"
SEARCH_PAGE_SIZE = 100      # the server may send fewer when many fields are asked for; paging follows its tokens
DETAIL_PAGE_SIZE = 100      # changelog and comment pages (their documented default and maximum)


@dataclass(frozen=True)
class SearchPage:
    issues: list[dict[str, Any]]
    last: bool


class JiraClient:
    def __init__(self, http: HttpClient, *, search_page_size: int = SEARCH_PAGE_SIZE):
        self.http = http
        self.search_page_size = search_page_size

    @property
    def requests(self) -> int:
        return self.http.requests

    def myself(self) -> dict[str, Any]:
        """The API user (`timeZone` is the zone JQL date literals are read in)."""
        return self.http.get_json("/rest/api/3/myself")

    def field_catalog(self) -> list[dict[str, Any]]:
        return self.http.get_json("/rest/api/3/field")

    def search(self, jql: str, *, fields: list[str], expand: str | None = None) -> Iterator[SearchPage]:
        """Enhanced JQL search, page by page. The token lives only as long as this loop."""
        body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": self.search_page_size}
        if expand:
            body["expand"] = expand
        token: str | None = None
        while True:
            request = {**body, "nextPageToken": token} if token else body
            page = self.http.send("POST", SEARCH_PATH, json=request, retry="safe").json or {}
            following = page.get("nextPageToken")
            # The last page may omit `nextPageToken` and still say isLast: false (JRACLOUD-92184).
            last = bool(page.get("isLast")) or not following
            yield SearchPage(list(page.get("issues") or ()), last)
            if last:
                return
            if following == token:
                raise ServerError("issue search returned the same nextPageToken twice",
                                  source=self.http.source, where=f"POST {SEARCH_PATH}")
            token = following

    def changelog(self, key: str, *, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Change histories `start`..`stop` (oldest first) from the issue's changelog endpoint."""
        path = f"/rest/api/3/issue/{quote(key)}/changelog"
        yield from self._offset_pages(path, "values", start=start, stop=stop, params={})

    def comments(self, key: str, *, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
        """Comments `start`..`stop`, oldest first."""
        path = f"/rest/api/3/issue/{quote(key)}/comment"
        yield from self._offset_pages(path, "comments", start=start, stop=stop, params={"orderBy": "created"})

    def feedback(self, key: str) -> dict[str, Any] | None:
        """The request's CSAT feedback (experimental JSM API); None when there is none."""
        try:
            return self.http.get_json(
                f"/rest/servicedeskapi/request/{quote(key)}/feedback", headers={"X-ExperimentalApi": "opt-in"}
            )
        except RequestRejected as exc:
            if exc.status == 404:
                return None
            raise

    def _offset_pages(
        self, path: str, items_key: str, *, start: int, stop: int | None, params: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        at = start
        while stop is None or at < stop:
            wanted = DETAIL_PAGE_SIZE if stop is None else min(DETAIL_PAGE_SIZE, stop - at)
            page = self.http.get_json(path, params={**params, "startAt": at, "maxResults": wanted}) or {}
            items = list(page.get(items_key) or ())
            yield from items
            at += len(items)
            total = page.get("total")
            if not items or page.get("isLast") is True or (isinstance(total, int) and at >= total):
                return
