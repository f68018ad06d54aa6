"""Zendesk's `Idempotency-Key` for ticket creation (the introduction of Zendesk's Ticketing API reference).

The first request with a key is handled and its answer kept for two hours
(`x-idempotency-lookup: miss`); a replay with the same body gets that very answer back
(`hit`) and creates nothing; the same key with another body is refused.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskplan_sandbox.server import Request, Response
from deskplan_sandbox.zendesk.errors import idempotency_mismatch

KEY_LIFETIME = timedelta(hours=2)


@dataclass(frozen=True)
class _Kept:
    fingerprint: str
    response: Response
    expires: datetime


def _fingerprint(request: Request) -> str:
    try:
        canonical = json.dumps(request.json(), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = request.body
    return hashlib.sha256(request.path.removesuffix(".json").encode() + b"\n" + canonical).hexdigest()


class IdempotencyCache:
    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock
        self._kept: dict[str, _Kept] = {}
        # Held across check-and-handle, so two concurrent retries cannot both create a ticket.
        self._lock = threading.Lock()

    def handle(self, request: Request, handler: Callable[[Request], Response]) -> Response:
        key = request.headers.get("idempotency-key")
        if not key:
            return handler(request)
        fingerprint = _fingerprint(request)
        with self._lock:
            now = self._clock()
            kept = self._kept.get(key)
            if kept is not None and kept.expires <= now:
                del self._kept[key]
                kept = None
            if kept is not None:
                if kept.fingerprint != fingerprint:
                    return idempotency_mismatch()
                replay = kept.response
                return Response(replay.status, replay.body, {**replay.headers, "x-idempotency-lookup": "hit"})
            response = handler(request)
            response.headers["x-idempotency-lookup"] = "miss"
            if response.status < 500:
                self._kept[key] = _Kept(fingerprint, response, now + KEY_LIFETIME)
            return response
