"""Create metadata and project components, as `check --online` reads them: the shapes of Jira
Cloud's OpenAPI examples, paged, and the refusals for a project that is not there."""

from __future__ import annotations

from .jira_support import app_for, served, ticket


def test_create_metadata_pages_the_issue_types_of_a_project():
    with served(app_for(ticket(1))) as (url, session):
        first = session.get(f"{url}/rest/api/3/issue/createmeta/SUP/issuetypes", params={"maxResults": 3}).json()
        rest = session.get(f"{url}/rest/api/3/issue/createmeta/sup/issuetypes", params={"startAt": 3}).json()
    assert (first["startAt"], first["maxResults"], first["total"]) == (0, 3, 4)
    assert [t["name"] for t in first["issueTypes"]] == ["Service Request", "Incident", "Problem"]
    assert [t["name"] for t in rest["issueTypes"]] == ["Task"]
    assert set(rest["issueTypes"][0]) >= {"id", "name", "description", "iconUrl", "self", "subtask"}


def test_create_metadata_of_a_project_that_is_not_there_is_400():
    with served(app_for(ticket(1))) as (url, session):
        response = session.get(f"{url}/rest/api/3/issue/createmeta/NOPE/issuetypes")
    assert response.status_code == 400
    assert response.json() == {"errorMessages": ["No project could be found with key 'NOPE'."], "errors": {}}


def test_components_of_a_project_and_404_for_one_that_is_not_there():
    app = app_for(ticket(1))
    app.store.projects["SUP"]["components"] = [{"id": "10100", "name": "Rota"}]
    with served(app) as (url, session):
        listed = session.get(f"{url}/rest/api/3/project/SUP/components")
        missing = session.get(f"{url}/rest/api/3/project/NOPE/components")
    assert listed.status_code == 200 and listed.json() == [{"id": "10100", "name": "Rota"}]
    assert missing.status_code == 404
