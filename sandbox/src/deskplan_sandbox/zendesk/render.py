"""Renders a neutral Scenario in Zendesk's own JSON shapes: tickets, audits, users, ratings,
groups and organizations.

The shapes follow payloads recorded from real Zendesk accounts (field names, order,
id formats, `via` objects, comment html). Ids are derived from scenario numbers so that
a seed always yields the same ids; they are large integers, like Zendesk's.
Rendering is pure and cheap, so the store renders generated tickets on demand instead of
holding 100,000 ticket dicts in memory.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from deskplan_sandbox.scenario import Person, Scenario, ScenarioTicket

USER_ID_BASE = 20_000_000_000_000
GROUP_ID_BASE = 21_000_000_000_000
ORG_ID_BASE = 22_000_000_000_000
AUDIT_ID_BASE = 30_000_000_000_000        # + ticket number * AUDITS_PER_TICKET_SPAN + index * EVENT_SPAN
AUDITS_PER_TICKET_SPAN = 100_000
EVENT_SPAN = 100                          # ids of an audit's events follow the audit id
RATING_ID_BASE = 50_000_000_000_000
METRIC_ID_BASE = 60_000_000_000_000
BRAND_ID = 23_000_000_000_001
TICKET_FORM_ID = 23_000_000_000_002
API_USER_PERSON_ID = 0                    # the admin whose email/token the sandbox accepts

# Zendesk's status for each canonical scenario status.
STATUS = {"new": "new", "open": "open", "waiting_customer": "pending", "on_hold": "hold",
          "solved": "solved", "closed": "closed"}
CUSTOM_STATUS_ID = {"new": 24_000_000_000_001, "open": 24_000_000_000_002, "pending": 24_000_000_000_003,
                    "hold": 24_000_000_000_004, "solved": 24_000_000_000_005, "closed": 24_000_000_000_005}
# Zendesk has no "complaint" ticket type; complaints are incidents tagged `complaint`.
TICKET_TYPE = {"question": "question", "incident": "incident", "problem": "problem", "task": "task",
               "complaint": "incident"}
SCRUB_AFTER = timedelta(days=30)          # deleted tickets show up scrubbed in exports after this
AGENT_SYSTEM = {"client": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0",
                "ip_address": "203.0.113.10", "location": "Shanghai, SH, China",
                "latitude": 31.2222, "longitude": 121.4581}


def iso(moment: datetime) -> str:
    """Zendesk's timestamp format: UTC, whole seconds, `Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def via(channel: str, source: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"channel": channel, "source": source or {"from": {}, "to": {}, "rel": None}}


def comment_html(body: str) -> str:
    paragraphs = "".join(f'<p dir="auto">{html.escape(p)}</p>' for p in body.split("\n\n") if p)
    return f'<div class="zd-comment" dir="auto">{paragraphs}</div>'


def comment_event(event_id: int, audit_id: int, author_id: int, body: str, public: bool) -> dict[str, Any]:
    return {"id": event_id, "type": "Comment", "author_id": author_id, "body": body,
            "html_body": comment_html(body), "plain_body": body, "public": public,
            "attachments": [], "audit_id": audit_id}


def ticket_url(base_url: str, ticket_id: int) -> str:
    return f"{base_url}/api/v2/tickets/{ticket_id}.json"


@dataclass(frozen=True)
class AuditSpec:
    """One update of a scenario ticket: what one actor did at one instant."""

    at: datetime
    actor: int                      # Person.id
    items: tuple[tuple[str, Any], ...]   # ("comment", Comment) | ("status", StatusChange) | ("rating", Rating)


def _ordered_events(ticket: ScenarioTicket) -> list[tuple[datetime, int, int, str, Any]]:
    """(at, rank, actor, kind, item), in time order; within an instant comment, status, rating."""
    events: list[tuple[datetime, int, int, str, Any]] = []
    for c in ticket.comments:
        events.append((c.at, 0, c.author, "comment", c))
    for s in ticket.status_changes:
        events.append((s.at, 1, s.by, "status", s))
    for r in ticket.ratings:
        events.append((r.at, 2, ticket.requester, "rating", r))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def audit_times(ticket: ScenarioTicket) -> list[int]:
    """The epoch second of each audit `audit_specs` would make, without making them."""
    times: list[int] = []
    key = None
    for at, _, actor, _, _ in _ordered_events(ticket):
        if key != (at, actor):
            key = (at, actor)
            times.append(int(at.timestamp()))
    return times


