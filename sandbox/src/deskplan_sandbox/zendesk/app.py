"""The Zendesk simulator: authentication, rate limits, response headers and the write log,
around the routes in `routes_*.py` (which see it as a `site.Site`) and the data in `store.py`.
"""

from __future__ import annotations

import hmac
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.server import (
    FaultInjector,
    Request,
    Response,
    SimulatorApp,
    SlidingWindowLimiter,
    retry_after_header,
)
from deskplan_sandbox.zendesk import (
    errors,
    routes_export,
    routes_groups,
    routes_people,
    routes_tickets,
    routes_user_search,
)
from deskplan_sandbox.zendesk.idempotency import IdempotencyCache
from deskplan_sandbox.zendesk.store import Conflict, Invalid, NotFound, ZendeskStore

# Requests per minute per account on an Enterprise plan (Suite Team 200, Growth and Professional 400,
# Enterprise Plus and the High Volume add-on 2,500: Zendesk's "Rate limits" reference); recorded headers show 700.
ACCOUNT_LIMIT = 700
# "Update Ticket": 100 updates a minute per account, 300 with High Volume (Zendesk's "Rate limits" reference);
# `zendesk-rate-limit-tickets-update: total=20; ...` was recorded on a trial account.
TICKETS_UPDATE_LIMIT = 100
TICKETS_UPDATE_LIMIT_HIGH_VOLUME = 300
HIGH_VOLUME = 2500
ACCOUNT_LIMITED = "Number of allowed API requests per minute exceeded"
TICKET_UPDATES_PER_WINDOW = 30   # per ticket and user, over ten rate windows (10 minutes by default)
TICKET_UPDATE_WINDOWS = 10
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
RATINGS_START_TIMES = ("created", "updated")
DEFAULT_RATINGS_START_TIME = "created"
# What another user of the account may do with the account's API token: the requester's own answer to a
# satisfaction survey (an admin's or agent's token use reaches the rest).
END_USER_ROUTES = (re.compile(r"^/api/v2/tickets/\d+/satisfaction_rating(?:\.json)?$"),)


@dataclass(frozen=True)
class WriteRecord:
    """One write request that reached the handlers, for tests to assert on."""

    method: str
    path: str
    body: Any                    # parsed JSON, or the raw bytes when not JSON
    status: int
    at: datetime


