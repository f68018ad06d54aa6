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

from deskplan.errors import HelpdeskError, RateLimited, RequestContext, RequestRejected, ServerError, Unreachable

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
    ):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status
        self.retriable = retriable
        self.retry_after = retry_after
        self.code = code
        self.what = what or (str(status) if status else error_type.__name__)

    def to_error(self, *, source: str, where: str, attempts: int) -> HelpdeskError:
        message = self.message if attempts == 1 else f"{self.message} (gave up after {attempts} attempts)"
        kw: RequestContext = {"source": source, "where": where, "status": self.status}
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


def transport_failure(exc: requests.RequestException, mode: RetryMode) -> AttemptFailed:
    """Classify an exception raised while sending or reading (no usable response)."""
    name = type(exc).__name__
    unread = isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError))
    retriable = mode == "safe" or (mode == "connect_only" and never_reached_server(exc))
    if unread:
        return AttemptFailed(ServerError, f"the response body was cut off ({name})", retriable=retriable, what=name)
    return AttemptFailed(Unreachable, f"no answer ({name})", retriable=retriable, what=name)


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

    def wait(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        backoff = hint if hint is not None else min(self.cap, self.base * 2 ** (attempt - 1))
        return backoff + rng.uniform(0.0, self.jitter)

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

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            return self.wait(state.attempt_number, getattr(failure, "retry_after", None), rng)

        def stop(state: RetryCallState) -> bool:
            # A wait that would overrun the budget is not started: the caller saves its
            # state and gets RateLimited/ServerError now rather than after the sleep.
            if state.attempt_number >= self.max_attempts:
                return True
            return clock() - started + (state.upcoming_sleep or 0.0) > self.max_wait

        def before_sleep(state: RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
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
