"""The request limits Jira Cloud puts on API-token traffic, as Atlassian's "Rate limiting" page
(https://developer.atlassian.com/cloud/jira/platform/rate-limiting/) describes them:

- the burst limit, `RateLimit-Reason: jira-burst-based`: a token bucket per endpoint and
  HTTP method, "allowing for short bursts of activity but maintaining a sustainable average
  rate". Its size is not published; the page's own example is a bucket of 100 tokens refilled
  at 10 a second, which is what `burst` sets (the refill is a tenth of it a second);
- the per-issue write limit, `RateLimit-Reason: jira-per-issue-on-write`: 20 writes to one
  issue in 2 seconds and 100 in 30 seconds.

(The hourly points quota applies to apps, not to API-token traffic, and is not played.) Both
run on the site's clock, so tests can move time instead of waiting.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deskplan_sandbox.server import Clock, SlidingWindowLimiter, TokenBuckets

BURST = "jira-burst-based"
PER_ISSUE = "jira-per-issue-on-write"
DEFAULT_BURST = 100                         # the documented example's bucket
REFILL_SHARE = 0.1                          # of the bucket, a second (100 tokens, 10 a second)
PER_ISSUE_WINDOWS = ((20, 2.0), (100, 30.0))
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# an issue's own resources (its comments, properties, transitions, a request's feedback ...)
ISSUE_PATH = re.compile(r"^/rest/(?:api/(?:2|3|latest)/issue|servicedeskapi/request)/(?P<issue>[^/]+)/?")
# path segments naming one object (an issue key, a numeric id): one endpoint for all of them
OBJECT_SEGMENT = re.compile(r"(?<!/api)/(?:[A-Za-z][A-Za-z0-9_]*-\d+|\d+)(?=/|$)")      # (not the API version)


def endpoint(method: str, path: str) -> str:
    """The burst bucket of a request: its method and its path with object ids taken out."""
    return f"{method} {OBJECT_SEGMENT.sub('/{id}', path)}"


class RequestLimits:
    """The burst and per-issue write limits of one site (0 `burst`: neither)."""

    def __init__(self, burst: int, clock: Clock, issue_id: Callable[[str], str | None]):
        self.burst = burst
        self._buckets = TokenBuckets(burst, burst * REFILL_SHARE, clock)
        self._writes = [SlidingWindowLimiter(limit if burst > 0 else 0, window, clock)
                        for limit, window in PER_ISSUE_WINDOWS]
        self._issue_id = issue_id

    def refuse(self, method: str, path: str) -> tuple[float, str, int] | None:
        """(seconds to wait, RateLimit-Reason, the limit) when the request is over a limit, else None."""
        if self.burst <= 0:
            return None
        wait = self._buckets.take(endpoint(method, path))
        if wait > 0:
            return wait, BURST, self.burst
        match = ISSUE_PATH.match(path) if method in WRITE_METHODS else None
        issue = self._issue_id(match.group("issue")) if match else None
        if issue is None:
            return None
        waits = [(limiter.acquire(issue, record=False), limiter.limit) for limiter in self._writes]
        refused = max(waits)
        if refused[0] > 0:
            return refused[0], PER_ISSUE, refused[1]
        for limiter in self._writes:
            limiter.acquire(issue)
        return None
