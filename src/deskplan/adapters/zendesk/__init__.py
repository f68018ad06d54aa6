"""Zendesk Support: incremental exports in, canonical tickets out."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests

from deskplan.adapters.zendesk.adapter import SATISFACTION_RATINGS, TICKET_EVENTS, TICKETS, USERS, ZendeskAdapter
from deskplan.adapters.zendesk.client import ZendeskClient
from deskplan.adapters.zendesk.mapping import DESKPLAN_MARKER, is_deskplan_comment
from deskplan.config import SourceConfig
from deskplan.transport.http import HttpClient

__all__ = [
    "DESKPLAN_MARKER", "SATISFACTION_RATINGS", "TICKETS", "TICKET_EVENTS", "USERS", "ZendeskAdapter",
    "create_adapter", "is_deskplan_comment",
]


def create_adapter(
    config: SourceConfig,
    token: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    session: requests.Session | None = None,
) -> ZendeskAdapter:
    """The adapter for one `kind = "zendesk"` source; no request is made until it is used.

    API-token auth is HTTP Basic with `{email}/token` as the user name.
    """
    http = HttpClient(config.url, auth=(f"{config.email}/token", token), source=config.name,
                      account=config.credentials_hint(), session=session, sleep=sleep, clock=clock)
    return ZendeskAdapter(ZendeskClient(http), source=config.name, site=config.url,
                          status_map=config.status_map, tasks_group=config.tasks_group)
