"""Writes land in memory and read back through the same API; every write is in `app.writes`."""

from __future__ import annotations

from deskplan_sandbox.jira.adf import text_to_adf

from .jira_support import T0, app_for, minutes, served, ticket

NOW = "2026-03-03T01:00:00.000-0800"          # app_for's clock (T0 + 1 day) in the user's zone
INTERNAL = [{"key": "sd.public.comment", "value": {"internal": True}}]


def test_v3_comment_with_the_internal_property_is_not_public_and_bumps_updated():
    app = app_for(ticket(1))
    with served(app) as (url, session):
        created = session.post(f"{url}/rest/api/3/issue/SUP-1/comment",
                               json={"body": text_to_adf("Checked the logs"), "properties": INTERNAL})
        listed = session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json()
        issue = session.get(f"{url}/rest/api/3/issue/SUP-1", params={"fields": "updated,comment"}).json()
        found = session.get(f"{url}/rest/api/3/search/jql", params={
            "jql": 'project = SUP AND updated >= "2026/03/03 01:00"', "fields": "updated"}).json()
    assert created.status_code == 201
    comment = created.json()
    assert comment["jsdPublic"] is False and comment["body"] == text_to_adf("Checked the logs")
    assert comment["created"] == comment["updated"] == NOW
    assert comment["author"]["emailAddress"] == "agent@example.com"
    assert listed["total"] == 1 and listed["comments"][0]["id"] == comment["id"]
    assert issue["fields"]["updated"] == NOW and issue["fields"]["comment"]["comments"][0]["jsdPublic"] is False
    assert found["issues"] == [{"expand": found["issues"][0]["expand"], "id": "10001",
                                "self": f"{url}/rest/api/3/issue/10001", "key": "SUP-1", "fields": {"updated": NOW}}]


def test_v3_comment_without_the_property_is_public_even_with_role_visibility():
    with served(app_for(ticket(1))) as (url, session):
        comment = session.post(f"{url}/rest/api/3/issue/SUP-1/comment", json={
            "body": text_to_adf("Hello"), "visibility": {"type": "role", "value": "Administrators"}}).json()
    assert comment["jsdPublic"] is True and comment["visibility"] == {"type": "role", "value": "Administrators"}


def test_plain_string_body_on_v3_is_refused_as_jira_does():
    app = app_for(ticket(1))
    with served(app) as (url, session):
        response = session.post(f"{url}/rest/api/3/issue/SUP-1/comment", json={"body": "plain text"})
        listed = session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json()
    assert response.status_code == 400
    assert response.json() == {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}}
    assert listed["total"] == 0
    assert [(w.method, w.path, w.body, w.status) for w in app.writes] == [
        ("POST", "/rest/api/3/issue/SUP-1/comment", {"body": "plain text"}, 400)]


def test_v2_speaks_strings_both_ways():
    with served(app_for(ticket(1))) as (url, session):
        created = session.post(f"{url}/rest/api/2/issue/SUP-1/comment", json={"body": "line one\nline two"}).json()
        as_v3 = session.get(f"{url}/rest/api/3/issue/SUP-1/comment/{created['id']}").json()
        issue_v2 = session.get(f"{url}/rest/api/2/issue/SUP-1", params={"fields": "description"}).json()
    assert created["body"] == "line one\nline two"
    assert as_v3["body"] == text_to_adf("line one\nline two")
    assert issue_v2["fields"]["description"] == "Description of 1"


def test_servicedesk_comment_public_false_is_internal_on_both_apis():
    app = app_for(ticket(1))
    with served(app) as (url, session):
        jsm = session.post(f"{url}/rest/servicedeskapi/request/SUP-1/comment",
                           json={"body": "Escalated to L2", "public": False})
        platform = session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json()["comments"][0]
        jsm_comments = f"{url}/rest/servicedeskapi/request/SUP-1/comment"
        internal_only = session.get(jsm_comments, params={"public": "false"}).json()
        public_only = session.get(jsm_comments, params={"internal": "false"}).json()
        missing = session.post(f"{url}/rest/servicedeskapi/request/SUP-1/comment", json={"body": "no flag"})
    assert jsm.status_code == 201
    assert {k: jsm.json()[k] for k in ("body", "public")} == {"body": "Escalated to L2", "public": False}
    assert platform["jsdPublic"] is False and platform["body"] == text_to_adf("Escalated to L2")
    assert [c["id"] for c in internal_only["values"]] == [platform["id"]] and public_only["values"] == []
    assert missing.status_code == 400 and set(missing.json()) == {"errorMessage", "i18nErrorMessage"}
    assert [w.body.get("public") for w in app.writes] == [False, None]


