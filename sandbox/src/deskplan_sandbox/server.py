"""A small threaded HTTP server on loopback that the helpdesk simulators plug into.

It owns what both simulators share: routing, one log line per request on stderr,
basic-auth parsing, sliding-window rate limits, and fault injection (429, 5xx,
dropped connections, cut-off bodies) before or after a request is handled, so that
a write can be applied and its answer still lost — the case exactly-once must survive.
The helpdesk-specific shapes live in `sandbox/zendesk` and `sandbox/jira`.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, TextIO, overload
from urllib.parse import parse_qs, urlsplit

import orjson

Clock = Callable[[], float]


@dataclass
class Request:
    method: str
    path: str                       # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]         # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)   # named groups of the route

    @property
    def target(self) -> str:
        qs = "&".join(f"{k}={v}" for k, vs in self.query.items() for v in vs)
        return f"{self.path}?{qs}" if qs else self.path

    @overload
    def arg(self, name: str, default: str) -> str: ...
    @overload
    def arg(self, name: str, default: None = None) -> str | None: ...
    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password


@dataclass
class Response:
    status: int = 200
    body: Any = None                # dict/list -> JSON; str/bytes -> sent as is
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "application/json; charset=utf-8"
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=utf-8"
        return _json_bytes(self.body), "application/json; charset=utf-8"


def _json_bytes(body: Any) -> bytes:
    """UTF-8 JSON; orjson writes a 1,000-item export page several times faster than the standard
    library, which still writes what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")


Handler = Callable[[Request], Response]


class Router:
    """Routes `METHOD regex` to handlers; a trailing `.json` is accepted wherever Zendesk accepts it."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | Literal[False] | None:
        """The handler and its params; False when the path exists for another method."""
        other_method = False
        for route_method, regex, handler in self._routes:
            match = regex.match(path)
            if match:
                if route_method == method:
                    return handler, match.groupdict()
                other_method = True
        return False if other_method else None


class SlidingWindowLimiter:
    """At most `limit` requests per `window` seconds for each bucket; 0 means unlimited."""

    def __init__(self, limit: int, window: float = 60.0, clock: Clock = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, bucket: str, *, record: bool = True) -> float:
        """Record a hit and return 0, or return the seconds to wait (nothing is recorded).
        With `record` false only the wait is told, and nothing recorded either way."""
        if self.limit <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault(bucket, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) < self.limit:
                if record:
                    hits.append(now)
                return 0.0
            return max(hits[0] + self.window - now, 0.001)

    def remaining(self, bucket: str) -> int:
        if self.limit <= 0:
            return 1_000_000
        with self._lock:
            now = self._clock()
            hits = self._hits.get(bucket, deque())
            return max(self.limit - sum(1 for t in hits if t > now - self.window), 0)


class TokenBuckets:
    """A token bucket per key: `capacity` tokens, refilled at `refill` a second; a request takes
    one. 0 capacity means unlimited. (Jira's burst limit works this way.)"""

    def __init__(self, capacity: int, refill: float, clock: Clock = time.monotonic):
        self.capacity = capacity
        self.refill = refill
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}     # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token and return 0, or return the seconds until one is there (nothing taken)."""
        if self.capacity <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (float(self.capacity), now))
            tokens = min(float(self.capacity), tokens + (now - at) * self.refill)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return max((1 - tokens) / self.refill, 0.001)

    def remaining(self, key: str) -> int:
        if self.capacity <= 0:
            return 1_000_000
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.capacity), self._clock()))
            return int(min(float(self.capacity), tokens + (self._clock() - at) * self.refill))


def retry_after_header(wait: float) -> str:
    """Retry-After in whole seconds, never 0 (clients sleep at least that long)."""
    return str(max(1, math.ceil(wait)))


FAULT_KINDS = ("429", "500", "503", "drop", "cut")


class FaultInjector:
    """Chooses, per request, whether and how to fail. Seeded, so a run can be replayed.

    `before` faults reject the request unhandled; `after` faults (drop, cut) happen once
    the handler ran: a write is applied and its answer is lost.
    """

    def __init__(self, rate: float = 0.0, seed: int = 0, kinds: Iterable[str] = FAULT_KINDS):
        self.rate = rate
        self.kinds = tuple(kinds)
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> tuple[str, bool] | None:
        """(kind, after_handling) or None."""
        if self.rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.kinds)
            after = kind in ("drop", "cut") and self._random.random() < 0.5
            return kind, after


