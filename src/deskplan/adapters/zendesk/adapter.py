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
    """

    streams = (USERS, TICKETS, TICKET_EVENTS, SATISFACTION_RATINGS)

    def __init__(self, client: ZendeskClient, *, source: str, site: str, status_map: Mapping[str, Status],
                 tasks_group: str | None = None):
        self.client = client
        self.source = source
        self.tasks_group = tasks_group
        self._context = Context(source=source, site=site, status_map=dict(status_map))
        # rating id -> ticket id: the answered ratings the tickets exported in this run name
        self._answered: dict[str, str] = {}

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
        """Zendesk answers bad credentials on /users/me with 200 and an anonymous user."""
        user = self.client.me()
        if user.get("id") is None:
            raise self.client.http.refused("the credentials were not accepted (Zendesk answered as an anonymous "
                                           "user)", "GET /api/v2/users/me.json")
        self.own_user = str(user["id"])

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
            pages, to_record = self.client.cursor_export("tickets", cursor, include=tuple(SIDELOADS)), self._ticket
        elif stream == TICKET_EVENTS:
            pages, to_record = self.client.ticket_events(cursor), _event
        elif stream == SATISFACTION_RATINGS:
            yield from self._ratings(cursor)
            return
        else:
            raise ValueError(f"unknown Zendesk stream {stream!r} (streams: {', '.join(self.streams)})")
        for page in pages:
            yield _page(stream, page, to_record)

    def _ticket(self, item: dict[str, Any]) -> Record:
        embedded = item.get("satisfaction_rating")
        if isinstance(embedded, dict) and embedded.get("score") in ANSWERED and embedded.get("id") is not None:
            self._answered[str(embedded["id"])] = str(item["id"])
        return _ticket(item)

    def _ratings(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """The ratings list from the cursor on; its last page also carries, fetched one by one,
        the answered ratings this run's tickets name and the list did not return."""
        listed: set[str] = set()
        for page in self.client.satisfaction_ratings(cursor):
            listed.update(str(item.get("id")) for item in page.items if isinstance(item, dict))
            if page.done:
                missing = [rid for rid in self._answered if rid not in listed]
                fetched = [r for r in map(self.client.satisfaction_rating, missing) if r is not None]
                page = replace(page, items=[*page.items, *fetched])
                self._answered.clear()
            yield _page(SATISFACTION_RATINGS, page, _rating)

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