def test_edit_comment_in_place():
    with served(app_for(ticket(1))) as (url, session):
        created = session.post(f"{url}/rest/api/3/issue/SUP-1/comment",
                               json={"body": text_to_adf("state: on_track"), "properties": INTERNAL}).json()
        edited = session.put(f"{url}/rest/api/3/issue/SUP-1/comment/{created['id']}",
                             json={"body": text_to_adf("state: at_risk")})
        listed = session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json()
    assert edited.status_code == 200 and edited.json()["body"] == text_to_adf("state: at_risk")
    assert listed["total"] == 1 and listed["comments"][0]["jsdPublic"] is False


def test_comment_property_set_later_makes_a_comment_internal():
    with served(app_for(ticket(1))) as (url, session):
        created = session.post(f"{url}/rest/api/3/issue/SUP-1/comment", json={"body": text_to_adf("x")}).json()
        put = session.put(f"{url}/rest/api/3/comment/{created['id']}/properties/sd.public.comment",
                          json={"internal": True})
        comment = session.get(f"{url}/rest/api/3/issue/SUP-1/comment/{created['id']}",
                              params={"expand": "properties"}).json()
    assert put.status_code == 201
    assert comment["jsdPublic"] is False and comment["properties"] == INTERNAL


def test_create_issue_is_searchable_and_readable():
    app = app_for(ticket(1))
    fields = {"project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": "Follow up on SUP-1",
              "description": text_to_adf("Customer rated 1/5"), "labels": ["deskplan", "follow-up"],
              "duedate": "2026-03-05"}
    with served(app) as (url, session):
        created = session.post(f"{url}/rest/api/3/issue", json={
            "fields": fields, "properties": [{"key": "deskplan.idempotency", "value": {"key": "abc"}}]})
        found = session.get(f"{url}/rest/api/3/search/jql", params={
            "jql": "project = IMP AND labels = deskplan", "fields": "summary,duedate,status,labels",
            "properties": "deskplan.idempotency"}).json()
        issue = session.get(f"{url}/rest/api/3/issue/IMP-1").json()
    assert created.status_code == 201
    assert created.json() == {"id": "10002", "key": "IMP-1", "self": f"{url}/rest/api/3/issue/10002"}
    hit = found["issues"][0]
    assert hit["key"] == "IMP-1" and hit["properties"] == {"deskplan.idempotency": {"key": "abc"}}
    assert hit["fields"]["status"]["name"] == "To Do" and hit["fields"]["duedate"] == "2026-03-05"
    assert issue["fields"]["description"] == fields["description"] and issue["fields"]["created"] == NOW


