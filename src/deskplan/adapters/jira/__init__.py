"""Jira Service Management (Jira Cloud REST v3 + /rest/servicedeskapi)."""

from __future__ import annotations

import time
from typing import Callable

import requests

from ...config import SourceConfig
from ...connector.http import HttpClient
from .adapter import STREAM, JiraAdapter
from .client import JiraClient
from .marker import DESKPLAN_MARKER, is_deskplan_comment

__all__ = ["DESKPLAN_MARKER", "STREAM", "JiraAdapter", "create_adapter", "is_deskplan_comment"]


def create_adapter(
    config: SourceConfig,
    token: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    session: requests.Session | None = None,
    rating_comments: bool = False,
) -> JiraAdapter:
    """The adapter for one `kind = "jira"` source; no request is made until it is used.

    `rating_comments`: also fetch each rating's comment (one request per rated issue;
    see adapter.py).
    """
    http = HttpClient(config.url, auth=(config.email, token), source=config.name,
                      session=session, sleep=sleep, clock=clock)
    return JiraAdapter(JiraClient(http), source=config.name, site=config.url,
                       projects=config.projects, status_map=config.status_map, rating_comments=rating_comments)
