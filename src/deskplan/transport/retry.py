"""The one retry policy for every helpdesk request: what is retried, and how long to wait.

Waits never undercut the helpdesk's own hint (`Retry-After`, in delta-seconds or as an
HTTP-date; Jira's `X-RateLimit-Reset` when there is no `Retry-After`), jitter is only ever
added on top, and every run has a budget (attempts and seconds) after which the typed
error goes back to the caller instead of sleeping for hours.

Which failures are retried depends on the request's `RetryMode`:

- "safe" (every GET, and writes the caller declares idempotent): 429, 500, 502, 503, 504,
  connection errors, timeouts, and bodies that were cut off or are not JSON.
- "connect_only" (writes): only failures that prove the server never processed the request:
  a connect timeout, a refused connection or a failed DNS lookup (nothing was sent), and
  429 (both Zendesk and Jira reject a rate-limited request before handling it). Not 503,
  which a gateway can return after the origin applied the write, and not a read timeout or
  a dropped connection: the write may have landed, so the caller's ledger must reconcile.
- "never": nothing is retried.

An attempt that could not connect at all (refused, DNS failure, connect timeout) is retried
only a few times, quickly (`connect_attempts`, `connect_base`): a helpdesk that refuses
connections or cannot be found is not waited for with the budget meant for rate limits, so
that an outage ends the run within seconds (exit 4) rather than holding the sync lock. When
no attempt of a request connected, the error is `NotConnected`: the request provably never
left this host, so a write that failed so was not applied.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Literal, Unpack

import requests
import urllib3.exceptions
from tenacity import RetryCallState, Retrying, retry_if_exception

from deskplan.errors import (
    HelpdeskError,
    NotConnected,
    RateLimited,
    RequestContext,
    RequestRejected,
    ServerError,
    Unreachable,
)

log = logging.getLogger("deskplan.http")

RetryMode = Literal["safe", "never", "connect_only"]

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class Rejected(RequestRejected):
    """A 4xx with the helpdesk's own error code (Zendesk `RecordNotFound`, `InvalidPaginationParameter` …)."""

    def __init__(self, message: str, *, code: str | None = None, **kw: Unpack[RequestContext]):
        self.code = code
        super().__init__(message, **kw)


class AttemptFailed(Exception):
    """One failed attempt, classified: whether it may be retried, and what to raise if not."""

    def __init__(
        self,
        error_type: type[HelpdeskError],
        message: str,
        *,
        status: int | None = None,
        retriable: bool = False,
        retry_after: float | None = None,
        code: str | None = None,
        what: str = "",
        connected: bool = True,
    ):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status
        self.retriable = retriable
        self.retry_after = retry_after
        self.code = code
        self.what = what or (str(status) if status else error_type.__name__)
        self.connected = connected      # False: this attempt never reached the server (nothing was sent)

    def to_error(self, *, source: str, where: str, attempts: int, connected: bool = True) -> HelpdeskError:
        """The typed error for the caller; `connected` is whether any attempt of the request
        may have reached the server (when none did, an Unreachable is a NotConnected)."""
        message = self.message if attempts == 1 else f"{self.message} (gave up after {attempts} attempts)"
        kw: RequestContext = {"source": source, "where": where, "status": self.status}
        if issubclass(self.error_type, Unreachable) and not connected:
            return NotConnected(message, attempts=attempts, **kw)
        if issubclass(self.error_type, RateLimited):
            return RateLimited(message, retry_after=self.retry_after, **kw)
        if issubclass(self.error_type, Rejected):
            return Rejected(message, code=self.code, **kw)
        return self.error_type(message, **kw)


def never_reached_server(exc: BaseException) -> bool:
    """True when the request provably was not sent: connect timeout, refused, DNS failure."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(exc, requests.exceptions.SSLError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)          # urllib3 MaxRetryError wraps the cause
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def transport_failure(exc: requests.RequestException, mode: RetryMode, site: str) -> AttemptFailed:
    """Classify an exception raised while sending or reading (no usable response). `site` is
    the helpdesk's `scheme://host:port` (never credentials), named when it could not be reached."""
    name = type(exc).__name__
    unread = isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError))
    if never_reached_server(exc):
        return AttemptFailed(Unreachable, f"could not connect to {site} ({connect_failure(exc)})",
                             retriable=mode != "never", what=name, connected=False)
    retriable = mode == "safe"
    if unread:
        return AttemptFailed(ServerError, f"the response body was cut off ({name})", retriable=retriable, what=name)
    return AttemptFailed(Unreachable, f"no answer from {site} ({name})", retriable=retriable, what=name)


