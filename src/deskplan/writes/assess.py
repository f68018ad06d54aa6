"""A ticket as the rules and the SLA engine see it at one instant: the planner's input.

`Assessor.assess` evaluates a ticket with the workspace's rules, computes its SLA clocks and
renders a rule's comment template; the planner (planner.py) turns the result into writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from deskplan.kpi.facts import turn_after
from deskplan.model import Ticket
from deskplan.rules.calendar import CALENDAR_24X7, MICROSECOND, Calendar
from deskplan.rules.durations import format_hours
from deskplan.rules.load import Workspace
from deskplan.rules.sla import SlaClock, SlaState, compute_clocks
from deskplan.rules.templates import ticket_context
from deskplan.writes.planner import Assessment, MeasureInfo, format_time

FINAL_STATES = frozenset({"met", "breached"})     # SLA states that time alone no longer changes


class Assessor:
    """Turns a ticket into an Assessment with the workspace's rules and SLA clocks at `now`.

    Raises rules.templates.TemplateRenderError when a rule's comment template fails on the ticket.
    """

    def __init__(self, workspace: Workspace, now: datetime):
        self.workspace = workspace
        self.now = now
        self.zone = workspace.calendar().zone
        self.measures = {m.id: m for m in workspace.plan.measures}
        self.plan_id = workspace.plan.plan.id

    def assess(self, ticket: Ticket) -> Assessment:
        evaluation = self.workspace.evaluate(ticket, self.now)
        clocks = compute_clocks(ticket, evaluation.sla.values(), self.workspace.calendars, self.now)
        measures = tuple(self._measure(mid, evaluation.rules_fired) for mid in evaluation.measures)
        comment = None
        if evaluation.comment is not None:
            comment = evaluation.comment.render(self._comment_context(ticket, evaluation.comment.rule_id,
                                                                      measures, clocks))
        return Assessment(
            ticket=ticket,
            measures=measures,
            clocks=tuple(clocks),
            tasks=tuple(evaluation.tasks),
            comment=comment,
            zone=self.zone,
            plan_id=self.plan_id,
        )

    def _measure(self, measure_id: str, fired: Sequence[str]) -> MeasureInfo:
        measure = self.measures.get(measure_id)
        rules = tuple(r for r in fired if self.workspace.compiled_rule(r).measure == measure_id)
        if measure is None:
            return MeasureInfo(measure_id, "", None, rules)
        return MeasureInfo(measure.id, measure.title, measure.owner, rules)

    def _comment_context(self, ticket: Ticket, rule_id: str, measures: Sequence[MeasureInfo],
                         clocks: Sequence[SlaClock]) -> dict[str, Any]:
        rule = self.workspace.compiled_rule(rule_id)
        return {
            "ticket": ticket_context(ticket),
            "rule": {"id": rule.id, "description": rule.description},
            "plan": self.workspace.engine.plan_context,
            "measures": [{"id": m.id, "title": m.title, "owner": m.owner} for m in measures],
            "clocks": [self._clock_context(c) for c in clocks],
        }

    def _clock_context(self, clock: SlaClock) -> dict[str, Any]:
        """Clocks as a rule's comment template sees them: words, not timedeltas."""
        return {
            "kind": clock.kind,
            "state": str(clock.state),
            "target": format_hours(clock.target),
            "due": format_time(clock.due, self.zone) if clock.due else None,
            "elapsed": format_hours(clock.elapsed),
            "remaining": format_hours(clock.remaining),
            "overdue": format_hours(clock.overdue),
            "paused": clock.paused,
            "calendar": clock.calendar,
            "rule_id": clock.rule_id,
        }


def next_change(assessment: Assessment, calendars: Mapping[str, Calendar], now: datetime,
                reads_clock: bool = False) -> datetime | None:
    """The instant after which time alone can change what the ticket needs (an SLA clock turns at
    risk or breached, or an event already stored, but later than `now`, comes to count); None when
    nothing will. `now` itself when the workspace's conditions read the clock (`older_than`)."""
    if reads_clock:
        return now
    ticket = assessment.ticket
    instants = [at for at in (ticket.created_at, ticket.updated_at, *(e.at for e in ticket.timeline)) if at > now]
    for clock in assessment.clocks:
        if clock.state in FINAL_STATES or clock.paused:
            continue
        calendar = calendars.get(clock.calendar) or CALENDAR_24X7
        limit = clock.target
        if clock.state is SlaState.ON_TRACK:
            # at risk once remaining * 4 < target: once more than three quarters have elapsed
            limit = timedelta(microseconds=3 * (clock.target // MICROSECOND) // 4)
        if clock.elapsed <= limit:
            instants.append(turn_after(calendar, now, limit - clock.elapsed))
        else:
            instants.append(now)
    return min(instants, default=None)


def clocks_final(assessment: Assessment) -> bool:
    """No SLA clock of the ticket can change with time alone any more."""
    return all(c.state in FINAL_STATES for c in assessment.clocks)
