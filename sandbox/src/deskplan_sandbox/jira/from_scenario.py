"""Renders a helpdesk-neutral Scenario as a JSM site: project SUP (a service desk) plus project
IMP (a business project for improvement tasks).

Mappings (also in the package docstring):
- status: new -> Open, open -> In Progress, waiting_customer -> Waiting for customer,
  on_hold -> Pending (categories new/indeterminate), solved -> Resolved, closed -> Closed (done);
  each later status change is a changelog history written by the person who made it.
- priority: low -> Low, normal -> Medium, high -> High, urgent -> Highest; none -> no priority.
- type -> issue type + request type (vp-origin field); none -> no request type.
- tags -> labels; group -> the "Team" single-select custom field; organization -> JSM
  Organizations field; comments (after the first, which is the description) -> ADF comments,
  internal ones with `jsdPublic: false`; customers have accountType "customer", agents "atlassian".
- ratings -> CSAT feedback (good -> 5 or 4, bad -> 1 or 2), the Satisfaction and Satisfaction
  date fields and a changelog item per rating; deleted tickets are simply absent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deskplan_sandbox.gcpause import gc_paused
from deskplan_sandbox.jira.adf import text_to_adf
from deskplan_sandbox.jira.catalog import ISSUE_TYPES, SCENARIO_PRIORITY, SCENARIO_STATUS, SCENARIO_TYPE, status_by_name
from deskplan_sandbox.jira.dates import jira_datetime, to_ms
from deskplan_sandbox.jira.shapes import (
    SITE,
    account_id,
    issuetype_json,
    priority_json,
    project_json,
    status_json,
    user_json,
)
from deskplan_sandbox.jira.store import IssueRecord, IssueStore
from deskplan_sandbox.scenario import Comment, Person, Rating, Scenario, ScenarioTicket, StatusChange

SUPPORT = ("10000", "SUP", "Customer Support", "service_desk")
IMPROVEMENT = ("10001", "IMP", "Service Improvement", "business")
SERVICE_DESK_ID = "1"


def add_default_projects(store: IssueStore) -> None:
    project_id, key, name, type_key = SUPPORT
    store.add_project(project_json(project_id, key, name, type_key), SERVICE_DESK_ID)
    project_id, key, name, type_key = IMPROVEMENT
    store.add_project(project_json(project_id, key, name, type_key))


def person_user(person: Person, time_zone: str) -> dict[str, Any]:
    kind = "atlassian" if person.role == "agent" else "customer"
    return user_json(account_id(kind, f"person-{person.id}"), person.name, person.email, time_zone, kind)


def load_scenario(store: IssueStore, scenario: Scenario) -> None:
    """Add every ticket that was not deleted, replaying its events in time order."""
    zone_name = store.zone.key
    users = {p.id: person_user(p, zone_name) for p in scenario.people}
    for user in users.values():
        store.add_user(user)
    teams = {group: {"self": f"{SITE}/rest/api/3/customFieldOption/{10100 + i}", "value": group, "id": str(10100 + i)}
             for i, group in enumerate(scenario.groups)}
    organizations: dict[str, dict[str, Any]] = {}
    with gc_paused():
        for ticket in scenario.tickets:
            if ticket.deleted_at is not None:
                continue
            if ticket.organization and ticket.organization not in organizations:
                number = len(organizations) + 1
                organizations[ticket.organization] = {
                    "id": str(number), "name": ticket.organization,
                    "_links": {"self": f"{SITE}/rest/servicedeskapi/organization/{number}"}}
            _add_ticket(store, ticket, users, teams, organizations)


def _add_ticket(store: IssueStore, ticket: ScenarioTicket, users: dict[int, dict[str, Any]],
                teams: dict[str, dict[str, Any]], organizations: dict[str, dict[str, Any]]) -> None:
    ids = store.field_ids
    issue_id, key = str(10000 + ticket.number), f"{SUPPORT[1]}-{ticket.number}"
    created = jira_datetime(ticket.created_at, store.zone)
    first = ticket.status_changes[0].status if ticket.status_changes else "new"
    status = status_by_name(SCENARIO_STATUS[first])
    assert status is not None
    issue_type, request_type = _types(ticket.type)
    requester = users[ticket.requester]
    fields: dict[str, Any] = {
        "statuscategorychangedate": created,
        "issuetype": issuetype_json(issue_type),
        "project": store.projects[SUPPORT[1]],
        "resolution": None,
        "resolutiondate": None,
        "created": created,
        "priority": priority_json(SCENARIO_PRIORITY[ticket.priority]) if ticket.priority else None,
        "labels": [tag.replace(" ", "_") for tag in ticket.tags],
        "issuelinks": [],
        "assignee": users.get(ticket.assignee) if ticket.assignee is not None else None,
        "updated": created,
        "status": status_json(status),
        "components": [],
        "description": text_to_adf(ticket.description),
        "summary": ticket.subject,
        "creator": requester,
        "reporter": requester,
        "duedate": None,
        "environment": None,
    }
    if status.category == "done":
        fields["resolution"] = {"self": f"{SITE}/rest/api/3/resolution/10000", "id": "10000",
                                "description": "Work has been completed on this issue.", "name": "Done"}
        fields["resolutiondate"] = created
    if ids.request_type:
        fields[ids.request_type] = _request_type_value(issue_id, key, issue_type, request_type)
    if ids.organizations:
        fields[ids.organizations] = [organizations[ticket.organization]] if ticket.organization else []
    for field_id, _ in ids.sla:
        fields[field_id] = None
    if ids.feedback:
        fields[ids.feedback] = None
    if ids.feedback_date:
        fields[ids.feedback_date] = None
    if ids.team:
        fields[ids.team] = teams.get(ticket.group) if ticket.group else None
    store.add_record(IssueRecord(issue_id, key, fields, live=True,
                                 updated_ms=to_ms(ticket.created_at), created_ms=to_ms(ticket.created_at)))
    _replay(store, key, ticket, users)


def _replay(store: IssueStore, key: str, ticket: ScenarioTicket, users: dict[int, dict[str, Any]]) -> None:
    # (when, rank, event): at the same instant status changes go first, then comments, then ratings
    events: list[tuple[datetime, int, StatusChange | Comment | Rating]] = []
    events += [(change.at, 0, change) for change in ticket.status_changes[1:]]
    events += [(comment.at, 1, comment) for comment in ticket.comments[1:]]
    events += [(rating.at, 2, rating) for rating in ticket.ratings]
    events.sort(key=lambda event: (event[0], event[1]))
    for at, _, event in events:
        if isinstance(event, StatusChange):
            store.update_issue(key, at, author=users.get(event.by), status=SCENARIO_STATUS[event.status])
        elif isinstance(event, Comment):
            store.add_comment(key, at, event.body, users[event.author], internal=not event.public)
        else:
            store.set_feedback(key, csat_rating(event.score, ticket.number), event.comment, at,
                               users[ticket.requester])


def csat_rating(score: str, number: int) -> int:
    """good -> 5 or 4, bad -> 1 or 2 (varied by ticket so both values of each side occur)."""
    if score == "good":
        return 4 if number % 3 == 0 else 5
    return 2 if number % 2 == 0 else 1


def _types(ticket_type: str | None) -> tuple[str, tuple[str, str] | None]:
    if ticket_type in SCENARIO_TYPE:
        issue_type, request_type_id, request_type_name = SCENARIO_TYPE[ticket_type]
        return issue_type, (request_type_id, request_type_name)
    return "Service Request", None


def _request_type_value(issue_id: str, key: str, issue_type: str,
                        request_type: tuple[str, str] | None) -> dict[str, Any] | None:
    """The vp-origin value; `currentStatus` is filled from the issue when it is rendered."""
    if request_type is None:
        return None
    request_type_id, name = request_type
    issue_type_id = next(t["id"] for t in ISSUE_TYPES if t["name"] == issue_type)
    return {
        "_links": {
            "jiraRest": f"{SITE}/rest/api/2/issue/{issue_id}",
            "web": f"{SITE}/servicedesk/customer/portal/{SERVICE_DESK_ID}/{key}",
            "agent": f"{SITE}/browse/{key}",
            "self": f"{SITE}/rest/servicedeskapi/request/{issue_id}",
        },
        "requestType": {
            "_links": {
                "self": f"{SITE}/rest/servicedeskapi/servicedesk/{SERVICE_DESK_ID}/requesttype/{request_type_id}",
            },
            "id": request_type_id,
            "name": name,
            "description": "",
            "helpText": "",
            "issueTypeId": issue_type_id,
            "serviceDeskId": SERVICE_DESK_ID,
            "portalId": SERVICE_DESK_ID,
            "groupIds": ["1"],
            "icon": {"id": "10500", "_links": {"iconUrls": {}}},
        },
        "currentStatus": None,
    }
