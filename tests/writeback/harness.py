"""End-to-end harness: a simulator in this process, a workspace pointing at it, and syncs
run in-process or in a forked child that can be killed at any instant.

What counts is the helpdesk's own data (`Effects`), read from the simulator's store, never
deskplan's ledger: a comment or task exists exactly once when the simulator holds it once.
"""

from __future__ import annotations

import io
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from deskplan.adapters import open_adapter, open_writer
from deskplan.adapters.jira.adf import adf_to_text
from deskplan.app.sync import SyncResult, run_sync
from deskplan.config import load_config
from deskplan.effects import TASK_TAG
from deskplan.workspace.init import init_workspace
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.scenario import Scenario
from deskplan_sandbox.server import FaultInjector, SandboxServer

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
EMAIL = "deskplan@acme.test"
TOKEN = "sandbox-token"
TOKEN_ENV = "DESKPLAN_TEST_TOKEN"
MARKER = re.compile(r"\[deskplan:([0-9a-f]{16})\]")

ZENDESK_SOURCE = """
[[sources]]
name = "zd"
kind = "zendesk"
url = "{url}"
email = "{email}"
token_env = "{token_env}"
[sources.status_map]
new = "new"
open = "open"
pending = "waiting_customer"
hold = "on_hold"
solved = "solved"
closed = "closed"
"""

JIRA_SOURCE = """
[[sources]]
name = "jsm"
kind = "jira"
url = "{url}"
email = "{email}"
token_env = "{token_env}"
service_desk = "1"
projects = ["SUP"]
tasks_project = "IMP"
[sources.status_map]
"Open" = "new"
"Waiting for support" = "open"
"In Progress" = "open"
"Waiting for customer" = "waiting_customer"
"Pending" = "on_hold"
"Resolved" = "solved"
"Closed" = "closed"
"""


def scenario(tickets: int = 24, seed: int = 5) -> Scenario:
    """The generator's story, with every other ticket still unsolved at NOW, so that status
    comments are due on many tickets and not only on the few the generator leaves open.
    Without the generator's improved team (the demo's pilot): the tests count this story's
    missed goal windows, which that improvement would meet (February's first replies)."""
    story = generate_scenario(tickets, seed, NOW, improvement=False)
    for ticket in story.tickets:
        if ticket.number % 2 or ticket.deleted_at is not None:
            continue
        solved = next((s.at for s in ticket.status_changes if s.status in ("solved", "closed")), None)
        if solved is None:
            continue
        ticket.status_changes = [s for s in ticket.status_changes if s.at < solved]
        ticket.comments = [c for c in ticket.comments if c.at < solved]
        ticket.ratings = []
    return story


class Clock:
    """The simulator's clock; tests move it (and DESKPLAN_NOW with it) to let SLA clocks run."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Effects:
    """What deskplan wrote, as the helpdesk holds it."""

    comments: Counter = field(default_factory=Counter)     # (ticket key, marker) -> copies
    tasks: Counter = field(default_factory=Counter)        # marker -> copies
    task_details: dict = field(default_factory=dict)       # marker -> (title, due, linked ticket keys)
    public_comments: int = 0                                # deskplan comments a customer could see

    def duplicates(self) -> list[Any]:
        return [k for k, n in (self.comments + self.tasks).items() if n > 1]


class Site:
    """A simulator served on loopback, with the helpdesk's data readable as Effects."""

    def __init__(self, kind: str, story: Scenario, *, faults: float = 0.0, fault_seed: int = 0,
                 token: str = TOKEN, clock: Clock | None = None):
        self.kind = kind
        self.log = io.StringIO()
        self.token = token
        self.clock = clock or Clock()
        if kind == "zendesk":
            from deskplan_sandbox.zendesk import ZendeskSimulator, ZendeskStore

            store = ZendeskStore(self.clock)
            store.load_scenario(story)
            self.app = ZendeskSimulator(store=store, email=EMAIL, token=token, clock=self.clock,
                                        faults=FaultInjector(faults, fault_seed), rate_limit=0, log=self.log)
        else:
            from deskplan_sandbox.jira import create_app

            self.app = create_app(email=EMAIL, token=token, scenario=story, now=self.clock, faults=faults,
                                  seed=fault_seed, log=self.log)
        self.server = SandboxServer(self.app).start()

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()

    def effects(self) -> Effects:
        return self._zendesk_effects() if self.kind == "zendesk" else self._jira_effects()

    def _zendesk_effects(self) -> Effects:
        store = self.app.store
        found = Effects()
        tickets, _ = store.tickets_after(0, 10**9)
        for doc in tickets:
            if TASK_TAG in (doc.get("tags") or []):
                (marker,) = MARKER.findall(doc["description"])
                found.tasks[marker] += 1
                links = tuple(sorted(t.removeprefix("deskplan_ticket_") for t in doc["tags"]
                                     if t.startswith("deskplan_ticket_")))
                found.task_details[marker] = (doc["subject"], doc["due_at"], links, doc["external_id"])
                continue
            for comment in store.comments(doc["id"]) or []:
                for marker in MARKER.findall(comment["body"]):
                    found.comments[(str(doc["id"]), marker)] += 1
                    found.public_comments += bool(comment["public"])
        return found

    def _jira_effects(self) -> Effects:
        found = Effects()
        for record in list(self.app.store.records()):
            labels = record.fields.get("labels") or []
            if TASK_TAG in labels:
                (marker,) = MARKER.findall(adf_to_text(record.fields.get("description")))
                found.tasks[marker] += 1
                links = tuple(sorted(
                    (link.get("inwardIssue") or link.get("outwardIssue"))["key"]
                    for link in record.fields.get("issuelinks") or []))
                found.task_details[marker] = (record.fields["summary"], record.fields.get("duedate"), links,
                                              record.properties.get("deskplan", {}).get("key"))
                continue
            for comment in record.comments:
                for marker in MARKER.findall(adf_to_text(comment["body"])):
                    found.comments[(record.key, marker)] += 1
                    found.public_comments += bool(comment.get("jsdPublic"))
        return found


