"""Enhanced JQL search (`/rest/api/3/search/jql`): keyset pages behind opaque tokens.

A token holds the sort key of the last issue served, a digest of the JQL it belongs to and
when it was issued (tokens expire after 7 days). Each page re-runs the query against the
current data, so an issue updated while a client pages moves behind the cursor and shows up
again — as it does on Jira. The sorted matches are cached per query until anything changes.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from deskplan_sandbox.jira.dates import to_ms
from deskplan_sandbox.jira.jql import (
    Context,
    JqlError,
    compile_query,
    depends_on_now,
    normalise_key,
    parse,
    sort_key,
    updated_lower_bound,
)
from deskplan_sandbox.jira.render import FieldSelection, Renderer
from deskplan_sandbox.jira.store import IssueRecord, IssueStore

SortKey = tuple[Any, ...]                       # as jql.sort_key builds it
# (searching user, jql, store version, now in ms when the query depends on it): currentUser() is theirs
CacheKey = tuple[str, str, int, int | None]
Matches = tuple[list[SortKey], list[str]]       # (sort keys, issue ids), in the query's order

DEFAULT_PAGE = 50
MAX_PAGE_IDS = 5000            # "It returns max 5000 issues" — when only ids/keys are asked for
MAX_PAGE_FIELDS = 100          # smaller pages when full issues are asked for (Jira trims these too)
MAX_RECONCILE = 50
MAX_PROPERTIES = 5
TOKEN_LIFETIME_MS = 7 * 24 * 3_600_000
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_TOKEN = "The provided next page token is invalid or expired."


@dataclass(frozen=True)
class SearchLag:
    """How long a change takes to reach the search index (`--search-lag`): each change after a
    delay of its own between 0 and `seconds` (drawn from a digest of the issue id and its
    `updated`, so a run can be replayed), so changes surface out of order, as an index catching
    up does: an issue changed less than `seconds` ago may be missing from the results, one
    changed longer ago never is. Atlassian documents search as eventually consistent with
    writes; `reconcileIssues` asks for the named issues' latest versions, and gets them."""

    seconds: float = 0.0

    def delay_ms(self, issue_id: str, updated_ms: int) -> int:
        if self.seconds <= 0:
            return 0
        digest = hashlib.sha256(f"{issue_id}:{updated_ms}".encode()).digest()
        return int(self.seconds * 1000 * int.from_bytes(digest[:4], "big") / 2 ** 32)

    def visible(self, record: IssueRecord, now_ms: int) -> bool:
        return now_ms - record.updated_ms >= self.delay_ms(record.id, record.updated_ms)


NO_LAG = SearchLag()


class SearchError(ValueError):
    """A 400 with this message as Jira's errorMessages."""


@dataclass(frozen=True)
class SearchRequest:
    jql: str
    next_page_token: str | None
    max_results: int
    fields: list[str] | None
    expand: set[str]
    properties: list[str]
    reconcile: list[int]


class SearchCache:
    """Sorted matches per (user, jql, data version[, now for relative dates]); a few recent queries suffice."""

    def __init__(self, size: int = 16):
        self._entries: OrderedDict[CacheKey, Matches] = OrderedDict()
        self._size = size

    def get(self, key: CacheKey) -> Matches | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: CacheKey, value: Matches) -> None:
        self._entries[key] = value
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class Tokens:
    """Opaque, tamper-evident page tokens bound to one JQL text."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def issue(self, jql: str, last_key: SortKey, now_ms: int) -> str:
        payload = json.dumps({"q": _digest(jql), "k": list(last_key), "t": now_ms}, separators=(",", ":")).encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def read(self, token: str, jql: str, now_ms: int) -> SortKey:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            mac, payload = raw[:12], raw[12:]
            if not hmac.compare_digest(mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]):
                raise ValueError("bad signature")
            data = json.loads(payload)
        except (ValueError, TypeError):
            raise SearchError(BAD_TOKEN) from None
        if data.get("q") != _digest(jql) or now_ms - int(data.get("t", 0)) > TOKEN_LIFETIME_MS:
            raise SearchError(BAD_TOKEN)
        return normalise_key(data["k"])


def _digest(jql: str) -> str:
    return hashlib.sha256(jql.encode()).hexdigest()[:16]


def page_limit(request: SearchRequest, selection: FieldSelection) -> int:
    light = selection.include <= {"id", "key"} and not selection.all and not selection.navigable and not request.expand
    cap = MAX_PAGE_IDS if light else MAX_PAGE_FIELDS
    wanted = request.max_results if request.max_results > 0 else DEFAULT_PAGE
    return min(wanted, cap)


def matches(store: IssueStore, jql: str, context: Context, cache: SearchCache) -> Matches:
    """(sort keys, issue ids) of every match, in the query's order."""
    query = parse(jql)
    if query.where is None:
        raise JqlError(UNBOUNDED)
    cache_key: CacheKey = (context.myself, jql, store.version, to_ms(context.now) if depends_on_now(query) else None)
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    predicate = compile_query(query, context)
    bound = updated_lower_bound(query, context)
    candidates: list[IssueRecord]
    if bound is None:
        candidates = list(store.records())
    else:
        order = store.by_updated()
        start = bisect.bisect_left(order, (bound,))
        candidates = [record for entry in order[start:] if (record := store.get(entry[3])) is not None]
    key = sort_key(query.order)
    ranked = sorted((key(record), record.id) for record in candidates if predicate(record))
    result: Matches = ([k for k, _ in ranked], [i for _, i in ranked])
    cache.put(cache_key, result)
    return result


