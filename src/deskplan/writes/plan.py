"""Write-back planning: from the state to the writes deskplan wants, without side effects.

`WritebackPlanner` reads the stored tickets, the ledger and the evaluation bookkeeping and
yields plans; it writes nothing anywhere. Per source it streams the tickets that need
evaluating (those that changed, or the workspace did, since their last evaluation, those whose
writes were not all settled, and those past the instant at which time alone changes what they
need: an SLA clock turning at risk or breached, `TicketPlan.next_at`) and plans each one's
writes; across sources, each goal window that missed its target becomes one task (checked
at most hourly, over the stored KPI facts). The application layer applies these very
plans (app/writeback.py) or, in a dry-run, prints them.

Tasks about the past are held back: a rule task whose trigger, or a goal window that closed,
before the source's go-live cut-off (`[writeback] since`, else the moment of the first sync
that wrote back to the source) is never written, so that a first sync against months of
history does not flood the helpdesk. Status comments concern open tickets now: never held back.

One ticket never stops the others: whatever goes wrong while one is read back or assessed
(a rule's template that fails on it, its data breaking a clock) makes a plan with an `error`,
which the caller quarantines (stage `evaluate`). A ticket in quarantine at evaluation or write
on the very basis it has now is not assessed again (`held`) until it or the workspace
changes; the goal check's report leaves out what it cannot count (`GoalPlan.left_out`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from deskplan.config import WritebackConfig
from deskplan.effects import REVIEW_ORIGIN, TASK_TAG, PlannedWrite, WriteKind
from deskplan.errors import unexpected
from deskplan.i18n import translator
from deskplan.kpi.facts import reads_the_clock, stored_report, workspace_digest
from deskplan.kpi.results import LeftOut
from deskplan.model import Ticket, ticket_json
from deskplan.rules.load import Workspace
from deskplan.rules.owners import owner_route
from deskplan.rules.templates import TemplateRenderError
from deskplan.state.evaluations import Evaluations
from deskplan.state.ledger import Ledger
from deskplan.state.store import EVALUATE, WRITE, Store
from deskplan.writes.assess import Assessor, clocks_final, next_change
from deskplan.writes.planner import goal_misses, goal_tasks, plan_ticket
from deskplan.writes.reviews import Render, due_reviews, held_back_task, review_task

log = logging.getLogger(__name__)

GOALS_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class TicketPlan:
    """The writes one ticket needs now."""

    ticket: Ticket | None               # None when `held`, or when the stored ticket no longer reads back
    basis: str                          # recorded once every write is settled: not evaluated again until it changes
    writes: tuple[PlannedWrite, ...]
    held_back: tuple[PlannedWrite, ...]   # tasks about what happened before the cut-off: never written
    final: bool                         # every SLA clock final: nothing changes with time alone
    error: str | None = None            # the ticket could not be evaluated: to be quarantined (stage evaluate)
    ticket_id: str = ""
    payload: str = ""                   # with an error: what the quarantine shows (the stored ticket)
    held: bool = False                  # in quarantine on this very basis since an earlier run: not assessed
    release: bool = False               # in quarantine on another basis, assessed well now: to be released
    next_at: datetime | None = None     # after it, time alone may change what the ticket needs (None: never)


@dataclass(frozen=True)
class GoalPlan:
    """The tasks for missed goal windows, over the sources written to."""

    sources_key: str
    basis: str                          # recorded once every task is settled
    writes: tuple[PlannedWrite, ...]
    held_back: tuple[PlannedWrite, ...]
    left_out: tuple[LeftOut, ...] = ()  # tickets the report could not count: to be quarantined (stage report)


@dataclass(frozen=True)
class ReviewPlan:
    """The review tasks due now on the plan's cadence (writes/reviews.py)."""

    writes: tuple[PlannedWrite, ...]
    held_back: tuple[PlannedWrite, ...]     # periods that closed before their source's cut-off: never written