class SimulatorApp:
    """Base of a helpdesk simulator: subclasses fill `self.router` and `fault_response`."""

    name = "simulator"

    def __init__(self, *, faults: FaultInjector | None = None, log: TextIO | None = None):
        self.router = Router()
        self.faults = faults or FaultInjector(0.0)
        self.log = log if log is not None else sys.stderr
        self.requests = 0
        self._count_lock = threading.Lock()
        self._log_lock = threading.Lock()

    # Subclasses answer these in their helpdesk's own shapes.
    def authenticate(self, request: Request) -> Response | None:
        return None

    def describe(self) -> str:
        """What a newcomer's configuration must name to find the data (`projects=SUP`), or ""."""
        return ""

    def not_found(self, request: Request) -> Response:
        return Response(404, {"error": "RecordNotFound", "description": "Not found"})

    def method_not_allowed(self, request: Request) -> Response:
        return Response(405, {"error": "MethodNotAllowed"})

    def fault_response(self, kind: str) -> Response:
        if kind == "429":
            return Response(429, {"error": "APIRateLimitExceeded"}, {"Retry-After": "1"})
        return Response(int(kind), "Internal Server Error" if kind == "500" else "Service Unavailable")

    def dispatch(self, request: Request) -> Response:
        resolved = self.router.resolve(request.method, request.path)
        if resolved is None:
            return self.not_found(request)
        if resolved is False:
            return self.method_not_allowed(request)
        handler, params = resolved
        request.params = params
        denied = self.authenticate(request)
        if denied is not None:
            return denied
        return handler(request)

    def count_request(self) -> None:
        with self._count_lock:
            self.requests += 1

    def log_line(self, request: Request, status: int | str) -> None:
        with self._log_lock:
            print(f"{request.method} {request.target} {status}", file=self.log, flush=True)


def _make_handler(app: SimulatorApp) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"deskplan-sandbox-{app.name}"
        # Headers and body go out in separate writes; with Nagle's algorithm on, the body
        # waits ~40 ms for the client's delayed ACK on every keep-alive response.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:   # one line of our own instead
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            app.count_request()
            fault = app.faults.draw()
            if fault and not fault[1]:
                kind = fault[0]
                if kind in ("drop", "cut"):
                    self._fail(request, kind, None)
                    return
                response = app.fault_response(kind)
            else:
                try:
                    response = app.dispatch(request)
                except Exception as exc:  # a simulator bug must show, not hang the client
                    print(f"sandbox error: {exc!r}", file=app.log, flush=True)
                    response = Response(500, {"error": "InternalError"})
                if fault:
                    self._fail(request, fault[0], response)
                    return
            self._send(request, response)

        def _send(self, request: Request, response: Response) -> None:
            payload, content_type = response.encoded()
            self.send_response(response.status)
            headers = {"Content-Type": content_type, **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # Logged before the body goes out: a client that has read its answer can count the
            # line (tests count requests from this log the moment a sync returns).
            app.log_line(request, response.status)
            self.wfile.write(payload)

        def _fail(self, request: Request, kind: str, response: Response | None) -> None:
            self.close_connection = True
            if kind == "cut":
                payload, content_type = (response or Response(200, {"partial": True})).encoded()
                self.send_response(response.status if response else 200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload) + 100))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2])
            app.log_line(request, f"fault:{kind}")
            # "drop": close without a byte of answer, as a timed-out proxy does

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return _Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a killed sync, a timeout) is normal traffic
        # for a simulator used in crash tests, not an error worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """Serves a SimulatorApp on 127.0.0.1 in a background thread."""

    def __init__(self, app: SimulatorApp, port: int = 0, host: str = "127.0.0.1"):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox serves on loopback only")
        self.app = app
        self._httpd = _QuietServer((host, port), _make_handler(app))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        assert isinstance(host, str)    # a bound TCP socket names its host as text (typeshed also allows bytes)
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        # A short poll keeps stop() quick; tests start and stop many servers.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"sandbox-{self.app.name}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