def test_create_issue_errors_are_error_collections():
    with served(app_for(ticket(1))) as (url, session):
        unknown_field = session.post(f"{url}/rest/api/3/issue", json={"fields": {
            "project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "x", "colour": "red"}})
        unknown_project = session.post(f"{url}/rest/api/3/issue", json={"fields": {
            "project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}})
        string_description = session.post(f"{url}/rest/api/3/issue", json={"fields": {
            "project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "x", "description": "plain"}})
    assert unknown_field.status_code == 400 and unknown_field.json() == {"errorMessages": [], "errors": {
        "colour": "Field 'colour' cannot be set. It is not on the appropriate screen, or unknown."}}
    assert unknown_project.json() == {"errorMessages": [], "errors": {"project": "Specify a valid project ID or key"}}
    assert string_description.json()["errors"] == {
        "description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"}


def test_bulk_create_reports_failures_by_index():
    good = {"fields": {"project": {"key": "IMP"}, "issuetype": {"id": "10004"}, "summary": "ok"}}
    bad = {"fields": {"project": {"key": "IMP"}, "issuetype": {"id": "99"}, "summary": "bad"}}
    with served(app_for(ticket(1))) as (url, session):
        partial = session.post(f"{url}/rest/api/3/issue/bulk", json={"issueUpdates": [good, bad]})
        failed = session.post(f"{url}/rest/api/3/issue/bulk", json={"issueUpdates": [bad]})
    assert partial.status_code == 201
    assert [i["key"] for i in partial.json()["issues"]] == ["IMP-1"]
    assert partial.json()["errors"] == [{"status": 400, "elementErrors": {
        "errorMessages": [], "errors": {"issuetype": "The issue type selected is invalid."}}, "failedElementNumber": 1}]
    assert failed.status_code == 400 and failed.json()["issues"] == []


def test_issue_link_is_201_without_body_and_visible_from_both_sides():
    with served(app_for(ticket(1), ticket(2))) as (url, session):
        response = session.post(f"{url}/rest/api/3/issueLink", json={
            "type": {"name": "Relates"}, "inwardIssue": {"key": "SUP-1"}, "outwardIssue": {"key": "SUP-2"}})
        one = session.get(f"{url}/rest/api/3/issue/SUP-1", params={"fields": "issuelinks"}).json()
        two = session.get(f"{url}/rest/api/3/issue/SUP-2", params={"fields": "issuelinks"}).json()
        missing = session.post(f"{url}/rest/api/3/issueLink", json={
            "type": {"name": "Relates"}, "inwardIssue": {"key": "SUP-1"}, "outwardIssue": {"key": "SUP-9"}})
    assert response.status_code == 201 and response.content == b""
    assert one["fields"]["issuelinks"][0]["outwardIssue"]["key"] == "SUP-2"
    assert two["fields"]["issuelinks"][0]["inwardIssue"]["key"] == "SUP-1"
    assert one["fields"]["issuelinks"][0]["type"]["name"] == "Relates"
    assert missing.status_code == 404


TASK = {"project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": "Follow up on SUP-1"}


def add_link(**side):
    return {"issuelinks": [{"add": {"type": {"name": "Relates"}, **side}}]}


def test_create_with_update_issuelinks_links_the_new_issue_in_the_same_request():
    app = app_for(ticket(1), ticket(2))
    with served(app) as (url, session):
        created = session.post(f"{url}/rest/api/3/issue", json={
            "fields": TASK, "update": add_link(inwardIssue={"key": "SUP-1"})})
        other_way = session.post(f"{url}/rest/api/3/issue", json={
            "fields": TASK, "update": add_link(outwardIssue={"key": "SUP-2"})})
        source = session.get(f"{url}/rest/api/3/issue/SUP-1", params={"fields": "issuelinks"}).json()
        task = session.get(f"{url}/rest/api/3/issue/IMP-1", params={"fields": "issuelinks"}).json()
        second = session.get(f"{url}/rest/api/3/issue/IMP-2", params={"fields": "issuelinks"}).json()
    assert (created.status_code, created.json()["key"], other_way.json()["key"]) == (201, "IMP-1", "IMP-2")
    # As POST /issueLink with inwardIssue SUP-1 and outwardIssue IMP-1: each side names the other.
    (link,) = source["fields"]["issuelinks"]
    assert (link["type"]["name"], link["outwardIssue"]["key"]) == ("Relates", "IMP-1")
    assert link["outwardIssue"]["fields"]["summary"] == "Follow up on SUP-1"
    assert [each["inwardIssue"]["key"] for each in task["fields"]["issuelinks"]] == ["SUP-1"]
    assert [each["outwardIssue"]["key"] for each in second["fields"]["issuelinks"]] == ["SUP-2"]
    assert [w.path for w in app.writes] == ["/rest/api/3/issue", "/rest/api/3/issue"]


def test_create_with_a_bad_link_creates_nothing_and_names_issuelinks():
    app = app_for(ticket(1))
    with served(app) as (url, session):
        missing = session.post(f"{url}/rest/api/3/issue", json={
            "fields": TASK, "update": add_link(inwardIssue={"key": "SUP-9"})})
        both_sides = session.post(f"{url}/rest/api/3/issue", json={"fields": TASK, "update": add_link(
            inwardIssue={"key": "SUP-1"}, outwardIssue={"key": "SUP-1"})})
        app.create_screen_links = False          # a site without "Linked Issues" on its create screen
        off_screen = session.post(f"{url}/rest/api/3/issue", json={
            "fields": TASK, "update": add_link(inwardIssue={"key": "SUP-1"})})
        created = session.post(f"{url}/rest/api/3/issue", json={"fields": TASK})
    assert missing.status_code == 400 and missing.json() == {
        "errorMessages": [], "errors": {"issuelinks": "Issue 'SUP-9' does not exist."}}
    assert both_sides.json()["errors"] == {
        "issuelinks": "Specify a valid issue link type and exactly one linked issue."}
    assert off_screen.json() == {"errorMessages": [], "errors": {
        "issuelinks": "Field 'issuelinks' cannot be set. It is not on the appropriate screen, or unknown."}}
    assert created.json()["key"] == "IMP-1"          # none of the refused requests took a key


def test_issue_properties_round_trip():
    with served(app_for(ticket(1))) as (url, session):
        base = f"{url}/rest/api/3/issue/SUP-1/properties"
        statuses = [session.put(f"{base}/deskplan.state", json={"v": n}).status_code for n in (1, 2)]
        value = session.get(f"{base}/deskplan.state").json()
        listed = session.get(base).json()
        deleted = session.delete(f"{base}/deskplan.state").status_code
        gone = session.get(f"{base}/deskplan.state")
        too_long = session.put(f"{base}/big", json={"v": "x" * 40000}).status_code
    assert statuses == [201, 200]
    assert value == {"key": "deskplan.state", "value": {"v": 2}}
    assert listed == {"keys": [{"key": "deskplan.state", "self": f"{base}/deskplan.state"}]}
    assert deleted == 204 and gone.status_code == 404 and too_long == 400


def test_missing_issue_is_jiras_404_and_deleted_tickets_are_absent():
    app = app_for(ticket(1), ticket(2, deleted=True))
    with served(app) as (url, session):
        response = session.get(f"{url}/rest/api/3/issue/SUP-2")
    assert response.status_code == 404
    assert response.json() == {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                               "errors": {}}


def test_changelog_pages_oldest_first():
    flips = [(minutes(m), "open" if m % 2 else "waiting_customer") for m in range(1, 6)]
    with served(app_for(ticket(1, statuses=flips))) as (url, session):
        first = session.get(f"{url}/rest/api/3/issue/SUP-1/changelog", params={"maxResults": 2}).json()
        last = session.get(f"{url}/rest/api/3/issue/SUP-1/changelog", params={"startAt": 4, "maxResults": 2}).json()
    assert (first["startAt"], first["maxResults"], first["total"], first["isLast"]) == (0, 2, 5, False)
    assert first["nextPage"] == f"{url}/rest/api/3/issue/SUP-1/changelog?startAt=2&maxResults=2"
    assert [h["created"] for h in first["values"]] == ["2026-03-02T01:01:00.000-0800", "2026-03-02T01:02:00.000-0800"]
    assert first["values"][0]["items"] == [{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1",
                                            "fromString": "Open", "to": "3", "toString": "In Progress"}]
    assert last["isLast"] is True and "nextPage" not in last and len(last["values"]) == 1


def test_programmatic_changes_are_visible_with_their_history():
    app = app_for(ticket(1))
    app.store.update_issue("SUP-1", T0 + minutes(90), status="Resolved", labels=["done"])
    with served(app) as (url, session):
        issue = session.get(f"{url}/rest/api/3/issue/SUP-1", params={"expand": "changelog"}).json()
    fields = issue["fields"]
    assert fields["status"]["name"] == "Resolved" and fields["resolution"]["name"] == "Done"
    assert fields["resolutiondate"] == fields["updated"] == "2026-03-02T02:30:00.000-0800"
    assert [i["field"] for i in issue["changelog"]["histories"][0]["items"]] == ["resolution", "status", "labels"]
