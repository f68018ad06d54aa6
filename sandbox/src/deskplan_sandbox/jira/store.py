"""The simulated site's data: issues with their comments, changelog, properties and feedback.

Issues are kept in Jira's own JSON (fixtures stay verbatim, unknown fields included); every
change goes through one method here, which writes the changelog, bumps `updated` and keeps the
order by `updated` that search pages through. The same methods serve the HTTP routes and tests
that need to change issues at a controlled time (`touch`, `update_issue`, `add_comment` …).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deskplan_sandbox.jira.adf import text_to_adf
from deskplan_sandbox.jira.catalog import FieldIds, Status, status_by_id, status_by_name
from deskplan_sandbox.jira.dates import jira_datetime, parse_jira_datetime, to_ms
from deskplan_sandbox.jira.shapes import SITE, priority_json, status_json

INTERNAL = "sd.public.comment"


class StoreError(ValueError):
    """A change the site refuses (unknown issue, status, link type …); routes turn it into a 4xx."""


@dataclass
class IssueRecord:
    id: str
    key: str
    fields: dict[str, Any]                                  # Jira's `fields`, without `comment`
    comments: list[dict[str, Any]] = field(default_factory=list)
    comment_properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    histories: list[dict[str, Any]] = field(default_factory=list)     # oldest first
    properties: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)     # other top-level keys of a fixture issue, kept as given
    live: bool = False                            # built or changed here: derived fields are recomputed
    updated_ms: int = 0                           # mirrors fields.updated (parsed once, sorted often)
    created_ms: int = 0

    def __post_init__(self) -> None:
        if not self.updated_ms:
            self.updated_ms = to_ms(parse_jira_datetime(self.fields["updated"]))
        if not self.created_ms:
            self.created_ms = to_ms(parse_jira_datetime(self.fields["created"]))

    @property
    def project_key(self) -> str:
        return self.key.rsplit("-", 1)[0]

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])

    @property
    def status(self) -> dict[str, Any]:
        return self.fields.get("status") or {}

    def status_category(self) -> str:
        return (self.status.get("statusCategory") or {}).get("key", "new")


def is_internal(properties: dict[str, Any]) -> bool:
    value = properties.get(INTERNAL)
    return isinstance(value, dict) and value.get("internal") is True


class IssueStore:
    """All issues of the site. Callers hold `lock` around anything that reads several records."""

    def __init__(self, *, zone: ZoneInfo, field_ids: FieldIds):
        self.zone = zone
        self.field_ids = field_ids
        self.lock = threading.RLock()
        self.version = 0                       # bumped on every change; search caches key on it
        self.users: dict[str, dict[str, Any]] = {}
        self.projects: dict[str, dict[str, Any]] = {}    # key -> project JSON
        self.service_desks: dict[str, str] = {}   # project key -> service desk id
        self._issues: dict[str, IssueRecord] = {}
        self._ids_by_key: dict[str, str] = {}
        self._order: list[tuple[int, str, int, str]] | None = None
        self._next = {"issue": 10000, "comment": 10000, "history": 10000, "link": 10000}
        self._numbers: dict[str, int] = {}

    # --- reading ---------------------------------------------------------------------------

    def get(self, key_or_id: str) -> IssueRecord | None:
        issue_id = self._ids_by_key.get(key_or_id.upper(), key_or_id)
        return self._issues.get(issue_id)

    def require(self, key_or_id: str) -> IssueRecord:
        record = self.get(key_or_id)
        if record is None:
            raise StoreError(f"no issue {key_or_id}")
        return record

    def __len__(self) -> int:
        return len(self._issues)

    def records(self) -> Iterable[IssueRecord]:
        return self._issues.values()

    def by_updated(self) -> list[tuple[int, str, int, str]]:
        """(updated ms, project key, number, id) for every issue, ascending — rebuilt after changes."""
        if self._order is None:
            self._order = sorted((r.updated_ms, r.project_key, r.number, r.id) for r in self._issues.values())
        return self._order

    # --- loading ---------------------------------------------------------------------------

    def add_project(self, project: dict[str, Any], service_desk_id: str | None = None) -> None:
        self.projects[project["key"].upper()] = project
        if service_desk_id:
            self.service_desks[project["key"].upper()] = service_desk_id

    def add_user(self, user: dict[str, Any]) -> None:
        self.users.setdefault(user["accountId"], user)

    def add_record(self, record: IssueRecord) -> None:
        if record.key.upper() in self._ids_by_key or record.id in self._issues:
            raise StoreError(f"duplicate issue {record.key} ({record.id})")
        self._issues[record.id] = record
        self._ids_by_key[record.key.upper()] = record.id
        project = record.project_key.upper()
        self._numbers[project] = max(self._numbers.get(project, 0), record.number)
        self._next["issue"] = max(self._next["issue"], int(record.id) + 1 if record.id.isdigit() else 0)
        for comment in record.comments:
            self._bump_counter("comment", comment.get("id"))
        for history in record.histories:
            self._bump_counter("history", history.get("id"))
        for link in record.fields.get("issuelinks") or []:
            self._bump_counter("link", link.get("id"))
        for user in _users_in(record):
            self.add_user(user)
        self._changed()

    def new_issue_id(self) -> str:
        return self._take("issue")

    def new_issue_key(self, project_key: str) -> str:
        project = project_key.upper()
        self._numbers[project] = self._numbers.get(project, 0) + 1
        return f"{project}-{self._numbers[project]}"

    def delete_issue(self, key: str) -> None:
        record = self.require(key)
        del self._issues[record.id]
        del self._ids_by_key[record.key.upper()]
        self._changed()

    # --- changes at a given time -----------------------------------------------------------

    def touch(self, keys: Iterable[str], at: datetime) -> None:
        """Set `updated` of these issues to `at`, as any edit would (tests use it for watermark edges)."""
        for key in keys:
            record = self.require(key)
            self._bump(record, at)
        self._changed()

    def update_issue(self, key: str, at: datetime, *, author: dict[str, Any] | None = None, status: str | None = None,
                     priority: str | None = None, summary: str | None = None, labels: list[str] | None = None,
                     fields: dict[str, Any] | None = None) -> IssueRecord:
        """Change fields at `at` (status by name or id), with the changelog Jira would write."""
        record = self.require(key)
        items: list[dict[str, Any]] = []
        if status is not None:
            items += self._set_status(record, status, at)
        if priority is not None:
            old = record.fields.get("priority") or {}
            new = priority_json(priority)
            record.fields["priority"] = new
            items.append(_item("priority", "jira", old.get("id"), old.get("name"), new["id"], new["name"]))
        if summary is not None:
            items.append(_item("summary", "jira", None, record.fields.get("summary"), None, summary))
            record.fields["summary"] = summary
        if labels is not None:
            old_labels = record.fields.get("labels") or []
            items.append(_item("labels", "jira", None, " ".join(old_labels), None, " ".join(labels)))
            record.fields["labels"] = list(labels)
        for field_id, value in (fields or {}).items():
            items.append(_item(field_id, "custom" if field_id.startswith("customfield_") else "jira",
                               None, _as_string(record.fields.get(field_id)), None, _as_string(value)))
            record.fields[field_id] = value
        if items:
            self._history(record, at, author, items)
        self._bump(record, at)
        record.live = True
        self._changed()
        return record

    def add_comment(self, key: str, at: datetime, body: dict[str, Any] | str, author: dict[str, Any], *,
                    internal: bool = False, properties: dict[str, Any] | None = None,
                    visibility: dict[str, Any] | None = None) -> dict[str, Any]:
        """A comment by `author`; internal (JSM `jsdPublic: false`) when asked or marked by property."""
        record = self.require(key)
        props = dict(properties or {})
        if internal:
            props[INTERNAL] = {"internal": True}
        stamp = self._stamp(at)
        comment_id = self._take("comment")
        comment = {
            "self": f"{SITE}/rest/api/3/issue/{record.id}/comment/{comment_id}",
            "id": comment_id,
            "author": author,
            "body": text_to_adf(body) if isinstance(body, str) else body,
            "updateAuthor": author,
            "created": stamp,
            "updated": stamp,
            "jsdPublic": not is_internal(props),
        }
        if visibility:
            comment["visibility"] = visibility
        record.comments.append(comment)
        record.comment_properties[comment_id] = props
        self._bump(record, at)
        record.live = True
        self._changed()
        return comment

    def edit_comment(self, key: str, comment_id: str, at: datetime, body: dict[str, Any] | str, author: dict[str, Any],
                     visibility: dict[str, Any] | None = None) -> dict[str, Any]:
        record = self.require(key)
        comment = self.comment(record, comment_id)
        comment["body"] = text_to_adf(body) if isinstance(body, str) else body
        comment["updateAuthor"] = author
        comment["updated"] = self._stamp(at)
        if visibility is not None:
            comment["visibility"] = visibility
        self._bump(record, at)
        self._changed()
        return comment

    def comment(self, record: IssueRecord, comment_id: str) -> dict[str, Any]:
        for comment in record.comments:
            if comment["id"] == comment_id:
                return comment
        raise StoreError(f"no comment {comment_id} on {record.key}")

    def find_comment(self, comment_id: str) -> tuple[IssueRecord, dict[str, Any]] | None:
        for record in self._issues.values():
            for comment in record.comments:
                if comment["id"] == comment_id:
                    return record, comment
        return None

    def set_comment_property(self, record: IssueRecord, comment: dict[str, Any], key: str, value: Any) -> bool:
        props = record.comment_properties.setdefault(comment["id"], {})
        created = key not in props
        props[key] = value
        comment["jsdPublic"] = not is_internal(props)
        self._changed()
        return created

    def set_property(self, key: str, prop: str, value: Any) -> bool:
        """Entity properties do not change `updated` (they are invisible in the issue's history)."""
        record = self.require(key)
        created = prop not in record.properties
        record.properties[prop] = value
        self._changed()
        return created

    def delete_property(self, key: str, prop: str) -> None:
        record = self.require(key)
        if prop not in record.properties:
            raise StoreError(f"no property {prop} on {key}")
        del record.properties[prop]
        self._changed()

    def link(self, link_type: dict[str, Any], inward_key: str, outward_key: str, at: datetime,
             author: dict[str, Any]) -> None:
        """`inwardIssue` <type.inward> `outwardIssue`, visible from both sides in `issuelinks`."""
        inward, outward = self.require(inward_key), self.require(outward_key)
        for link in inward.fields.get("issuelinks") or []:
            if (link.get("type", {}).get("name") == link_type["name"]
                    and link.get("outwardIssue", {}).get("key") == outward.key):
                return        # Jira answers a duplicate link as created, and keeps one
        link_id = self._take("link")
        type_json = {**link_type, "self": f"{SITE}/rest/api/3/issueLinkType/{link_type['id']}"}
        inward.fields.setdefault("issuelinks", []).append(
            {"id": link_id, "self": f"{SITE}/rest/api/3/issueLink/{link_id}", "type": type_json,
             "outwardIssue": _linked(outward)})
        outward.fields.setdefault("issuelinks", []).append(
            {"id": link_id, "self": f"{SITE}/rest/api/3/issueLink/{link_id}", "type": type_json,
             "inwardIssue": _linked(inward)})
        for record, other, phrase in ((inward, outward, link_type["outward"]), (outward, inward, link_type["inward"])):
            self._history(record, at, author, [_item("Link", "jira", None, None, other.key,
                                                     f"This issue {phrase} {other.key}")])
            self._bump(record, at)
            record.live = True
        self._changed()

    def set_feedback(self, key: str, rating: int, comment: str | None, at: datetime,
                     author: dict[str, Any] | None) -> None:
        """The customer's CSAT rating (1-5); the latest one replaces any earlier rating."""
        record = self.require(key)
        feedback: dict[str, Any] = {"type": "csat", "rating": rating}
        if comment:
            feedback["comment"] = {"body": comment}
        old = (record.feedback or {}).get("rating")
        record.feedback = feedback
        ids = self.field_ids
        if ids.feedback:
            record.fields[ids.feedback] = {"rating": rating}
            self._history(record, at, author, [_item("Satisfaction", "custom", None,
                                                     None if old is None else str(old), None, str(rating),
                                                     field_id=ids.feedback)])
        if ids.feedback_date:
            record.fields[ids.feedback_date] = self._stamp(at)
        self._bump(record, at)
        record.live = True
        self._changed()

    # --- internals -------------------------------------------------------------------------

    def _set_status(self, record: IssueRecord, status: str, at: datetime) -> list[dict[str, Any]]:
        target: Status | None = status_by_id(status) or status_by_name(status)
        if target is None:
            raise StoreError(f"no status {status!r} in this workflow")
        old = record.status
        old_category = record.status_category()
        if old.get("id") == target.id:
            return []
        stamp = self._stamp(at)
        items = []
        if target.category == "done" and old_category != "done":
            items.append(_item("resolution", "jira", None, None, "10000", "Done"))
            record.fields["resolution"] = {"self": f"{SITE}/rest/api/3/resolution/10000", "id": "10000",
                                           "description": "Work has been completed on this issue.", "name": "Done"}
            record.fields["resolutiondate"] = stamp
        elif target.category != "done" and old_category == "done":
            items.append(_item("resolution", "jira", "10000", "Done", None, None))
            record.fields["resolution"] = None
            record.fields["resolutiondate"] = None
        items.append(_item("status", "jira", old.get("id"), old.get("name"), target.id, target.name))
        record.fields["status"] = status_json(target)
        if target.category != old_category:
            record.fields["statuscategorychangedate"] = stamp
        return items

    def _history(self, record: IssueRecord, at: datetime, author: dict[str, Any] | None,
                 items: list[dict[str, Any]]) -> None:
        history: dict[str, Any] = {"id": self._take("history"), "created": self._stamp(at), "items": items}
        if author is not None:
            history = {"id": history["id"], "author": author, "created": history["created"], "items": items}
        record.histories.append(history)

    def _bump(self, record: IssueRecord, at: datetime) -> None:
        record.fields["updated"] = self._stamp(at)
        record.updated_ms = to_ms(at)

    def _stamp(self, at: datetime) -> str:
        if at.tzinfo is None:
            raise ValueError("times given to the store must be timezone-aware")
        return jira_datetime(at, self.zone)

    def _take(self, counter: str) -> str:
        value = self._next[counter]
        self._next[counter] = value + 1
        return str(value)

    def _bump_counter(self, counter: str, value: Any) -> None:
        if isinstance(value, str) and value.isdigit():
            self._next[counter] = max(self._next[counter], int(value) + 1)

    def _changed(self) -> None:
        self.version += 1
        self._order = None


def _item(field_name: str, fieldtype: str, from_: str | None, from_string: str | None, to: str | None,
          to_string: str | None, *, field_id: str | None = None) -> dict[str, Any]:
    item = {"field": field_name, "fieldtype": fieldtype, "fieldId": field_id or field_name,
            "from": from_, "fromString": from_string, "to": to, "toString": to_string}
    if field_name == "Link":
        del item["fieldId"]       # Jira writes link items without a fieldId
    return item


def _linked(record: IssueRecord) -> dict[str, Any]:
    status = record.status
    return {
        "id": record.id,
        "key": record.key,
        "self": f"{SITE}/rest/api/3/issue/{record.id}",
        "fields": {
            "summary": record.fields.get("summary"),
            "status": status,
            "priority": record.fields.get("priority"),
            "issuetype": record.fields.get("issuetype"),
        },
    }


def _as_string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get("value") or value.get("name") or value)
    return str(value)


def _users_in(record: IssueRecord) -> Iterable[dict[str, Any]]:
    for name in ("reporter", "creator", "assignee"):
        user = record.fields.get(name)
        if isinstance(user, dict) and user.get("accountId"):
            yield user
    for comment in record.comments:
        if isinstance(comment.get("author"), dict) and comment["author"].get("accountId"):
            yield comment["author"]
