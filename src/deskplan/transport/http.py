"""The HTTP client every adapter talks through: one retry policy, one error classifier.

It knows nothing about a particular helpdesk beyond the shapes of their error bodies.
Credentials go only into the `Authorization` header that requests builds; nothing here
logs or raises with headers, the token, query strings or whole response bodies.
"""

from __future__ import annotations

import json as jsonlib
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

from deskplan.errors import AuthError, RateLimited, ServerError
from deskplan.transport import deepjson
from deskplan.transport.retry import (
    AttemptFailed,
    Rejected,
    RetryMode,
    RetryPolicy,
    retry_after_seconds,
    status_retriable,
    transport_failure,
)

__all__ = ["HttpClient", "HttpResult", "Rejected", "RetryMode", "RetryPolicy"]

_FIELD_NAME = re.compile(r"[a-z_]{1,40}")     # a field name in an error body: nothing else is repeated
_CODE_LIMIT = 120   # helpdesk error codes/descriptions are short; anything longer is cut
CONNECT_TIMEOUT = 5.0   # seconds to connect (TCP and TLS): a helpdesk that does not answer is given up on soon


@dataclass(frozen=True)
class HttpResult:
    status: int
    json: Any                       # None when the body was empty (204)
    headers: Mapping[str, str]


class HttpClient:
    """Requests to one helpdesk site, with retries per `RetryPolicy` and typed errors.

    `requests` counts every HTTP attempt, retries included, so a run can report what it cost.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: tuple[str, str],
        source: str,
        account: str = "",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 30,
        connect_timeout: float = CONNECT_TIMEOUT,
        max_attempts: int = 8,
        max_wait: float = 600,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.source = source
        # Said when the credentials are refused: which variable and account to fix (config's
        # SourceConfig.credentials_hint), never the token.
        self.account = account
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.policy = policy or RetryPolicy(max_attempts=max_attempts, max_wait=max_wait)
        self._auth = auth
        self._session = session or _session_for(self.base_url)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._requests = 0
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc)
        self.site = site_of(self.base_url)

    def __repr__(self) -> str:          # never the credentials
        return f"HttpClient({self.base_url!r}, source={self.source!r})"

    @property
    def requests(self) -> int:
        return self._requests

    def refused(self, message: str, where: str) -> AuthError:
        """An AuthError for credentials the helpdesk answered but did not accept (Zendesk's
        anonymous user), saying what to fix as a 401 does."""
        return AuthError(f"{message}; {self.account}" if self.account else message, source=self.source, where=where)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> Any:
        """GET and parse JSON; retried per the "safe" mode. Raises a typed HelpdeskError."""
        return self._request("GET", path, params=params, headers=headers, json=None, mode="safe").json

    def send(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, retry: RetryMode) -> HttpResult:
        """A write (or any method) with an explicit retry mode; see `connector.retry`.

        A 2xx comes back as HttpResult; every other outcome raises a typed HelpdeskError.
        """
        return self._request(method.upper(), path, params=params, headers=headers, json=json, mode=retry)

    # --- internals -----------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
        json: Any, mode: RetryMode,
    ) -> HttpResult:
        url = self._url(path, method)
        where = f"{method} {urlsplit(url).path}"
        attempts = 0
        connected = False       # whether any attempt may have reached the server

        def attempt() -> HttpResult:
            nonlocal attempts, connected
            attempts += 1
            try:
                result = self._attempt(method, url, params=params, headers=headers, json=json, mode=mode)
            except AttemptFailed as failed:
                connected = connected or failed.connected
                raise
            connected = True
            return result

        retrying = self.policy.retrying(sleep=self._sleep, clock=self._clock, rng=self._rng, describe=where)
        try:
            return retrying(attempt)
        except AttemptFailed as failed:
            if failed.error_type is AuthError and self.account:
                failed.message = f"{failed.message}; {self.account}"
            raise failed.to_error(source=self.source, where=where, attempts=attempts, connected=connected) from None

    def _url(self, path: str, method: str) -> str:
        parts = urlsplit(path)
        if not parts.scheme:
            return self.base_url + (path if path.startswith("/") else "/" + path)
        if (parts.scheme, parts.netloc) != self._origin:
            # A next-page link must never carry our credentials to another host.
            raise Rejected("refusing to follow a link to another host", source=self.source,
                           where=f"{method} {parts.path}")
        return path

    def _attempt(
        self, method: str, url: str, *, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
        json: Any, mode: RetryMode,
    ) -> HttpResult:
        self._requests += 1
        sent_headers = {"Accept": "application/json", "User-Agent": "deskplan", **(headers or {})}
        try:
            response = self._session.request(
                method, url, params=params, json=json, headers=sent_headers,
                auth=self._auth, timeout=(self.connect_timeout, self.timeout), allow_redirects=method == "GET",
            )
        except requests.RequestException as exc:
            raise transport_failure(exc, mode, self.site) from None
        return _classify(response, method, mode)


def site_of(url: str) -> str:
    """`scheme://host:port` of a URL, to name a helpdesk in a message: never the user name,
    password, path or query that the URL may carry."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{host}:{port}" if port else f"{parts.scheme}://{host}"


