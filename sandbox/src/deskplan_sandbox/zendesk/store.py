"""The simulator's memory: tickets with their audits, users, satisfaction ratings, groups,
organizations, and the indexes the exports page through (by generated_timestamp, by audit
time, by id).

Tickets come either from fixtures (kept verbatim, unknown fields included) or from a
generated Scenario, which is rendered on demand so 100,000 tickets stay cheap; the first
write to a generated ticket turns it into stored dicts ("materializes" it). Stored dicts
are never changed in place: a write replaces them, so a response being encoded on another
thread always sees one consistent version.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from deskplan_sandbox.gcpause import gc_paused
from deskplan_sandbox.scenario import Person, Scenario, ScenarioTicket
from deskplan_sandbox.zendesk import derive, writes
from deskplan_sandbox.zendesk.render import (
    API_USER_PERSON_ID,
    RATING_ID_BASE,
    STATUS,
    USER_ID_BASE,
    ScenarioRenderer,
    audit_times,
    epoch,
    iso,
    parse_iso,
    render_user,
)

ARCHIVE_AFTER = timedelta(days=120)     # closed tickets leave GET /tickets (they stay in exports)
WRITE_AUDIT_BASE = 40_000_000_000_000   # audits written through the API
EVENT_SPAN = 100
WRITTEN_RATING_OFFSET = 1_000_000_000   # ratings given after load, apart from generated ones
REF_SHIFT = 20                          # audit index bits in a packed (ticket id, audit index) ref
RENDERED_AUDITS_KEPT = 50_000           # tickets whose rendered audits are kept at most (see `_audits`)
# The ticket field naming each kind of named object (the `include=` side-load keys).
NAMED_FIELDS = {"groups": "group_id", "organizations": "organization_id"}
# ((timestamp, id) key, document) pairs in key order, and whether more follow the page
KeyedPage = tuple[list[tuple[tuple[int, int], dict[str, Any]]], bool]


class StoreError(Exception):
    """A write the real API refuses; `app` turns it into Zendesk's error body."""


class NotFound(StoreError):
    pass


class Invalid(StoreError):
    def __init__(self, details: dict[str, list[dict[str, Any]]]):
        super().__init__("Record validation errors")
        self.details = details


class Conflict(StoreError):
    pass


class TicketEntry:
    __slots__ = ("id", "gts", "source", "doc", "audits")

    def __init__(self, ticket_id: int, gts: int, source: ScenarioTicket | None = None,
                 doc: dict[str, Any] | None = None, audits: list[dict[str, Any]] | None = None):
        self.id = ticket_id
        self.gts = gts
        self.source = source
        self.doc = doc
        self.audits = audits


class LazyEntry:
    """A user or a rating: a stored dict, or a scenario object rendered on demand. `created`
    (epoch) is kept for ratings, whose list filters on it under one reading of `start_time`."""

    __slots__ = ("id", "updated", "created", "source", "doc")

    def __init__(self, entry_id: int, updated: int, source: Any = None, doc: dict[str, Any] | None = None,
                 created: int = 0):
        self.id = entry_id
        self.updated = updated
        self.created = created
        self.source = source
        self.doc = doc


@dataclass(frozen=True)
class WriteResult:
    ticket: dict[str, Any]
    audit: dict[str, Any] | None
    ignored: tuple[str, ...] = ()        # body keys the API dropped (reported in x-zendesk-api-warn)


def _timestamp(doc: dict[str, Any], *keys: str) -> int:
    """The first of `keys` that holds an epoch or an ISO time (recorded data has "redacted" values)."""
    for key in keys:
        value = doc.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value              # create answers carry generated_timestamp 0 (recorded)
        if isinstance(value, str):
            try:
                return epoch(parse_iso(value))
            except ValueError:
                continue
    return 0


