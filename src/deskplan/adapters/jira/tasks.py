"""Reading deskplan's own Jira tasks back, by key (app/tasks.py decides which keys: those the
ledger holds). Tasks live in `tasks_project`, which need not be a pulled project, so they are
asked for with `key in (...)` in batches of BATCH: one search request per batch and page.

Done is the status category `done`; `duedate` is a day (Jira keeps no time), which app/tasks.py
(`day_due`) reads as the end of that day in the plan's time zone. Jira answers a
JQL naming a key that does not exist (deleted, or no longer visible to deskplan) with 400
"An issue with key 'X' does not exist for field 'key'." and nothing else: that key is gone,
and the batch is asked again without it, at most GONE_RETRIES times a run (the keys found gone
are recorded, so a later run goes on from there). A key the search does not return without
such an error (the index lags behind a create by seconds) is simply not read this time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from deskplan.adapters.jira.client import JiraClient
from deskplan.state.tasks import TaskReading
from deskplan.transport.http import Rejected

log = logging.getLogger(__name__)

BATCH = 100
GONE_RETRIES = 20
FIELDS = ["status", "duedate"]
DONE_CATEGORY = "done"
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[1-9][0-9]{0,17}$")
_MISSING = re.compile(r"An issue with key '([^']+)' does not exist|The issue key '([^']+)' for field '[^']*' is "
                      r"invalid")


def read_tasks(client: JiraClient, keys: Sequence[str], site: str) -> Iterator[TaskReading]:
    """A reading for every key Jira returned or named as missing."""
    wanted = sorted({k for k in keys if _KEY.match(k)})
    retries = GONE_RETRIES
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        while batch:
            try:
                found = _search(client, batch)
            except Rejected as exc:
                missing = _missing(exc, batch)
                if missing is None:
                    raise
                yield TaskReading(missing, gone=True, status="deleted")
                batch = [k for k in batch if k != missing]
                retries -= 1
                if retries < 0:
                    log.info("%s: more than %d of deskplan's tasks are gone from Jira; the rest are read next run",
                             client.http.source, GONE_RETRIES)
                    return
                continue
            for key in batch:
                if key in found:
                    yield _reading(key, found[key], site)
            break


def _search(client: JiraClient, keys: list[str]) -> dict[str, dict[str, Any]]:
    jql = f"key in ({', '.join(keys)}) ORDER BY key ASC"
    found: dict[str, dict[str, Any]] = {}
    for page in client.search(jql, fields=FIELDS):
        for issue in page.issues:
            if isinstance(issue, dict) and isinstance(issue.get("key"), str):
                found[issue["key"]] = issue
    return found


def _missing(exc: Rejected, batch: list[str]) -> str | None:
    """The key of `batch` a 400 names as not existing, if that is what it says."""
    if exc.status != 400:
        return None
    match = _MISSING.search(str(exc))
    key = next((g for g in match.groups() if g), None) if match else None
    return key if key in batch else None


def _reading(key: str, issue: dict[str, Any], site: str) -> TaskReading:
    fields = issue.get("fields")
    fields = fields if isinstance(fields, dict) else {}
    status = fields.get("status")
    status = status if isinstance(status, dict) else {}
    category = status.get("statusCategory")
    category = category if isinstance(category, dict) else {}
    name = status.get("name")
    return TaskReading(key, done=category.get("key") == DONE_CATEGORY, status=name if isinstance(name, str) else "",
                       due_day=_day(fields.get("duedate")), url=task_url(site, key))


def task_url(site: str, key: str) -> str:
    """The issue in Jira's web interface."""
    return f"{site.rstrip('/')}/browse/{key}"


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return day if 1970 <= day.year < 2100 else None
