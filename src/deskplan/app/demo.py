"""`deskplan demo`: the whole loop on this machine, in well under a minute.

1. Start a Zendesk and a Jira Service Management simulator in this process, on loopback,
   each with six months of generated tickets (seeded, so every run tells the same story).
2. Write the example workspace (`deskplan init`) into a folder, point its deskplan.toml at
   the two simulators, and move the plan's dates so that the plan began about four months
   before `now` (the example's goals, measures and rules are kept as they are).
3. Run `deskplan sync` (the library function): pull, evaluate, write back status comments
   and improvement tasks into the simulators, and a review task for the latest closed period
   of each cadence entry (write-back goes live at the plan's start, so every entry has one;
   the monthly review goes to JSM, the others to Zendesk, the first source). Then
   `deskplan plan push`: a task per measure and milestone in each helpdesk.
4. The service team works (app/demo_team.py): half an hour later an agent in each helpdesk
   solves most of the older tasks and closes the task of every milestone that ended but the
   latest, through the helpdesk's HTTP API, never touching deskplan's state.
5. Half an hour after that, at `now`, `deskplan sync` again: it reads the tasks back (done,
   overdue), and the report is as of then.
6. Print the text report, write the HTML report, and say what was written where.

Nothing leaves 127.0.0.1. The tokens are made up per run and passed in an environment
mapping, never written to a file. DESKPLAN_NOW sets the story's `now`: the second sync's and
the report's; the generated tickets end, and the first sync runs, TEAM_GAP before.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, TextIO

from ruamel.yaml import YAML

from deskplan import clock
from deskplan.app import sandbox
from deskplan.app.demo_team import Agent, TeamWork, work
from deskplan.app.planpush import push_plan
from deskplan.app.report.command import report_from_store, write_output
from deskplan.app.report.render_html import MILESTONE_LABELS, render_html
from deskplan.app.report.render_text import render_text
from deskplan.app.summary import SourceSummary
from deskplan.app.sync import SyncResult, run_sync
from deskplan.config import CONFIG_NAME, load_config
from deskplan.effects import REVIEW_ORIGIN, PlannedWrite
from deskplan.i18n import translator
from deskplan.kpi.results import MilestoneResult, TaskReport
from deskplan.kpi.windows import due_day, zone_name
from deskplan.rules.load import load_workspace
from deskplan.state.store import Store
from deskplan.workspace.init import init_workspace

DEFAULT_TOTAL = 3000                    # six months of a small helpdesk; well under a minute
DEFAULT_SEED = 2026
PLAN_AGE = timedelta(weeks=17)          # the plan began this long before `now`
EMAIL = "deskplan-demo@example.com"
REPORT_FILE = "report.html"
REVIEWS_IN = {"monthly-review": "jsm"}  # cadence entry -> source (`in`); the others go to the first source
DEMO_TITLES = {"en": "Customer service improvement plan (demo on generated tickets)",
               "zh-CN": "客户服务改进计划（基于生成工单的演示）"}
DEMO_TITLE = DEMO_TITLES["en"]
TOKEN_ENV = {"zendesk": "DESKPLAN_DEMO_ZENDESK_TOKEN", "jsm": "DESKPLAN_DEMO_JSM_TOKEN"}
TEAM_GAP = timedelta(hours=1)           # from the first sync to the next, at `now`; the team works half-way

CONFIG_TEMPLATE = """\
# deskplan.toml written by `deskplan demo`: two helpdesk simulators on this machine.
# They stopped when the demo ended; `deskplan report --workspace {workspace}` still reads the state.
# The tokens were made up for the run and lived only in its environment ({zendesk_env}, {jsm_env}).

[[sources]]
name = "zendesk"
kind = "zendesk"
url = "{zendesk_url}"
email = "{email}"
token_env = "{zendesk_env}"

[sources.status_map]
new = "new"
open = "open"
pending = "waiting_customer"
hold = "on_hold"
solved = "solved"
closed = "closed"

[[sources]]
name = "jsm"
kind = "jira"
url = "{jsm_url}"
email = "{email}"
token_env = "{jsm_env}"
service_desk = "1"
projects = ["SUP"]
tasks_project = "IMP"
tasks_issue_type = "Task"

[sources.status_map]
"Open" = "new"
"Waiting for support" = "open"
"In Progress" = "open"
"Waiting for customer" = "waiting_customer"
"Pending" = "on_hold"
"Resolved" = "solved"
"Closed" = "closed"

[state]
path = ".deskplan/state.db"

