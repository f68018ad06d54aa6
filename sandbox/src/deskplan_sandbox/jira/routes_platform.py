"""Platform REST routes (`/rest/api/2|3|latest/...`): search, issues, comments, changelog,
properties, links, field catalog, myself. v3 speaks ADF, v2 (and `latest`) wiki strings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from deskplan_sandbox.jira.adf import is_adf_doc, text_to_adf
from deskplan_sandbox.jira.catalog import (
    FEEDBACK,
    FEEDBACK_DATE,
    ISSUE_TYPES,
    LINK_TYPES,
    PRIORITIES,
    REQUEST_TYPE,
    SLA,
    STATUSES,
    status_by_name,
)
from deskplan_sandbox.jira.dates import jira_datetime, to_ms
from deskplan_sandbox.jira.errors import COMMENT_NOT_VALID, error_collection, issue_not_found, removed_search
from deskplan_sandbox.jira.render import FieldSelection
from deskplan_sandbox.jira.search import SearchError, SearchRequest, approximate_count, run_search
from deskplan_sandbox.jira.shapes import SITE, issuetype_json, priority_json, status_json
from deskplan_sandbox.jira.site import KEY, Site, V
from deskplan_sandbox.jira.store import IssueRecord, StoreError
from deskplan_sandbox.server import Request, Response

MAX_PROPERTY_LENGTH = 32768
MAX_PROPERTY_KEY = 255
MAX_BULK = 50
SETTABLE = {"summary", "description", "project", "issuetype", "labels", "duedate", "priority", "assignee",
            "reporter", "components", "environment"}
READ_ONLY_CUSTOM = {SLA, FEEDBACK, FEEDBACK_DATE, REQUEST_TYPE}


class BadRequest(Exception):
    def __init__(self, response: Response):
        self.response = response


class PlatformRoutes:
    def __init__(self, app: Site):
        self.app = app
        self.store = app.store

    def register(self) -> None:
        route = self.app.route
        route("GET", f"{V}/serverInfo", self.server_info)
        route("GET", f"{V}/myself", self.myself)
        route("GET", f"{V}/field", self.field_catalog)
        route("GET", f"{V}/search/jql", self.search)
        route("POST", f"{V}/search/jql", self.search)
        route("POST", f"{V}/search/approximate-count", self.count)
        for method in ("GET", "POST"):
            route(method, f"{V}/search", lambda request: removed_search())
        route("POST", f"{V}/issue", self.create_issue, write=True)
        route("POST", f"{V}/issue/bulk", self.create_issues, write=True)
        route("GET", f"{V}/issue/{KEY}", self.get_issue)
        route("DELETE", f"{V}/issue/{KEY}", self.delete_issue, write=True)
        route("GET", f"{V}/issue/{KEY}/transitions", self.transitions)
        route("POST", f"{V}/issue/{KEY}/transitions", self.transition, write=True)
        route("GET", f"{V}/issue/{KEY}/changelog", self.changelog)
        route("GET", f"{V}/issue/{KEY}/comment", self.comments)
        route("POST", f"{V}/issue/{KEY}/comment", self.add_comment, write=True)
        route("GET", f"{V}/issue/{KEY}/comment/(?P<comment>[^/]+)", self.get_comment)
        route("PUT", f"{V}/issue/{KEY}/comment/(?P<comment>[^/]+)", self.edit_comment, write=True)
        route("GET", f"{V}/issue/{KEY}/properties", self.property_keys)
        route("GET", f"{V}/issue/{KEY}/properties/(?P<prop>[^/]+)", self.get_property)
        route("PUT", f"{V}/issue/{KEY}/properties/(?P<prop>[^/]+)", self.put_property, write=True)
        route("DELETE", f"{V}/issue/{KEY}/properties/(?P<prop>[^/]+)", self.delete_property, write=True)
        route("GET", f"{V}/comment/(?P<comment>[^/]+)/properties/(?P<prop>[^/]+)", self.get_comment_property)
        route("PUT", f"{V}/comment/(?P<comment>[^/]+)/properties/(?P<prop>[^/]+)", self.put_comment_property,
              write=True)
        route("POST", f"{V}/issueLink", self.link, write=True)
        route("GET", f"{V}/issueLinkType", self.link_types)
        route("GET", f"{V}/project", self.projects)
        route("GET", f"{V}/project/{KEY}", self.project)
        route("GET", f"{V}/issuetype", lambda request: Response(200, [issuetype_json(t["name"]) for t in ISSUE_TYPES]))
        route("GET", f"{V}/priority", lambda request: Response(200, [priority_json(name) for _, name in PRIORITIES]))
        route("GET", f"{V}/status", lambda request: Response(200, [status_json(s) for s in STATUSES]))

    # --- site -------------------------------------------------------------------------------

    def server_info(self, request: Request) -> Response:
        # Exactly the platform OpenAPI's ServerInformation (additionalProperties: false): its example's
        # `defaultLocale` is not among the schema's properties and is left out.
        return Response(200, {
            "baseUrl": SITE,
            "displayUrl": SITE,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100289,
            "buildDate": "2026-06-01T00:00:00.000+0000",
            "serverTime": jira_datetime(self.app.now(), self.store.zone),
            "scmInfo": "cbff30aed2cd56c458fcc9520324d47b256bb3f5",
            "serverTitle": "Jira",
            "serverTimeZone": "Etc/UTC",
        })

    def myself(self, request: Request) -> Response:
        user = self.app.myself
        return Response(200, {
            **user, "key": "", "name": "", "locale": "en_US",
            "groups": {"size": 3, "items": []}, "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        })

    def field_catalog(self, request: Request) -> Response:
        return Response(200, self.app.fields)

    # --- search -----------------------------------------------------------------------------

    def search(self, request: Request) -> Response:
        try:
            search = _search_request(request)
            page = run_search(search, self.store, self.app.renderer(request.params["v"]), self.app.jql_context(),
                              self.app.search_cache, self.app.tokens, to_ms(self.app.now()),
                              self.app.search_lag, self.app.search_page_bytes)
        except SearchError as exc:
            return error_collection(400, [str(exc)])
        except BadRequest as exc:
            return exc.response
        return Response(200, page)

    def count(self, request: Request) -> Response:
        try:
            body = _json_body(request)
            jql = body.get("jql") if isinstance(body, dict) else None
            if not jql:
                raise SearchError("The JQL query is required.")
            return Response(200, {"count": approximate_count(self.store, jql, self.app.jql_context(),
                                                             self.app.search_cache, self.app.search_lag,
                                                             to_ms(self.app.now()))})
        except SearchError as exc:
            return error_collection(400, [str(exc)])
        except BadRequest as exc:
            return exc.response

    # --- issues -----------------------------------------------------------------------------

    def get_issue(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        selection = FieldSelection.parse(request.query.get("fields"), "*all")
        expand = _csv(request.query.get("expand"))
        properties = _csv(request.query.get("properties"))
        renderer = self.app.renderer(request.params["v"])
        return Response(200, renderer.issue(record, selection, expand=expand, properties=sorted(properties),
                                            in_search=False))

    def create_issue(self, request: Request) -> Response:
        try:
            body = _json_body(request)
        except BadRequest as exc:
            return exc.response
        created, errors = self._create(body, request.params["v"])
        if created is None:
            return error_collection(400, errors.pop("", None) or [], errors)
        return Response(201, created)

    def create_issues(self, request: Request) -> Response:
        try:
            body = _json_body(request)
        except BadRequest as exc:
            return exc.response
        updates = body.get("issueUpdates") if isinstance(body, dict) else None
        if not isinstance(updates, list):
            return error_collection(400, ["issueUpdates is required."])
        if len(updates) > MAX_BULK:
            return error_collection(400, [f"The number of issues to create must not exceed {MAX_BULK}."])
        issues, failures = [], []
        for index, update in enumerate(updates):
            created, errors = self._create(update, request.params["v"])
            if created is None:
                messages = errors.pop("", None) or []
                failures.append({"status": 400, "elementErrors": {"errorMessages": messages, "errors": errors},
                                 "failedElementNumber": index})
            else:
                issues.append(created)
        return Response(201 if issues else 400, {"issues": issues, "errors": failures})

    def _create(self, body: Any, version: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Validate like Jira (every problem at once), then create. Errors: field -> message."""
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return None, {"": ["Issue must have fields."]}
        fields = body["fields"]
        errors: dict[str, Any] = {}
        project = self._project_for(fields.get("project"))
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        issue_type = _issue_type_for(fields.get("issuetype"))
        if fields.get("issuetype") is None:
            errors["issuetype"] = "Specify an issue type"
        elif issue_type is None:
            errors["issuetype"] = "The issue type selected is invalid."
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = "You must specify a summary of the issue."
        description = fields.get("description")
        if description is not None:
            if version == "3" and not is_adf_doc(description):
                errors["description"] = ("Operation value must be an Atlassian Document "
                                         "(see the Atlassian Document Format)")
            elif version != "3" and not isinstance(description, str):
                errors["description"] = "Operation value must be a string"
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(label, str) and label and " " not in label
                                                   for label in labels):
            errors["labels"] = "Labels must be a list of strings without spaces."
        duedate = fields.get("duedate")
        if duedate is not None and not _is_date(duedate):
            errors["duedate"] = f"Error parsing date string: {duedate}"
        priority = _priority_for(fields.get("priority"))
        if fields.get("priority") is not None and priority is None:
            errors["priority"] = "The priority selected is invalid."
        unknown = _unknown_components(fields.get("components"), project)
        if unknown:
            errors["components"] = f"Component name '{unknown}' is not valid"
        people = {}
        for role in ("assignee", "reporter"):
            person = fields.get(role)
            account = (person or {}).get("accountId") or (person or {}).get("id") if isinstance(person, dict) else None
            if person is not None and account not in self.store.users:
                errors[role] = f"Specify a valid value for {role}"
            people[role] = self.store.users.get(account) if account else None
        custom_ok = {f["id"] for f in self.app.fields if f.get("custom")
                     and f.get("schema", {}).get("custom") not in READ_ONLY_CUSTOM}
        for name in fields:
            if name not in SETTABLE and name not in custom_ok:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        properties = body.get("properties", [])
        if not isinstance(properties, list) or not all(isinstance(p, dict) and "key" in p for p in properties):
            errors.setdefault("", []).append("Properties must be a list of {key, value}.")
        links = self._links_to_add(body.get("update"), errors)
        if errors:
            return None, errors
        assert project is not None and issue_type is not None     # a missing one is an error above
        now = self.app.now()
        record = self._new_record(project, issue_type, fields, version, priority, people, now)
        for prop in properties:
            record.properties[prop["key"]] = prop.get("value")
        for link_type, side, other in links:
            # The issue named in `add` keeps its side; the new issue takes the other one.
            inward, outward = (other, record) if side == "inwardIssue" else (record, other)
            self.store.link(link_type, inward.key, outward.key, now, self.app.myself)
        return {"id": record.id, "key": record.key, "self": f"{SITE}/rest/api/{version}/issue/{record.id}"}, {}

    def _links_to_add(self, update: Any, errors: dict[str, Any]) -> list[tuple[dict[str, Any], str, IssueRecord]]:
        """`update: {issuelinks: [{add: {type, inwardIssue | outwardIssue}}]}`: links made with the
        issue, in the same request. Only `issuelinks` is updatable on create here; problems go
        to `errors` under the field's name, as Jira reports them."""
        if update is None:
            return []
        if not isinstance(update, dict):
            errors.setdefault("", []).append("Update must be an object of field operations.")
            return []
        for name in update:
            if name != "issuelinks" or not self.app.create_screen_links:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        operations = update.get("issuelinks")
        if "issuelinks" in errors or operations is None:
            return []
        links = []
        for operation in operations if isinstance(operations, list) else [None]:
            add = operation.get("add") if isinstance(operation, dict) and set(operation) == {"add"} else None
            if not isinstance(add, dict):
                errors["issuelinks"] = "Issue links can only be added when an issue is created."
                return []
            wanted = add.get("type")
            if not isinstance(wanted, dict):
                wanted = {}
            link_type = next((t for t in LINK_TYPES if str(wanted.get("id")) == t["id"]
                              or str(wanted.get("name", "")).lower() == t["name"].lower()), None)
            sides = [side for side in ("inwardIssue", "outwardIssue") if isinstance(add.get(side), dict)]
            if link_type is None or len(sides) != 1:
                errors["issuelinks"] = "Specify a valid issue link type and exactly one linked issue."
                return []
            ref = add[sides[0]]
            other = self.store.get(str(ref.get("key") or ref.get("id") or ""))
            if other is None:
                errors["issuelinks"] = f"Issue '{ref.get('key') or ref.get('id')}' does not exist."
                return []
            links.append((link_type, sides[0], other))
        return links

    def _new_record(self, project: dict[str, Any], issue_type: dict[str, Any], fields: dict[str, Any], version: str,
                    priority: str | None, people: dict[str, Any], now: datetime) -> IssueRecord:
        stamp = jira_datetime(now, self.store.zone)
        status = status_by_name("To Do" if issue_type["name"] == "Task" else "Waiting for support")
        assert status is not None       # both are statuses of the workflow (catalog.STATUSES)
        description = fields.get("description")
        if isinstance(description, str):
            description = text_to_adf(description)
        reporter = people.get("reporter") or self.app.myself
        record_fields = {
            "statuscategorychangedate": stamp,
            "issuetype": issuetype_json(issue_type["name"]),
            "project": project,
            "resolution": None,
            "resolutiondate": None,
            "created": stamp,
            "priority": priority_json(priority or "Medium"),
            "labels": list(fields.get("labels") or []),
            "issuelinks": [],
            "assignee": people.get("assignee"),
            "updated": stamp,
            "status": status_json(status),
            "components": list(fields.get("components") or []),
            "description": description,
            "summary": fields["summary"],
            "creator": self.app.myself,
            "reporter": reporter,
            "duedate": fields.get("duedate"),
            "environment": fields.get("environment"),
        }
        for name, value in fields.items():
            if name.startswith("customfield_"):
                record_fields[name] = value
        issue_id = self.store.new_issue_id()
        record = IssueRecord(issue_id, self.store.new_issue_key(project["key"]), record_fields, live=True)
        self.store.add_record(record)
        return record

    def _project_for(self, ref: Any) -> dict[str, Any] | None:
        if not isinstance(ref, dict):
            return None
        wanted = str(ref.get("key") or ref.get("id") or "")
        for project in self.store.projects.values():
            if wanted and wanted.upper() in (project["key"].upper(), str(project["id"])):
                return project
        return None

    def projects(self, request: Request) -> Response:
        return Response(200, [self._project_with_types(p) for p in self.store.projects.values()])

    def project(self, request: Request) -> Response:
        project = self._project_for({"key": request.params["key"]})
        if project is None:
            return error_collection(404, [f"No project could be found with key '{request.params['key']}'."])
        return Response(200, self._project_with_types(project))

    def _project_with_types(self, project: dict[str, Any]) -> dict[str, Any]:
        return {**project, "issueTypes": [issuetype_json(t["name"]) for t in ISSUE_TYPES]}

    # --- changelog --------------------------------------------------------------------------

    def changelog(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            start = _int_arg(request, "startAt", 0)
            size = max(1, min(_int_arg(request, "maxResults", 100), 100))
        except BadRequest as exc:
            return exc.response
        values = record.histories[start:start + size]
        base = f"{SITE}/rest/api/{request.params['v']}/issue/{record.key}/changelog"
        page: dict[str, Any] = {"self": f"{base}?startAt={start}&maxResults={size}"}
        is_last = start + size >= len(record.histories)
        if not is_last:
            page["nextPage"] = f"{base}?startAt={start + size}&maxResults={size}"
        page.update({"maxResults": size, "startAt": start, "total": len(record.histories), "isLast": is_last,
                     "values": values})
        return Response(200, page)

    # --- comments ---------------------------------------------------------------------------

    def comments(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            start = _int_arg(request, "startAt", 0)
            size = max(0, min(_int_arg(request, "maxResults", 100), 5000))
        except BadRequest as exc:
            return exc.response
        order = request.arg("orderBy", "created")
        if order not in ("created", "-created", "+created"):
            return error_collection(400, [f"Invalid orderBy parameter: {order}"])
        ordered = list(reversed(record.comments)) if order == "-created" else record.comments
        renderer = self.app.renderer(request.params["v"])
        expand = _csv(request.query.get("expand"))
        shown = [renderer.comment(record, c, expand=expand) for c in ordered[start:start + size]]
        return Response(200, {"comments": shown, "maxResults": size, "total": len(record.comments), "startAt": start})

    def get_comment(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            comment = self.store.comment(record, request.params["comment"])
        except StoreError:
            return error_collection(404, [f"Can not find a comment for the id: {request.params['comment']}."])
        expand = _csv(request.query.get("expand"))
        return Response(200, self.app.renderer(request.params["v"]).comment(record, comment, expand=expand))

    def add_comment(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            body, properties, visibility = _comment_body(request)
        except BadRequest as exc:
            return exc.response
        comment = self.store.add_comment(record.key, self.app.now(), body, self.app.myself,
                                         properties=properties, visibility=visibility)
        expand = _csv(request.query.get("expand"))
        return Response(201, self.app.renderer(request.params["v"]).comment(record, comment, expand=expand))

    def edit_comment(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            comment = self.store.comment(record, request.params["comment"])
            body, properties, visibility = _comment_body(request)
        except StoreError:
            return error_collection(404, [f"Can not find a comment for the id: {request.params['comment']}."])
        except BadRequest as exc:
            return exc.response
        comment = self.store.edit_comment(record.key, comment["id"], self.app.now(), body, self.app.myself, visibility)
        for key, value in properties.items():
            self.store.set_comment_property(record, comment, key, value)
        expand = _csv(request.query.get("expand"))
        return Response(200, self.app.renderer(request.params["v"]).comment(record, comment, expand=expand))

    def get_comment_property(self, request: Request) -> Response:
        found = self.store.find_comment(request.params["comment"])
        if found is None:
            return error_collection(404, [f"Can not find a comment for the id: {request.params['comment']}."])
        record, comment = found
        props = record.comment_properties.get(comment["id"], {})
        if request.params["prop"] not in props:
            return error_collection(404, [f"The property with key '{request.params['prop']}' does not exist."])
        return Response(200, {"key": request.params["prop"], "value": props[request.params["prop"]]})

    def put_comment_property(self, request: Request) -> Response:
        found = self.store.find_comment(request.params["comment"])
        if found is None:
            return error_collection(404, [f"Can not find a comment for the id: {request.params['comment']}."])
        try:
            value = _property_value(request)
        except BadRequest as exc:
            return exc.response
        record, comment = found
        created = self.store.set_comment_property(record, comment, request.params["prop"], value)
        return Response(201 if created else 200)

    # --- issue properties -------------------------------------------------------------------

    def property_keys(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        base = f"{SITE}/rest/api/{request.params['v']}/issue/{record.key}/properties"
        return Response(200, {"keys": [{"key": k, "self": f"{base}/{k}"} for k in record.properties]})

    def get_property(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        prop = request.params["prop"]
        if prop not in record.properties:
            return error_collection(404, [f"The property with key '{prop}' does not exist."])
        return Response(200, {"key": prop, "value": record.properties[prop]})

    def put_property(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        prop = request.params["prop"]
        if len(prop) > MAX_PROPERTY_KEY:
            return error_collection(400, [f"The property key cannot be longer than {MAX_PROPERTY_KEY} characters."])
        try:
            value = _property_value(request)
        except BadRequest as exc:
            return exc.response
        created = self.store.set_property(record.key, prop, value)
        return Response(201 if created else 200)

    def delete_property(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            self.store.delete_property(record.key, request.params["prop"])
        except StoreError:
            return error_collection(404, [f"The property with key '{request.params['prop']}' does not exist."])
        return Response(204)

    # --- workflow and deletion ------------------------------------------------------------------
    # The simulated workflow lets every issue move to any status (global transitions); a
    # transition's id is its target status's id.

    def transitions(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        current = record.status.get("id")
        return Response(200, {"expand": "transitions", "transitions": [
            {"id": s.id, "name": s.name, "to": status_json(s), "hasScreen": False, "isGlobal": True,
             "isInitial": False, "isAvailable": True, "isConditional": False, "isLooped": False}
            for s in STATUSES if s.id != current]})

    def transition(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        try:
            body = _json_body(request)
        except BadRequest as exc:
            return exc.response
        wanted = (body.get("transition") or {}) if isinstance(body, dict) else {}
        target = str(wanted.get("id", "")) if isinstance(wanted, dict) else ""
        if not any(s.id == target for s in STATUSES) or target == record.status.get("id"):
            return error_collection(400, [f"Transition id '{target}' is not valid for this issue."])
        self.store.update_issue(record.key, self.app.now(), author=self.app.myself, status=target)
        return Response(204)

    def delete_issue(self, request: Request) -> Response:
        record = self.store.get(request.params["key"])
        if record is None:
            return issue_not_found()
        self.store.delete_issue(record.key)
        return Response(204)

    # --- links ------------------------------------------------------------------------------

    def link(self, request: Request) -> Response:
        try:
            body = _json_body(request)
        except BadRequest as exc:
            return exc.response
        if not isinstance(body, dict):
            return error_collection(400, ["The issue link request is invalid."])
        wanted = body.get("type") or {}
        link_type = next((t for t in LINK_TYPES if str(wanted.get("id")) == t["id"]
                          or str(wanted.get("name", "")).lower() == t["name"].lower()), None)
        if link_type is None:
            name = wanted.get("name", wanted.get("id"))
            return error_collection(404, [f"No issue link type with name '{name}' found."])
        issues = []
        for side in ("inwardIssue", "outwardIssue"):
            ref = body.get(side) or {}
            record = self.store.get(str(ref.get("key") or ref.get("id") or ""))
            if record is None:
                return issue_not_found()
            issues.append(record)
        self.store.link(link_type, issues[0].key, issues[1].key, self.app.now(), self.app.myself)
        return Response(201)

    def link_types(self, request: Request) -> Response:
        return Response(200, {"issueLinkTypes": [{**t, "self": f"{SITE}/rest/api/3/issueLinkType/{t['id']}"}
                                                 for t in LINK_TYPES]})


# --- request parsing -------------------------------------------------------------------------

def _json_body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(error_collection(
            400, ["Unexpected character in the request body: it is not valid JSON."])) from None


def _csv(values: list[str] | str | None) -> set[str]:
    if values is None:
        return set()
    if isinstance(values, str):
        values = [values]
    return {part.strip() for value in values for part in str(value).split(",") if part.strip()}


def _int_arg(request: Request, name: str, default: int) -> int:
    value = request.arg(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(error_collection(
            400, [f"The value '{value}' is not valid for the parameter '{name}'."])) from None


def _search_request(request: Request) -> SearchRequest:
    if request.method == "POST":
        body = _json_body(request)
        if not isinstance(body, dict):
            raise BadRequest(error_collection(400, ["The search request is invalid."]))
        get: Callable[[str], Any] = body.get
    else:
        def get(name: str) -> Any:
            values = request.query.get(name)
            if not values:
                return None
            return values if name in ("fields", "properties", "reconcileIssues", "expand") else values[-1]
    max_results = get("maxResults")
    try:
        max_results = int(max_results) if max_results not in (None, "") else 50
        reconcile = [int(v) for v in _list(get("reconcileIssues"))]
    except (TypeError, ValueError):
        raise BadRequest(error_collection(400, ["maxResults and reconcileIssues must be numbers."])) from None
    fields = _list(get("fields"))
    return SearchRequest(
        jql=str(get("jql") or ""),
        next_page_token=get("nextPageToken") or None,
        max_results=max_results,
        fields=fields or None,
        expand=_csv(get("expand")),
        properties=_list(get("properties")),
        reconcile=reconcile,
    )


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for item in value for v in (str(item).split(",") if isinstance(item, str) else [item]) if v != ""]
    return [v for v in str(value).split(",") if v]


def _comment_body(request: Request) -> tuple[dict[str, Any] | str, dict[str, Any], dict[str, Any] | None]:
    """The comment body for this API version: ADF on v3, a string on v2 — anything else is Jira's 400."""
    body = _json_body(request)
    if not isinstance(body, dict) or body.get("body") in (None, "", {}):
        raise BadRequest(error_collection(400, [], {"comment": "Comment body can not be empty!"}))
    version = request.params["v"]
    text = body["body"]
    valid = is_adf_doc(text) if version == "3" else isinstance(text, str)
    if not valid:
        raise BadRequest(error_collection(400, [], {"comment": COMMENT_NOT_VALID}))
    properties = body.get("properties") or []
    if not isinstance(properties, list) or not all(isinstance(p, dict) and "key" in p for p in properties):
        raise BadRequest(error_collection(400, ["Comment properties must be a list of {key, value}."]))
    visibility = body.get("visibility") if isinstance(body.get("visibility"), dict) else None
    return text, {p["key"]: p.get("value") for p in properties}, visibility


def _property_value(request: Request) -> Any:
    if not request.body:
        raise BadRequest(error_collection(400, ["The property value must not be empty."]))
    if len(request.body.decode("utf-8", "replace")) > MAX_PROPERTY_LENGTH:
        raise BadRequest(error_collection(
            400, [f"The property value exceeds the maximum length of {MAX_PROPERTY_LENGTH} characters."]))
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(error_collection(400, ["The property value is not valid JSON."])) from None


def _issue_type_for(ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, dict):
        return None
    return next((t for t in ISSUE_TYPES if str(ref.get("id")) == t["id"]
                 or str(ref.get("name", "")).lower() == t["name"].lower()), None)


def _priority_for(ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    return next((name for pid, name in PRIORITIES if str(ref.get("id")) == pid
                 or str(ref.get("name", "")).lower() == name.lower()), None)


def _is_date(value: Any) -> bool:
    try:
        datetime.strptime(str(value), "%Y-%m-%d")
        return True
    except ValueError:
        return False


def _unknown_components(value: Any, project: dict[str, Any] | None) -> str | None:
    """The first component (by name or id) the project does not have, as written; None when
    every one is the project's (or none is given). Jira refuses an issue naming another."""
    if value is None or project is None:
        return None
    have = project.get("components") or []
    names = {str(c.get("name")) for c in have}
    ids = {str(c.get("id")) for c in have}
    for component in value if isinstance(value, list) else [value]:
        ref = component if isinstance(component, dict) else {}
        if str(ref.get("name")) not in names and str(ref.get("id")) not in ids:
            return str(ref.get("name") or ref.get("id") or component)
    return None