def _indexed(store: IssueStore, found: Matches, lag: SearchLag, now_ms: int, reconcile: list[int]) -> Matches:
    """The matches the index already shows: the lagging changes left out, but those of issues
    the request asks to reconcile."""
    if lag.seconds <= 0:
        return found
    wanted = {str(i) for i in reconcile}
    kept = [(key, issue_id) for key, issue_id in zip(*found, strict=True)
            if issue_id in wanted or ((record := store.get(issue_id)) is not None and lag.visible(record, now_ms))]
    return [k for k, _ in kept], [i for _, i in kept]


def run_search(request: SearchRequest, store: IssueStore, renderer: Renderer, context: Context,
               cache: SearchCache, tokens: Tokens, now_ms: int, lag: SearchLag = NO_LAG,
               page_bytes: int = 0) -> dict[str, Any]:
    """One page of the search. With `page_bytes` > 0 a page ends early, though more issues match,
    once its issues take that many bytes of JSON (always at least one issue): "To manage page
    size, API may return fewer items per page where a large number of fields are requested"
    (the platform OpenAPI's `maxResults`)."""
    if not request.jql or not request.jql.strip():
        raise SearchError(UNBOUNDED)
    if len(request.reconcile) > MAX_RECONCILE:
        raise SearchError(f"The number of issues to reconcile must not exceed {MAX_RECONCILE}.")
    property_keys = [k for spec in request.properties for k in spec.split(",") if k]
    if len(property_keys) > MAX_PROPERTIES:
        raise SearchError(f"The number of properties requested must not exceed {MAX_PROPERTIES}.")
    try:
        keys, ids = _indexed(store, matches(store, request.jql, context, cache), lag, now_ms, request.reconcile)
    except JqlError as exc:
        raise SearchError(str(exc)) from None
    start = 0
    if request.next_page_token:
        start = bisect.bisect_right(keys, tokens.read(request.next_page_token, request.jql, now_ms))
    selection = FieldSelection.parse(request.fields, "id")
    end = start + page_limit(request, selection)
    issues = []
    size = 0
    for position in range(start, min(end, len(ids))):
        record = store.get(ids[position])
        if record is None:
            continue
        issues.append(renderer.issue(record, selection, expand=request.expand, properties=property_keys,
                                     in_search=True))
        if page_bytes > 0:
            size += len(orjson.dumps(issues[-1], default=str))
            if size >= page_bytes:
                end = position + 1
                break
    page: dict[str, Any] = {"issues": issues}
    if end < len(ids):
        page["nextPageToken"] = tokens.issue(request.jql, keys[end - 1], now_ms)
    page["isLast"] = end >= len(ids)
    return page


def approximate_count(store: IssueStore, jql: str, context: Context, cache: SearchCache,
                      lag: SearchLag = NO_LAG, now_ms: int = 0) -> int:
    try:
        return len(_indexed(store, matches(store, jql, context, cache), lag, now_ms, [])[1])
    except JqlError as exc:
        raise SearchError(str(exc)) from None
