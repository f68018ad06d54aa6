"""Loads a Jira fixtures file `{"fields": [...], "issues": [...]}` (`--fixtures`).

`fields` is the site's field catalog as `GET /rest/api/3/field` returns it (optional); each issue
is exactly what `GET /rest/api/3/issue/{key}?expand=changelog` returned, comments under
`fields.comment.comments`. Issues are kept verbatim, unknown fields included; only `comment`
and `changelog` are taken apart so that new comments and changes can be appended to them.

An issue's CSAT feedback, which the issue's own JSON does not carry in full (its Satisfaction
field holds the rating, not the customer's comment), goes under the issue's `feedback` key
exactly as `GET /rest/servicedeskapi/request/{key}/feedback` returns it:
`{"type": "csat", "rating": 2, "comment": {"body": "..."}}`. Without one, the rating in the
Satisfaction field is served as feedback without a comment.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.jira.store import INTERNAL, IssueRecord, IssueStore, StoreError


class FixtureError(ConfigError):
    """The fixtures file is not in the expected shape; the message names the issue and the key."""


def read_fixtures(path: Path) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FixtureError(f"{path}: cannot read fixtures: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("issues", []), list):
        raise FixtureError(f"{path}: expected an object with an `issues` list (and optional `fields`)")
    fields = data.get("fields")
    if fields is not None and not isinstance(fields, list):
        raise FixtureError(f"{path}: `fields` must be the list GET /rest/api/3/field returns")
    return fields, data.get("issues", [])


def add_fixture_issue(store: IssueStore, raw: dict[str, Any]) -> IssueRecord:
    where = f"issue {raw.get('key', '?')}"
    for name in ("id", "key", "fields"):
        if name not in raw:
            raise FixtureError(f"{where}: missing `{name}`")
    fields = copy.deepcopy(raw["fields"])
    for name in ("created", "updated"):
        if not isinstance(fields.get(name), str):
            raise FixtureError(f"{where}: fields.{name} must be a Jira datetime string")
    comments = _comments(fields.pop("comment", None), where)
    histories = sorted(copy.deepcopy((raw.get("changelog") or {}).get("histories", [])),
                       key=lambda history: history.get("created", ""))
    modelled = ("id", "key", "self", "fields", "changelog", "properties", "feedback")
    extra = {k: copy.deepcopy(v) for k, v in raw.items() if k not in modelled}
    properties = raw.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    record = IssueRecord(str(raw["id"]), raw["key"], fields, comments=comments, histories=histories,
                         properties=copy.deepcopy(properties), extra=extra)
    record.feedback = _feedback(raw.get("feedback"), fields.get(store.field_ids.feedback or ""), where)
    for comment in comments:
        if comment.get("jsdPublic") is False:
            record.comment_properties[comment["id"]] = {INTERNAL: {"internal": True}}
    project = fields.get("project")
    if isinstance(project, dict) and project.get("key") and project["key"].upper() not in store.projects:
        service_desk = str(len(store.service_desks) + 1) if project.get("projectTypeKey") == "service_desk" else None
        store.add_project(project, service_desk)
    try:
        store.add_record(record)
    except (StoreError, ValueError) as exc:
        raise FixtureError(f"{where}: {exc}") from None
    return record


def _comments(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    comments = value.get("comments") if isinstance(value, dict) else value
    if not isinstance(comments, list) or not all(isinstance(c, dict) and "id" in c for c in comments):
        raise FixtureError(f"{where}: fields.comment.comments must be a list of comments with ids")
    return copy.deepcopy(comments)


def _feedback(given: Any, field: Any, where: str) -> dict[str, Any] | None:
    """The feedback as the JSM API serves it: the fixture's own, else the Satisfaction field's rating."""
    if given is None:
        rating = field.get("rating") if isinstance(field, dict) else None
        return {"type": "csat", "rating": rating} if _is_rating(rating) else None
    comment = given.get("comment") if isinstance(given, dict) else None
    if not isinstance(given, dict) or not _is_rating(given.get("rating")) or not (
            comment is None or (isinstance(comment, dict) and isinstance(comment.get("body"), str))):
        raise FixtureError(f'{where}: feedback must be {{"type": "csat", "rating": 1..5, "comment": {{"body": "..."}}}}'
                           " as GET /rest/servicedeskapi/request/{key}/feedback returns it")
    return {"type": "csat", **copy.deepcopy(given)}


def _is_rating(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
