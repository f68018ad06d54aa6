"""Small builders of Jira REST v3 payloads for the Jira adapter tests (shapes as recorded)."""

from __future__ import annotations

from typing import Any

SITE = "https://acme.atlassian.net"

AGENT = {"accountId": "agent-1", "displayName": "Mia Krystof", "accountType": "atlassian", "active": True}
CUSTOMER = {"accountId": "qm:cust-1", "displayName": "王芳", "accountType": "customer", "active": True}

CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]}


def status(name: str, category: str, sid: str = "10001") -> dict[str, Any]:
    return {"self": f"{SITE}/rest/api/3/status/{sid}", "description": "", "name": name, "id": sid,
            "statusCategory": CATEGORIES[category]}


def comment(cid: str, created: str, body: str, author=AGENT, public: bool = True) -> dict[str, Any]:
    return {"self": f"{SITE}/rest/api/3/issue/10100/comment/{cid}", "id": cid, "author": author,
            "body": adf(body), "updateAuthor": author, "created": created, "updated": created, "jsdPublic": public}


def status_change(hid: str, created: str, before: str, after: str, author=AGENT) -> dict[str, Any]:
    return {"id": hid, "author": author, "created": created, "items": [
        {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1", "fromString": before,
         "to": "2", "toString": after}]}


def issue(
    *,
    key: str = "SD-7",
    issue_id: str = "10100",
    created: str = "2026-03-02T09:00:00.000+0800",
    updated: str = "2026-03-02T09:00:00.000+0800",
    current=None,
    histories: list | None = None,
    changelog_total: int | None = None,
    comments: list | None = None,
    comment_total: int | None = None,
    description: str | None = "订单 #1 的退款还没到账",
    reporter=CUSTOMER,
    **fields: Any,
) -> dict[str, Any]:
    histories = histories or []
    comments = comments or []
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": issue_id,
        "self": f"{SITE}/rest/api/3/issue/{issue_id}",
        "key": key,
        "changelog": {"startAt": 0, "maxResults": len(histories), "total": changelog_total or len(histories),
                      "histories": histories},
        "fields": {
            "summary": "Refund not received",
            "description": adf(description) if description is not None else None,
            "status": current or status("Waiting for support", "indeterminate"),
            "priority": {"name": "Medium", "id": "3"},
            "labels": [],
            "issuetype": {"id": "10002", "name": "Service Request", "subtask": False},
            "project": {"id": "10000", "key": key.split("-")[0], "name": "Service Desk"},
            "created": created,
            "updated": updated,
            "resolutiondate": None,
            "reporter": reporter,
            "creator": reporter,
            "assignee": None,
            "components": [],
            "comment": {"comments": comments, "self": f"{SITE}/rest/api/3/issue/{issue_id}/comment",
                        "maxResults": len(comments), "total": comment_total or len(comments), "startAt": 0},
            **fields,
        },
    }
