"""Write-back to Zendesk: internal status notes and improvement tasks (README, "What deskplan writes").

- A status comment is an internal note (`public: false`) added with `PUT /api/v2/tickets/{id}`
  (there is no POST on comments). Each state change is a new note. The update is not
  retried blindly: a lost answer goes back to the applier, which looks for the marker.
- An improvement task is `POST /api/v2/tickets` of `type: task` with `due_at`, the
  idempotency key as `external_id`, an `Idempotency-Key` header (Zendesk replays the first
  answer for the same key and body for two hours, so this request may be retried),
  the `tasks_group`, and tags naming the source tickets (Zendesk has no generic ticket link).
  A task whose owner plan.yaml routes (`owners`) goes to that group (its name looked up in
  `GET /api/v2/groups`, once a run) and/or agent (`GET /api/v2/users/search?query=<email>`);
  one that cannot be routed (no such group or agent, or Zendesk refuses the assignment) is
  still created, without the part Zendesk refused (its RecordInvalid names `group` or
  `assignee`), and the problem kept in `unrouted`; a refused part is not offered again that run.
- `find_effect` asks Zendesk itself: the marker among the ticket's internal notes by
  deskplan's own user, or `GET /api/v2/tickets?external_id=<key>` among the tickets that user
  submitted. A marker or an `external_id` anyone else wrote is not deskplan's write: taking it
  for one would record a note or task as written that never was.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from typing import Any

from deskplan.adapters.base import note_unrouted
from deskplan.adapters.zendesk.client import ZendeskClient
from deskplan.effects import TASK_TAG, PlannedWrite, WriteKind, digest
from deskplan.errors import RequestRejected
from deskplan.transport.http import HttpClient, Rejected

TASK_TAGS = ("deskplan", TASK_TAG)
PER_TICKET_UPDATES = (30, 600.0)     # 30 updates per 10 minutes per ticket and user (Zendesk's rate limits)
COMMENT_PAGE_SIZE = 100
COMMENT_PAGE_LIMIT = 60              # 6,000 comments: more than a ticket may hold (5,000)
# Ticket field -> its route name in plan.yaml, which is also its key in a RecordInvalid answer.
ROUTE_OF_FIELD = {"group_id": "group", "assignee_id": "assignee"}


def source_tag(ticket_key: str) -> str:
    """The tag that links a task to one of its source tickets."""
    return f"deskplan_ticket_{ticket_key}"


class ZendeskWriter:
    """Writes for one Zendesk source, through the shared HttpClient."""

    ticket_update_limit = PER_TICKET_UPDATES

    def __init__(self, http: HttpClient, *, tasks_group: str | None = None, own_user: str | None = None):
        self.http = http
        self.client = ZendeskClient(http)
        self.source = http.source
        self.tasks_group = tasks_group
        self.own_user = own_user          # deskplan's user id; asked of Zendesk when first needed
        self.unrouted: list[str] = []     # tasks written without their owner's route, and why (the run lists them)
        self._groups: dict[str, int] | None = None      # group name (case-folded) -> id, read once per run
        self._agents: dict[str, int | None] = {}        # email (case-folded) -> user id, or None: no such agent
        self._refused: set[tuple[str, str]] = set()     # route pairs Zendesk refused on create this run

    @property
    def requests(self) -> int:
        return self.http.requests

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        if write.kind is WriteKind.COMMENT:
            return self._add_note(write)
        return self._create_task(write)

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        if write.kind is WriteKind.COMMENT:
            return self._find_note(write)
        return self._find_task(write)

    def complete(self, write: PlannedWrite, remote_id: str) -> None:
        """Every Zendesk write is one request: nothing can be left half done."""

    def lookup_is_immediate(self, write: PlannedWrite) -> bool:
        return True

    # --- comments --------------------------------------------------------------------------

    def _add_note(self, write: PlannedWrite) -> str:
        path = f"/api/v2/tickets/{_ticket_id(write)}.json"
        body = {"ticket": {"comment": {"body": write.body, "public": False}}}
        result = self.http.send("PUT", path, json=body, retry="connect_only")
        audit = (result.json or {}).get("audit") or {}
        for event in audit.get("events") or []:
            if event.get("type") == "Comment" and event.get("id") is not None:
                return str(event["id"])
        # An update that changed nothing has no audit; that cannot be a new note.
        raise RequestRejected("Zendesk answered the note without a comment event", source=self.source,
                              where=f"PUT /api/v2/tickets/{_ticket_id(write)}.json", status=result.status)

    def _me(self) -> str:
        """deskplan's own user id: the user the credentials belong to."""
        if self.own_user is None:
            self.own_user = self.client.own_user_id()
        return self.own_user

    def _find_note(self, write: PlannedWrite) -> str | None:
        me = self._me()
        for comment in self._comments(_ticket_id(write)):
            if str(comment.get("author_id")) != me or comment.get("public") is not False:
                continue        # not an internal note by deskplan's user, whatever it quotes
            text = " ".join(str(comment.get(k) or "") for k in ("body", "plain_body", "html_body"))
            if write.marker in text:
                return str(comment["id"])
        return None

    def _comments(self, ticket_id: str) -> Iterator[dict[str, Any]]:
        """The ticket's comments, newest first (a lost note is among the latest)."""
        path = f"/api/v2/tickets/{ticket_id}/comments.json"
        params: dict[str, Any] = {"page[size]": COMMENT_PAGE_SIZE, "sort": "-created_at"}
        for _ in range(COMMENT_PAGE_LIMIT):
            try:
                body = self.http.get_json(path, params)
            except Rejected as exc:
                if exc.status == 404:
                    return      # the ticket is gone: nothing of ours is on it
                raise
            yield from body.get("comments") or []
            meta = body.get("meta") or {}
            after = meta.get("after_cursor")
            if not meta.get("has_more") or not after or after == params.get("page[after]"):
                return
            params = {**params, "page[after]": after}

    # --- tasks -----------------------------------------------------------------------------

    def _create_task(self, write: PlannedWrite) -> str:
        ticket: dict[str, Any] = {
            "subject": write.title,
            "comment": {"body": write.body, "public": False},
            "type": "task",
            "priority": "normal",
            "external_id": write.key,
            "tags": [*TASK_TAGS, *(source_tag(k) for k in write.links)],
        }
        if write.due is not None:
            ticket["due_at"] = write.due.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.tasks_group:
            ticket["group_id"] = int(self.tasks_group) if self.tasks_group.isdigit() else self.tasks_group
        routed = self._route(write)
        while True:
            try:
                return self._post_task(write, {**ticket, **routed})
            except Rejected as exc:
                if not routed or exc.status not in (400, 422):
                    raise
                # Zendesk refused the assignment (a group deleted since the lookup, an agent not in
                # the group, a suspended user; a refused create makes no ticket): the task is written
                # without the refused part rather than lost. RecordInvalid names the refused fields
                # (`group`, `assignee`); where it names none of the route, all of the route goes.
                named = [f for f in routed if ROUTE_OF_FIELD[f] in _invalid_fields(exc)]
                refused = sorted(named or routed)
                self._note(write, "Zendesk refused " + " and ".join(
                    f"the {ROUTE_OF_FIELD[f]} {self._routed_value(write, f)!r}" for f in refused) + f": {exc}")
                self._refused.update((ROUTE_OF_FIELD[f], self._routed_value(write, f)) for f in refused)
                routed = {f: v for f, v in routed.items() if f not in refused}

    def _post_task(self, write: PlannedWrite, ticket: dict[str, Any]) -> str:
        # Zendesk refuses a known Idempotency-Key with another body, and a re-planned task's
        # text can differ (a due time, a renamed measure): the header covers this request's
        # retries; `external_id` is what later runs look the task up by.
        request_key = digest(write.key, ticket)
        result = self.http.send("POST", "/api/v2/tickets.json", json={"ticket": ticket},
                                headers={"Idempotency-Key": request_key}, retry="safe")
        created = (result.json or {}).get("ticket") or {}
        if created.get("id") is None:
            raise RequestRejected("Zendesk answered the task without a ticket id", source=self.source,
                                  where="POST /api/v2/tickets.json", status=result.status)
        return str(created["id"])

    # --- routing ---------------------------------------------------------------------------

    def _route(self, write: PlannedWrite) -> dict[str, Any]:
        """`group_id` and `assignee_id` for the write's route, as far as they resolve."""
        fields: dict[str, Any] = {}
        for name, value in write.route:
            if (name, value) in self._refused:
                # Not offered again this run: each would cost a refused create first.
                self._note(write, f"Zendesk refused the {name} {value!r} earlier in this run")
                continue
            try:
                if name == "group":
                    group = self._group_id(value)
                    if group is None:
                        self._note(write, f"no Zendesk group is named {value!r}")
                    else:
                        fields["group_id"] = group
                elif name == "assignee":
                    agent = self._agent_id(value)
                    if agent is None:
                        self._note(write, f"no Zendesk agent has the email {value!r}")
                    else:
                        fields["assignee_id"] = agent
            except Rejected as exc:
                # Zendesk will not say (an agent who may not list groups or search users): the
                # task goes without that part of its route rather than not at all.
                self._note(write, f"the {name} {value!r} could not be looked up: {exc}")
        return fields

    def _group_id(self, name: str) -> int | None:
        if self._groups is None:
            groups: dict[str, int] = {}
            for group in self.client.groups():
                named = isinstance(group.get("name"), str) and isinstance(group.get("id"), int)
                if named and not group.get("deleted"):
                    groups.setdefault(group["name"].casefold(), group["id"])
            self._groups = groups       # kept once read whole: a failed listing is tried again
        return self._groups.get(name.casefold())

    def _agent_id(self, email: str) -> int | None:
        wanted = email.casefold()
        if wanted not in self._agents:
            agent = self.client.agent(email)
            found = agent.get("id") if agent else None
            self._agents[wanted] = found if isinstance(found, int) else None
        return self._agents[wanted]

    @staticmethod
    def _routed_value(write: PlannedWrite, field: str) -> str:
        """The plan's name for a routed field's value (the group's name, the agent's email)."""
        return next((value for name, value in write.route if name == ROUTE_OF_FIELD[field]), "")

    def _note(self, write: PlannedWrite, problem: str) -> None:
        note_unrouted(self.unrouted, write, problem)

    def _find_task(self, write: PlannedWrite) -> str | None:
        body = self.http.get_json("/api/v2/tickets.json", {"external_id": write.key})
        for ticket in body.get("tickets") or []:
            if ticket.get("external_id") == write.key and _submitter(ticket) == self._me():
                return str(ticket["id"])
        return None


def _invalid_fields(exc: Rejected) -> set[str]:
    """The fields a RecordInvalid answer names (the transport keeps only their names)."""
    text = str(exc)
    start = text.find("(invalid fields: ")
    if start < 0:
        return set()
    end = text.find(")", start)
    return {name.strip() for name in text[start + len("(invalid fields: "):end].split(",")}


def _submitter(ticket: dict[str, Any]) -> str | None:
    """Who created the ticket: its submitter (the requester where no submitter is given). Whoever
    creates a ticket may name anyone its requester; the submitter is the creator."""
    who = ticket.get("submitter_id")
    if who is None:
        who = ticket.get("requester_id")
    return None if who is None else str(who)


def _ticket_id(write: PlannedWrite) -> str:
    if not write.ticket_id or not write.ticket_id.isdigit():
        raise RequestRejected(f"not a Zendesk ticket id: {write.ticket_id!r}", source=write.source)
    return write.ticket_id
