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
from deskplan_sandbox.server import FaultInjector, Request, Response, SimulatorApp, SlidingWindowLimiter
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

ACCOUNT_LIMIT = 700              # per window; reported in headers like a real Enterprise account
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
                 log: TextIO | None = None, ratings_start_time: str = DEFAULT_RATINGS_START_TIME):
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
        self.account_counter = SlidingWindowLimiter(ACCOUNT_LIMIT, rate_window, seconds)
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

    def not_found(self, request: Request) -> Response:
        return errors.invalid_endpoint()

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            # The account-wide limit answers in plain text, unlike the incremental-export one (JSON); clients
            # that parse every 429 as JSON fail on it (airbytehq/airbyte#11035).
            return Response(429, "Number of allowed API requests per minute exceeded", {"Retry-After": "1"})
        return super().fault_response(kind)

    def dispatch(self, request: Request) -> Response:
        self.store.base_url = f"http://{request.headers.get('host', '127.0.0.1')}"
        try:
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

    def ticket_update_gate(self, ticket_id: int) -> tuple[Response | None, str]:
        """(a 429 if this ticket was updated too often, the bucket header)."""
        bucket = f"{self.api_user_id}:{ticket_id}"
        wait = self.ticket_update_limiter.acquire(bucket)
        header = self._bucket_header(self.ticket_update_limiter, bucket, wait)
        if wait > 0:
            return errors.rate_limited(wait, "Number of allowed ticket updates per ticket exceeded",
                                       {"zendesk-ratelimit-per-ticket-updates": header}), header
        return None, header

    def _bucket_header(self, limiter: SlidingWindowLimiter, bucket: str, wait: float) -> str:
        if limiter.limit <= 0:
            return "total=0; remaining=0; resets=0"
        resets = math.ceil(wait) if wait > 0 else math.ceil(limiter.window)
        return f"total={limiter.limit}; remaining={limiter.remaining(bucket)}; resets={max(resets, 1)}"

    def _add_headers(self, response: Response) -> None:
        self.account_counter.acquire("account")
        remaining = str(self.account_counter.remaining("account"))
        with self._writes_lock:
            self._request_ids += 1
            request_id = f"{self._request_ids:016x}-SBX"
        reset = str(max(1, math.ceil(self.rate_window - self.clock().timestamp() % self.rate_window)))
        for name, value in (("x-zendesk-api-version", "v2"), ("x-request-id", request_id),
                            ("x-rate-limit", str(ACCOUNT_LIMIT)), ("x-rate-limit-remaining", remaining),
                            ("ratelimit-limit", str(ACCOUNT_LIMIT)), ("ratelimit-remaining", remaining),
                            ("ratelimit-reset", reset)):
            response.headers.setdefault(name, value)

    def _record_write(self, request: Request, status: int) -> None:
        try:
            body: Any = request.json()
        except ValueError:
            body = request.body
        with self._writes_lock:
            self.writes.append(WriteRecord(request.method, request.path, body, status, self.clock()))