class ZendeskStore:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self.base_url = "http://127.0.0.1"          # the last URL requests came in on; used for object urls
        self._lock = threading.RLock()
        self._renderer: ScenarioRenderer | None = None
        self._tickets: dict[int, TicketEntry] = {}
        self._ids: list[int] = []
        self._by_generated: list[tuple[int, int]] = []
        self._external: dict[str, list[int]] = {}
        self._users: dict[int, LazyEntry] = {}
        self._emails: dict[str, int] = {}
        self._users_by_updated: list[tuple[int, int]] = []
        self._ratings: dict[int, LazyEntry] = {}
        self._ratings_by_updated: list[tuple[int, int]] = []
        self._ratings_by_created: list[tuple[int, int]] = []
        self._named: dict[str, dict[int, LazyEntry]] = {kind: {} for kind in NAMED_FIELDS}   # groups, organizations
        self._members: dict[int, set[int]] = {}        # group id -> its agents' user ids (group memberships)
        self._event_times: array[int] | None = None     # audit times, ascending, built on first use
        self._event_refs: array[int] | None = None      # packed (ticket id, audit index), same order
        self._write_audits = 0
        self._rendered_audits: OrderedDict[int, list[dict[str, Any]]] = OrderedDict()   # see `_audits`
        self._rendered_until: list[tuple[int, int]] = []    # heap of (last audit time, ticket id) rendered

    # --- loading ------------------------------------------------------------------------
    def load_scenario(self, scenario: Scenario) -> None:
        renderer = ScenarioRenderer(scenario)
        with self._lock, gc_paused():
            self._renderer = renderer
            for person in scenario.people:
                uid = renderer.user_id(person.id)
                self._users[uid] = LazyEntry(uid, epoch(renderer.user_created(person)), source=person)
                self._emails[person.email.lower()] = uid
            for name, gid in renderer.group_ids.items():
                self._named["groups"][gid] = LazyEntry(gid, 0, source=name)
                self._members.setdefault(gid, set()).update(renderer.members[gid])
            for name, oid in renderer.org_ids.items():
                self._named["organizations"][oid] = LazyEntry(oid, 0, source=name)
            for t in scenario.tickets:
                self._tickets[t.number] = TicketEntry(t.number, renderer.generated_timestamp(t), source=t)
                if t.ratings:
                    rid = renderer.rating_id(t.number)
                    self._ratings[rid] = LazyEntry(rid, epoch(t.ratings[-1].at), source=t,
                                                   created=epoch(t.ratings[0].at))
            self._reindex()

    def load_fixtures(self, *, users: Iterable[dict[str, Any]] = (), tickets: Iterable[dict[str, Any]] = (),
                      audits: Iterable[dict[str, Any]] = (), satisfaction_ratings: Iterable[dict[str, Any]] = (),
                      groups: Iterable[dict[str, Any]] = (), organizations: Iterable[dict[str, Any]] = ()) -> None:
        by_ticket: dict[int, list[dict[str, Any]]] = {}
        for audit in audits:
            by_ticket.setdefault(int(audit["ticket_id"]), []).append(audit)
        with self._lock:
            for user in users:
                uid = int(user["id"])
                self._users[uid] = LazyEntry(uid, _timestamp(user, "updated_at", "created_at"), doc=user)
                if isinstance(user.get("email"), str):
                    self._emails[user["email"].lower()] = uid
            for ticket in tickets:
                tid = int(ticket["id"])
                ticket_audits = sorted(by_ticket.get(tid, []), key=lambda a: (_timestamp(a, "created_at"), a["id"]))
                gts = _timestamp(ticket, "generated_timestamp", "updated_at", "created_at")
                self._tickets[tid] = TicketEntry(tid, gts, doc=ticket, audits=ticket_audits)
            for rating in satisfaction_ratings:
                rid = int(rating["id"])
                self._ratings[rid] = LazyEntry(rid, _timestamp(rating, "updated_at", "created_at"), doc=rating,
                                               created=_timestamp(rating, "created_at"))
            for kind, docs in (("groups", groups), ("organizations", organizations)):
                for doc in docs:
                    self._named[kind][int(doc["id"])] = LazyEntry(int(doc["id"]), 0, doc=doc)
            # Fixtures carry no memberships: an agent belongs to their default group and to the
            # groups of the tickets they are assigned.
            for user in users:
                if user.get("default_group_id") is not None:
                    self._members.setdefault(int(user["default_group_id"]), set()).add(int(user["id"]))
            for ticket in tickets:
                if ticket.get("group_id") is not None and ticket.get("assignee_id") is not None:
                    self._members.setdefault(int(ticket["group_id"]), set()).add(int(ticket["assignee_id"]))
            self._reindex()

    def _reindex(self) -> None:
        self._ids = sorted(self._tickets)
        self._by_generated = sorted((e.gts, e.id) for e in self._tickets.values())
        self._users_by_updated = sorted((e.updated, e.id) for e in self._users.values())
        self._ratings_by_updated = sorted((e.updated, e.id) for e in self._ratings.values())
        self._ratings_by_created = sorted((e.created, e.id) for e in self._ratings.values())
        self._external = {}
        for entry in self._tickets.values():
            if entry.doc and entry.doc.get("external_id"):
                self._external.setdefault(str(entry.doc["external_id"]), []).append(entry.id)
        self._event_times = self._event_refs = None

    def ensure_api_user(self, email: str) -> int:
        """The admin the sandbox's credentials belong to: an existing user with that email, or a new one."""
        with self._lock:
            uid = self._emails.get(email.lower())
            if uid is not None:
                return uid
            uid = USER_ID_BASE + API_USER_PERSON_ID
            created = self.clock() - timedelta(days=400)
            groups = sorted(self._named["groups"])
            for group in groups:
                self._members.setdefault(group, set()).add(uid)     # the account owner is in every group
            doc = render_user(user_id=uid, name=email.split("@")[0], email=email, role="admin",
                              organization_id=None, created_at=created, base_url=self.base_url,
                              default_group_id=groups[0] if groups else None)
            self._users[uid] = LazyEntry(uid, epoch(created), doc=doc)
            self._emails[email.lower()] = uid
            bisect.insort(self._users_by_updated, (epoch(created), uid))
            return uid

    # --- reading tickets ----------------------------------------------------------------
    def _entry(self, ticket_id: int) -> TicketEntry | None:
        return self._tickets.get(ticket_id)

    def _doc(self, entry: TicketEntry) -> dict[str, Any]:
        if entry.doc is not None:
            return entry.doc
        assert self._renderer is not None and entry.source is not None
        return self._renderer.ticket(entry.source, self.base_url)

    def _audits(self, entry: TicketEntry) -> list[dict[str, Any]]:
        """A ticket's audits: stored, or rendered from the scenario.

        Renders are kept until the ticket-events export has passed the ticket's last audit
        (`_forget_rendered`), because it meets a ticket's audits again on every page its
        lifetime spans; at most RENDERED_AUDITS_KEPT of them, the least recently used dropped.
        """
        if entry.audits is not None:
            return entry.audits
        rendered = self._rendered_audits.get(entry.id)
        if rendered is not None:
            self._rendered_audits.move_to_end(entry.id)
            return rendered
        assert self._renderer is not None and entry.source is not None
        rendered = self._rendered_audits[entry.id] = self._renderer.audits(entry.source)
        if rendered:
            heapq.heappush(self._rendered_until, (_timestamp(rendered[-1], "created_at"), entry.id))
        if len(self._rendered_audits) > RENDERED_AUDITS_KEPT:
            self._rendered_audits.popitem(last=False)
        return rendered

    def _forget_rendered(self, before: int) -> None:
        """Drop the renders of tickets whose last audit is older than `before` (epoch)."""
        until = self._rendered_until
        while until and until[0][0] < before:
            self._rendered_audits.pop(heapq.heappop(until)[1], None)

    @staticmethod
    def _is_deleted(doc: dict[str, Any]) -> bool:
        return doc.get("status") == "deleted"

    @staticmethod
    def _status(entry: TicketEntry) -> str:
        """The ticket's status without rendering it (list scans skip most tickets)."""
        if entry.doc is not None:
            return str(entry.doc.get("status"))
        source = entry.source
        assert source is not None
        if source.deleted_at is not None:
            return "deleted"
        return STATUS[source.status_changes[-1].status] if source.status_changes else "new"

    def ticket(self, ticket_id: int, *, include_deleted: bool = False) -> dict[str, Any] | None:
        """The ticket as `GET /tickets/{id}` shows it; None if unknown or deleted."""
        with self._lock:
            entry = self._entry(ticket_id)
            if entry is None:
                return None
            doc = self._doc(entry)
        return doc if include_deleted or not self._is_deleted(doc) else None

    def audits(self, ticket_id: int) -> list[dict[str, Any]] | None:
        with self._lock:
            entry = self._entry(ticket_id)
            if entry is None or self._is_deleted(self._doc(entry)):
                return None
            return self._audits(entry)

    def comments(self, ticket_id: int) -> list[dict[str, Any]] | None:
        audits = self.audits(ticket_id)
        return None if audits is None else derive.comments(audits)

    def was_solved(self, ticket_id: int) -> bool:
        """Solved now, or solved once and reopened since (its audits say so)."""
        ticket = self.ticket(ticket_id)
        if ticket is None:
            return False
        if ticket.get("status") in ("solved", "closed"):
            return True
        return any(event.get("field_name") == "status" and event.get("value") in ("solved", "closed")
                   for audit in self.audits(ticket_id) or () for event in audit.get("events", ()))

    def is_agent(self, user_id: int) -> bool:
        entry = self._users.get(user_id)
        if entry is None:
            return True      # recorded audits name agents the fixtures may not list
        if entry.doc is not None:
            return entry.doc.get("role") in ("agent", "admin")
        return isinstance(entry.source, Person) and entry.source.role == "agent"

    def metric_set(self, ticket_id: int) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entry(ticket_id)
            if entry is None:
                return None
            doc, audits = self._doc(entry), self._audits(entry)
        if self._is_deleted(doc):
            return None
        return derive.metric_set(doc, audits, self.is_agent, self.clock(), self.base_url)

    def exported(self, after: tuple[int, int], limit: int, until: int, *, exclude_deleted: bool = False,
                 whole_seconds: bool = False) -> KeyedPage:
        """Up to `limit` ((generated_timestamp, id), ticket) after the key `after`, none newer than `until`.

        Returns the page and whether more tickets (up to `until`) follow it. With
        `whole_seconds` (the time-based export) a page never splits one second.
        """
        with self._lock:
            position = bisect.bisect_right(self._by_generated, after)
            page: list[tuple[tuple[int, int], dict[str, Any]]] = []
            keys = self._by_generated
            while position < len(keys) and keys[position][0] <= until:
                if len(page) >= limit and not (whole_seconds and keys[position][0] == page[-1][0][0]):
                    return page, True
                gts, tid = keys[position]
                position += 1
                doc = self._doc(self._tickets[tid])
                if exclude_deleted and self._is_deleted(doc):
                    continue
                page.append(((gts, tid), doc))
            return page, False

    def tickets_after(self, after_id: int, limit: int,
                      external_id: str | None = None) -> tuple[list[dict[str, Any]], bool]:
        """`GET /tickets` in id order: not deleted, not archived."""
        archive_before = epoch(self.clock() - ARCHIVE_AFTER)
        with self._lock:
            ids = sorted(self._external.get(external_id, [])) if external_id is not None else self._ids
            position = bisect.bisect_right(ids, after_id)
            page: list[dict[str, Any]] = []
            while position < len(ids):
                entry = self._tickets[ids[position]]
                position += 1
                status = self._status(entry)
                if status == "deleted" or (status == "closed" and entry.gts < archive_before):
                    continue
                doc = self._doc(entry)
                if external_id is not None and doc.get("external_id") != external_id:
                    continue
                if len(page) == limit:
                    return page, True
                page.append(doc)
            return page, False

    def ticket_count(self, external_id: str | None = None) -> int:
        with self._lock:
            return len(self._external.get(external_id, [])) if external_id is not None else len(self._ids)

    # --- ticket events ------------------------------------------------------------------
    def _build_event_index(self) -> None:
        with gc_paused():
            pairs: list[tuple[int, int]] = []
            for entry in self._tickets.values():
                if entry.audits is not None:
                    times = [_timestamp(a, "created_at") for a in entry.audits]
                else:
                    assert entry.source is not None     # a ticket without stored audits renders them from its source
                    times = audit_times(entry.source)
                pairs.extend((ts, (entry.id << REF_SHIFT) | index) for index, ts in enumerate(times))
            pairs.sort()
            self._event_times = array("q", (p[0] for p in pairs))
            self._event_refs = array("q", (p[1] for p in pairs))

    def ticket_events(self, start: int, limit: int, until: int) -> tuple[list[dict[str, Any]], bool]:
        """Audits from `start` (epoch) on, oldest first, at most `until`; a page never splits a second."""
        with self._lock:
            if self._event_times is None:
                self._build_event_index()
            times, refs = self._event_times, self._event_refs
            assert times is not None and refs is not None
            position = bisect.bisect_left(times, start)
            found: list[dict[str, Any]] = []
            last: int | None = None         # the second of the audit read last
            while position < len(times) and times[position] <= until:
                # (limit >= 1, so a full page has read an audit and `last` is set)
                if len(found) >= limit and last is not None and times[position] != last:
                    self._forget_rendered(last)
                    return found, True
                last = times[position]
                ref = refs[position]
                position += 1
                ticket_id = ref >> REF_SHIFT
                audits = self._audits(self._tickets[ticket_id])
                index = ref & ((1 << REF_SHIFT) - 1)
                if index < len(audits):
                    found.append(audits[index])
            if last is not None:
                self._forget_rendered(last)
            return found, False

    def _index_audit(self, entry: TicketEntry, index: int, at: int) -> None:
        if self._event_times is None or self._event_refs is None:
            return
        position = bisect.bisect_right(self._event_times, at)
        self._event_times.insert(position, at)
        self._event_refs.insert(position, (entry.id << REF_SHIFT) | index)

    # --- users and ratings --------------------------------------------------------------
    def _lazy_doc(self, entry: LazyEntry) -> dict[str, Any]:
        if entry.doc is not None:
            return entry.doc
        assert self._renderer is not None
        if isinstance(entry.source, Person):
            return self._renderer.user(entry.source, self.base_url)
        return self._renderer.rating(entry.source, self.base_url)

    def user_id_by_email(self, email: str) -> int | None:
        with self._lock:
            return self._emails.get(email.lower())

    def user(self, user_id: int) -> dict[str, Any] | None:
        with self._lock:
            entry = self._users.get(user_id)
            return None if entry is None else self._lazy_doc(entry)

    def users_exported(self, after: tuple[int, int], limit: int, until: int) -> KeyedPage:
        with self._lock:
            return self._page_by_updated(self._users_by_updated, self._users, after, limit, until)

    def ratings_after(self, after: tuple[int, ...], limit: int, until: int,
                      accept: Callable[[dict[str, Any]], bool], *, by: str = "updated") -> KeyedPage:
        """Ratings keyed (time, id) after `after`, the time being `by` "updated" (last change) or
        "created" (when the survey was offered, or the first answer when none was offered)."""
        with self._lock:
            keys = self._ratings_by_created if by == "created" else self._ratings_by_updated
            return self._page_by_updated(keys, self._ratings, after, limit, until, accept)

    def _page_by_updated(self, keys: list[tuple[int, int]], entries: dict[int, LazyEntry], after: tuple[int, ...],
                         limit: int, until: int, accept: Callable[[dict[str, Any]], bool] | None = None,
                         ) -> KeyedPage:
        position = bisect.bisect_right(keys, after)
        page: list[tuple[tuple[int, int], dict[str, Any]]] = []
        while position < len(keys) and keys[position][0] <= until:
            key = keys[position]
            position += 1
            doc = self._lazy_doc(entries[key[1]])
            if accept is not None and not accept(doc):
                continue
            if len(page) == limit:
                return page, True
            page.append((key, doc))
        return page, False

    def rating(self, rating_id: int) -> dict[str, Any] | None:
        with self._lock:
            entry = self._ratings.get(rating_id)
            return None if entry is None else self._lazy_doc(entry)

    # --- groups and organizations ---------------------------------------------------------
    def named(self, kind: str, entry_id: int) -> dict[str, Any] | None:
        """A group (`kind` "groups") or an organization ("organizations"); None if unknown."""
        with self._lock:
            entry = self._named[kind].get(entry_id)
            if entry is None:
                return None
            if entry.doc is not None:
                return entry.doc
            assert self._renderer is not None
            render = self._renderer.group if kind == "groups" else self._renderer.organization
            return render(entry.source, self.base_url)

    def named_after(self, kind: str, after_id: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` groups or organizations after id `after_id`, in id order, and whether more follow."""
        with self._lock:
            ids = sorted(i for i in self._named[kind] if i > after_id)
            docs = [doc for i in ids[:limit] if (doc := self.named(kind, i)) is not None]
            return docs, len(ids) > limit

    def sideloads(self, tickets: list[dict[str, Any]], wanted: set[str]) -> dict[str, list[dict[str, Any]]]:
        """The groups and organizations `tickets` refer to, each once, as `include=` side-loads them."""
        loads: dict[str, list[dict[str, Any]]] = {}
        for kind in (k for k in NAMED_FIELDS if k in wanted):
            ids = dict.fromkeys(t[NAMED_FIELDS[kind]] for t in tickets if t.get(NAMED_FIELDS[kind]) is not None)
            docs = (self.named(kind, int(i)) for i in ids)
            loads[kind] = [doc for doc in docs if doc is not None]
        return loads

    # --- writes -------------------------------------------------------------------------
    def _materialize(self, entry: TicketEntry) -> None:
        if entry.doc is None:
            entry.doc = self._doc(entry)
            entry.audits = self._audits(entry)
            entry.source = None
            self._rendered_audits.pop(entry.id, None)

    def _store(self, entry: TicketEntry, doc: dict[str, Any], gts: int,
               new_audit: dict[str, Any] | None) -> dict[str, Any]:
        """Replaces the ticket's dicts and keeps every index in step; returns the ticket as stored."""
        old_external = (entry.doc or {}).get("external_id")
        if entry.gts != gts or entry.id not in self._tickets:
            if entry.id in self._tickets:
                index = bisect.bisect_left(self._by_generated, (entry.gts, entry.id))
                if index < len(self._by_generated) and self._by_generated[index] == (entry.gts, entry.id):
                    del self._by_generated[index]
            bisect.insort(self._by_generated, (gts, entry.id))
        entry.gts = gts
        stored = entry.doc = {**doc, "generated_timestamp": gts}
        if entry.id not in self._tickets:
            self._tickets[entry.id] = entry
            bisect.insort(self._ids, entry.id)
        new_external = doc.get("external_id")
        if old_external != new_external:
            if old_external and entry.id in self._external.get(str(old_external), []):
                self._external[str(old_external)].remove(entry.id)
            if new_external:
                self._external.setdefault(str(new_external), []).append(entry.id)
        if new_audit is not None:
            entry.audits = [*(entry.audits or []), new_audit]
            self._index_audit(entry, len(entry.audits) - 1, _timestamp(new_audit, "created_at"))
        return stored

    def _new_audit(self, ticket_id: int, author_id: int, at: datetime, channel: str,
                   metadata: dict[str, Any] | None) -> tuple[dict[str, Any], Iterator[int]]:
        self._write_audits += 1
        return writes.new_audit(WRITE_AUDIT_BASE + self._write_audits * EVENT_SPAN, ticket_id, author_id, at,
                                channel, metadata)

    def _writable(self, ticket_id: int) -> TicketEntry:
        entry = self._entry(ticket_id)
        if entry is None or self._status(entry) == "deleted":
            raise NotFound(f"ticket {ticket_id}")
        self._materialize(entry)
        return entry

    def create_ticket(self, fields: dict[str, Any], *, author_id: int, at: datetime | None = None,
                      channel: str = "api") -> WriteResult:
        """`POST /tickets`: `comment` (or `description`) is the only required field."""
        at = (at or self.clock()).replace(microsecond=0)
        problems = writes.problems({k: v for k, v in fields.items() if k != "comment"})
        if writes.comment_parts(fields.get("comment", fields.get("description"))) is None:
            problems["description"] = [{"description": "Description: cannot be blank", "error": "BlankValue"}]
        with self._lock:
            problems.update(self._assignment_problems(fields))
            if problems:
                raise Invalid(problems)
            ticket_id = (self._ids[-1] + 1) if self._ids else 1
            requester = self.user(int(fields.get("requester_id") or author_id)) or {}
            audit, ids = self._new_audit(ticket_id, author_id, at, channel, fields.get("metadata"))
            doc = writes.new_ticket(ticket_id, fields, author_id=author_id,
                                    requester_org=requester.get("organization_id"), at=at, base_url=self.base_url,
                                    channel=channel, audit=audit, ids=ids)
            entry = TicketEntry(ticket_id, epoch(at), audits=[])
            stored = self._store(entry, doc, epoch(at), audit)
            return WriteResult(stored, audit, writes.ignored(fields))

    def _assignment_problems(self, fields: dict[str, Any]) -> writes.Problems:
        """Zendesk refuses a ticket whose group does not exist, or whose assignee is not an agent
        or not a member of its group, with RecordInvalid details keyed `group` / `assignee`; a
        refused create makes no ticket. Shape as reported from a real account
        (https://github.com/facetoe/zenpy/issues/628):
        `"details": {"assignee": [{"description": "Assignee: is invalid", "error": "InvalidValue"},
        {"description": "Assignee: is not a member of the group"}]}`. The `group` entry follows the
        same "<Field>: is invalid" pattern."""
        found: writes.Problems = {}
        group, assignee = fields.get("group_id"), fields.get("assignee_id")
        if group is not None and not (isinstance(group, int) and group in self._named["groups"]):
            found["group"] = [{"description": "Group: is invalid", "error": "InvalidValue"}]
        if assignee is None:
            return found
        if not (isinstance(assignee, int) and assignee in self._users and self.is_agent(assignee)):
            found["assignee"] = [{"description": "Assignee: is invalid", "error": "InvalidValue"}]
        elif isinstance(group, int) and "group" not in found and assignee not in self._members.get(group, ()):
            found["assignee"] = [{"description": "Assignee: is not a member of the group"}]
        return found

    def add_member(self, group_id: int, user_id: int) -> None:
        """A group membership, as `POST /group_memberships` makes one."""
        with self._lock:
            self._members.setdefault(group_id, set()).add(user_id)

    def members(self, group_id: int) -> set[int]:
        """The user ids of a group's agents."""
        with self._lock:
            return set(self._members.get(group_id, ()))

    def remove_member(self, group_id: int, user_id: int) -> None:
        with self._lock:
            self._members.get(group_id, set()).discard(user_id)

    def delete_group(self, group_id: int) -> None:
        """`DELETE /groups/{id}`: the group is gone from lists, and tickets can no longer be put in it."""
        with self._lock:
            self._named["groups"].pop(group_id, None)
            self._members.pop(group_id, None)

    def update_ticket(self, ticket_id: int, changes: dict[str, Any] | None = None, *, author_id: int | None = None,
                      at: datetime | None = None, channel: str = "api", **fields: Any) -> WriteResult:
        """`PUT /tickets/{id}`: a comment and/or field changes, written as one audit.

        Programmatic callers may pass fields as keywords: `update_ticket(7, status="solved")`.
        """
        changes = {**(changes or {}), **fields}
        at = (at or self.clock()).replace(microsecond=0)
        with self._lock:
            entry = self._writable(ticket_id)
            doc = entry.doc or {}
            if doc.get("status") == "closed":
                raise Invalid({"status": [{"description": "Status: closed prevents ticket update"}]})
            problems = writes.problems(changes)
            if problems:
                raise Invalid(problems)
            if changes.get("safe_update") and changes.get("updated_stamp") != doc.get("updated_at"):
                raise Conflict(f"ticket {ticket_id} changed since {changes.get('updated_stamp')}")
            author = author_id if author_id is not None else int(doc.get("assignee_id") or doc["requester_id"])
            audit, ids = self._new_audit(ticket_id, author, at, channel, changes.get("metadata"))
            updated = writes.apply_update(doc, changes, author_id=author, audit=audit, ids=ids)
            if not audit["events"]:
                return WriteResult(doc, None, writes.ignored(changes))
            updated["updated_at"] = iso(at)
            stored = self._store(entry, updated, max(epoch(at), entry.gts), audit)
            return WriteResult(stored, audit, writes.ignored(changes))

    def delete_ticket(self, ticket_id: int, at: datetime | None = None) -> None:
        """`DELETE /tickets/{id}`: gone from the API, shown as status "deleted" in exports."""
        at = (at or self.clock()).replace(microsecond=0)
        with self._lock:
            entry = self._writable(ticket_id)
            doc = {**(entry.doc or {}), "status": "deleted", "updated_at": iso(at)}
            self._store(entry, doc, max(epoch(at), entry.gts), None)

    def touch(self, ticket_ids: Iterable[int], at: datetime | None = None) -> None:
        """A system update (automation, SLA recalculation): only generated_timestamp moves."""
        at = (at or self.clock()).replace(microsecond=0)
        with self._lock:
            for ticket_id in ticket_ids:
                entry = self._entry(ticket_id)
                if entry is None:
                    raise NotFound(f"ticket {ticket_id}")
                self._materialize(entry)
                self._store(entry, entry.doc or {}, max(epoch(at), entry.gts), None)

    def _rating_id(self, ticket_id: int, doc: dict[str, Any]) -> int:
        return int((doc.get("satisfaction_rating") or {}).get("id") or (
            RATING_ID_BASE + WRITTEN_RATING_OFFSET + ticket_id))

    def _keep_rating(self, rating_id: int, rating: dict[str, Any], updated: int, created: int) -> None:
        old = self._ratings.get(rating_id)
        if old is not None:
            self._ratings_by_updated.remove((old.updated, rating_id))
            self._ratings_by_created.remove((old.created, rating_id))
        self._ratings[rating_id] = LazyEntry(rating_id, updated, doc=rating, created=created)
        bisect.insort(self._ratings_by_updated, (updated, rating_id))
        bisect.insort(self._ratings_by_created, (created, rating_id))

    def offer_survey(self, ticket_id: int, at: datetime | None = None) -> dict[str, Any]:
        """The satisfaction survey goes out (Zendesk's "Request customer satisfaction rating"
        automation): a rating with score "offered" is created now, and the requester's answer
        later updates it (`rate`), keeping this creation time."""
        at = (at or self.clock()).replace(microsecond=0)
        with self._lock:
            entry = self._writable(ticket_id)
            doc = dict(entry.doc or {})
            rating_id = self._rating_id(ticket_id, doc)
            rating = writes.rating(rating_id, doc, "offered", None, created_at=iso(at), at=at,
                                   base_url=self.base_url)
            self._keep_rating(rating_id, rating, epoch(at), epoch(at))
            previous = (doc.get("satisfaction_rating") or {}).get("score", "unoffered")
            doc["satisfaction_rating"] = {"score": "offered"}
            doc["updated_at"] = iso(at)
            audit, ids = self._new_audit(ticket_id, int(doc.get("assignee_id") or doc["requester_id"]), at, "rule",
                                         None)
            audit["events"].append({"id": next(ids), "type": "Change", "field_name": "satisfaction_score",
                                    "value": "offered", "previous_value": previous})
            self._store(entry, doc, max(epoch(at), entry.gts), audit)
            return rating

    def rate(self, ticket_id: int, score: str, comment: str | None = None,
             at: datetime | None = None) -> dict[str, Any]:
        """The requester rates the ticket (again): the rating changes, keeping its creation time
        (the survey's offer, or the first answer), and the ticket gets an audit."""
        if score not in ("good", "bad"):
            raise Invalid({"score": [{"description": "Score: is not valid", "error": "InvalidValue"}]})
        at = (at or self.clock()).replace(microsecond=0)
        with self._lock:
            entry = self._writable(ticket_id)
            doc = dict(entry.doc or {})
            rating_id = self._rating_id(ticket_id, doc)
            created_at = (self.rating(rating_id) or {}).get("created_at", iso(at))
            rating = writes.rating(rating_id, doc, score, comment, created_at=created_at, at=at, base_url=self.base_url)
            self._keep_rating(rating_id, rating, epoch(at), _timestamp(rating, "created_at"))
            doc["satisfaction_rating"] = {"id": rating_id, "score": score, "comment": comment}
            doc["updated_at"] = iso(at)
            audit, ids = self._new_audit(ticket_id, int(doc["requester_id"]), at, "web", None)
            audit["events"].append({"id": next(ids), "type": "SatisfactionRating", "score": score,
                                    "assignee_id": doc.get("assignee_id"), "body": comment or ""})
            self._store(entry, doc, max(epoch(at), entry.gts), audit)
            return rating