COMPACT_PLAN = """
plan: {id: sip-compact, title: Compact plan, start: 2025-09-01, end: 2026-06-30, calendar: 24x7}
goals:
  - {id: first-reply-12h, metric: first_reply_within, threshold: 12h, target: 90%, by: 2026-06-30, window: month}
  - {id: csat, metric: csat, target: 90%, by: 2026-06-30, window: quarter}
measures:
  - {id: M2, title: 24-hour support rota, owner: customer service, goals: [first-reply-12h]}
  - {id: M3, title: Feedback follow-up tracking, owner: marketing, goals: [csat]}
"""

COMPACT_RULES = """
rules:
  - id: standard-sla
    when: {type: {ne: task}}
    then: {measure: M2, sla: {first_reply: 12h, resolution: 3d}}
  - id: bad-rating-follow-up
    when: {satisfaction: bad}
    then:
      measure: M3
      task: {title: "Follow up on the rating of {{ ticket.key }}", owner: marketing, due: 48h}
"""


# The tests' workspaces go live before the story begins (`[writeback] since`), so that its
# history makes tasks; `since=None` leaves the default, the moment of the first sync.
HISTORY_SINCE = "2025-01-01"
# The installation's secret of the tests' workspaces, in the key file beside the state (as a
# dry-run before the first sync leaves it): runs in different workspaces write the same keys,
# so the helpdesk's data of one run compares with another's, markers included.
SECRET = "5ec7e75ec7e75ec7e75ec7e75ec7e7ab"


# Reviews on the compact plan's cadence: at NOW (Tuesday 10 March 2026, UTC) week 2026-W10 and
# February have closed, so a sync writes two review tasks, after every other write.
COMPACT_CADENCE = """
cadence:
  - {id: weekly-check, title: Weekly check, every: week, owner: customer service, goals: [first-reply-12h]}
  - {id: monthly-review, title: Monthly review, every: month, owner: marketing}
"""


def make_workspace(root: Path, site: Site, *, state: str = "state.db", compact: bool = False,
                   since: str | None = HISTORY_SINCE, secret: str | None = SECRET, cadence: bool = False) -> Path:
    """A workspace with one source, the site: the example plan and rules of `deskplan init`,
    or (`compact`) a small plan on the 24x7 calendar, for runs repeated many times, with
    (`cadence`) two review entries. With `secret=None` the first run makes the installation's
    secret, as for a user."""
    if compact:
        (root / "rules").mkdir(parents=True)
        (root / "plan.yaml").write_text(COMPACT_PLAN + (COMPACT_CADENCE if cadence else ""), encoding="utf-8")
        (root / "rules" / "rules.yaml").write_text(COMPACT_RULES, encoding="utf-8")
    else:
        init_workspace(root)
    template = ZENDESK_SOURCE if site.kind == "zendesk" else JIRA_SOURCE
    source = template.format(url=site.url, email=EMAIL, token_env=TOKEN_ENV)
    golive = f"\n[writeback]\nsince = {since}\n" if since else ""
    (root / "deskplan.toml").write_text(f"{source}\n[state]\npath = \"{state}\"\n{golive}", encoding="utf-8")
    if secret is not None:
        (root / f"{state}.key").write_text(f"{secret}\n", encoding="ascii")
    return root


