"""Review tasks on the plan's cadence: which periods are due, and the task for each (README,
"What deskplan writes"). Pure: the plan, `now`, the ledger's view and the cut-offs go in,
`PlannedWrite`s come out; the digest's words come from a `render` the caller hands in (the
application layer renders it as `deskplan review` does, so that the command and the task agree).

One task per cadence entry and period, into the entry's source, exactly once: its key is
("task", "review", plan id, cadence id, period label, source) under the installation's secret.

Which periods are due, for an entry and its source:

- only closed periods of the plan (kpi/review.py: weeks Monday first, in the plan calendar's
  zone), and never one that closed before the source's go-live cut-off (held back, as goal
  tasks are);
- an entry with no review in the ledger yet (newly configured, or moved to another source)
  gets the latest closed period alone: a plan half over does not open a task for every week
  gone by;
- otherwise every period that closed since the latest one in the ledger, at most
  `CATCH_UP` of them, the latest ones: a cron that did not run for three weeks writes the three
  weekly checks once each, and one stopped for a year does not write fifty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from deskplan.effects import REVIEW_ORIGIN, PlannedWrite, WriteKind, idempotency_key, marker
from deskplan.kpi.review import Period, PeriodError, closed_periods, parse_period, plan_zone
from deskplan.kpi.windows import local_midnight
from deskplan.rules.plan import Cadence, Plan, Window
from deskplan.state.ledger import LedgerEntry, WriteStatus

CATCH_UP = 4
"""Periods of one entry written in one run at most: a month of weekly checks, a quarter of
monthly reviews. Older missed periods are left out (their figures are in the next review's
"the period before" and in `deskplan review --period`)."""

REVIEW_GRACE: dict[Window, int] = {"week": 2, "month": 5, "quarter": 10}
"""Whole local days an owner has for a review, counted from the day its period closed. A weekly
check is held early in the next week, while the week is fresh and there is still time to act on
it: by the end of Tuesday. A monthly review needs the month's late data (ratings come in days
after a solve) and the owners' notes: five days. A quarterly look-back is a meeting to
prepare: ten days."""

Render = Callable[[Cadence, Period], tuple[str, str]]
"""(title, body) of an entry's review of a period."""


@dataclass(frozen=True)
class DueReview:
    cadence: Cadence
    period: Period
    source: str
    key: str
    due: datetime               # see review_due
    zone: str | None = None     # the plan's time zone (IANA name), in which `due` ends a day


def review_due(period: Period, every: Window, now: datetime, zone: ZoneInfo) -> datetime:
    """When a review written at `now` is due: the end of the local day REVIEW_GRACE days into
    the later of the day its period closed and the day it is written (stored, as every due
    time of deskplan, as the next local midnight: "by the end of day D" is D+1 00:00).

    The allowance is the owner's time to prepare the review, and it starts when the owner is
    told: a task written late (the sync went live after the period closed, or cron stopped
    for weeks) would otherwise be overdue the moment it lands, and the closed loop would count
    it against an owner who never had the chance. Written on time (the day the period closed)
    it is due exactly as before; written later it keeps the whole allowance, counting the day
    of writing, so a weekly check written on Thursday is due by the end of Friday. Whole local
    days, not hours: a due time mid-afternoon reads as arbitrary to a service manager, and
    midnights stay midnights across a DST change."""
    closed = period.end.astimezone(zone).date()
    start = max(closed, now.astimezone(zone).date())
    return local_midnight(start + timedelta(days=REVIEW_GRACE[every]), zone)


def review_origin(cadence_id: str, label: str) -> str:
    return f"{REVIEW_ORIGIN}{cadence_id}:{label}"


def due_reviews(plan: Plan, now: datetime, sources: Mapping[str, str], written: Iterable[LedgerEntry],
                status: Callable[[str], WriteStatus | None], *, secret: str) -> Iterator[DueReview]:
    """The reviews to write now, oldest first per entry, whatever the cut-off (the caller holds
    back those that closed before it): `sources` maps each cadence id to its source, `written`
    holds the ledger's review rows, `status` reads a key's ledger status."""
    zone = plan_zone(plan)
    latest = _latest_written(written, zone)
    for cadence in plan.cadence:
        source = sources.get(cadence.id)
        if source is None:
            continue
        closed = closed_periods(cadence.every, plan, now)
        anchor = latest.get((cadence.id, source))
        due = closed[-1:] if anchor is None else [p for p in closed if p.end >= anchor][-CATCH_UP:]
        for period in due:
            key = idempotency_key("task", "review", plan.plan.id, cadence.id, period.label, source, secret=secret)
            if status(key) in (None, WriteStatus.FAILED):
                yield DueReview(cadence, period, source, key, review_due(period, cadence.every, now, zone),
                                zone.key)


def _latest_written(entries: Iterable[LedgerEntry], zone: ZoneInfo) -> dict[tuple[str, str], datetime]:
    """(cadence id, source) -> the end of the latest period a review row of the ledger covers
    (any status: a pending or failed one is still the entry's)."""
    latest: dict[tuple[str, str], datetime] = {}
    for entry in entries:
        cadence_id, sep, label = entry.write.origin.removeprefix(REVIEW_ORIGIN).rpartition(":")
        if not sep:
            continue
        try:
            end = parse_period(label, zone).end
        except PeriodError:
            continue
        key = (cadence_id, entry.write.source)
        latest[key] = max(end, latest.get(key, end))
    return latest


def review_task(due: DueReview, title: str, body: str) -> PlannedWrite:
    """The review task: the digest as its body, due as `review_due` says, for the entry's
    owner; its trigger is the period's end (the go-live cut-off compares it)."""
    cadence, period = due.cadence, due.period
    return PlannedWrite(
        key=due.key,
        kind=WriteKind.TASK,
        source=due.source,
        origin=review_origin(cadence.id, period.label),
        title=title,
        body="\n".join(part for part in (body.rstrip(), marker(due.key)) if part),
        due=due.due,
        zone=due.zone,
        owner=cadence.owner,
        trigger=period.end,
    )


def held_back_task(due: DueReview) -> PlannedWrite:
    """A review held back by the cut-off: counted, never written, so its digest is not built."""
    return review_task(due, f"{due.cadence.title} {due.period.label}", "")
