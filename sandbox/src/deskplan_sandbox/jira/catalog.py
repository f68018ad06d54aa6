"""The simulated site's configuration: workflow statuses, priorities, issue types, link types and
the field catalog of a JSM site.

Custom field ids are deliberately not the common cloud defaults (request type is often
`customfield_10010` on real sites): clients must discover them by `schema.custom` from
`GET /rest/api/3/field`, as they must on any real site.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

REQUEST_TYPE = "com.atlassian.servicedesk:vp-origin"
SLA = "com.atlassian.servicedesk:sd-sla-field"
FEEDBACK = "com.atlassian.servicedesk:sd-request-feedback"
FEEDBACK_DATE = "com.atlassian.servicedesk:sd-request-feedback-date"
ORGANIZATIONS = "com.atlassian.servicedesk:sd-customer-organizations"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"

CATEGORIES: dict[str, dict[str, Any]] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str        # statusCategory key: new | indeterminate | done


# A JSM service-desk workflow plus the plain task workflow of the improvement-task issue type.
STATUSES = (
    Status("1", "Open", "new"),
    Status("10001", "Waiting for support", "new"),
    Status("3", "In Progress", "indeterminate"),
    Status("10002", "Waiting for customer", "indeterminate"),
    Status("10003", "Pending", "indeterminate"),
    Status("5", "Resolved", "done"),
    Status("6", "Closed", "done"),
    Status("10000", "To Do", "new"),
    Status("10004", "Done", "done"),
)
WAITING_FOR_CUSTOMER = "Waiting for customer"

# Scenario status -> workflow status (documented in the simulator's report).
SCENARIO_STATUS = {
    "new": "Open",
    "open": "In Progress",
    "waiting_customer": "Waiting for customer",
    "on_hold": "Pending",
    "solved": "Resolved",
    "closed": "Closed",
}

# Jira's default priority scheme, highest first; scenario priorities map onto four of them.
PRIORITIES = (("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest"))
SCENARIO_PRIORITY = {"urgent": "Highest", "high": "High", "normal": "Medium", "low": "Low"}

ISSUE_TYPES: tuple[dict[str, Any], ...] = (
    {"id": "10001", "name": "Service Request", "description": "Requests for help from customers.", "hierarchyLevel": 0},
    {"id": "10002", "name": "Incident", "description": "Service disruptions.", "hierarchyLevel": 0},
    {"id": "10003", "name": "Problem", "description": "Root causes of incidents.", "hierarchyLevel": 0},
    {"id": "10004", "name": "Task", "description": "A small, distinct piece of work.", "hierarchyLevel": 0},
)

# Scenario ticket type -> (issue type, JSM request type id, request type name)
SCENARIO_TYPE = {
    "question": ("Service Request", "11", "Ask a question"),
    "incident": ("Incident", "12", "Report an incident"),
    "problem": ("Problem", "13", "Report a problem"),
    "task": ("Service Request", "14", "Request a task"),
    "complaint": ("Service Request", "15", "Make a complaint"),
}

LINK_TYPES: tuple[dict[str, str], ...] = (
    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10001", "name": "Cloners", "inward": "is cloned by", "outward": "clones"},
    {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
    {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
)

# Ids of this site's custom fields (see the module docstring).
REQUEST_TYPE_FIELD = "customfield_10410"
ORGANIZATIONS_FIELD = "customfield_10402"
TTFR_FIELD = "customfield_10461"
TTR_FIELD = "customfield_10462"
FEEDBACK_FIELD = "customfield_10470"
FEEDBACK_DATE_FIELD = "customfield_10471"
TEAM_FIELD = "customfield_10480"


def _system(field_id: str, name: str, type_: str, *, navigable: bool = True, orderable: bool = True,
            items: str | None = None) -> dict[str, Any]:
    schema = {"type": type_, "system": field_id}
    if items:
        schema["items"] = items
    return {
        "id": field_id, "key": field_id, "name": name, "custom": False, "orderable": orderable,
        "navigable": navigable, "searchable": True, "clauseNames": [field_id], "schema": schema,
    }


def _custom(field_id: str, name: str, type_: str, custom: str, *, items: str | None = None) -> dict[str, Any]:
    number = int(field_id.rsplit("_", 1)[1])
    schema = {"type": type_, "custom": custom, "customId": number}
    if items:
        schema["items"] = items
    return {
        "id": field_id, "key": field_id, "name": name, "untranslatedName": name, "custom": True,
        "orderable": True, "navigable": True, "searchable": True, "clauseNames": [f"cf[{number}]", name],
        "schema": schema,
    }


def default_fields() -> list[dict[str, Any]]:
    """The field catalog of a fresh JSM site, as `GET /rest/api/3/field` lists it."""
    return [
        _system("summary", "Summary", "string"),
        _system("description", "Description", "string"),
        _system("issuetype", "Issue Type", "issuetype"),
        _system("project", "Project", "project"),
        _system("status", "Status", "status", orderable=False),
        _system("statuscategorychangedate", "Status Category Changed", "datetime", orderable=False),
        _system("priority", "Priority", "priority"),
        _system("labels", "Labels", "array", items="string"),
        _system("components", "Components", "array", items="component"),
        _system("created", "Created", "datetime", orderable=False),
        _system("updated", "Updated", "datetime", orderable=False),
        _system("resolution", "Resolution", "resolution"),
        _system("resolutiondate", "Resolved", "datetime", orderable=False),
        _system("duedate", "Due date", "date"),
        _system("reporter", "Reporter", "user"),
        _system("creator", "Creator", "user", orderable=False),
        _system("assignee", "Assignee", "user"),
        _system("issuelinks", "Linked Issues", "array", items="issuelinks"),
        _system("comment", "Comment", "comments-page", navigable=False),
        _custom(REQUEST_TYPE_FIELD, "Request Type", "sd-customerrequesttype", REQUEST_TYPE),
        _custom(ORGANIZATIONS_FIELD, "Organizations", "array", ORGANIZATIONS, items="sd-customerorganization"),
        _custom(TTFR_FIELD, "Time to first response", "sd-servicelevelagreement", SLA),
        _custom(TTR_FIELD, "Time to resolution", "sd-servicelevelagreement", SLA),
        _custom(FEEDBACK_FIELD, "Satisfaction", "sd-feedback", FEEDBACK),
        _custom(FEEDBACK_DATE_FIELD, "Satisfaction date", "datetime", FEEDBACK_DATE),
        _custom(TEAM_FIELD, "Team", "option", SELECT),
    ]


@dataclass(frozen=True)
class FieldIds:
    """Where this site keeps the JSM fields, found the way clients must find them."""

    request_type: str | None
    organizations: str | None
    feedback: str | None
    feedback_date: str | None
    team: str | None
    sla: tuple[tuple[str, str], ...]       # (field id, field name) of each SLA field

    @classmethod
    def discover(cls, fields: list[dict[str, Any]]) -> FieldIds:
        def first(custom: str) -> str | None:
            return next((f["id"] for f in fields if f.get("schema", {}).get("custom") == custom), None)

        team = next((f["id"] for f in fields if f.get("custom") and f.get("name") == "Team"), None)
        return cls(
            request_type=first(REQUEST_TYPE),
            organizations=first(ORGANIZATIONS),
            feedback=first(FEEDBACK),
            feedback_date=first(FEEDBACK_DATE),
            team=team,
            sla=tuple((f["id"], f["name"]) for f in fields if f.get("schema", {}).get("custom") == SLA),
        )


_BY_NAME = MappingProxyType({s.name.lower(): s for s in STATUSES})
_BY_ID = MappingProxyType({s.id: s for s in STATUSES})


def status_by_name(name: str) -> Status | None:
    return _BY_NAME.get(name.lower())


def status_by_id(status_id: str) -> Status | None:
    return _BY_ID.get(status_id)
