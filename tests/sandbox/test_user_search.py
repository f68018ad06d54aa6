"""What the simulators answer when write-back routes a task to its owner: user search by email
(Zendesk `users/search`, Jira `user/search`), and Jira refusing a component the project lacks."""

from __future__ import annotations

from .jira_support import AGENT, app_for, served, ticket
from .test_zendesk_http import running


def test_zendesk_finds_a_user_by_email_and_nobody_for_another():
    with running(tickets=10) as box:
        agent = box.get("/api/v2/users/me.json").json()["user"]
        found = box.get("/api/v2/users/search.json", query=agent["email"].upper()).json()
        prefixed = box.get("/api/v2/users/search.json", query=f"email:{agent['email']}").json()
        nobody = box.get("/api/v2/users/search.json", query="nobody@example.com").json()
        missing = box.get("/api/v2/users/search.json")
    assert [u["id"] for u in found["users"]] == [agent["id"]] and found["count"] == 1
    assert (found["next_page"], found["previous_page"]) == (None, None)
    assert [u["id"] for u in prefixed["users"]] == [agent["id"]]
    assert nobody == {"users": [], "next_page": None, "previous_page": None, "count": 0}
    assert missing.status_code == 422 and missing.json()["error"] == "InvalidValue"


def test_jira_finds_users_by_the_start_of_their_email_or_name():
    with served(app_for(ticket(1))) as (url, session):
        by_email = session.get(f"{url}/rest/api/3/user/search", params={"query": AGENT.email}).json()
        by_name = session.get(f"{url}/rest/api/3/user/search", params={"query": "ann"}).json()
        nobody = session.get(f"{url}/rest/api/3/user/search", params={"query": "nobody@example.com"}).json()
        missing = session.get(f"{url}/rest/api/3/user/search")
    assert [u["emailAddress"] for u in by_email] == [AGENT.email]
    assert [u["displayName"] for u in by_name] == ["Ann Agent"]
    assert set(by_email[0]) >= {"accountId", "accountType", "displayName", "active", "emailAddress"}
    assert nobody == []
    assert missing.status_code == 400


def test_jira_refuses_an_issue_with_a_component_its_project_lacks():
    app = app_for(ticket(1))
    app.store.projects["SUP"]["components"] = [{"id": "10100", "name": "Rota"}]
    fields = {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "A task"}
    with served(app) as (url, session):
        refused = session.post(f"{url}/rest/api/3/issue",
                               json={"fields": {**fields, "components": [{"name": "Roster"}]}})
        created = session.post(f"{url}/rest/api/3/issue", json={"fields": {**fields, "components": [{"name": "Rota"}]}})
        issue = session.get(f"{url}/rest/api/3/issue/{created.json()['key']}", params={"fields": "components"})
    assert refused.status_code == 400
    assert refused.json() == {"errorMessages": [], "errors": {"components": "Component name 'Roster' is not valid"}}
    assert created.status_code == 201
    assert [c["name"] for c in issue.json()["fields"]["components"]] == ["Rota"]
