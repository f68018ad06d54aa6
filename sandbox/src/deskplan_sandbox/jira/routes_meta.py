"""What a client asks before it creates: `GET /rest/api/{2,3}/issue/createmeta/{project}/issuetypes`
("Get create metadata issue types for a project") and `GET /rest/api/{2,3}/project/{key}/components`.

Create metadata is a page `{issueTypes, startAt, maxResults, total}` of the issue types the user
can create in the project (here every type, in every project; 400 for a project there is not,
the status Jira documents for an invalid request). Components are the project's `components`
(none unless fixtures or a test give some); 404 for a project there is not.
"""

from __future__ import annotations

from typing import Any

from deskplan_sandbox.jira.catalog import ISSUE_TYPES
from deskplan_sandbox.jira.errors import error_collection
from deskplan_sandbox.jira.shapes import issuetype_json
from deskplan_sandbox.jira.site import KEY, Site, V
from deskplan_sandbox.server import Request, Response

MAX_RESULTS = 50


class MetaRoutes:
    def __init__(self, app: Site):
        self.app = app

    def register(self) -> None:
        self.app.route("GET", f"{V}/issue/createmeta/{KEY}/issuetypes", self.create_issue_types)
        self.app.route("GET", f"{V}/project/{KEY}/components", self.components)

    def _project(self, key: str) -> dict[str, Any] | None:
        wanted = key.upper()
        return next((p for p in self.app.store.projects.values()
                     if wanted in (str(p["key"]).upper(), str(p["id"]))), None)

    def create_issue_types(self, request: Request) -> Response:
        if self._project(request.params["key"]) is None:
            return error_collection(400, [f"No project could be found with key '{request.params['key']}'."])
        try:
            start = max(0, int(request.arg("startAt") or 0))
            size = max(1, min(200, int(request.arg("maxResults") or MAX_RESULTS)))
        except ValueError:
            return error_collection(400, ["startAt and maxResults must be numbers."])
        types = [issuetype_json(t["name"]) for t in ISSUE_TYPES]
        return Response(200, {"issueTypes": types[start:start + size], "maxResults": size, "startAt": start,
                              "total": len(types)})

    def components(self, request: Request) -> Response:
        project = self._project(request.params["key"])
        if project is None:
            return error_collection(404, [f"No project could be found with key '{request.params['key']}'."])
        return Response(200, list(project.get("components") or []))
