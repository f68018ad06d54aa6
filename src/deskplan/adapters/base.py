"""What every helpdesk adapter offers the connector.

An adapter pulls *streams* (Zendesk: ticket export, ticket events, ratings, users;
Jira: the issue search) as pages of raw records with the cursor that follows them.
The connector stores each page and its cursor in one transaction, then asks the adapter
to `build` the canonical ticket of every ticket the run touched from the stored
records. Building is pure: no HTTP, so it is tested on recorded payloads alone.

The records, pages and related records themselves are what the store keeps
(`deskplan.state.records`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from deskplan.config import SourceConfig
from deskplan.effects import PlannedWrite, Writer
from deskplan.model import Ticket
from deskplan.state.records import Page, Record, Related
from deskplan.state.tasks import TaskReading

# The raw ticket the store holds under an id (None: none stored), for readers that need no request
StoredTicket = Callable[[str], dict[str, Any] | None]


class Adapter(Protocol):
    source: str                          # the source's name in deskplan.toml
    streams: tuple[str, ...]             # pulled in this order
    # deskplan's own user in the helpdesk (Zendesk user id, Jira accountId): set by `check()`,
    # or by the sync from the state when the helpdesk cannot be asked. Building counts as
    # deskplan's only that user's internal comments with a marker; the writer settles and
    # edits only what that user wrote.
    own_user: str | None

    @property
    def requests(self) -> int: ...       # HTTP requests made so far

    def check(self) -> None:
        """Probe the credentials and learn `own_user`; raise AuthError / Unreachable."""

    def writer(self) -> Writer:
        """The source's write side, on the same HTTP client."""

    def pull(self, stream: str, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """Pages of `stream` after `cursor` (None: from the beginning). Each page is stored under
        its own `stream`, with its cursor: a stream may end with a page of an earlier stream of
        the run, which settles that stream's cursor (Zendesk: the ratings a tickets cursor owes)."""

    def build(self, ticket: Record, related: Related) -> Ticket:
        """The canonical ticket; raise BadPayload when the payload cannot be read."""


@runtime_checkable
class TaskReader(Protocol):
    """An adapter that reads the state of deskplan's own tasks back (app/tasks.py)."""

    def read_tasks(self, remote_ids: Sequence[str], stored: StoredTicket) -> Iterator[TaskReading]:
        """A reading for each task found (or found gone), by the remote id the ledger holds;
        a task it cannot tell about yet is left out. `stored` gives a stored raw ticket."""

    def task_url(self, remote_id: str) -> str:
        """Where an agent opens the task: known from its id alone, so a task not read back yet
        (created in this run, before the pull or the search index could see it) is linked too."""


@runtime_checkable
class PullWarnings(Protocol):
    """An adapter whose pull can find what the run must say though nothing failed (Jira: a search
    index later than its reconciliations reach): `deskplan sync` lists these among its warnings."""

    pull_warnings: list[str]


# owner -> the (field, value) pairs plan.yaml's `owners` gives the owner's tasks in this kind of source
OwnerRoutes = Mapping[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Mismatch:
    """A setting the helpdesk does not agree with. `setting` is where it is written: a path in
    the source's table of deskplan.toml (`("projects", 0)`, `("status_map", "Pending")`), or
    `("owners", OWNER, FIELD)` for plan.yaml's owners."""

    setting: tuple[str | int, ...]
    message: str


@dataclass
class Probe:
    """What `check --online` learnt of one source: what agrees (`checked`, for the summary) and
    what does not."""

    checked: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)

    def mismatch(self, setting: tuple[str | int, ...], message: str) -> None:
        self.mismatches.append(Mismatch(setting, message))

    def owners(self, owners: OwnerRoutes, checks: Mapping[str, Callable[[str], str | None]], what: str) -> None:
        """Every route whose field `checks` names, asked of the helpdesk: `checks[field](value)` says
        what is wrong with it (None: the helpdesk has it). A problem is a mismatch at the owner's
        field; the routes that agree are counted in `checked` (`owners: 3 <what>`)."""
        agreed = 0
        for owner, route in owners.items():
            for name, value in route:
                check = checks.get(name)
                if check is None:
                    continue
                problem = check(value)
                if problem:
                    self.mismatch(("owners", owner, name), problem)
                else:
                    agreed += 1
        if agreed:
            self.checked.append(f"owners: {agreed} {what}")


def note_unrouted(unrouted: list[str], write: PlannedWrite, problem: str) -> None:
    """Keeps a problem with `write`'s route in a writer's `unrouted`, which the run lists as
    warnings: one line a task, a second problem of the same task joining its line."""
    owner = f" of {write.owner}" if write.owner else ""
    head = f"task {write.origin}{owner} written unassigned: "
    if unrouted and unrouted[-1].startswith(head):
        unrouted[-1] += f"; {problem}"
    else:
        unrouted.append(head + problem)


@runtime_checkable
class SettingsProber(Protocol):
    """An adapter that checks a source's settings against the helpdesk, reading only."""

    def probe(self, config: SourceConfig, owners: OwnerRoutes) -> Probe:
        """Every setting of `config` that names something in the helpdesk, and every owner's
        route, asked of the helpdesk with GET requests only. Raises AuthError or Unreachable
        (through `check()`) when the helpdesk refuses the credentials or cannot be reached."""