def connect_failure(exc: BaseException) -> str:
    """Why a connection could not be made, in a few words (never the URL or its query)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect timed out"
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            return "host name not found"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, TimeoutError | urllib3.exceptions.ConnectTimeoutError) \
                and not isinstance(cause, urllib3.exceptions.NewConnectionError):
            return "connect timed out"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        reason = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
        cause = getattr(cause, "reason", None) or reason or cause.__cause__ or cause.__context__
    return type(exc).__name__


def status_retriable(status: int, mode: RetryMode) -> bool:
    if mode == "safe":
        return status in RETRIABLE_STATUSES
    if mode == "connect_only":
        return status == 429
    return False


def retry_after_seconds(headers: Mapping[str, str], now: Callable[[], datetime]) -> float | None:
    """The helpdesk's wait hint in seconds, or None when it gave none.

    HTTP-dates are measured against the response's own `Date` header when there is one, so
    a skewed local clock neither shortens nor stretches the wait.
    """
    reference = _http_date(headers.get("Date")) or now()
    value = (headers.get("Retry-After") or "").strip()
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            when = _http_date(value)
            if when is not None:
                return max((when - reference).total_seconds(), 0.0)
    reset = (headers.get("X-RateLimit-Reset") or "").strip()
    if reset:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max((when - reference).total_seconds(), 0.0)
    return None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RetryPolicy:
    """Budget and backoff shape. Defaults suit a cron run: give up after ~10 minutes of waiting."""

    max_attempts: int = 8
    max_wait: float = 600.0        # seconds since the first attempt, waits included
    base: float = 1.0              # first backoff without a hint; doubles per attempt
    cap: float = 60.0              # longest backoff without a hint
    jitter: float = 1.0            # at most this many seconds added on top, never subtracted
    connect_attempts: int = 3      # attempts that could not connect at all, before giving up
    connect_base: float = 0.5      # first backoff after one (doubles), with at most as much jitter

    def wait(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        backoff = hint if hint is not None else min(self.cap, self.base * 2 ** (attempt - 1))
        return backoff + rng.uniform(0.0, self.jitter)

    def connect_wait(self, failures: int, rng: random.Random) -> float:
        """The wait after the `failures`-th attempt that could not connect."""
        return self.connect_base * 2 ** (failures - 1) + rng.uniform(0.0, self.connect_base)

    def retrying(
        self,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: random.Random,
        describe: str,
    ) -> Retrying:
        """A tenacity loop for one request (`describe` is `METHOD /path`, for the log)."""
        started = clock()
        unconnected: set[int] = set()       # the attempts that could not connect

        def count_unconnected(state: RetryCallState) -> int:
            failure = state.outcome.exception() if state.outcome else None
            if getattr(failure, "connected", True) is False:
                unconnected.add(state.attempt_number)
            return len(unconnected) if state.attempt_number in unconnected else 0

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            failures = count_unconnected(state)
            if failures:
                return self.connect_wait(failures, rng)
            return self.wait(state.attempt_number, getattr(failure, "retry_after", None), rng)

        def stop(state: RetryCallState) -> bool:
            # A wait that would overrun the budget is not started: the caller saves its
            # state and gets RateLimited/ServerError now rather than after the sleep.
            if state.attempt_number >= self.max_attempts or count_unconnected(state) >= self.connect_attempts:
                return True
            return clock() - started + (state.upcoming_sleep or 0.0) > self.max_wait

        def before_sleep(state: RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            if state.attempt_number in unconnected:
                log.warning("%s -> %s; could not connect (%d/%d), retrying in %.1fs",
                            describe, getattr(failure, "what", "error"), len(unconnected),
                            self.connect_attempts, state.upcoming_sleep)
                return
            log.warning(
                "%s -> %s; attempt %d/%d failed, retrying in %.1fs",
                describe, getattr(failure, "what", "error"), state.attempt_number,
                self.max_attempts, state.upcoming_sleep,
            )

        return Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, AttemptFailed) and exc.retriable),
            wait=wait,
            stop=stop,
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
