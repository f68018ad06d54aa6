"""The Jira Service Management simulator: site state, auth, rate limits, faults and the write log.

Routes live in `routes_platform` (REST v2/v3) and `routes_jsm` (`/rest/servicedeskapi`), which see
the simulator as a `site.Site`; this module wires them to one site and answers what every request shares.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import orjson

from deskplan_sandbox import clock
from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.jira.catalog import FieldIds, default_fields
from deskplan_sandbox.jira.errors import dead_link, error_collection, jsm_unauthorized, unauthorized
from deskplan_sandbox.jira.from_fixtures import add_fixture_issue, read_fixtures
from deskplan_sandbox.jira.from_scenario import add_default_projects, load_scenario
from deskplan_sandbox.jira.jql import Context
from deskplan_sandbox.jira.limits import BURST, RequestLimits
from deskplan_sandbox.jira.render import Renderer
from deskplan_sandbox.jira.routes_jsm import ServiceDeskRoutes
from deskplan_sandbox.jira.routes_meta import MetaRoutes
from deskplan_sandbox.jira.routes_platform import PlatformRoutes
from deskplan_sandbox.jira.routes_users import UserRoutes
from deskplan_sandbox.jira.search import SearchCache, SearchLag, Tokens
from deskplan_sandbox.jira.shapes import SITE, account_id, user_json
from deskplan_sandbox.jira.store import IssueStore
from deskplan_sandbox.scenario import Scenario
from deskplan_sandbox.server import (
    FaultInjector,
    Request,
    Response,
    SimulatorApp,
    SlidingWindowLimiter,
    retry_after_header,
)

DEFAULT_TIME_ZONE = "America/Los_Angeles"
JSM_BASE = "/rest/servicedeskapi/"


@dataclass(frozen=True)
class WriteRecord:
    """One write request as received (deskplan's tests assert e.g. that every comment was internal)."""

    method: str
    path: str
    body: Any
    status: int


class JiraSimulator(SimulatorApp):
    name = "jira"

    def __init__(self, *, email: str, token: str, store: IssueStore, fields: list[dict[str, Any]],
                 now: Callable[[], datetime], faults: FaultInjector, limiter: SlidingWindowLimiter, log: TextIO | None,
                 seed: int, search_lag: float = 0.0, burst_limit: int = 0):
        super().__init__(faults=faults, log=log)
        self.email = email
        self.token = token
        self.store = store
        self.fields = fields
        self.field_names = {f["id"]: f.get("name", f["id"]) for f in fields}
        self.non_navigable = frozenset(f["id"] for f in fields if f.get("navigable") is False)
        self.now = now
        self.limiter = limiter
        self.writes: list[WriteRecord] = []
        self.search_cache = SearchCache()
        self.search_lag = SearchLag(search_lag)
        # Tests set it to play pages cut short before the last (see `search.run_search`); 0: full pages.
        self.search_page_bytes = 0
        self.request_limits = RequestLimits(burst_limit, lambda: now().timestamp(), self._issue_id)
        # "Linked Issues" on the create screen: `update.issuelinks` on create is accepted. Tests
        # switch it off to play a site whose create screen lacks the field (Jira then answers 400).
        self.create_screen_links = True
        self.tokens = Tokens(hashlib.sha256(f"deskplan-jira-sandbox:{seed}".encode()).digest())
        self.myself = user_json(account_id("atlassian", email), _display_name(email), email,
                                store.zone.key, "atlassian")
        store.add_user(self.myself)
        # The credentials the site accepts, and the user each acts as: the API user's, and those
        # `add_account` gives other users (another agent, a portal customer).
        self.accounts: dict[tuple[str, str], dict[str, Any]] = {(email, token): self.myself}
        # The routes reach back only through `site.Site`, which this class is: they import nothing above them.
        PlatformRoutes(self).register()
        ServiceDeskRoutes(self).register()
        UserRoutes(self).register()
        MetaRoutes(self).register()

    # --- helpers the routes share --------------------------------------------------------------

    def renderer(self, version: str = "3") -> Renderer:
        return Renderer(self.store, self.store.field_ids, self.non_navigable, self.store.zone, self.now(),
                        self.field_names, "2" if version in ("2", "latest") else "3")

    def jql_context(self) -> Context:
        return Context(self.store, self.store.zone, self.now(), self.myself["accountId"])

    def add_account(self, email: str, token: str, *, customer: bool = False) -> dict[str, Any]:
        """Another user with an API token of their own (an agent; a portal customer with
        `customer`): as in Jira, a request made with it acts as that user, who is then the
        author, creator and `/myself` of what it does."""
        kind = "customer" if customer else "atlassian"
        user = user_json(account_id(kind, email), _display_name(email), email, self.store.zone.key, kind)
        self.store.add_user(user)
        self.accounts[(email, token)] = user
        return user

    def route(self, method: str, pattern: str, handler: Callable[[Request], Response], *, write: bool = False) -> None:
        if not write:
            self.router.add(method, pattern, handler)
            return

        def recorded(request: Request) -> Response:
            response = handler(request)
            self.writes.append(WriteRecord(request.method, request.path, _body_of(request), response.status))
            return response
        self.router.add(method, pattern, recorded)

    # --- what every request goes through ---------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        if request.path.endswith("/serverInfo"):
            return None          # Jira answers serverInfo to anonymous callers too
        if request.basic_auth() not in self.accounts:
            return jsm_unauthorized() if request.path.startswith(JSM_BASE) else unauthorized()
        return None

    def not_found(self, request: Request) -> Response:
        return dead_link()

    def method_not_allowed(self, request: Request) -> Response:
        return Response(405, None, {"Allow": ""})

    def dispatch(self, request: Request) -> Response:
        wait = self.limiter.acquire((request.basic_auth() or ("anonymous",))[0])
        if wait:
            return self._rate_limited(wait, BURST)
        with self.store.lock:
            refused = self.request_limits.refuse(request.method, request.path)
        if refused is not None:
            return self._rate_limited(*refused)
        with self.store.lock:        # answers are serialised under the lock: they share the stored JSON
            # `myself` is the user the request acts as (the routes make them author and creator).
            api_user, caller = self.myself, self.accounts.get(request.basic_auth() or ("", ""))
            self.myself = caller or api_user
            try:
                response = super().dispatch(request)
            finally:
                self.myself = api_user
            if response.status != 401 and caller is not None:
                response.headers.setdefault("X-AAccountId", caller["accountId"])
            return _with_base_url(response, f"http://{request.headers.get('host', '127.0.0.1')}")

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            return self._rate_limited(1.0, BURST)
        if kind == "503":
            return Response(503, {"errorMessages": ["Service Unavailable"], "errors": {}}, {"Retry-After": "1"})
        return error_collection(500, ["Internal server error"])

    def describe(self) -> str:
        """The projects the issues are in (a source's `projects`), and the other projects of the site
        (where `tasks_project` may point)."""
        with self.store.lock:
            used = sorted({record.project_key for record in self.store.records()})
            others = sorted(set(self.store.projects) - set(used))
        return "  ".join(part for part in (f"projects={','.join(used)}" if used else "",
                                            f"other projects={','.join(others)}" if others else "") if part)

    def _issue_id(self, key_or_id: str) -> str | None:
        record = self.store.get(key_or_id)
        return None if record is None else record.id

    def _rate_limited(self, wait: float, reason: str, limit: int | None = None) -> Response:
        reset = self.now().astimezone(timezone.utc) + timedelta(seconds=math.ceil(wait) + 59)
        headers = {
            "Retry-After": retry_after_header(wait),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
            "X-RateLimit-Limit": str(max(self.limiter.limit if limit is None else limit, 1)),
            "X-RateLimit-Remaining": "0",
            "RateLimit-Reason": reason,
        }
        return Response(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, headers)


def _display_name(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part) or email


def _body_of(request: Request) -> Any:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError):
        return request.body.decode("utf-8", "replace")


