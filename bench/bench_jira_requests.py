"""Requests a Jira sync costs, against the minimum: `python bench/bench_jira_requests.py [--tickets N]`.

Serves N generated issues from the Jira simulator on loopback, then runs the adapter the
way `deskplan sync` does (pull every page, build every ticket):

1. a full sync;
2. an incremental sync after `--changes` issues got a comment, one every 20 seconds from
   the watermark on, the first ones in its very millisecond and minute;
3. an incremental sync with nothing changed;
4. a reconciling sync: after one more change an hour and a half past the watermark (pulled
   by an incremental sync first), the sync that reads again every issue changed from half an
   hour before the last reconciliation on, for changes the search index showed late
   (`reconciled` counts the issues read again; see adapters/jira/watermark.py; `cursor` is the
   stored cursor's JSON size, which holds the versions a reconciliation read in its span);
5. with `--rating-comments`, the full sync again with the adapter's `rating_comments="all"`
   (one `/feedback` call per rated issue, for the rating's comment).

For each it prints the requests made and the minimum a client needs: `/myself` and the
field catalog once, one search page per 100 issues (the most the search returns per page
with the fields and changelog the adapter asks for), plus the changelog and comment pages
the search leaves out of issues with more than 20 of either, and the `/feedback` calls
the mode needs (none by default). An incremental search also
reads again the issues changed in the last 5 minutes before the watermark (the overlap
that covers the search index's lag); they are dropped, but share the pages. Figures
only; nothing is asserted, and times are for orientation.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from datetime import datetime, timedelta, timezone

import requests

from deskplan.adapters.jira import create_adapter
from deskplan.adapters.jira.client import DETAIL_PAGE_SIZE, SEARCH_PAGE_SIZE
from deskplan.config import SourceConfig
from deskplan.state.records import Related
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.jira import create_app
from deskplan_sandbox.server import SandboxServer

EMAIL, TOKEN = "bench@acme.test", "bench-token"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
INLINE = 20
NO_RELATED = Related(events=[], ratings=[], user=lambda uid: None)


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def run_sync(server_url: str, cursor: dict | None, *, rating_comments: str = "bad") -> dict:
    config = SourceConfig(name="jsm", kind="jira", url=server_url, email=EMAIL, token_env="JIRA_TOKEN",
                          projects=("SUP",))
    adapter = create_adapter(config, TOKEN, sleep=lambda s: None, rating_comments=rating_comments)
    started = time.perf_counter()
    records, pages = [], 0
    for page in adapter.pull("issues", cursor):
        pages += 1
        records.extend(page.records)
        cursor = page.cursor
    built = sum(1 for record in records if adapter.build(record, NO_RELATED))
    detail = sum(
        math.ceil(max(r.data["issue"]["changelog"]["total"] - INLINE, 0) / DETAIL_PAGE_SIZE)
        + math.ceil(max(r.data["issue"]["fields"]["comment"]["total"] - INLINE, 0) / DETAIL_PAGE_SIZE)
        for r in records
    )
    return {
        "cursor": cursor, "issues": len(records), "built": built, "pages": pages, "detail": detail,
        "requests": adapter.requests, "feedback": adapter.feedback_requests, "reconciled": adapter.reconciled_issues,
        "minimum": 2 + max(1, math.ceil(len(records) / SEARCH_PAGE_SIZE)) + detail + adapter.feedback_requests,
        "seconds": time.perf_counter() - started, "cursor bytes": len(json.dumps(cursor)),
    }


def comment(server_url: str, clock: Clock, key: str, at: datetime) -> None:
    clock.at = at
    body = {"body": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "bench update"}]}]}}
    requests.post(f"{server_url}/rest/api/3/issue/{key}/comment", json=body, auth=(EMAIL, TOKEN)).raise_for_status()


def show(name: str, figures: dict) -> None:
    print(f"{name:<26} issues {figures['issues']:>6}  built {figures['built']:>6}  search pages {figures['pages']:>4}  "
          f"detail pages {figures['detail']:>4}  feedback calls {figures['feedback']:>3}  "
          f"requests {figures['requests']:>5}  minimum {figures['minimum']:>5}  "
          f"read again {figures['reconciled']:>5}  cursor {figures['cursor bytes']:>6} B  ({figures['seconds']:.1f}s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=250)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rating-comments", action="store_true")
    args = parser.parse_args()

    clock = Clock(NOW)
    app = create_app(email=EMAIL, token=TOKEN, scenario=generate_scenario(args.tickets, args.seed, NOW),
                     now=clock, seed=args.seed)
    with SandboxServer(app) as server:
        full = run_sync(server.url, None)
        show("full sync", full)

        watermark = datetime.fromtimestamp(full["cursor"]["updated_ms"] / 1000, timezone.utc)
        keys = [f"SUP-{n}" for n in random.Random(args.seed).sample(range(1, args.tickets + 1), args.changes * 2)]
        changed = 0
        for index, key in enumerate(keys):
            if changed == args.changes:
                break
            # The first few land at the watermark's millisecond and minute; the rest later.
            at = watermark + (timedelta(0) if index < 3 else timedelta(seconds=20 * index))
            try:
                comment(server.url, clock, key, at)
            except requests.HTTPError:
                continue             # a deleted ticket of the scenario
            changed += 1
        incremental = run_sync(server.url, full["cursor"])
        show(f"incremental ({changed} changed)", incremental)
        unchanged = run_sync(server.url, incremental["cursor"])
        show("incremental (none)", unchanged)
        later = datetime.fromtimestamp(unchanged["cursor"]["updated_ms"] / 1000, timezone.utc) + timedelta(minutes=90)
        for key in keys:
            try:
                comment(server.url, clock, key, later)
                break
            except requests.HTTPError:
                continue             # a deleted ticket of the scenario
        moved = run_sync(server.url, unchanged["cursor"])
        show("incremental (1 changed)", moved)
        show("reconciling", run_sync(server.url, moved["cursor"]))
        if args.rating_comments:
            show("full, rating comments", run_sync(server.url, None, rating_comments="all"))


if __name__ == "__main__":
    main()