# Go-live: tasks for everything since the plan began (the default, the first sync, would hold
# back every task about the generated history).
[writeback]
since = {since}
"""


@dataclass
class WriteCount:
    comments: int = 0
    tasks: int = 0
    other: int = 0


@dataclass
class DemoResult:
    workspace: Path
    state: Path
    html: Path
    report_text: str
    now: datetime
    tickets_generated: dict[str, int]
    tickets_stored: int
    sync: SyncResult                    # the first sync, TEAM_GAP before `now`
    urls: dict[str, str]
    writes: dict[str, WriteCount] = field(default_factory=dict)   # deskplan's, the team's left out
    push: list[SourceSummary] = field(default_factory=list)        # plan push, after the first sync
    team: list[TeamWork] = field(default_factory=list)             # the team's work, per helpdesk
    next_sync: SyncResult | None = None   # at `now`: it reads the team's work back
    seconds: float = 0.0
    reviews: list[PlannedWrite] = field(default_factory=list)    # the review tasks the syncs wrote
    zone: tzinfo = timezone.utc         # the plan calendar's: review tasks are due at a local midnight
    tasks: TaskReport | None = None     # the report's tasks section, after the next sync
    milestones: tuple[MilestoneResult, ...] = ()      # and its milestones

    def summary(self) -> str:
        total = sum(self.tickets_generated.values())
        first = self.now - TEAM_GAP
        lines = [
            f"deskplan demo: {total} generated tickets over the six months up to {first:%Y-%m-%d %H:%M} UTC, "
            f"{self.tickets_stored} stored (deskplan's Zendesk tasks among them), in {self.seconds:.1f} s",
            f"  workspace    {self.workspace}",
            f"  state        {self.state}",
            f"  HTML report  {self.html}",
            f"Written by deskplan into the simulators (stopped now): the sync at {first:%H:%M} UTC, plan push, "
            f"the sync at {self.now:%H:%M}",
        ]
        pushed = {s.source: s.tasks_created for s in self.push}
        for name, count in self.writes.items():
            reviews = [w for w in self.reviews if w.source == name]
            lines.append(f"  {name:<12} {self.urls[name]}: {count.comments} internal status comments, "
                         f"{count.tasks} tasks: {len(reviews)} {'review' if len(reviews) == 1 else 'reviews'} "
                         f"on the plan's cadence, "
                         f"{pushed.get(name, 0)} from plan push, the rest improvement tasks")
            lines.extend(f"    review for {w.owner or 'no owner'}, due by the end of "
                         f"{due_day(w.due, self.zone):%Y-%m-%d}: {w.title}"
                         for w in reviews if w.due is not None)
        if self.team:
            lines.append(f"The service team's work, in the helpdesks through their APIs, at "
                         f"{first + TEAM_GAP / 2:%H:%M} UTC:")
            lines.extend(f"  {work.line()}" for work in self.team)
        if self.tasks is not None:
            items = [t for t in self.tasks.items]
            done = sum(t.done for t in items)
            overdue = sum(t.overdue for t in items)
            states = ", ".join(f"{m.id} {MILESTONE_LABELS.get(m.state, m.state)}" for m in self.milestones)
            lines += [
                f"Read back by the sync at {self.now:%H:%M} UTC: {len(items)} tasks, {done} done, "
                f"{len(items) - done} open ({overdue} overdue); milestones {states}",
                f"  report sections: {self.html.as_uri()}#milestones and #tasks; "
                f"TASKS in deskplan report --workspace {self.workspace} --format text",
            ]
        for sync in (self.sync, self.next_sync):
            for summary in sync.summaries if sync else ():
                lines.extend(f"  {summary.source}: error: {e}" for e in summary.errors)
        lines.append(f"Next: deskplan report --workspace {self.workspace} --format text")
        return "\n".join(lines)


def split_tickets(total: int = DEFAULT_TOTAL) -> dict[str, int]:
    """Three fifths of the generated tickets in Zendesk, the rest in JSM."""
    zendesk = total * 3 // 5
    return {"zendesk": zendesk, "jsm": total - zendesk}


def count_writes(records: list[Any], kind: str) -> WriteCount:
    """Comments and tasks among the write requests a simulator accepted."""
    count = WriteCount()
    for record in records:
        if not 200 <= record.status < 300:
            continue
        path = record.path.split("?")[0].rstrip("/")
        if kind == "zendesk":
            is_task = record.method == "POST" and re.fullmatch(r"/api/v2/tickets(\.json)?", path)
            body = record.body if isinstance(record.body, dict) else {}
            is_comment = record.method == "PUT" and "comment" in (body.get("ticket") or {})
        else:
            is_task = record.method == "POST" and re.fullmatch(r"/rest/api/[23]/issue", path)
            is_comment = record.method in ("POST", "PUT") and re.search(r"/issue/[^/]+/comment(/[^/]+)?$", path)
        if is_task:
            count.tasks += 1
        elif is_comment:
            count.comments += 1
        else:
            count.other += 1
    return count


def shift_plan_dates(plan_file: Path, start: date, title: str | None = None, *,
                     reviews_in: Mapping[str, str] | None = None) -> None:
    """Move the plan, its goals' deadlines, its milestones and its measures' start and pilot dates
    so the plan starts on `start`
    (and retitle it: the example's title names its half-year), keeping every comment; with
    `reviews_in`, set those cadence entries' `in` (their review tasks' source)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(plan_file.read_text(encoding="utf-8"))
    delta = start - data["plan"]["start"]
    if title:
        data["plan"]["title"] = title
    data["plan"]["start"] = start
    data["plan"]["end"] = data["plan"]["end"] + delta
    for goal in data.get("goals") or []:
        goal["by"] = goal["by"] + delta
    for milestone in data.get("milestones") or []:
        milestone["start"] = milestone["start"] + delta
        milestone["end"] = milestone["end"] + delta
    for measure in data.get("measures") or []:
        for dated in (measure, measure.get("pilot") or {}):
            for key in ("start", "end"):
                if isinstance(dated.get(key), date):
                    dated[key] = dated[key] + delta
    for entry in data.get("cadence") or []:
        if reviews_in and entry.get("id") in reviews_in:
            entry["in"] = reviews_in[entry["id"]]
    with plan_file.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