class ZendeskSimulator(SimulatorApp):
    name = "zendesk"

    def __init__(self, *, store: ZendeskStore, email: str, token: str, clock: Callable[[], datetime],
                 faults: FaultInjector | None = None, rate_limit: int = 10, rate_window: float = 60.0,
                 log: TextIO | None = None, ratings_start_time: str = DEFAULT_RATINGS_START_TIME,
                 account_rate_limit: int = 0):
        super().__init__(faults=faults, log=log)
        if ratings_start_time not in RATINGS_START_TIMES:
            raise ConfigError(f"ratings_start_time must be one of {', '.join(RATINGS_START_TIMES)}, "
                              f"not {ratings_start_time!r}")
        self.ratings_start_time = ratings_start_time
        self.store = store
        self.email = email
        self._token = token
        self.clock = clock
        self.api_user_id = store.ensure_api_user(email)
        seconds = lambda: clock().timestamp()  # noqa: E731 - rate windows run on the simulator's clock
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.incremental_limiter = SlidingWindowLimiter(rate_limit, rate_window, seconds)
        self.ticket_update_limiter = SlidingWindowLimiter(
            TICKET_UPDATES_PER_WINDOW if rate_limit > 0 else 0, rate_window * TICKET_UPDATE_WINDOWS, seconds)
        # Every request of the account counts; refused over `account_rate_limit` (0: counted for the headers
        # only, as an Enterprise account's 700), and ticket updates also in a bucket of their own.
        self.account_rate_limit = account_rate_limit
        self.account_limiter = SlidingWindowLimiter(account_rate_limit or ACCOUNT_LIMIT, rate_window, seconds)
        updates = TICKETS_UPDATE_LIMIT_HIGH_VOLUME if account_rate_limit >= HIGH_VOLUME else TICKETS_UPDATE_LIMIT
        self.tickets_update_limiter = SlidingWindowLimiter(updates if account_rate_limit > 0 else 0, rate_window,
                                                           seconds)
        self.idempotency = IdempotencyCache(clock)
        self.writes: list[WriteRecord] = []
        self._writes_lock = threading.Lock()
        self._request_ids = 0
        # The routes reach back only through `site.Site`, which this class is: they import nothing above them.
        for module in (routes_export, routes_people, routes_tickets, routes_groups, routes_user_search):
            module.register(self)

    # --- the SimulatorApp hooks ---------------------------------------------------------
    def credentials_ok(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return hmac.compare_digest(auth[7:].strip(), self._token)
        pair = request.basic_auth()
        if pair is None:
            return False
        user, password = pair
        return (hmac.compare_digest(user.lower(), f"{self.email}/token".lower())
                and hmac.compare_digest(password, self._token))

    def acting_user(self, request: Request) -> int | None:
        """Whom the request acts as: the API user for its own credentials; another user of the
        account for `{their email}/token` with the account's API token ("you can use the token
        with the email address of any admin, agent, or other valid user", Zendesk's
        authentication guide); None for credentials Zendesk would refuse."""
        if self.credentials_ok(request):
            return self.api_user_id
        pair = request.basic_auth()
        if pair is None or not hmac.compare_digest(pair[1], self._token):
            return None
        email, _, kind = pair[0].rpartition("/")
        return self.store.user_id_by_email(email) if kind == "token" else None

    def authenticate(self, request: Request) -> Response | None:
        # /users/me answers bad credentials with 200 and the anonymous user (recorded), so it checks itself.
        if self.credentials_ok(request) or request.path.removesuffix(".json") == "/api/v2/users/me":
            return None
        if self.acting_user(request) is not None and any(r.match(request.path) for r in END_USER_ROUTES):
            return None
        return errors.unauthorized()

    def describe(self) -> str:
        """The groups the tickets are in, by name (a source's `tasks_group` and owners name them)."""
        groups, _ = self.store.named_after("groups", 0, 1000)
        return f"groups={','.join(str(g.get('name')) for g in groups)}" if groups else ""

    def not_found(self, request: Request) -> Response:
        return errors.invalid_endpoint()

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            # The account-wide limit answers in plain text, unlike the incremental-export one (JSON); clients
            # that parse every 429 as JSON fail on it (airbytehq/airbyte#11035).
            return Response(429, ACCOUNT_LIMITED, {"Retry-After": "1"})
        return super().fault_response(kind)

    def dispatch(self, request: Request) -> Response:
        self.store.base_url = f"http://{request.headers.get('host', '127.0.0.1')}"
        wait = self.account_limiter.acquire("account")
        try:
            if wait > 0 and self.account_rate_limit > 0:
                # Plain text, unlike the endpoint limits' JSON (clients that parse every 429 as JSON fail
                # on it: airbytehq/airbyte#11035).
                response = Response(429, ACCOUNT_LIMITED, {"Retry-After": retry_after_header(wait)})
            else:
                response = super().dispatch(request)
        except errors.ApiError as exc:
            response = exc.response
        except NotFound:
            response = errors.record_not_found()
        except Invalid as exc:
            response = errors.record_invalid(exc.details)
        except Conflict:
            response = errors.conflict()
        self._add_headers(response)
        if request.method in WRITE_METHODS:
            self._record_write(request, response.status)
        return response

    # --- helpers for the routes ---------------------------------------------------------
    def base_url(self) -> str:
        return self.store.base_url

    def incremental(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """Wraps an incremental export: 10 requests per window by default, with Zendesk's headers."""
        def limited(request: Request) -> Response:
            wait = self.incremental_limiter.acquire("incremental-exports")
            header = self._bucket_header(self.incremental_limiter, "incremental-exports", wait)
            if wait > 0:
                return errors.rate_limited(
                    wait, "Number of allowed incremental export API requests per minute exceeded",
                    {"zendesk-ratelimit-incremental-exports": header})
            response = handler(request)
            response.headers["zendesk-ratelimit-incremental-exports"] = header
            return response
        return limited

    def ticket_update_gate(self, ticket_id: int) -> tuple[Response | None, dict[str, str]]:
        """(a 429 if the account updated tickets, or this ticket was updated, too often; the bucket headers)."""
        headers: dict[str, str] = {}
        if self.tickets_update_limiter.limit > 0:
            wait = self.tickets_update_limiter.acquire("tickets-update")
            # (the spelling recorded for this bucket, with a dash in "rate-limit")
            headers["zendesk-rate-limit-tickets-update"] = self._bucket_header(
                self.tickets_update_limiter, "tickets-update", wait)
            if wait > 0:
                # (the JSON of the other endpoint limits: this account-wide bucket's wording is neither
                # recorded nor documented; the reference documents only the 429 and the header:
                # https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket, "Limits")
                return errors.rate_limited(wait, "Number of allowed ticket update API requests per minute exceeded",
                                           headers), headers
        bucket = f"{self.api_user_id}:{ticket_id}"
        wait = self.ticket_update_limiter.acquire(bucket)
        headers["zendesk-ratelimit-per-ticket-updates"] = self._bucket_header(self.ticket_update_limiter, bucket, wait)
        if wait > 0:
            return errors.ticket_updates_limited(wait, headers), headers       # documented: plain text
        return None, headers

    def _bucket_header(self, limiter: SlidingWindowLimiter, bucket: str, wait: float) -> str:
        if limiter.limit <= 0:
            return "total=0; remaining=0; resets=0"
        resets = math.ceil(wait) if wait > 0 else math.ceil(limiter.window)
        return f"total={limiter.limit}; remaining={limiter.remaining(bucket)}; resets={max(resets, 1)}"

    def _add_headers(self, response: Response) -> None:
        limit = str(self.account_limiter.limit)
        remaining = str(self.account_limiter.remaining("account"))
        with self._writes_lock:
            self._request_ids += 1
            request_id = f"{self._request_ids:016x}-SBX"
        reset = str(max(1, math.ceil(self.rate_window - self.clock().timestamp() % self.rate_window)))
        for name, value in (("x-zendesk-api-version", "v2"), ("x-request-id", request_id),
                            ("x-rate-limit", limit), ("x-rate-limit-remaining", remaining),
                            ("ratelimit-limit", limit), ("ratelimit-remaining", remaining),
                            ("ratelimit-reset", reset)):
            response.headers.setdefault(name, value)

    def _record_write(self, request: Request, status: int) -> None:
        try:
            body: Any = request.json()
        except ValueError:
            body = request.body
        with self._writes_lock:
            self.writes.append(WriteRecord(request.method, request.path, body, status, self.clock()))
