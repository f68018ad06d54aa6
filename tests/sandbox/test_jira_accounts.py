"""Other users with API tokens of their own: a request acts as the account its token belongs to."""

from __future__ import annotations

import requests

from deskplan_sandbox.jira.adf import text_to_adf

from .jira_support import EMAIL, TOKEN, app_for, served, ticket

OTHER = ("alex@example.com", "alex-token")
PORTAL = ("pat@example.net", "pat-token")


def test_a_request_made_with_another_accounts_token_acts_as_that_account():
    app = app_for(ticket(1))
    agent = app.add_account(*OTHER)
    customer = app.add_account(*PORTAL, customer=True)
    with served(app) as (url, session):
        me = requests.get(f"{url}/rest/api/3/myself", auth=OTHER)
        api_user = session.get(f"{url}/rest/api/3/myself").json()
        refused = requests.get(f"{url}/rest/api/3/myself", auth=(OTHER[0], TOKEN))
        created = requests.post(f"{url}/rest/api/3/issue", auth=OTHER, json={"fields": {
            "project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": "Mine"}}).json()
        task = session.get(f"{url}/rest/api/3/issue/{created['key']}", params={"fields": "creator,reporter"}).json()
        reply = requests.post(f"{url}/rest/api/3/issue/SUP-1/comment", auth=OTHER,
                              json={"body": text_to_adf("Hello")}).json()
        portal = requests.post(f"{url}/rest/servicedeskapi/request/SUP-1/comment", auth=PORTAL,
                               json={"body": "Thanks", "public": True}).json()
        search = {"jql": "project = IMP AND creator = currentUser()", "fields": "creator"}
        theirs = requests.get(f"{url}/rest/api/3/search/jql", params=search, auth=OTHER).json()
        ours = session.get(f"{url}/rest/api/3/search/jql", params=search).json()
    assert me.status_code == 200 and me.headers["X-AAccountId"] == agent["accountId"]
    assert me.json()["accountId"] == agent["accountId"] != api_user["accountId"]
    assert api_user["emailAddress"] == EMAIL and refused.status_code == 401
    assert task["fields"]["creator"]["accountId"] == task["fields"]["reporter"]["accountId"] == agent["accountId"]
    assert reply["author"]["accountId"] == agent["accountId"] and reply["jsdPublic"] is True
    assert portal["author"]["accountId"] == customer["accountId"] and customer["accountType"] == "customer"
    assert [i["key"] for i in theirs["issues"]] == [created["key"]] and ours["issues"] == []
    assert app.myself["emailAddress"] == EMAIL          # between requests, the API user again
