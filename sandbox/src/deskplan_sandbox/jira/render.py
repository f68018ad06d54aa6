"""Issues, comments and changelogs as the platform API returns them (REST v3 ADF, or v2 strings).

Stored issues are Jira JSON already; rendering selects fields (`*all`, `*navigable`, ids,
`-field`), adds the derived ones (comment page, SLA fields, request-type status), caps embedded
comments and changelogs the way enhanced search does, and turns ADF into strings for v2.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from deskplan_sandbox.jira.adf import adf_to_html, adf_to_text
from deskplan_sandbox.jira.catalog import CATEGORIES, FieldIds
from deskplan_sandbox.jira.dates import date_dto, parse_jira_datetime
from deskplan_sandbox.jira.shapes import SITE
from deskplan_sandbox.jira.sla import METRICS, metric_for, sla_value
from deskplan_sandbox.jira.store import IssueRecord, IssueStore

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
SEARCH_EMBED_CAP = 20        # enhanced search embeds at most 20 comments and 20 changelog entries
ISSUE_CHANGELOG_CAP = 100    # GET issue embeds the latest 100 histories
ADF_FIELDS = ("description", "environment")


@dataclass(frozen=True)
class FieldSelection:
    """The `fields` parameter: `*all`, `*navigable`, field ids, `-id` to exclude."""

    all: bool = False
    navigable: bool = False
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, values: list[str] | None, default: str) -> FieldSelection:
        specs = [part.strip() for value in (values or [default]) for part in str(value).split(",") if part.strip()]
        if not specs:
            specs = [default]
        return cls(
            all="*all" in specs,
            navigable="*navigable" in specs,
            include=frozenset(s for s in specs if not s.startswith(("*", "-"))),
            exclude=frozenset(s[1:] for s in specs if s.startswith("-")),
        )

    @property
    def id_only(self) -> bool:
        return not self.all and not self.navigable and self.include <= {"id"}

    def wants(self, field_id: str, navigable: bool) -> bool:
        if field_id in self.exclude:
            return False
        return self.all or (self.navigable and navigable) or field_id in self.include


@dataclass
class Renderer:
    store: IssueStore
    field_ids: FieldIds
    non_navigable: frozenset[str]
    zone: ZoneInfo
    now: datetime
    field_names: dict[str, str]
    version: str = "3"          # "2" renders rich text as strings

    def issue(self, record: IssueRecord, selection: FieldSelection, *, expand: set[str], properties: list[str],
              in_search: bool) -> dict[str, Any]:
        if in_search and selection.id_only and not expand and not properties:
            return {"id": record.id}
        out: dict[str, Any] = {
            "expand": record.extra.get("expand", ISSUE_EXPAND),
            "id": record.id,
            "self": f"{SITE}/rest/api/{self.version}/issue/{record.id}",
            "key": record.key,
        }
        out.update({k: v for k, v in record.extra.items() if k not in out})
        fields = self.fields(record, selection, in_search=in_search)
        if "names" in expand:
            out["names"] = {field_id: self._field_name(field_id) for field_id in fields}
        out["fields"] = fields
        if "changelog" in expand:
            out["changelog"] = self.embedded_changelog(record, SEARCH_EMBED_CAP if in_search else ISSUE_CHANGELOG_CAP)
        if properties:
            out["properties"] = _properties(record, properties)
        return out

    def fields(self, record: IssueRecord, selection: FieldSelection, *, in_search: bool) -> dict[str, Any]:
        out = {}
        for field_id, value in record.fields.items():
            if selection.wants(field_id, field_id not in self.non_navigable):
                out[field_id] = self._field_value(record, field_id, value)
        if selection.wants("comment", "comment" not in self.non_navigable):
            out["comment"] = self.comment_page(record, cap=SEARCH_EMBED_CAP if in_search else None)
        for field_id, name in self.field_ids.sla:
            if field_id not in record.fields and self.is_service_desk(record) and selection.wants(field_id, True):
                out[field_id] = self._sla_field(record, field_id, name)
        return out

    def _field_value(self, record: IssueRecord, field_id: str, value: object) -> object:
        if field_id in ADF_FIELDS and self.version == "2" and isinstance(value, dict):
            return adf_to_text(value)
        if value is None or record.live:
            sla = dict(self.field_ids.sla)
            if field_id in sla and self.is_service_desk(record):
                return self._sla_field(record, field_id, sla[field_id])
        if field_id == self.field_ids.request_type and record.live and isinstance(value, dict):
            return {**value, "currentStatus": self.current_status(record)}
        return value

    def _sla_field(self, record: IssueRecord, field_id: str, name: str) -> dict[str, Any] | None:
        kind = metric_for(name)
        if kind is None:
            return record.fields.get(field_id)
        metric_id, metric_name, _ = next(m for m in METRICS if m[2] == kind)
        return sla_value(record, metric_id, metric_name, kind, self.now, self.zone)

    def is_service_desk(self, record: IssueRecord) -> bool:
        return record.project_key.upper() in self.store.service_desks

    def current_status(self, record: IssueRecord) -> dict[str, Any]:
        status = record.status
        category = (status.get("statusCategory") or {}).get("key", "new")
        changed = record.fields.get("statuscategorychangedate") or record.fields["created"]
        return {
            "status": status.get("name"),
            "statusCategory": category.upper() if category in CATEGORIES else "UNDEFINED",
            "statusDate": date_dto(parse_jira_datetime(changed), self.zone),
        }

    def comment_page(self, record: IssueRecord, cap: int | None) -> dict[str, Any]:
        shown = record.comments if cap is None else record.comments[:cap]
        return {
            "comments": [self.comment(record, c) for c in shown],
            "self": f"{SITE}/rest/api/{self.version}/issue/{record.id}/comment",
            "maxResults": len(shown),
            "total": len(record.comments),
            "startAt": 0,
        }

    def comment(self, record: IssueRecord, comment: dict[str, Any], *,
                expand: AbstractSet[str] = frozenset()) -> dict[str, Any]:
        """A comment in this API version; `expand` may ask for `renderedBody` and `properties`."""
        out = {}
        for name, value in comment.items():
            out[name] = value
            if name == "body" and "renderedBody" in expand:
                out["renderedBody"] = adf_to_html(value)
        if self.version == "2":
            out["body"] = adf_to_text(comment.get("body"))
            out["self"] = str(out.get("self", "")).replace("/rest/api/3/", "/rest/api/2/")
        with_properties = "properties" in expand
        if with_properties:
            props = record.comment_properties.get(comment["id"], {})
            out["properties"] = [{"key": k, "value": v} for k, v in props.items()]
        return out

    def embedded_changelog(self, record: IssueRecord, cap: int) -> dict[str, Any]:
        """Most recent first, as `expand=changelog` returns; `total` tells clients to page for more."""
        histories = list(reversed(record.histories))[:cap]
        return {"startAt": 0, "maxResults": len(histories), "total": len(record.histories), "histories": histories}

    def _field_name(self, field_id: str) -> str:
        return self.field_names.get(field_id, field_id)


def _properties(record: IssueRecord, wanted: list[str]) -> dict[str, Any]:
    keys = [k for spec in wanted for k in spec.split(",") if k]
    if "*all" in keys:
        excluded = {k[1:] for k in keys if k.startswith("-")}
        return {k: v for k, v in record.properties.items() if k not in excluded}
    return {k: record.properties[k] for k in keys if k in record.properties}
