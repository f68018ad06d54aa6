"""`deskplan explain`: why the rules say what they say about one ticket.

Which rules fired and which test saw which value, and for each rule that did not fire the
test that failed; the measures, categories and tasks they apply; each SLA clock with its
calendar arithmetic (the stretches counted, the working time inside them, the pauses left
out); and, for a stored ticket, the writes a sync would make for it now, and those already
made. Both as text for people and as a JSON-ready dict. Times in the text are shown in the
plan calendar's time zone.

Durations read one way everywhere: business time (targets, elapsed, remaining, overdue) in
hours and minutes, as the status comments show it (`466h`, never `19d10h`, which reads as
days on the clock); time on the clock with days and spaces (`16d 11h`), named so. A long
stretch's working time is a line per range of days with the same hours, at most
MAX_DAY_RANGES lines; `verbose` lists every working interval.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskplan.config import CONFIG_NAME, load_config
from deskplan.errors import ConfigError
from deskplan.model import Ticket
from deskplan.rules.durations import format_hours, format_wall
from deskplan.rules.engine import Evaluation
from deskplan.rules.load import Workspace, load_workspace
from deskplan.rules.nodes import Trace, show
from deskplan.rules.sla import SlaClock, compute_clocks
from deskplan.state.identity import Identity, key_file
from deskplan.state.ledger import WriteStatus
from deskplan.state.store import Store

if TYPE_CHECKING:
    from deskplan.writes.plan import WritebackPlanner

MAX_DAY_RANGES = 8
"""Lines of working time shown for one counted stretch (the first and the last ones, with a
line saying how many are left out between): a ticket breached for months stays a screenful."""


@dataclass(frozen=True)
class Written:
    """A write deskplan made (or may have made) for the ticket already: why no write is planned."""

    kind: str                 # "task" or "comment"
    origin: str               # "rule:<id>" for a rule task, "status" for the status comment
    title: str
    ref: str | None           # SOURCE:KEY of the task, or the comment's id; None while in doubt
    status: str               # "done" or "pending" (sent, the answer lost: checked on the next sync)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def line(self) -> str:
        where = self.ref if self.status == WriteStatus.DONE.value else \
            "in doubt (sent, the answer lost; the next sync checks the helpdesk)"
        if self.kind == "comment":
            return f"  status comment: {where}"
        return f"  task ({self.origin}) {self.title!r}: {where}"


@dataclass(frozen=True)
class Explanation:
    ticket: Ticket
    evaluation: Evaluation
    clocks: tuple[SlaClock, ...]
    not_fired: tuple[tuple[str, Trace], ...]     # (rule id, trace) of every rule that did not fire
    workspace: Workspace
    planned_writes: tuple[Any, ...] = ()          # connector PlannedWrites a sync would make now
    written: tuple[Written, ...] = ()             # writes made for the ticket already
    held_back: tuple[Any, ...] = ()               # tasks about what happened before the go-live cut-off

    def to_dict(self) -> dict[str, Any]:
        ev, ws, t = self.evaluation, self.workspace, self.ticket
        return {
            "ticket": {
                "ref": t.ref, "subject": t.subject, "status": t.status.value,
                "priority": t.priority.value if t.priority else None,
                "created_at": _iso(t.created_at), "updated_at": _iso(t.updated_at),
            },
            "now": _iso(ev.now),
            "rules_fired": [
                {"id": f.rule_id, "description": f.description, "priority": f.priority, "why": f.why.to_dict()}
                for f in ev.fired
            ],
            "rules_not_fired": [{"id": rule_id, "why": trace.to_dict()} for rule_id, trace in self.not_fired],
            "measures": [
                {"id": m, "title": ws.plan.measure(m).title, "owner": ws.plan.measure(m).owner,
                 "rules": self._rules_for(m)}
                for m in ev.measures
            ],
            "categories": list(ev.categories),
            "tasks": [
                {"rule_id": task.rule_id, "title": task.title, "body": task.body, "owner": task.owner,
                 "measure": task.measure, "due_at": _iso(task.due_at)}
                for task in ev.tasks
            ],
            "sla": [
                {**clock.explain(ws.calendars[clock.calendar]), "overridden": list(clock.overridden)}
                for clock in self.clocks
            ],
            "comment_override": next((f.rule_id for f in ev.fired if ws.compiled_rule(f.rule_id).comment), None),
            "planned_writes": [write.preview() for write in self.planned_writes],
            "written": [write.to_dict() for write in self.written],
            "held_back": [write.preview() for write in self.held_back],
        }

    def _rules_for(self, measure_id: str) -> list[str]:
        return [f.rule_id for f in self.evaluation.fired
                if self.workspace.compiled_rule(f.rule_id).measure == measure_id]

    def to_text(self, *, verbose: bool = False) -> str:
        """The explanation for people; `verbose`: every working interval of every counted
        stretch, one a line, instead of a line per range of days."""
        ev, ws, t = self.evaluation, self.workspace, self.ticket
        zone = ws.calendar().zone
        priority = t.priority.value if t.priority else "no priority"
        lines = [
            f"{t.ref}  {t.subject!r}",
            f"  {t.status.value}, {priority}; created {_local(t.created_at, zone)}, "
            f"updated {_local(t.updated_at, zone)}",
            f"  evaluated at {_local(ev.now, zone)}",
            "",
            f"Rules that fired ({len(ev.fired)} of {len(ev.fired) + len(self.not_fired)}):",
        ]
        if not ev.fired:
            lines.append("  none")
        for fired in ev.fired:
            lines.append(f"  {fired.rule_id}" + (f" - {fired.description}" if fired.description else ""))
            lines.extend("    " + line for line in fired.why.lines())
        if self.not_fired:
            lines.append(f"Did not fire ({len(self.not_fired)}):")
            lines.extend(f"  {rule_id}: {why_not(trace)}" for rule_id, trace in self.not_fired)
        lines += ["", "Measures:" if ev.measures else "Measures: none"]
        for measure_id in ev.measures:
            measure = ws.plan.measure(measure_id)
            lines.append(f"  {measure.id} {measure.title} (owner: {measure.owner}; rules: "
                         f"{', '.join(self._rules_for(measure_id))})")
        lines.append(f"Categories: {', '.join(ev.categories) or 'none'}")
        lines += ["", "SLA clocks:" if self.clocks else "SLA clocks: none"]
        for clock in self.clocks:
            lines.extend(_clock_lines(clock, ws, zone, verbose=verbose))
        lines += ["", "Tasks:" if ev.tasks else "Tasks: none"]
        for task in ev.tasks:
            due = f", due {_local(task.due_at, zone)}" if task.due_at else ""
            lines.append(f"  [{task.rule_id}] {task.title!r} for {task.owner or 'no owner'}{due}")
        lines += ["", "Planned writes:" if self.planned_writes else "Planned writes: none"]
        for write in self.planned_writes:
            due = f", due {_local(write.due, zone)}" if write.due else ""
            lines.append(f"  {write.kind.value} ({write.origin}) {write.title!r}{due}")
        if self.held_back:
            lines.append("Held back (about what happened before the go-live cut-off, never written):")
            lines.extend(f"  {w.kind.value} ({w.origin}) {w.title!r}" for w in self.held_back)
        if self.written:
            lines.append("Written already:")
            lines.extend(write.line() for write in self.written)
        return "\n".join(lines)


def explain_ticket(workspace: Workspace, ticket: Ticket, now: datetime) -> Explanation:
    """Evaluate one ticket at `now` and keep everything needed to explain the result."""
    now = now.astimezone(timezone.utc)
    evaluation = workspace.evaluate(ticket, now)
    fired = set(evaluation.rules_fired)
    values = workspace.engine.values(ticket, now)
    not_fired = tuple((rule.id, rule.condition.trace(values))
                      for rule in workspace.engine.rules if rule.id not in fired)
    clocks = compute_clocks(ticket, evaluation.sla.values(), workspace.calendars, now)
    return Explanation(ticket, evaluation, tuple(clocks), not_fired, workspace)


def why_not(trace: Trace) -> str:
    """Why a condition does not hold, in one line: the tests that failed, with the values they saw."""
    if not trace.children:
        return f"{trace.expr} (value: {_brief(trace.value)})"
    if trace.expr == "not":
        return f"not ({trace.children[0].expr}), and it holds"
    if trace.expr == "any":
        return "none of: " + "; ".join(why_not(child) for child in trace.children)
    return "; ".join(why_not(child) for child in trace.children if not child.result)


def _brief(value: Any, limit: int = 60) -> str:
    text = " ".join(show(value).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _clock_lines(clock: SlaClock, ws: Workspace, zone: tzinfo, *, verbose: bool = False) -> list[str]:
    calendar = ws.calendars[clock.calendar]
    others = f"; less strict: {', '.join(clock.overridden)}" if clock.overridden else ""
    lines = [
        f"  {clock.kind}: target {format_hours(clock.target)} business time on {clock.calendar} "
        f"(rule {clock.rule_id}{others}) -> {clock.state.value}",
        f"    calendar: {calendar.describe()}",
        f"    started {_local(clock.started_at, zone)}"
        + (f", stopped {_local(clock.stopped_at, zone)}" if clock.stopped_at else "")
        + (f", due {_local(clock.due, zone)}" if clock.due else ", due unknown while paused"),
    ]
    parts = []
    stretches = sorted([(s, e, True) for s, e in clock.counted] + [(s, e, False) for s, e in clock.pauses])
    for start, end, counted in stretches:
        if not counted:
            lines.append(f"    paused  {_local(start, zone)} -> {_local(end, zone)} (not counted)")
            continue
        intervals = list(calendar.working_intervals(start, end))
        business = sum((e - s for s, e in intervals), timedelta())
        parts.append(business)
        lines.append(f"    counted {_local(start, zone)} -> {_local(end, zone)} ({format_wall(end - start)} on the "
                     f"clock): {format_hours(business)} business time")
        if intervals == [(start, end)]:     # on 24x7 the whole stretch is working time
            continue
        if verbose:
            lines.extend(f"      working {_local(s, zone)} -> {_local(e, zone)}" for s, e in intervals)
        else:
            lines.extend(f"      {line}" for line in _day_ranges(intervals, zone))
    total = " + ".join(format_hours(p) for p in parts) or "0m"
    lines.append(f"    elapsed {total} = {format_hours(clock.elapsed)} of {format_hours(clock.target)} business time; "
                 f"remaining {format_hours(clock.remaining)}"
                 + (f"; overdue {format_hours(clock.overdue)}" if clock.overdue else ""))
    return lines


def _day_ranges(intervals: list[tuple[datetime, datetime]], zone: tzinfo) -> list[str]:
    """The working intervals as a line per range of working days with the same hours (a run
    of Mondays to Fridays is one line, the Saturday after it another), at most MAX_DAY_RANGES
    lines: the first and the last, and how many are left out between them."""
    days: list[tuple[datetime, str, timedelta]] = []         # (local day, its hours, its working time)
    for start, end in intervals:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        hours = f"{local_start:%H:%M}-{local_end:%H:%M}"
        if days and days[-1][0].date() == local_start.date():
            day, seen, total = days[-1]
            days[-1] = (day, f"{seen}, {hours}", total + (end - start))
        else:
            days.append((local_start, hours, end - start))
    ranges: list[list[tuple[datetime, str, timedelta]]] = []
    for entry in days:
        if ranges and ranges[-1][-1][1] == entry[1]:
            ranges[-1].append(entry)
        else:
            ranges.append([entry])
    lines = [_range_line(r) for r in ranges]
    if len(lines) <= MAX_DAY_RANGES:
        return lines
    head, tail = MAX_DAY_RANGES // 2, MAX_DAY_RANGES - MAX_DAY_RANGES // 2 - 1
    left_out = ranges[head:len(ranges) - tail]
    working = sum((entry[2] for r in left_out for entry in r), timedelta())
    skipped = (f"… {len(left_out)} more ranges, {sum(len(r) for r in left_out)} working days, "
               f"{format_hours(working)} business time (--verbose lists every interval)")
    return [*lines[:head], skipped, *lines[len(lines) - tail:]]


def _range_line(days: list[tuple[datetime, str, timedelta]]) -> str:
    total = format_hours(sum((entry[2] for entry in days), timedelta()))
    first, hours = days[0][0], days[0][1]
    if len(days) == 1:
        return f"working {first:%Y-%m-%d %a} {hours}: {total}"
    last = days[-1][0]
    return f"working {first:%Y-%m-%d %a} to {last:%Y-%m-%d %a}, {len(days)} days, each {hours}: {total}"


def _local(instant: datetime | None, zone: tzinfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %z") if instant else "-"


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def explain_stored(root: Path, ref: str, now: datetime) -> Explanation:
    """Explain a ticket from the state file of the workspace at `root`, with the writes a sync
    would make for it now (planned exactly as sync plans them; nothing is written). `ref` is
    SOURCE:KEY."""
    from deskplan.writes.plan import WritebackPlanner

    source, sep, key = ref.partition(":")
    if not sep or not source or not key:
        raise ConfigError(f"expected SOURCE:TICKET, such as zendesk:1234 or jsm:SD-12, got {ref!r}")
    config = load_config(root / CONFIG_NAME)
    config.source(source)                   # an unknown source name is an error, with the known ones
    workspace = load_workspace(config.workspace)
    if not config.state_path.is_file():
        raise ConfigError(f"no state file at {config.state_path}: run `deskplan sync` first")
    store = Store.open(config.state_path)
    try:
        ticket = store.get_ticket(source, key)
        if ticket is None:
            raise ConfigError(
                f"{ref} is not in the state file {config.state_path}: check the key, or run `deskplan sync`")
        explanation = explain_ticket(workspace, ticket, now)
        # Planned exactly as sync plans it: tasks about what happened before go-live are held back.
        secret = Identity(store).secret(key_file(config.state_path))
        planner = WritebackPlanner(store, workspace, explanation.evaluation.now, config.writeback, secret=secret)
        plan = planner.ticket(ticket, "", planner.cutoff(source))
        written = _written(planner, ticket, secret)
    finally:
        store.close()
    return dataclasses.replace(explanation, planned_writes=plan.writes, held_back=plan.held_back,
                               written=written)


def _written(planner: WritebackPlanner, ticket: Ticket, secret: str) -> tuple[Written, ...]:
    """The ticket's rule tasks in the ledger (created, or sent with the answer lost), and its
    status comment: what a sync does not write again."""
    from deskplan.writes.planner import rule_tasks

    found = []
    comment = planner.ledger.status_comment(ticket.source, ticket.id)
    if comment is not None and comment.remote_id:
        found.append(Written("comment", "status", "", f"comment {comment.remote_id} on {ticket.ref}", "done"))
    for task in rule_tasks(planner.assessor.assess(ticket), secret=secret):
        entry = planner.ledger.get(task.key)
        if entry is not None and entry.status in (WriteStatus.DONE, WriteStatus.PENDING):
            ref = f"{ticket.source}:{entry.remote_id}" if entry.remote_id else None
            found.append(Written("task", task.origin, task.title, ref, entry.status.value))
    return tuple(found)
