"""`deskplan explain`: why the rules say what they say about one ticket.

Which rules fired and which test saw which value; the measures, categories and tasks they
apply; each SLA clock with its calendar arithmetic (the stretches counted, the working
intervals inside them, the pauses left out); and, for a stored ticket, the writes a sync
would make for it now. Both as text for people and as a JSON-ready dict. Times in the text
are shown in the plan calendar's time zone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from deskplan.config import CONFIG_NAME, load_config
from deskplan.errors import ConfigError
from deskplan.model import Ticket
from deskplan.rules.durations import format_duration
from deskplan.rules.engine import Evaluation
from deskplan.rules.load import Workspace, load_workspace
from deskplan.rules.nodes import Trace
from deskplan.rules.sla import SlaClock, compute_clocks
from deskplan.state.identity import Identity, key_file
from deskplan.state.store import Store


@dataclass(frozen=True)
class Explanation:
    ticket: Ticket
    evaluation: Evaluation
    clocks: tuple[SlaClock, ...]
    not_fired: tuple[tuple[str, Trace], ...]     # (rule id, trace) of every rule that did not fire
    workspace: Workspace
    planned_writes: tuple[Any, ...] = ()          # connector PlannedWrites a sync would make now

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
        }

    def _rules_for(self, measure_id: str) -> list[str]:
        return [f.rule_id for f in self.evaluation.fired
                if self.workspace.compiled_rule(f.rule_id).measure == measure_id]

    def to_text(self) -> str:
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
            lines.append(f"Did not fire: {', '.join(rule_id for rule_id, _ in self.not_fired)}")
        lines += ["", "Measures:" if ev.measures else "Measures: none"]
        for measure_id in ev.measures:
            measure = ws.plan.measure(measure_id)
            lines.append(f"  {measure.id} {measure.title} (owner: {measure.owner}; rules: "
                         f"{', '.join(self._rules_for(measure_id))})")
        lines.append(f"Categories: {', '.join(ev.categories) or 'none'}")
        lines += ["", "SLA clocks:" if self.clocks else "SLA clocks: none"]
        for clock in self.clocks:
            lines.extend(_clock_lines(clock, ws, zone))
        lines += ["", "Tasks:" if ev.tasks else "Tasks: none"]
        for task in ev.tasks:
            due = f", due {_local(task.due_at, zone)}" if task.due_at else ""
            lines.append(f"  [{task.rule_id}] {task.title!r} for {task.owner or 'no owner'}{due}")
        lines += ["", "Planned writes:" if self.planned_writes else "Planned writes: none"]
        for write in self.planned_writes:
            due = f", due {_local(write.due, zone)}" if write.due else ""
            lines.append(f"  {write.kind.value} ({write.origin}) {write.title!r}{due}")
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


def _clock_lines(clock: SlaClock, ws: Workspace, zone: tzinfo) -> list[str]:
    calendar = ws.calendars[clock.calendar]
    others = f"; less strict: {', '.join(clock.overridden)}" if clock.overridden else ""
    lines = [
        f"  {clock.kind}: target {format_duration(clock.target)} on {clock.calendar} "
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
        lines.append(f"    counted {_local(start, zone)} -> {_local(end, zone)}: "
                     f"{format_duration(business)} business time")
        if intervals != [(start, end)]:     # on 24x7 the whole stretch is working time
            lines.extend(f"      working {_local(s, zone)} -> {_local(e, zone)}" for s, e in intervals)
    total = " + ".join(format_duration(p) for p in parts) or "0m"
    lines.append(f"    elapsed {total} = {format_duration(clock.elapsed)} of {format_duration(clock.target)}; "
                 f"remaining {format_duration(clock.remaining)}"
                 + (f"; overdue {format_duration(clock.overdue)}" if clock.overdue else ""))
    return lines


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
        writes = planner.ticket(ticket, "", planner.cutoff(source)).writes
    finally:
        store.close()
    return dataclasses.replace(explanation, planned_writes=tuple(writes))