def _session_for(base_url: str) -> requests.Session:
    """A session with the environment's proxy and CA bundle settings read once, here.

    By default requests reads the proxy variables, .netrc and the CA bundle variables again on
    every request, a tenth of the CPU of pulling a page; a sync makes thousands of requests to
    one site with settings that do not change while it runs.
    """
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


def _classify(response: requests.Response, method: str, mode: RetryMode) -> HttpResult:
    """The one place that turns a response into a result or a classified failure."""
    status = response.status_code
    if 200 <= status < 300:
        return HttpResult(status, _body(response, method, mode), response.headers)
    retriable = status_retriable(status, mode)
    if status in (401, 403):
        return _raise(AttemptFailed(AuthError, "the helpdesk refused the credentials", status=status))
    if status == 429:
        hint = retry_after_seconds(response.headers, _utc_now)
        return _raise(AttemptFailed(RateLimited, "rate limited", status=status, retriable=retriable, retry_after=hint))
    if status >= 500:
        hint = retry_after_seconds(response.headers, _utc_now) if status == 503 else None
        return _raise(AttemptFailed(ServerError, "server error", status=status, retriable=retriable, retry_after=hint))
    code, detail = error_details(response)
    message = f"request rejected ({detail})" if detail else "request rejected"
    return _raise(AttemptFailed(Rejected, message, status=status, code=code))


def _raise(failure: AttemptFailed) -> HttpResult:
    raise failure


def _body(response: requests.Response, method: str, mode: RetryMode) -> Any:
    if not response.content:
        if response.status_code == 204 or method != "GET":
            return None
        raise AttemptFailed(ServerError, "empty response body", status=response.status_code,
                            retriable=mode == "safe", what="empty body")
    try:
        # orjson reads pages of a megabyte two to three times faster than the standard
        # library. It reads an integer beyond 64 bits as a float; neither helpdesk sends one
        # (Zendesk ids are signed 64-bit integers, Jira's ids are strings and its numbers doubles).
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        # What orjson refuses but the standard library reads (UTF-16 or UTF-32 bodies, NaN, a
        # lone surrogate's escape); nested beyond both readers' depth, an item deep inside a
        # page, the reader without recursion (the store quarantines that item, not the page).
        try:
            return jsonlib.loads(response.content)
        except RecursionError:
            return deepjson.loads(response.content)
    except ValueError:
        note = "" if method == "GET" else "; the write may have been applied"
        raise AttemptFailed(ServerError, f"the response body is not valid JSON{note}",
                            status=response.status_code, retriable=mode == "safe", what="unreadable body") from None


def error_details(response: requests.Response) -> tuple[str | None, str | None]:
    """The helpdesk's error code and a short description from an error body; never the body.

    Zendesk: `{"error": "RecordNotFound", "description": …}` or a nested
    `{"error": {"title": …}}`; Jira: `{"errorMessages": [...], "errors": {field: msg}}`.
    """
    try:
        body = jsonlib.loads(response.content)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):
        error = error.get("title") or error.get("code")
    if isinstance(error, str) and error:
        code = error[:_CODE_LIMIT]
        description = body.get("description")
        detail = f"{code}: {description}" if isinstance(description, str) and description else code
        # Zendesk's RecordInvalid names the refused fields as the keys of `details`; only the
        # names are kept (the descriptions may quote what was sent).
        fields = body.get("details")
        named = sorted(k for k in fields if _FIELD_NAME.fullmatch(k)) if isinstance(fields, dict) else []
        if named:
            detail = f"{detail} (invalid fields: {', '.join(named)})"
        return code, detail[:_CODE_LIMIT]
    messages = body.get("errorMessages")
    if isinstance(messages, list) and messages and isinstance(messages[0], str):
        return None, messages[0][:_CODE_LIMIT]
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        return None, ("invalid fields: " + ", ".join(sorted(str(k) for k in errors)))[:_CODE_LIMIT]
    return None, None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)