class WritebackPlanner:
    """Plans from the state at `now`. Reads the store and the ledger; writes nothing."""

    def __init__(self, store: Store, workspace: Workspace, now: datetime,
                 settings: WritebackConfig | None = None, *, secret: str, kinds: Mapping[str, str] | None = None):
        self.store = store
        self.workspace = workspace
        self.now = now
        self.secret = secret                # the installation's, which keys every write (state/identity.py)
        self.ledger = Ledger(store)
        self.evaluations = Evaluations(store)
        self.assessor = Assessor(workspace, now)
        self.basis = workspace_digest(workspace)
        self.reads_clock = reads_the_clock(workspace)     # rules that test time alone: evaluated every run
        self.since = (settings or WritebackConfig()).since_at(self.assessor.zone)
        self.kinds = dict(kinds or {})      # source name -> kind (zendesk | jira): where `owners` routes tasks
        self.lang = translator(workspace.plan.language)   # the words of comments and tasks, never their keys

    def cutoff(self, source: str) -> datetime:
        """The source's go-live cut-off: `[writeback] since`, else the moment of the first sync
        that wrote back to it (now, when none did yet: this one will be)."""
        if self.since is not None:
            return self.since
        return self.evaluations.first_writeback(source) or self.now

    def source_basis(self, source: str) -> str:
        """What the source's tickets are evaluated on besides their own data: the workspace and the
        cut-off (a moved cut-off changes which tasks are due: resolved tickets are evaluated once more)."""
        return digest(self.basis, self.cutoff(source).isoformat())

    def tickets(self, source: str) -> Iterator[TicketPlan]:
        cutoff = self.cutoff(source)
        basis = self.source_basis(source)
        quarantined = self.store.quarantine_digests(source, (EVALUATE, WRITE))
        for ticket_id, data, ticket_basis in self.evaluations.candidate_rows(source, basis, now=self.now):
            earlier = quarantined.get(ticket_id)
            if earlier == ticket_basis:
                yield TicketPlan(None, ticket_basis, (), (), final=False, ticket_id=ticket_id, held=True)
                continue
            plan = self._stored(source, ticket_id, data, ticket_basis, cutoff)
            if plan is not None:
                yield replace(plan, release=True) if earlier is not None and plan.error is None else plan

    def _stored(self, source: str, ticket_id: str, data: str, basis: str, cutoff: datetime) -> TicketPlan | None:
        """The plan of a stored ticket; None for deskplan's own tasks."""
        try:
            ticket = Ticket.model_validate_json(data)
        except Exception as exc:
            error = f"{source}:{ticket_id}: the stored ticket cannot be read ({type(exc).__name__})"
            return TicketPlan(None, basis, (), (), final=False, error=error, ticket_id=ticket_id, payload=data)
        if is_deskplan_task(ticket):
            return None
        return self.ticket(ticket, basis, cutoff)

    def ticket(self, ticket: Ticket, basis: str, cutoff: datetime) -> TicketPlan:
        """The ticket's plan; one with an `error` when it cannot be assessed (never an exception)."""
        try:
            assessment = self.assessor.assess(ticket)
            writes, held_back = _split(plan_ticket(assessment, self.ledger, secret=self.secret, lang=self.lang),
                                       cutoff)
            writes = tuple(self.routed(write) for write in writes)
            final = clocks_final(assessment)
            next_at = next_change(assessment, self.workspace.calendars, self.now, self.reads_clock)
        except Exception as exc:
            if isinstance(exc, TemplateRenderError):
                reason = str(exc)
            else:
                log.debug("%s could not be evaluated", ticket.ref, exc_info=True)
                reason = unexpected(exc)
            return TicketPlan(ticket, basis, (), (), final=False, error=f"{ticket.ref}: {reason}",
                              ticket_id=ticket.id, payload=_payload(ticket))
        return TicketPlan(ticket, basis, writes, held_back, final=final, ticket_id=ticket.id, next_at=next_at)

    def goals(self, sources: Sequence[str]) -> GoalPlan | None:
        """The missed goal windows' tasks, or None when no check is due.

        The check reads every stored ticket, so it runs when the workspace changed, when the
        last check left a write unsettled, or once GOALS_INTERVAL has passed: a window that
        closes is checked within the hour, and late data (a rating changed after the window
        closed, a reply deadline that ran past it) is seen by the checks that follow.
        """
        if not self.workspace.plan.goals or not sources:
            return None
        sources_key = ",".join(sorted(sources))
        cutoffs = {name: self.cutoff(name) for name in sources}
        basis = digest(self.basis, *(f"{name}@{cutoffs[name].isoformat()}" for name in sorted(sources)))
        last = self.evaluations.goal_check(sources_key)
        if last is not None and last[0] == basis and last[1] <= self.now < last[1] + GOALS_INTERVAL:
            return None
        report = stored_report(self.workspace, self.store, self.now, goals_only=True)
        writes: list[PlannedWrite] = []
        held_back: list[PlannedWrite] = []
        misses = goal_misses(report.goals, report.plan_id)
        for write in goal_tasks(misses, list(sources), self.ledger, secret=self.secret, lang=self.lang,
                                zone=self.assessor.zone):
            if before_cutoff(write, cutoffs[write.source]):
                held_back.append(write)
            else:
                writes.append(self.routed(write))
        return GoalPlan(sources_key, basis, tuple(writes), tuple(held_back), report.left_out)

    def reviews(self, sources: Mapping[str, str], render: Render) -> ReviewPlan:
        """The review tasks due now: `sources` maps cadence ids to the source each writes into
        (those that take writes this run), `render` gives a review's title and body. Only the
        reviews to be written are rendered: one held back is counted, its digest not built."""
        if not self.workspace.plan.cadence or not sources:
            return ReviewPlan((), ())
        writes: list[PlannedWrite] = []
        held_back: list[PlannedWrite] = []
        written = self.ledger.tasks(REVIEW_ORIGIN)
        for due in due_reviews(self.workspace.plan, self.now, sources, written, self.ledger.status,
                               secret=self.secret):
            held = held_back_task(due)
            if before_cutoff(held, self.cutoff(due.source)):
                held_back.append(held)
                continue
            title, body = render(due.cadence, due.period)
            writes.append(self.routed(review_task(due, title, body)))
        return ReviewPlan(tuple(writes), tuple(held_back))

    def routed(self, write: PlannedWrite) -> PlannedWrite:
        """A task with its owner's route for its source's kind (plan.yaml `owners`), if any."""
        kind = self.kinds.get(write.source)
        if write.kind is not WriteKind.TASK or kind is None:
            return write
        route = owner_route(self.workspace.plan, write.owner, kind)
        return replace(write, route=route) if route else write


Writes = tuple[PlannedWrite, ...]


def _split(writes: Sequence[PlannedWrite], cutoff: datetime) -> tuple[Writes, Writes]:
    """(the writes to make, those held back by the cut-off)."""
    held = tuple(w for w in writes if before_cutoff(w, cutoff))
    return tuple(w for w in writes if not before_cutoff(w, cutoff)), held


def before_cutoff(write: PlannedWrite, cutoff: datetime) -> bool:
    """A task about what happened before the go-live cut-off: it is never written."""
    return write.trigger is not None and write.trigger < cutoff


def is_deskplan_task(ticket: Ticket) -> bool:
    """deskplan's own improvement tasks come back in the next pull; they are not requests."""
    return TASK_TAG in ticket.tags


def _payload(ticket: Ticket) -> str:
    """The ticket as its quarantine entry shows it."""
    try:
        return ticket_json(ticket)
    except Exception as exc:
        return f"(not shown: {type(exc).__name__})"


def digest(*parts: str) -> str:
    """A short digest of the parts: the bases that evaluations, goal checks and quarantine entries keep."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
