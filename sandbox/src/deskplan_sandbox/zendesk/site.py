"""What the route modules need of the simulator, so that they import only modules below it.

`app.ZendeskSimulator` is the one `Site`; it registers the routes (`routes_*.register(self)`),
and the routes call back through this protocol instead of importing the app module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from deskplan_sandbox.server import Handler, Request, Response, Router
from deskplan_sandbox.zendesk.idempotency import IdempotencyCache
from deskplan_sandbox.zendesk.store import ZendeskStore


def api(path: str) -> str:
    """A route pattern under /api/v2 that also accepts the `.json` suffix."""
    return f"/api/v2/{path}(?:\\.json)?"


class Site(Protocol):
    router: Router
    store: ZendeskStore
    api_user_id: int
    idempotency: IdempotencyCache
    clock: Callable[[], datetime]
    ratings_start_time: str          # "created" or "updated": what the ratings list's start_time filters on

    def base_url(self) -> str: ...

    def credentials_ok(self, request: Request) -> bool: ...

    def acting_user(self, request: Request) -> int | None: ...

    def incremental(self, handler: Handler) -> Handler: ...

    def ticket_update_gate(self, ticket_id: int) -> tuple[Response | None, dict[str, str]]: ...