@dataclass
class Helpdesks:
    """The two running simulators: name -> URL, token, kind and app (for its write log)."""

    urls: dict[str, str]
    tokens: dict[str, str]
    kinds: dict[str, str]
    apps: dict[str, Any]              # the simulators (deskplan_sandbox), each keeping the writes it accepted
    clock: StoryClock

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` plus the tokens, under the names deskplan.toml gives as token_env."""
        return {**base, **{TOKEN_ENV[name]: token for name, token in self.tokens.items()}}

    def marks(self) -> dict[str, int]:
        """How many writes each simulator has accepted so far."""
        return {name: len(app.writes) for name, app in self.apps.items()}

    def writes(self, but: tuple[Mapping[str, int], Mapping[str, int]] | None = None) -> dict[str, WriteCount]:
        """Comments and tasks each simulator accepted, but those between the two marks `but`."""
        counts = {}
        for name, app in self.apps.items():
            records = list(app.writes)
            if but is not None:
                records = records[:but[0][name]] + records[but[1][name]:]
            counts[name] = count_writes(records, self.kinds[name])
        return counts

    def agent(self, name: str, zone: tzinfo) -> Agent:
        """A member of the service team at one helpdesk (with the API user's credentials: the
        simulators know one user), reading due days in the plan's `zone` as deskplan does."""
        return Agent(self.kinds[name], self.urls[name], EMAIL, self.tokens[name], zone=zone_name(zone))


@contextmanager
def helpdesks(tickets: Mapping[str, int], seed: int, now: datetime, logs: Path,
              say: Callable[[str], None] = lambda _: None) -> Iterator[Helpdesks]:
    """A Zendesk and a JSM simulator on loopback, with generated stories up to `now`, for the
    duration of the block; each logs its requests to `logs`/sandbox-NAME.log."""
    kinds = {"zendesk": "zendesk", "jsm": "jira"}
    story_clock = StoryClock(now)
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        servers: dict[str, sandbox.Server] = {}
        tokens = {name: secrets.token_hex(16) for name in kinds}
        for offset, (name, kind) in enumerate(kinds.items()):
            say(f"starting the {kind} simulator with {tickets[name]} tickets …")
            log = stack.enter_context((logs / f"sandbox-{name}.log").open("w", encoding="utf-8"))
            app = _create_app(kind, tickets=tickets[name], seed=seed + offset, now=story_clock, log=log,
                              token=tokens[name])
            servers[name] = stack.enter_context(sandbox.server(app))     # started here, stopped on exit
        yield Helpdesks(urls={n: s.url for n, s in servers.items()}, tokens=tokens, kinds=kinds,
                        apps={n: s.app for n, s in servers.items()}, clock=story_clock)


def point_workspace(root: Path, urls: Mapping[str, str], now: datetime) -> Path:
    """Point the example workspace in `root` (from `deskplan init`) at the simulators and move
    its plan to the story; write-back goes live at the plan's start. Returns the path of deskplan.toml."""
    loaded = load_workspace(root)
    zone = loaded.calendar().zone
    start = _monday((now - PLAN_AGE).astimezone(zone).date())
    title = DEMO_TITLES.get(loaded.plan.language or "en", DEMO_TITLE)
    shift_plan_dates(root / "plan.yaml", start, title, reviews_in=REVIEWS_IN)
    _write_config(root, urls, since=start)
    return root / CONFIG_NAME


def run_demo(
    workspace: Path | None = None, *, tickets: Mapping[str, int] | None = None, seed: int = DEFAULT_SEED,
    environ: Mapping[str, str] = os.environ, say: Callable[[str], None] = lambda _: None,
    language: str = "en", before_stop: Callable[[Helpdesks], None] | None = None,
) -> DemoResult:
    """The demo (see the module's docstring) with the example workspace in `language` (`zh-CN`:
    its Chinese twin, so every comment and task deskplan writes and the report are Chinese);
    `before_stop` sees the simulators after the last sync, before they stop (tests read what
    deskplan wrote through their HTTP APIs)."""
    started = time.monotonic()
    tickets = tickets or split_tickets()
    now = clock.now(environ)
    first = now - TEAM_GAP
    sandbox.simulators()       # installed? (else say how, before writing anything)
    root = Path(workspace) if workspace else Path(tempfile.mkdtemp(prefix="deskplan-demo-"))
    init_workspace(root, language=language)   # first: it refuses, writing nothing, if any of its files exists
    with helpdesks(tickets, seed, first, root / ".deskplan", say) as desks:
        config = load_config(point_workspace(root, desks.urls, now))
        loaded = load_workspace(root)
        zone = loaded.calendar().zone
        reviews: list[PlannedWrite] = []

        def written(write: PlannedWrite) -> None:
            if write.origin.startswith(REVIEW_ORIGIN):
                reviews.append(write)

        def at(moment: datetime) -> dict[str, str]:
            return desks.environ({**environ, "DESKPLAN_NOW": moment.isoformat()})

        say(f"syncing both helpdesks at {first:%H:%M} UTC (pull, evaluate, write back) …")
        sync = run_sync(config, environ=at(first), on_write=written)
        say("pushing the plan: a task per measure and milestone in each helpdesk …")
        push = push_plan(config, environ=at(first))
        # The team works half-way to the next sync; the Zendesk export holds back its last minute,
        # and Jira's search lags behind a change, so neither clock may stand still.
        working = first + TEAM_GAP / 2
        desks.clock.skip(working)
        say(f"the service team works in the helpdesks at {working:%H:%M} UTC …")
        before = desks.marks()
        team = []
        for name in desks.urls:
            agent = desks.agent(name, zone)
            try:
                team.append(work(agent, name, loaded.plan, working, working.astimezone(zone).date(),
                                 translator(loaded.plan.language)))
            finally:
                agent.close()
            say(f"  {team[-1].line()}")
        after = desks.marks()
        desks.clock.skip(now)
        say(f"syncing again at {now:%H:%M} UTC: the tasks are read back …")
        next_sync = run_sync(config, environ=at(now), on_write=written)
        writes = desks.writes(but=(before, after))
        if before_stop:
            before_stop(desks)

    say("building the report …")
    store = Store.open(config.state_path)
    try:
        report = report_from_store(load_workspace(root), store, now, [s.name for s in config.sources])
        stored = store.count_tickets()
    finally:
        store.close()
    html = root / REPORT_FILE
    write_output(render_html(report), html)
    return DemoResult(
        workspace=root, state=config.state_path, html=html, report_text=render_text(report), now=now,
        tickets_generated=dict(tickets), tickets_stored=stored, sync=sync, urls=desks.urls, writes=writes,
        push=push, team=team, next_sync=next_sync, seconds=time.monotonic() - started,
        reviews=reviews, zone=zone, tasks=report.tasks, milestones=report.milestones,
    )


def _create_app(kind: str, *, tickets: int, seed: int, now: Callable[[], datetime], log: TextIO, token: str) -> object:
    return sandbox.create_app(kind, email=EMAIL, token=token, tickets=tickets, seed=seed, rate_limit=0, now=now,
                              log=log)


def _write_config(root: Path, urls: Mapping[str, str], *, since: date) -> None:
    text = CONFIG_TEMPLATE.format(
        workspace=root, email=EMAIL, zendesk_url=urls["zendesk"], jsm_url=urls["jsm"],
        zendesk_env=TOKEN_ENV["zendesk"], jsm_env=TOKEN_ENV["jsm"], since=since.isoformat(),
    )
    (root / CONFIG_NAME).write_text(text, encoding="utf-8")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class StoryClock:
    """The simulators' clock: `start`, then on with real time (their exports hold back a minute),
    moved on by `skip` where the story leaves time out."""

    def __init__(self, start: datetime):
        self.start = start
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)

    def skip(self, to: datetime) -> None:
        """On to `to` (never back)."""
        self.start = max(self.start, to - timedelta(seconds=time.monotonic() - self._origin))


def print_demo(result: DemoResult, out: TextIO) -> None:
    out.write(result.report_text)
    out.write("\n" + result.summary() + "\n")
