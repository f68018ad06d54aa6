"""The Jira Cloud and JSM endpoints deskplan reads, over the shared HttpClient.

REST names (`nextPageToken`, `startAt`, `maxResults`, `X-ExperimentalApi`) stay in this
module; callers get plain iterators of JSON objects. Paging loops stop on what the
server says (`isLast`, a missing token, `total`), never on a short page, and a token
that comes back unchanged is an error rather than an endless loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
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

    # --- what `check --online` asks (GET only) -----------------------------------------------

    def project(self, key: str) -> dict[str, Any] | None:
        """The project, or None when Jira says there is none the account can see (404)."""
        return _unless_missing(lambda: self.http.get_json(f"/rest/api/3/project/{quote(key)}"))

    def project_keys(self) -> list[str]:
        """The keys of every project the account can see."""
        body = self.http.get_json("/rest/api/3/project")
        return [str(p["key"]) for p in body if isinstance(p, dict) and p.get("key")] if isinstance(body, list) else []

    def creatable_issue_types(self, project: str) -> list[dict[str, Any]] | None:
        """The issue types the account can create in `project` (create metadata), or None when
        Jira refuses to say (no such project, or no permission to create issues there)."""
        path = f"/rest/api/3/issue/createmeta/{quote(project)}/issuetypes"

        def pages() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            while True:
                page = self.http.get_json(path, params={"startAt": len(found), "maxResults": 50}) or {}
                items = [t for t in page.get("issueTypes") or () if isinstance(t, dict)]
                found += items
                total = page.get("total")
                if not items or not isinstance(total, int) or len(found) >= total:
                    return found

        return _unless_missing(pages, also=(400,))

    def statuses(self) -> list[dict[str, Any]]:
        """Every status of the site's workflows."""
        body = self.http.get_json("/rest/api/3/status")
        return [s for s in body if isinstance(s, dict)] if isinstance(body, list) else []

    def service_desks(self) -> Iterator[dict[str, Any]]:
        """The JSM service desks the account is an agent of."""
        start = 0
        while True:
            page = self.http.get_json("/rest/servicedeskapi/servicedesk", params={"start": start, "limit": 50}) or {}
            values = [d for d in page.get("values") or () if isinstance(d, dict)]
            yield from values
            start += len(values)
            if not values or page.get("isLastPage", True):
                return

    def components(self, project: str) -> list[dict[str, Any]] | None:
        """The project's components, or None when there is no such project the account can see."""
        body = _unless_missing(lambda: self.http.get_json(f"/rest/api/3/project/{quote(project)}/components"))
        if body is None:
            return None
        return [c for c in body if isinstance(c, dict)] if isinstance(body, list) else []

    def users(self, *, query: str | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
        """Active users whose name or email starts with `query`, or the one with `account_id`."""
        params: dict[str, Any] = {"maxResults": 10}
        params.update({"query": query} if query is not None else {"accountId": account_id})
        body = self.http.get_json("/rest/api/3/user/search", params=params)
        return [u for u in body if isinstance(u, dict) and u.get("accountId")] if isinstance(body, list) else []

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        """The active user whose email is `email` (in any case), or None. A user whose profile
        hides their email is found by the query but shows no `emailAddress`: the one such
        match, alone in the answer, is them."""
        users = self.users(query=email)
        wanted = email.casefold()
        exact = [u for u in users if str(u.get("emailAddress") or "").casefold() == wanted]
        hidden = [u for u in users if not u.get("emailAddress")]
        found = exact or (hidden if len(hidden) == 1 and len(users) == 1 else [])
        return found[0] if found else None

    # --- the pull ----------------------------------------------------------------------------

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


T = TypeVar("T")


def _unless_missing(ask: Callable[[], T], *, also: tuple[int, ...] = ()) -> T | None:
    """`ask()`, or None when Jira answers 404 (or one of `also`): nothing of that name."""
    try:
        return ask()
    except RequestRejected as exc:
        if exc.status == 404 or exc.status in also:
            return None
        raise
