"""The six goal metrics (README, "plan.yaml", the KPI table), one ticket at a time.

Each metric turns one ticket into at most one `Observation`: the instant that places it
in a window, and whether it counts in the numerator. A window's value is then
numerator / denominator over the observations it holds (see goals.py). Only what had
happened by `now` counts, so a report with DESKPLAN_NOW in the past replays history.

Definitions (as the README's KPI table gives them), and the choices made where it is silent:
- first_reply_within T: observed at creation; met when the first public agent reply
  (not written by deskplan) came within T of business time on the goal's calendar, time
  in `waiting_customer` not counted. No reply yet: missed once T has passed by `now`,
  left out until then. Exactly T is within T.
- resolution_within T: the same, to the first time the ticket entered `solved` (or
  `closed`, for helpdesks that close without solving).
- first_contact_resolution: observed at the first solve; met when exactly one public
  agent reply came before (or with) that solve and the ticket was never reopened (no
  later status change out of solved/closed, up to `now`).
- csat: a ticket's rating is its latest change (timeline rating events and the ticket's
  current satisfaction, whichever is latest); observed at that change; counts when good.
- complaint_rate: observed at creation; counts when the rules put the ticket in the
  category `complaint`.
- feedback_response_within T: a latest rating that is bad, observed at that change; met
  when an agent comment (public or internal, not deskplan's) followed within T of
  business time on the goal's calendar (wall time, no pause: the customer is not being
  waited on). No comment yet: as for first replies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from deskplan.model import EventKind, Score, Ticket, TimelineEvent
from deskplan.rules.calendar import Calendar
from deskplan.rules.durations import format_hours
from deskplan.rules.sla import active_elapsed, first_reply_at, first_solved_at, status_changes

COMPLAINT = "complaint"
Categories = frozenset[str]
NONE: Categories = frozenset()
AGENT_COMMENTS = frozenset({EventKind.PUBLIC_REPLY, EventKind.INTERNAL_NOTE})


@dataclass(frozen=True)
class Observation:
    """One ticket's contribution to one window of one goal."""

    at: datetime            # places it in a window
    hit: bool               # counts in the numerator (met; a good rating; a complaint)
    weight: float           # how far it is from the threshold, in seconds (0 for untimed metrics)
    detail: str             # one line for people, e.g. "first reply after 14h (allowed 12h)"


@dataclass(frozen=True)
class MetricContext:
    """What a metric needs besides the ticket. Durations are business time on the goal's calendar."""

    now: datetime
    threshold: timedelta | None
    elapsed: Callable[[datetime, datetime], timedelta]
    active_elapsed: Callable[[Ticket, datetime, datetime], timedelta]   # waiting_customer not counted


# (ticket, context, the ticket's categories from the rules) -> its observation, if any
Metric = Callable[[Ticket, MetricContext, frozenset[str]], "Observation | None"]


# --- timeline facts (the SLA clocks read the same ones: a status comment and the report agree) ---

def _events(ticket: Ticket, until: datetime) -> Iterable[TimelineEvent]:
    """The ticket's events up to `until`, in time order."""
    return sorted((e for e in ticket.timeline if e.at <= until), key=lambda e: e.at)


def reopened_after(ticket: Ticket, solved: datetime, now: datetime) -> bool:
    """Whether the ticket left solved/closed for another status after `solved`, by `now`."""
    return any(at > solved and not status.is_resolved for at, status in status_changes(ticket, now))


def latest_rating(ticket: Ticket, now: datetime) -> tuple[datetime, Score] | None:
    """The rating as it stood at `now`: its latest change, whether bad became good or good bad."""
    changes = [(e.at, e.score) for e in ticket.timeline if e.kind is EventKind.RATING and e.score and e.at <= now]
    if ticket.satisfaction is not None and ticket.satisfaction.at <= now:
        changes.append((ticket.satisfaction.at, ticket.satisfaction.score))
    return max(changes, key=lambda change: change[0]) if changes else None


# --- the metrics ------------------------------------------------------------------------------

