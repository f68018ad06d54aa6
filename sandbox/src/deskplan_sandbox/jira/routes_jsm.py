"""JSM routes (`/rest/servicedeskapi/...`): customer requests, SLA cycles, request comments
(plain-string bodies, `public: false` for internal notes) and CSAT feedback (experimental:
412 without `X-ExperimentalApi: opt-in`). Pages are `{size, start, limit, isLastPage, _links, values}`."""

from __future__ import annotations

import json
from typing import Any

from deskplan_sandbox.jira.adf import adf_to_text
from deskplan_sandbox.jira.dates import date_dto, parse_jira_datetime
from deskplan_sandbox.jira.errors import jsm_error, jsm_experimental_required, jsm_request_not_found
from deskplan_sandbox.jira.from_scenario import SERVICE_DESK_ID
from deskplan_sandbox.jira.shapes import SITE, jsm_user
from deskplan_sandbox.jira.site import Site
from deskplan_sandbox.jira.sla import metric_for, sla_values
from deskplan_sandbox.jira.store import IssueRecord, is_internal
from deskplan_sandbox.server import Request, Response

BASE = "/rest/servicedeskapi"
REQUEST = rf"{BASE}/request/(?P<key>[^/]+)"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class ServiceDeskRoutes:
    def __init__(self, app: Site):
        self.app = app
        self.store = app.store

    def register(self) -> None:
        route = self.app.route
        route("GET", f"{BASE}/servicedesk", self.service_desks)
        route("GET", REQUEST, self.request)
        route("GET", f"{REQUEST}/sla", self.sla)
        route("GET", f"{REQUEST}/status", self.status_history)
        route("GET", f"{REQUEST}/comment", self.comments)
        route("POST", f"{REQUEST}/comment", self.add_comment, write=True)
        route("GET", f"{REQUEST}/feedback", self.feedback)
        route("POST", f"{REQUEST}/feedback", self.post_feedback, write=True)

    def _record(self, request: Request) -> IssueRecord | None:
        record = self.store.get(request.params["key"])
        if record is None or record.project_key.upper() not in self.store.service_desks:
            return None
        return record

    def service_desks(self, request: Request) -> Response:
        values = []
        for key, desk_id in self.store.service_desks.items():
            project = self.store.projects[key]
            values.append({"id": desk_id, "projectId": project["id"], "projectName": project["name"],
                           "projectKey": project["key"], "_links": {"self": f"{SITE}{BASE}/servicedesk/{desk_id}"}})
        return _page(request, values, f"{BASE}/servicedesk")

    def request(self, request: Request) -> Response:
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        renderer = self.app.renderer()
        zone = self.store.zone
        request_type = record.fields.get(self.store.field_ids.request_type or "") or {}
        body: dict[str, Any] = {
            "_expands": ["participant", "status", "sla", "requestType", "serviceDesk", "attachment", "action",
                         "comment"],
            "issueId": record.id,
            "issueKey": record.key,
            "summary": record.fields.get("summary"),
            "serviceDeskId": self.store.service_desks[record.project_key.upper()],
            "createdDate": date_dto(parse_jira_datetime(record.fields["created"]), zone),
            "reporter": jsm_user(record.fields.get("reporter") or {}),
            "requestFieldValues": [
                {"fieldId": "summary", "label": "Summary", "value": record.fields.get("summary")},
                {"fieldId": "description", "label": "Description",
                 "value": adf_to_text(record.fields.get("description"))},
            ],
            "currentStatus": renderer.current_status(record),
            "_links": {
                "jiraRest": f"{SITE}/rest/api/2/issue/{record.id}",
                "web": f"{SITE}/servicedesk/customer/portal/{SERVICE_DESK_ID}/{record.key}",
                "agent": f"{SITE}/browse/{record.key}",
                "self": f"{SITE}{BASE}/request/{record.id}",
            },
        }
        request_type_id = (request_type.get("requestType") or {}).get("id")
        if request_type_id is not None:
            # (a string in the JSM OpenAPI's CustomerRequestDTO, never null: left out when the issue has none)
            body["requestTypeId"] = str(request_type_id)
        expand = {part for value in request.query.get("expand", []) for part in value.split(",")}
        if "sla" in expand:
            body["sla"] = _page_body(request, self._sla_values(record), f"{BASE}/request/{record.id}/sla")
        if "status" in expand:
            body["status"] = _page_body(request, self._status_values(record), f"{BASE}/request/{record.id}/status")
        return Response(200, body)

    def sla(self, request: Request) -> Response:
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        return _page(request, self._sla_values(record), f"{BASE}/request/{record.id}/sla")

    def _sla_values(self, record: IssueRecord) -> list[dict[str, Any]]:
        """Computed cycles; a fixture issue's own SLA field values are served as recorded."""
        computed = sla_values(record, self.app.now(), self.store.zone)
        if record.live:
            return computed
        recorded = {}
        for field_id, name in self.store.field_ids.sla:
            value = record.fields.get(field_id)
            if isinstance(value, dict) and metric_for(name):
                recorded[metric_for(name)] = value
        return [recorded.get(metric_for(value["name"]) or "", value) for value in computed]

    def status_history(self, request: Request) -> Response:
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        return _page(request, self._status_values(record), f"{BASE}/request/{record.id}/status")

    def _status_values(self, record: IssueRecord) -> list[dict[str, Any]]:
        """Most recent (current) status first."""
        zone = self.store.zone
        values = []
        for history in record.histories:
            for item in history.get("items", []):
                if (item.get("fieldId") or item.get("field", "")).lower() == "status":
                    values.append({"status": item.get("toString"),
                                   "statusDate": date_dto(parse_jira_datetime(history["created"]), zone)})
        first = next((i.get("fromString") for h in record.histories for i in h.get("items", [])
                      if (i.get("fieldId") or i.get("field", "")).lower() == "status"), record.status.get("name"))
        values.insert(0, {"status": first, "statusDate": date_dto(parse_jira_datetime(record.fields["created"]), zone)})
        return list(reversed(values))

    def comments(self, request: Request) -> Response:
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        show_public = request.arg("public", "true").lower() != "false"
        show_internal = request.arg("internal", "true").lower() != "false"
        values = []
        for comment in record.comments:
            internal = is_internal(record.comment_properties.get(comment["id"], {}))
            public = not internal and comment.get("jsdPublic", True)
            if (public and show_public) or (not public and show_internal):
                values.append(self._comment(record, comment, public))
        return _page(request, values, f"{BASE}/request/{record.id}/comment")

    def add_comment(self, request: Request) -> Response:
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"].strip():
            return jsm_error(400, "The comment body must not be empty.", "sd.comment.body.empty")
        if not isinstance(body.get("public"), bool):
            return jsm_error(400, "You must specify whether the comment is public.", "sd.comment.public.required")
        comment = self.store.add_comment(record.key, self.app.now(), body["body"], self.app.myself,
                                         internal=not body["public"])
        return Response(201, self._comment(record, comment, body["public"], text=body["body"]))

    def _comment(self, record: IssueRecord, comment: dict[str, Any], public: bool,
                 text: str | None = None) -> dict[str, Any]:
        return {
            "_expands": ["attachment", "renderedBody"],
            "id": comment["id"],
            "body": text if text is not None else adf_to_text(comment.get("body")),
            "public": public,
            "author": jsm_user(comment.get("author") or {}),
            "created": date_dto(parse_jira_datetime(comment["created"]), self.store.zone),
            "_links": {"self": f"{SITE}{BASE}/request/{record.id}/comment/{comment['id']}"},
        }

    def feedback(self, request: Request) -> Response:
        if request.headers.get("x-experimentalapi", "").lower() != "opt-in":
            return jsm_experimental_required()
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        if record.feedback is None:
            return jsm_error(404, "No feedback has been given for this request.", "sd.feedback.not.found")
        return Response(200, record.feedback)

    def post_feedback(self, request: Request) -> Response:
        if request.headers.get("x-experimentalapi", "").lower() != "opt-in":
            return jsm_experimental_required()
        record = self._record(request)
        if record is None:
            return jsm_request_not_found()
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        rating = body.get("rating") if isinstance(body, dict) else None
        if not isinstance(rating, int) or not 1 <= rating <= 5 or body.get("type", "csat") != "csat":
            return jsm_error(400, "The rating must be an integer between 1 and 5.", "sd.feedback.rating.invalid")
        comment = (body.get("comment") or {}).get("body") if isinstance(body.get("comment"), dict) else None
        self.store.set_feedback(record.key, rating, comment, self.app.now(), record.fields.get("reporter"))
        return Response(201, record.feedback)


def _limits(request: Request) -> tuple[int, int]:
    try:
        start = max(0, int(request.arg("start", "0") or 0))
        limit = int(request.arg("limit", str(DEFAULT_LIMIT)) or DEFAULT_LIMIT)
    except ValueError:
        start, limit = 0, DEFAULT_LIMIT
    return start, max(1, min(limit, MAX_LIMIT))


def _page_body(request: Request, values: list[dict[str, Any]], path: str) -> dict[str, Any]:
    start, limit = _limits(request)
    shown = values[start:start + limit]
    links: dict[str, str] = {"self": f"{SITE}{path}?start={start}&limit={limit}", "base": f"{SITE}{BASE}",
                             "context": ""}
    is_last = start + len(shown) >= len(values)
    if not is_last:
        links["next"] = f"{SITE}{path}?start={start + len(shown)}&limit={limit}"
    if start > 0:
        links["prev"] = f"{SITE}{path}?start={max(0, start - limit)}&limit={limit}"
    return {"_expands": [], "size": len(shown), "start": start, "limit": limit, "isLastPage": is_last,
            "_links": links, "values": shown}


def _page(request: Request, values: list[dict[str, Any]], path: str) -> Response:
    return Response(200, _page_body(request, values, path))
