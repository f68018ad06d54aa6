"""What the route modules need of the simulator, so that they import only modules below it.

`app.JiraSimulator` is the one `Site`; it builds `PlatformRoutes(self)` and
`ServiceDeskRoutes(self)`, and the routes call back through this protocol instead of
importing the app module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from deskplan_sandbox.jira.jql import Context
from deskplan_sandbox.jira.render import Renderer
from deskplan_sandbox.jira.search import SearchCache, SearchLag, Tokens
from deskplan_sandbox.jira.store import IssueStore
from deskplan_sandbox.server import Handler

# The platform REST API's path prefix in every version Jira Cloud serves, and an issue or project key or id.
V = r"/rest/api/(?P<v>2|3|latest)"
KEY = r"(?P<key>[^/]+)"


class Site(Protocol):
    store: IssueStore
    myself: dict[str, Any]                 # the user the request acts as, as /myself shows it
    fields: list[dict[str, Any]]                     # the field catalog
    create_screen_links: bool              # whether create accepts `update.issuelinks`
    search_cache: SearchCache
    search_lag: SearchLag                  # how long changes take to reach search results
    search_page_bytes: int                 # > 0: search pages end early past that much JSON
    tokens: Tokens
    now: Callable[[], datetime]

    def renderer(self, version: str = "3") -> Renderer: ...

    def jql_context(self) -> Context: ...

    def route(self, method: str, pattern: str, handler: Handler, *, write: bool = False) -> None: ...
