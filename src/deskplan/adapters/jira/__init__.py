"""Jira Service Management (Jira Cloud REST v3 + /rest/servicedeskapi)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import requests

from deskplan import clock as deskplan_clock
from deskplan.adapters.jira.adapter import STREAM, JiraAdapter, RatingComments
from deskplan.adapters.jira.client import JiraClient
from deskplan.adapters.jira.marker import DESKPLAN_MARKER, is_deskplan_comment
from deskplan.config import SourceConfig
from deskplan.transport.http import HttpClient

__all__ = ["DESKPLAN_MARKER", "STREAM", "JiraAdapter", "create_adapter", "is_deskplan_comment"]


def create_adapter(
    config: SourceConfig,
    token: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    session: requests.Session | None = None,
    rating_comments: RatingComments | None = None,
    now: Callable[[], datetime] = deskplan_clock.now,
) -> JiraAdapter:
    """The adapter for one `kind = "jira"` source; no request is made until it is used.

    `rating_comments` (default: the source's setting): which ratings' comments to fetch,
    one request per such rating — "bad" (the default), "all" or "none" (see adapter.py).
    `now`: the host's clock, which times the hour between two reconciliations (watermark.py).
    """
    http = HttpClient(config.url, auth=(config.email, token), source=config.name,
                      account=config.credentials_hint(), session=session, sleep=sleep, clock=clock)
    return JiraAdapter(JiraClient(http), source=config.name, site=config.url,
                       projects=config.projects, status_map=config.status_map,
                       rating_comments=rating_comments or config.rating_comments,
                       tasks_project=config.tasks_project, tasks_issue_type=config.tasks_issue_type, now=now)