def environment(token: str = TOKEN, now: datetime = NOW) -> dict[str, str]:
    return {TOKEN_ENV: token, "DESKPLAN_NOW": now.isoformat()}


def _no_sleep(seconds: float) -> None:
    pass


def sync(workspace: Path, *, dry_run: bool = False, on_write: Callable | None = None,
         environ: Mapping[str, str] | None = None) -> SyncResult:
    """A sync in this process, with retry waits skipped (the simulator's clock stands still)."""
    return run_sync(
        load_config(workspace / "deskplan.toml"), dry_run=dry_run, environ=environ or environment(),
        adapter_factory=lambda cfg, token: open_adapter(cfg, token, sleep=_no_sleep),
        writer_factory=lambda cfg, token: open_writer(cfg, token, sleep=_no_sleep),
        on_write=on_write,
    )


def sync_until_clean(workspace: Path, runs: int = 8) -> list[int]:
    """Re-run until a sync exits 0 (as cron would); the exit codes of every run."""
    codes = []
    for _ in range(runs):
        codes.append(sync(workspace).exit_code)
        if codes[-1] == 0:
            break
    return codes


def assert_all_internal(site: Site) -> None:
    """Every comment deskplan sent is internal (Zendesk `public: false` on every note and
    task; JSM `sd.public.comment` internal on every new comment, kept by later edits), and
    the helpdesk holds no deskplan comment a customer can see."""
    # A sync killed while sending leaves a request cut short, which the helpdesk refuses.
    for write in (w for w in site.app.writes if 200 <= w.status < 300):
        if site.kind == "zendesk":
            assert write.body["ticket"]["comment"]["public"] is False, write.path
        elif write.method == "POST" and write.path.endswith("/comment"):
            assert {"key": "sd.public.comment", "value": {"internal": True}} in write.body["properties"], write.path
    assert site.effects().public_comments == 0


def pending_writes(workspace: Path) -> list[str]:
    """Markers of the ledger rows left `pending` (read from the state file, after a kill)."""
    from deskplan.state.ledger import WriteStatus
    from deskplan.state.store import Store

    store = Store.open(workspace / "state.db")
    try:
        rows = store.db.execute("SELECT key FROM writes WHERE status = ?", [WriteStatus.PENDING.value]).fetchall()
        return sorted(key[:16] for (key,) in rows)
    finally:
        store.close()


class HoldAnswer:
    """Lets the `nth` write reach the simulator's handler (it is applied), then holds its
    answer back: killing the sync meanwhile is the crash between "sent" and "done"."""

    def __init__(self, site: Site, nth: int):
        self.site = site
        self.nth = nth
        self.inner = site.app.dispatch
        self.applied = threading.Event()
        self.release = threading.Event()
        site.app.dispatch = self

    def __call__(self, request):
        before = len(self.site.app.writes)
        response = self.inner(request)
        if before < self.nth <= len(self.site.app.writes):
            self.applied.set()
            self.release.wait(30)
        return response


# --- a sync in a child process, killable at any instant ---------------------------------------

def _child(workspace: str, environ: dict[str, str]) -> None:
    os.environ.update(environ)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from deskplan.cli import cli

    cli.main(args=["sync", "-w", workspace, "--json"], prog_name="deskplan")


def start_child(workspace: Path, environ: Mapping[str, str] | None = None):
    """`deskplan sync` in a forked child: it shares nothing with this process but the
    imported code, so the simulator (a thread here) outlives it."""
    process = get_context("fork").Process(target=_child, args=(str(workspace), dict(environ or environment())))
    process.start()
    return process


def kill_after(process, *, delay: float | None = None, writes_seen: Callable[[], int] | None = None,
               writes: int = 0, extra: float = 0.0, timeout: float = 60) -> bool:
    """SIGKILL the child after `delay` seconds, or once the simulator has received `writes`
    writes (plus `extra` seconds). Returns whether it was still running when killed."""
    deadline = time.monotonic() + timeout
    if delay is not None:
        process.join(delay)
    else:
        while writes_seen() < writes and process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.0005)
        if extra:
            process.join(extra)
    alive = process.is_alive()
    if alive:
        os.kill(process.pid, signal.SIGKILL)
    process.join(timeout)
    return alive