def audit_specs(ticket: ScenarioTicket) -> list[AuditSpec]:
    """Groups a ticket's events into updates: same instant and same actor make one audit."""
    events = _ordered_events(ticket)
    specs: list[AuditSpec] = []
    current: list[tuple[str, Any]] = []
    key: tuple[datetime, int] | None = None
    for at, _, actor, kind, item in events:
        if key is not None and key != (at, actor):
            specs.append(AuditSpec(key[0], key[1], tuple(current)))
            current = []
        key = (at, actor)
        current.append((kind, item))
    if key is not None:
        specs.append(AuditSpec(key[0], key[1], tuple(current)))
    return specs


class ScenarioRenderer:
    """Zendesk shapes for one scenario; holds the lookups (people, groups, organizations)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.now = scenario.now or max((t.events_end for t in scenario.tickets), default=datetime.now(timezone.utc))
        self.people = {p.id: p for p in scenario.people}
        organizations = scenario.organizations or sorted(
            {p.organization for p in scenario.people if p.organization}
            | {t.organization for t in scenario.tickets if t.organization})
        self.org_ids = {name: ORG_ID_BASE + i for i, name in enumerate(organizations, start=1)}
        self.group_ids = {name: GROUP_ID_BASE + i for i, name in enumerate(scenario.groups, start=1)}
        # Everyone existed before the first ticket; spreading creation times keeps user exports realistic.
        self.users_epoch = self.now - timedelta(days=200)
        # An agent's default group: the group of most of the tickets assigned to them (the first such, on a tie).
        assigned: dict[int, Counter[str]] = {}
        for t in scenario.tickets:
            if t.assignee is not None and t.group:
                assigned.setdefault(t.assignee, Counter())[t.group] += 1
        self.default_groups = {person: self.group_ids[groups.most_common(1)[0][0]]
                               for person, groups in assigned.items() if groups.most_common(1)[0][0] in self.group_ids}
        # An agent is a member of every group they were assigned a ticket in (a ticket's assignee
        # must be an agent of its group: Zendesk refuses the assignment otherwise).
        self.members = {gid: {self.user_id(person) for person, groups in assigned.items()
                              if name in groups and self.is_agent(person)}
                        for name, gid in self.group_ids.items()}

    # --- ids ----------------------------------------------------------------------------
    @staticmethod
    def user_id(person_id: int) -> int:
        return USER_ID_BASE + person_id

    @staticmethod
    def rating_id(ticket_number: int) -> int:
        return RATING_ID_BASE + ticket_number

    @staticmethod
    def audit_id(ticket_number: int, index: int) -> int:
        return AUDIT_ID_BASE + ticket_number * AUDITS_PER_TICKET_SPAN + index * EVENT_SPAN

    def is_agent(self, person_id: int) -> bool:
        person = self.people.get(person_id)
        return person is not None and person.role == "agent"

    # --- tickets ------------------------------------------------------------------------
    @staticmethod
    def generated_timestamp(ticket: ScenarioTicket) -> int:
        return epoch(ticket.events_end)

    def ticket(self, t: ScenarioTicket, base_url: str) -> dict[str, Any]:
        status = STATUS[t.status_changes[-1].status] if t.status_changes else "new"
        updated = max([c.at for c in t.comments] + [s.at for s in t.status_changes] + [r.at for r in t.ratings]
                      + [t.created_at])
        subject, description = t.subject, t.description
        if t.deleted_at is not None:
            status, updated = "deleted", t.deleted_at
            if self.now - t.deleted_at > SCRUB_AFTER:
                subject, description = "SCRUBBED", "X"
        requester_id = self.user_id(t.requester)
        return {
            "url": ticket_url(base_url, t.number),
            "id": t.number,
            "external_id": None,
            "via": via(t.channel),
            "created_at": iso(t.created_at),
            "updated_at": iso(updated),
            "type": TICKET_TYPE.get(t.type) if t.type else None,
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "priority": t.priority,
            "status": status,
            "recipient": None,
            "requester_id": requester_id,
            "submitter_id": requester_id,
            "assignee_id": self.user_id(t.assignee) if t.assignee is not None else None,
            "organization_id": self.org_ids.get(t.organization) if t.organization else None,
            "group_id": self.group_ids.get(t.group) if t.group else None,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "forum_topic_id": None,
            "problem_id": None,
            "has_incidents": False,
            "is_public": any(c.public for c in t.comments),
            "due_at": None,
            "tags": list(t.tags),
            "custom_fields": [],
            "satisfaction_rating": self.ticket_rating(t, status),
            "sharing_agreement_ids": [],
            "custom_status_id": CUSTOM_STATUS_ID.get(status, CUSTOM_STATUS_ID["open"]),
            "fields": [],
            "followup_ids": [],
            "ticket_form_id": TICKET_FORM_ID,
            "brand_id": BRAND_ID,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
            "generated_timestamp": self.generated_timestamp(t),
        }

    def ticket_rating(self, t: ScenarioTicket, status: str) -> dict[str, Any]:
        if t.ratings:
            last = t.ratings[-1]
            return {"id": self.rating_id(t.number), "score": last.score, "comment": last.comment}
        return {"score": "offered" if status in ("solved", "closed") else "unoffered"}

    # --- audits -------------------------------------------------------------------------
    def audits(self, t: ScenarioTicket) -> list[dict[str, Any]]:
        audits = []
        status = None
        for index, spec in enumerate(audit_specs(t)):
            audit_id = self.audit_id(t.number, index)
            ids = iter(range(audit_id + 1, audit_id + EVENT_SPAN))
            events: list[dict[str, Any]] = []
            for kind, item in spec.items:
                if kind == "comment":
                    events.append(comment_event(next(ids), audit_id, self.user_id(item.author), item.body, item.public))
                elif kind == "status":
                    new = STATUS[item.status]
                    if index == 0:
                        events.extend(self._create_events(t, new, ids))
                    else:
                        events.append({"id": next(ids), "type": "Change", "value": new,
                                       "field_name": "status", "previous_value": status})
                        events.append({"id": next(ids), "type": "Change", "value": str(CUSTOM_STATUS_ID[new]),
                                       "field_name": "custom_status_id",
                                       "previous_value": str(CUSTOM_STATUS_ID[status or "new"])})
                    status = new
                else:
                    events.append({"id": next(ids), "type": "SatisfactionRating", "score": item.score,
                                   "assignee_id": self.user_id(t.assignee) if t.assignee is not None else None,
                                   "body": item.comment or ""})
            by_agent = self.is_agent(spec.actor)
            audits.append({
                "id": audit_id,
                "ticket_id": t.number,
                "created_at": iso(spec.at),
                "author_id": self.user_id(spec.actor),
                "metadata": {"system": dict(AGENT_SYSTEM) if by_agent else {}, "custom": {}},
                "events": events,
                "via": via("web" if by_agent else t.channel),
            })
        return audits

    def _create_events(self, t: ScenarioTicket, status: str, ids: Any) -> list[dict[str, Any]]:
        values: list[tuple[str, Any]] = [
            ("subject", t.subject),
            ("requester_id", str(self.user_id(t.requester))),
            ("priority", t.priority),
            ("type", TICKET_TYPE.get(t.type) if t.type else None),
            ("status", status),
        ]
        if t.tags:
            values.append(("tags", list(t.tags)))
        if t.group:
            values.append(("group_id", str(self.group_ids[t.group])))
        if t.assignee is not None:
            values.append(("assignee_id", str(self.user_id(t.assignee))))
        if t.organization:
            values.append(("organization_id", str(self.org_ids[t.organization])))
        values += [("brand_id", str(BRAND_ID)), ("ticket_form_id", str(TICKET_FORM_ID)),
                   ("custom_status_id", str(CUSTOM_STATUS_ID[status]))]
        return [{"id": next(ids), "type": "Create", "value": value, "field_name": name} for name, value in values]

    # --- ratings ------------------------------------------------------------------------
    def rating(self, t: ScenarioTicket, base_url: str) -> dict[str, Any]:
        first, last = t.ratings[0], t.ratings[-1]
        rating_id = self.rating_id(t.number)
        return {
            "url": f"{base_url}/api/v2/satisfaction_ratings/{rating_id}.json",
            "id": rating_id,
            "assignee_id": self.user_id(t.assignee) if t.assignee is not None else None,
            "group_id": self.group_ids.get(t.group) if t.group else None,
            "requester_id": self.user_id(t.requester),
            "ticket_id": t.number,
            "score": last.score,
            "created_at": iso(first.at),
            "updated_at": iso(last.at),
            "comment": last.comment,
            "reason": "No reason provided",
            "reason_id": 0,
        }

    # --- groups and organizations ---------------------------------------------------------
    def group(self, name: str, base_url: str) -> dict[str, Any]:
        group_id = self.group_ids[name]
        # The account's first group is its default one, as "Support" is on a new Zendesk account.
        return render_group(group_id=group_id, name=name, default=group_id == GROUP_ID_BASE + 1,
                            created_at=self._set_up_at(group_id - GROUP_ID_BASE), base_url=base_url)

    def organization(self, name: str, base_url: str) -> dict[str, Any]:
        org_id = self.org_ids[name]
        return render_organization(org_id=org_id, name=name, created_at=self._set_up_at(org_id - ORG_ID_BASE),
                                   base_url=base_url)

    def _set_up_at(self, number: int) -> datetime:
        """Groups and organizations were set up before anyone used the account."""
        return self.users_epoch - timedelta(days=1) + timedelta(minutes=number)

    # --- users --------------------------------------------------------------------------
    def user_created(self, person: Person) -> datetime:
        return self.users_epoch + timedelta(seconds=37 * person.id)

    def user(self, person: Person, base_url: str) -> dict[str, Any]:
        return render_user(
            user_id=self.user_id(person.id), name=person.name, email=person.email,
            role="agent" if person.role == "agent" else "end-user",
            organization_id=self.org_ids.get(person.organization) if person.organization else None,
            created_at=self.user_created(person), base_url=base_url,
            default_group_id=self.default_groups.get(person.id) if person.role == "agent" else None,
        )


def render_user(*, user_id: int, name: str, email: str, role: str, organization_id: int | None,
                created_at: datetime, base_url: str, default_group_id: int | None = None) -> dict[str, Any]:
    """A user in the shape of the recorded users (airbyte/estuary records); role admin|agent|end-user.
    Agents and admins have a default group (recorded for an admin; Zendesk's Users reference: "The id
    of the user's default group"), end users none."""
    staff = role in ("admin", "agent")
    return {
        "id": user_id,
        "url": f"{base_url}/api/v2/users/{user_id}.json",
        "name": name,
        "email": email,
        "created_at": iso(created_at),
        "updated_at": iso(created_at),
        "time_zone": "Beijing",
        "iana_time_zone": "Asia/Shanghai",
        "phone": None,
        "shared_phone_number": None,
        "photo": None,
        "locale_id": 1,
        "locale": "en-US",
        "organization_id": organization_id,
        "role": role,
        "verified": True,
        "external_id": None,
        "tags": [],
        "alias": "",
        "active": True,
        "shared": False,
        "shared_agent": False,
        "last_login_at": iso(created_at) if staff else None,
        "two_factor_auth_enabled": None,
        "signature": None,
        "details": "",
        "notes": "",
        "role_type": 4 if role == "admin" else None,
        "custom_role_id": None,
        "moderator": staff,
        "ticket_restriction": None if staff else "requested",
        "only_private_comments": False,
        "restricted_agent": not staff,
        "suspended": False,
        "suspension_details": None,
        "is_billing_admin": role == "admin",
        "default_group_id": default_group_id if staff else None,
        "report_csv": role == "admin",
        "user_fields": {},
    }


def render_group(*, group_id: int, name: str, default: bool, created_at: datetime, base_url: str) -> dict[str, Any]:
    """A group in the shape of the recorded one (estuary capture `acmeCo/groups`)."""
    return {
        "url": f"{base_url}/api/v2/groups/{group_id}.json",
        "id": group_id,
        "is_public": True,
        "name": name,
        "description": "",
        "default": default,
        "deleted": False,
        "created_at": iso(created_at),
        "updated_at": iso(created_at),
    }


def render_organization(*, org_id: int, name: str, created_at: datetime, base_url: str) -> dict[str, Any]:
    """An organization in the shape of the recorded ones (node-zendesk `organizations_test_list_all`,
    plus `deleted_at`, which the newer estuary capture `acmeCo/organizations` carries)."""
    return {
        "url": f"{base_url}/api/v2/organizations/{org_id}.json",
        "id": org_id,
        "name": name,
        "shared_tickets": False,
        "shared_comments": False,
        "external_id": None,
        "created_at": iso(created_at),
        "updated_at": iso(created_at),
        "domain_names": [],
        "details": "",
        "notes": "",
        "group_id": None,
        "tags": [],
        "organization_fields": {},
        "deleted_at": None,
    }
