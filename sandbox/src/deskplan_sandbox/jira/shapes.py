"""Small JSON objects that appear inside issues: users, statuses, priorities, issue types, projects.

Links are written against `SITE`, a placeholder host that the simulator replaces with the
address it actually serves on when a response is sent (it only learns its port at bind time).
"""

from __future__ import annotations

import hashlib
from typing import Any

from deskplan_sandbox.jira.catalog import CATEGORIES, ISSUE_TYPES, PRIORITIES, Status

SITE = "https://jira-sandbox.invalid"


def account_id(kind: str, seed: str) -> str:
    """Stable Atlassian-looking account ids: 24 hex digits for staff, `qm:` ids for JSM customers."""
    digest = hashlib.sha256(f"{kind}:{seed}".encode()).hexdigest()
    if kind == "customer":
        return f"qm:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}:{digest[32:55]}"
    return digest[:24]


def avatar_urls(account: str) -> dict[str, Any]:
    base = f"https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/{account}"
    return {size: f"{base}/{size.split('x')[0]}" for size in ("48x48", "24x24", "16x16", "32x32")}


def user_json(account: str, name: str, email: str | None, time_zone: str, account_type: str) -> dict[str, Any]:
    """`UserDetails` as it appears in issues and comments (accountType `atlassian` or `customer`)."""
    return {
        "self": f"{SITE}/rest/api/3/user?accountId={account}",
        "accountId": account,
        "emailAddress": email,
        "avatarUrls": avatar_urls(account),
        "displayName": name,
        "active": True,
        "timeZone": time_zone,
        "accountType": account_type,
    }


def jsm_user(user: dict[str, Any]) -> dict[str, Any]:
    """JSM's `UserDTO` (servicedeskapi) built from a platform user."""
    account = user.get("accountId")
    return {
        "accountId": account,
        "emailAddress": user.get("emailAddress"),
        "displayName": user.get("displayName"),
        "active": user.get("active", True),
        "timeZone": user.get("timeZone"),
        "_links": {
            "jiraRest": f"{SITE}/rest/api/2/user?accountId={account}",
            "avatarUrls": user.get("avatarUrls", {}),
            "self": f"{SITE}/rest/api/2/user?accountId={account}",
        },
    }


def category_json(key: str) -> dict[str, Any]:
    category = CATEGORIES[key]
    return {"self": f"{SITE}/rest/api/3/statuscategory/{category['id']}", **category}


def status_json(status: Status) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/status/{status.id}",
        "description": "",
        "iconUrl": f"{SITE}/images/icons/statuses/generic.png",
        "name": status.name,
        "id": status.id,
        "statusCategory": category_json(status.category),
    }


def priority_json(name: str) -> dict[str, Any]:
    priority_id = next(pid for pid, pname in PRIORITIES if pname == name)
    return {
        "self": f"{SITE}/rest/api/3/priority/{priority_id}",
        "iconUrl": f"{SITE}/images/icons/priorities/{name.lower()}.svg",
        "name": name,
        "id": priority_id,
    }


def issuetype_json(name: str) -> dict[str, Any]:
    issue_type = next(t for t in ISSUE_TYPES if t["name"] == name)
    return {
        "self": f"{SITE}/rest/api/3/issuetype/{issue_type['id']}",
        "id": issue_type["id"],
        "description": issue_type["description"],
        "iconUrl": f"{SITE}/images/icons/issuetypes/{name.lower().replace(' ', '')}.svg",
        "name": name,
        "subtask": False,
        "hierarchyLevel": issue_type["hierarchyLevel"],
    }


def project_json(project_id: str, key: str, name: str, type_key: str) -> dict[str, Any]:
    return {
        "self": f"{SITE}/rest/api/3/project/{project_id}",
        "id": project_id,
        "key": key,
        "name": name,
        "projectTypeKey": type_key,
        "simplified": False,
        "avatarUrls": {size: f"{SITE}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size={size}"
                       for size in ("48x48", "24x24", "16x16", "32x32")},
    }