def _with_base_url(response: Response, base: str) -> Response:
    """Write the address we serve on into every link (stored data uses the `SITE` placeholder)."""
    if isinstance(response.body, (dict, list)):
        body = _json_bytes(response.body).replace(SITE.encode(), base.encode())
        headers = {"Content-Type": "application/json;charset=UTF-8", **response.headers}
        return Response(response.status, body, headers)
    return response


def _json_bytes(body: Any) -> bytes:
    """UTF-8 JSON, written by orjson (a search page of 100 issues is about 2.5 MB, several
    times faster than the standard library); what orjson refuses (integers beyond 64 bits)
    the standard library writes."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


def create_app(*, email: str, token: str, fixtures: Path | None = None, tickets: int = 0, seed: int = 0,
               faults: float = 0.0, rate_limit: int = 0, rate_window: float = 60.0,
               now: Callable[[], datetime] | None = None, log: TextIO | None = None,
               scenario: Scenario | None = None, time_zone: str = DEFAULT_TIME_ZONE,
               clock_offset: float = 0.0, search_lag: float = 0.0, burst_limit: int = 0) -> JiraSimulator:
    """A JSM site seeded from `fixtures`, from `scenario`, or from `tickets` generated with `seed`.

    `time_zone` is the API user's profile zone: JQL dates are read in it, and REST datetimes
    are written in it (`/myself` reports it). `rate_limit` 0 means unlimited. The site's clock
    runs `clock_offset` seconds ahead of `now` (default: DESKPLAN_NOW or the real time;
    negative: behind), as a helpdesk's clock may. `search_lag`: seconds a change may take to
    reach the search results (each its own delay up to that; see `search.SearchLag`).
    `burst_limit` > 0 plays Jira Cloud's burst limit, a bucket of that many requests per endpoint
    and method refilled at a tenth of it a second, and its per-issue write limit (20 writes in
    2 s, 100 in 30 s); see `limits.py`. 0 (the default here; the command line's is 100): neither.
    """
    if not 0 <= search_lag <= 86400:         # (NaN too)
        raise ConfigError(f"a search lag of {search_lag} seconds is not within 0..86400")
    clock_now = clock.shifted(now or clock.now, clock_offset)
    field_catalog, fixture_issues = read_fixtures(fixtures) if fixtures else (None, [])
    field_list = field_catalog if field_catalog is not None else default_fields()
    store = IssueStore(zone=ZoneInfo(time_zone), field_ids=FieldIds.discover(field_list))
    add_default_projects(store)
    if scenario is None and tickets > 0:
        from deskplan_sandbox.generate import generate_scenario
        scenario = generate_scenario(tickets, seed, clock_now())
    if scenario is not None:
        load_scenario(store, scenario)
    for raw in fixture_issues:
        add_fixture_issue(store, raw)
    return JiraSimulator(
        email=email, token=token, store=store, fields=field_list, now=clock_now,
        faults=FaultInjector(faults, seed), limiter=SlidingWindowLimiter(rate_limit, rate_window),
        log=log, seed=seed, search_lag=search_lag, burst_limit=burst_limit,
    )
