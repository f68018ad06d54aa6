"""Every Jira simulator answer deskplan reads, validated against Atlassian's platform OpenAPI
document (https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json, recorded in the
contracts' `jira/openapi/`), allowing only the deviations listed in DEVIATIONS, each with the
evidence that the real service answers so. OpenAPI 3.0's `nullable` is read as JSON Schema's
`[type, "null"]`."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from .jira_support import app_for, minutes, served, ticket

ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}]}

# (where in the answer, the validator's message, the evidence that the real service answers so)
DEVIATIONS = [
    (r"(^|/)items/\d+/(from|fromString|to|toString)$", r"^None is not of type 'string'$",
     "ChangeDetails types from/fromString/to/toString as strings; real changelogs carry null for a value that "
     "was or became empty: the contracts' jira/recorded/webhooks/mattermost-plugin-jira__webhook-issue-updated-"
     "resolved.json has {\"field\": \"resolution\", \"from\": null, \"fromString\": null, ...}"),
    (r"^\d+$", r"^Additional properties are not allowed \('untranslatedName' was unexpected\)$",
     "FieldDetails has no untranslatedName; Jira Cloud lists it on custom fields beside the translated name "
     "(client test data copied from real sites' /field answers show it, e.g. a JSM catalog's customfield_10070 "
     "'Satisfaction date'), and deskplan's adapters/jira/fields.py matches either name"),
]


def _nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.get("nullable") and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@cache
def _components(path: Path) -> dict[str, Any]:
    return _nullable(json.loads(path.read_text("utf-8"))["components"])


def problems(contracts_dir: Path, instance: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, message) of every way `instance` departs from `schema` and no deviation allows."""
    components = _components(contracts_dir / "jira/openapi/jira-platform-cloud-v3.openapi.json")
    validator = jsonschema.Draft7Validator({**schema, "components": components})
    found = {("/".join(map(str, error.absolute_path)), error.message) for error in validator.iter_errors(instance)}
    return sorted((where, message) for where, message in found
                  if not any(re.search(w, where) and re.search(m, message) for w, m, _ in DEVIATIONS))


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


@pytest.fixture(scope="module")
def answers():
    """The answers deskplan reads, from a site with a commented, solved, rated issue."""
    app = app_for(ticket(1, comments=[(minutes(5), 1, "Looking into it", True), (minutes(6), 1, "note", False)],
                         statuses=[(minutes(10), "open"), (minutes(60), "solved")], ratings=[(minutes(70), "bad")]),
                  ticket(2))
    with served(app) as (url, session):
        session.put(f"{url}/rest/api/3/issue/SUP-1/properties/deskplan", json={"key": "k1"}).raise_for_status()
        search = {"jql": "project = SUP", "fields": ["*all"], "expand": "changelog", "maxResults": 100}
        yield {
            "serverInfo": (requests.get(f"{url}/rest/api/3/serverInfo").json(), ref("ServerInformation")),
            "myself": (session.get(f"{url}/rest/api/3/myself").json(), ref("User")),
            "field": (session.get(f"{url}/rest/api/3/field").json(), {"type": "array", "items": ref("FieldDetails")}),
            "search": (session.post(f"{url}/rest/api/3/search/jql", json=search).json(),
                       ref("SearchAndReconcileResults")),
            "issue": (session.get(f"{url}/rest/api/3/issue/SUP-1", params={"expand": "changelog"}).json(),
                      ref("IssueBean")),
            "changelog": (session.get(f"{url}/rest/api/3/issue/SUP-1/changelog").json(), ref("PageBeanChangelog")),
            "comments": (session.get(f"{url}/rest/api/3/issue/SUP-1/comment").json(), ref("PageOfComments")),
            "add comment": (session.post(f"{url}/rest/api/3/issue/SUP-1/comment", json={"body": ADF}).json(),
                            ref("Comment")),
            "create issue": (session.post(f"{url}/rest/api/3/issue", json={"fields": {
                "project": {"key": "IMP"}, "issuetype": {"name": "Task"}, "summary": "Follow up"}}).json(),
                             ref("CreatedIssue")),
            "issue property": (session.get(f"{url}/rest/api/3/issue/SUP-1/properties/deskplan").json(),
                               ref("EntityProperty")),
            "transitions": (session.get(f"{url}/rest/api/3/issue/SUP-1/transitions").json(), ref("Transitions")),
        }


@pytest.mark.parametrize("name", ["serverInfo", "myself", "field", "search", "issue", "changelog", "comments",
                                  "add comment", "create issue", "issue property", "transitions"])
def test_the_answer_is_the_openapis_but_for_documented_deviations(contracts_dir, answers, name):
    instance, schema = answers[name]
    assert problems(contracts_dir, instance, schema) == []


def test_a_departure_no_deviation_documents_is_found(contracts_dir, answers):
    instance, schema = answers["myself"]
    broken = {**instance, "active": "yes"}
    assert problems(contracts_dir, broken, schema) == [("active", "'yes' is not of type 'boolean'")]