def _within(label: str, end: datetime | None, elapsed: timedelta, ctx: MetricContext,
            at: datetime) -> Observation | None:
    """Shared by the *_within metrics: `end` is when it happened (None: not yet)."""
    threshold = ctx.threshold
    assert threshold is not None, "the plan loader requires a threshold for *_within goals"
    allowed = f"(allowed {hours(threshold)})"
    if end is None:
        if elapsed <= threshold:
            return None     # not late yet: left out until the threshold has passed
        return Observation(at, False, elapsed.total_seconds(), f"no {label} after {hours(elapsed)} {allowed}")
    met = elapsed <= threshold
    return Observation(at, met, elapsed.total_seconds(), f"{label} after {hours(elapsed)} {allowed}")


# Business time in KPI details and JSON thresholds, as everywhere else: hours and minutes.
hours = format_hours


def first_reply_within(ticket: Ticket, ctx: MetricContext, categories: Categories = NONE) -> Observation | None:
    if ticket.created_at > ctx.now:
        return None
    end = first_reply_at(ticket, ctx.now)
    elapsed = ctx.active_elapsed(ticket, ticket.created_at, end or ctx.now)
    return _within("first reply", end, elapsed, ctx, ticket.created_at)


def resolution_within(ticket: Ticket, ctx: MetricContext, categories: Categories = NONE) -> Observation | None:
    if ticket.created_at > ctx.now:
        return None
    end = first_solved_at(ticket, ctx.now)
    elapsed = ctx.active_elapsed(ticket, ticket.created_at, end or ctx.now)
    return _within("resolution", end, elapsed, ctx, ticket.created_at)


def first_contact_resolution(ticket: Ticket, ctx: MetricContext, categories: Categories = NONE) -> Observation | None:
    solved = first_solved_at(ticket, ctx.now)
    if solved is None:
        return None
    replies = sum(
        1 for e in _events(ticket, solved)
        if e.kind is EventKind.PUBLIC_REPLY and not e.by_deskplan
    )
    reopened = reopened_after(ticket, solved, ctx.now)
    met = replies == 1 and not reopened
    detail = (f"solved with {replies} public repl{'y' if replies == 1 else 'ies'}"
              + (", then reopened" if reopened else ""))
    return Observation(solved, met, 0.0, detail)


def csat(ticket: Ticket, ctx: MetricContext, categories: Categories = NONE) -> Observation | None:
    rating = latest_rating(ticket, ctx.now)
    if rating is None:
        return None
    at, score = rating
    return Observation(at, score is Score.GOOD, 0.0, f"rated {score.value}")


def complaint_rate(ticket: Ticket, ctx: MetricContext, categories: Categories = NONE) -> Observation | None:
    if ticket.created_at > ctx.now:
        return None
    complaint = COMPLAINT in categories
    return Observation(ticket.created_at, complaint, 0.0, "complaint" if complaint else "not a complaint")


def feedback_response_within(ticket: Ticket, ctx: MetricContext, categories: Categories = NONE) -> Observation | None:
    rating = latest_rating(ticket, ctx.now)
    if rating is None or rating[1] is not Score.BAD:
        return None
    rated = rating[0]
    answer = next(
        (e for e in _events(ticket, ctx.now)
         if e.kind in AGENT_COMMENTS and not e.by_deskplan and e.at >= rated),
        None,
    )
    end = answer.at if answer else None
    elapsed = ctx.elapsed(rated, end or ctx.now)
    return _within("answer to the bad rating", end, elapsed, ctx, rated)


METRICS: dict[str, Metric] = {
    "first_reply_within": first_reply_within,
    "resolution_within": resolution_within,
    "first_contact_resolution": first_contact_resolution,
    "csat": csat,
    "complaint_rate": complaint_rate,
    "feedback_response_within": feedback_response_within,
}
"""Metric name (plan.yaml `metric`) -> the function that observes one ticket."""


def goal_context(calendar: Calendar, threshold: timedelta | None, now: datetime) -> MetricContext:
    """The context a goal's metric runs in: its threshold, and durations on its calendar."""
    def active(ticket: Ticket, start: datetime, end: datetime) -> timedelta:
        return active_elapsed(ticket, calendar, start, end)

    return MetricContext(now=now, threshold=threshold, elapsed=calendar.elapsed, active_elapsed=active)
