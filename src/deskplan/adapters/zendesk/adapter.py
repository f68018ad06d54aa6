"""The Zendesk adapter: streams of raw records for the connector, and the pure build step."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from deskplan.adapters.base import OwnerRoutes, Probe
from deskplan.adapters.zendesk.client import ExportPage, ZendeskClient
from deskplan.adapters.zendesk.mapping import Context, build_ticket, relevant_event
from deskplan.adapters.zendesk.probe import probe_settings
from deskplan.adapters.zendesk.tasks import task_reading, task_url
from deskplan.adapters.zendesk.writes import ZendeskWriter
from deskplan.config import SourceConfig
from deskplan.model import Status, Ticket
from deskplan.state.records import Page, Quarantined, Record, Related
from deskplan.state.store import payload_text
from deskplan.state.tasks import TaskReading

USERS = "users"
TICKETS = "tickets"
TICKET_EVENTS = "ticket_events"
SATISFACTION_RATINGS = "satisfaction_ratings"
# What the ticket export side-loads, and the kind of record each becomes: the names of a
# ticket's group and organization come with the ticket, at no extra request.
SIDELOADS = {"groups": "group", "organizations": "organization"}
ANSWERED = ("good", "bad")          # a rating's scores once the requester answered
# What a tickets cursor says besides the export's own position: the ratings it owes (see the adapter)
ANSWERED_KEY = "answered"           # rating id -> ticket id, answered ratings not fetched yet
WHOLE = "whole"                     # the export began at the beginning: the ratings list must too
# A stream's item as the record the store keeps, or None for an item the store does not keep
ToRecord = Callable[[dict[str, Any]], Record | None]


class ZendeskAdapter:
    """Pulls users, tickets (with the groups and organizations they name), ticket events and
    ratings; builds canonical tickets from them.

    Users come first so that the roles of comment authors are stored before any ticket
    is built; every stream resumes from the cursor stored with its last page.

    Ratings answered late: Zendesk creates a rating when the survey is offered and updates it
    when the requester answers, and its reference does not say whether the list's
    `start_time` filters on the creation or on the last change. Read as the creation, the list
    resumed from the newest answer seen never returns a survey offered before that and answered
    after. The answer also changes the ticket (its `satisfaction_rating` carries the rating's
    id and score), which the ticket export, pulled first, brings in the same run: every rating
    that a ticket of this run names as answered and the list did not return is fetched by id at
    the end of the ratings stream. The cost is bounded by one request per exported ticket
    carrying an answer the list left out (none when the list filters on the last change and
    nothing else changed the ticket since).

    Those ratings are owed until the ratings stream has fetched them, and a sync can stop between
    the two streams (killed, or an outage): so every tickets page's cursor carries them
    (`answered`: rating id -> ticket id), the next run's tickets stream takes them up again, and
    the ratings stream settles them with a last page of the tickets stream (the tickets cursor
    without them). A tickets export from the beginning (a first sync, `--full`) names none: its
    cursor says `whole` until settled, and the ratings list is then read from the beginning too,
    which returns every rating (also after a `--full` stopped before the ratings stream, whose
    ratings cursor is still the old one).
    """

    streams = (USERS, TICKETS, TICKET_EVENTS, SATISFACTION_RATINGS)

    def __init__(self, client: ZendeskClient, *, source: str, site: str, status_map: Mapping[str, Status],
                 tasks_group: str | None = None):
        self.client = client
        self.source = source
        self.tasks_group = tasks_group
        self._context = Context(source=source, site=site, status_map=dict(status_map))
        # rating id -> ticket id: the answered ratings the tickets exported in this run (or in a run
        # that stopped before its ratings stream) name; kept in the tickets cursor until settled
        self._answered: dict[str, str] = {}
        self._whole = False         # the tickets export of this run started from the beginning
        self._tickets_cursor: dict[str, Any] | None = None    # the last one stored, once the stream ran

    @property
    def own_user(self) -> str | None:
        """deskplan's own user id (the credentials' user), once `check()` has asked or it is set."""
        return self._context.own_user

    @own_user.setter
    def own_user(self, user_id: str | None) -> None:
        self._context = replace(self._context, own_user=user_id)

    def writer(self) -> ZendeskWriter:
        """The write side, on this adapter's HTTP client (one client, one retry budget per source)."""
        return ZendeskWriter(self.client.http, tasks_group=self.tasks_group, own_user=self.own_user)

    @property
    def requests(self) -> int:
        return self.client.http.requests

    def check(self) -> None:
        """Learn deskplan's own user; refused credentials raise AuthError (`ZendeskClient.own_user_id`)."""
        self.own_user = self.client.own_user_id()

    def probe(self, config: SourceConfig, owners: OwnerRoutes) -> Probe:
        """`check --online`: the settings against Zendesk, reading only (adapters/zendesk/probe.py)."""
        self.check()
        return probe_settings(self.client, config.email, config, owners)

    def pull(self, stream: str, cursor: dict[str, Any] | None) -> Iterator[Page]:
        pages: Iterator[ExportPage]
        to_record: ToRecord
        if stream == USERS:
            pages, to_record = self.client.cursor_export("users", cursor), _user
        elif stream == TICKETS:
            yield from self._tickets(cursor)
            return
        elif stream == TICKET_EVENTS:
            pages, to_record = self.client.ticket_events(cursor), _event
        elif stream == SATISFACTION_RATINGS:
            yield from self._ratings(cursor)
            return
        else:
            raise ValueError(f"unknown Zendesk stream {stream!r} (streams: {', '.join(self.streams)})")
        for page in pages:
            yield _page(stream, page, to_record)

    def _tickets(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """The ticket export from the cursor on; each page's cursor also says which ratings are
        owed (see the class)."""
        self._tickets_cursor = cursor
        self._whole = not _export_cursor(cursor) or bool((cursor or {}).get(WHOLE))
        carried = (cursor or {}).get(ANSWERED_KEY)
        if isinstance(carried, dict):
            self._answered.update({str(k): str(v) for k, v in carried.items()})
        for page in self.client.cursor_export("tickets", _export_cursor(cursor), include=tuple(SIDELOADS)):
            made = _page(TICKETS, page, self._ticket)
            # The ratings the page's tickets name are owed from the moment the page is stored.
            owed = {WHOLE: True} if self._whole else {ANSWERED_KEY: dict(self._answered)} if self._answered else {}
            self._tickets_cursor = {**made.cursor, **owed}
            yield replace(made, cursor=self._tickets_cursor)

    def _ticket(self, item: dict[str, Any]) -> Record:
        embedded = item.get("satisfaction_rating")
        if (not self._whole and isinstance(embedded, dict) and embedded.get("score") in ANSWERED
                and embedded.get("id") is not None):
            self._answered[str(embedded["id"])] = str(item["id"])
        return _ticket(item)

    def _ratings(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """The ratings list from the cursor on (from the beginning after a whole tickets export);
        its last page also carries, fetched one by one, the answered ratings the tickets name and
        the list did not return. Then a page of the tickets stream settles what was owed."""
        listed: set[str] = set()
        for page in self.client.satisfaction_ratings(None if self._whole else cursor):
            listed.update(str(item.get("id")) for item in page.items if isinstance(item, dict))
            if page.done:
                missing = [rid for rid in self._answered if rid not in listed]
                fetched = [r for r in map(self.client.satisfaction_rating, missing) if r is not None]
                page = replace(page, items=[*page.items, *fetched])
            yield _page(SATISFACTION_RATINGS, page, _rating)
            if page.done:
                self._answered.clear()
                yield from self._settled()

    def _settled(self) -> Iterator[Page]:
        """The tickets cursor without the ratings it owed, once the ratings stream has them."""
        owed = self._tickets_cursor
        if owed is not None and (WHOLE in owed or ANSWERED_KEY in owed):
            self._tickets_cursor = settled = _export_cursor(owed) or {}
            self._whole = False
            yield Page(stream=TICKETS, records=[], cursor=settled, done=True)

    def read_tasks(self, remote_ids: Sequence[str], stored: Callable[[str], dict[str, Any] | None]
                   ) -> Iterator[TaskReading]:
        """From the stored task tickets, which the export pulled: no request."""
        for remote_id in remote_ids:
            reading = task_reading(remote_id, stored(remote_id), self._context.site)
            if reading is not None:
                yield reading

    def task_url(self, remote_id: str) -> str:
        return task_url(self._context.site, remote_id)

    def build(self, ticket: Record, related: Related) -> Ticket:
        return build_ticket(
            ticket.data,
            (r.data for r in related.events),
            (r.data for r in related.ratings),
            related.user,
            self._context,
            related.record,
        )


def _page(stream: str, page: ExportPage, to_record: ToRecord) -> Page:
    records: list[Record] = []
    quarantined: list[Quarantined] = []
    batches = [(stream, page.items, to_record)]
    batches += [(key, items, partial(_named, SIDELOADS[key])) for key, items in page.sideloads.items()]
    for what, items, make in batches:
        for item in items:
            if not isinstance(item, dict) or item.get("id") is None:
                quarantined.append(Quarantined(ref=f"{what} item without an id", error="no id",
                                               payload=payload_text(item)))
                continue
            record = make(item)
            if record is not None:
                records.append(record)
    return Page(stream=stream, records=records, cursor=page.cursor, done=page.done, quarantined=quarantined)


def _export_cursor(cursor: dict[str, Any] | None) -> dict[str, Any] | None:
    """The tickets cursor as the export reads it: its position, without what it owes."""
    if cursor is None:
        return None
    return {k: v for k, v in cursor.items() if k not in (ANSWERED_KEY, WHOLE)}


def _user(item: dict[str, Any]) -> Record:
    return Record("user", str(item["id"]), None, item)


def _named(kind: str, item: dict[str, Any]) -> Record:
    """A side-loaded group or organization: belongs to no ticket, found by (kind, id) when building."""
    return Record(kind, str(item["id"]), None, item)


def _ticket(item: dict[str, Any]) -> Record:
    return Record("ticket", str(item["id"]), str(item["id"]), item)


def _event(item: dict[str, Any]) -> Record | None:
    ticket_id = item.get("ticket_id")
    if ticket_id is None:
        return None
    kept = relevant_event(item)
    if kept is None:
        return None
    return Record("event", str(item["id"]), str(ticket_id), kept)


def _rating(item: dict[str, Any]) -> Record | None:
    if item.get("ticket_id") is None:
        return None
    return Record("rating", str(item["id"]), str(item["ticket_id"]), item)
