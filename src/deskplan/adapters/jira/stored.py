"""The stored form of a Jira issue: the issue's JSON with only what `mapping.build_ticket` reads.

An issue as the search returns it is mostly what no rule reads: every person comes with
avatars, e-mail address and time zone (about 1 kB each, on every comment and history),
SLA fields with their whole cycles, request types with links and icons. A ticket record is
written on every change and read back and parsed on every rebuild, so the store keeps a
projection instead (about a tenth of the size): the same shape (a stored issue is still an
issue, and build reads records stored by earlier versions, whole issues, just as well),
holding only the keys build reads, with rich-text bodies (ADF) already turned into the plain
text build would make of them, and only the changelog items build looks at (status changes
and the satisfaction field).

Keep in step with mapping.py: a key that build starts reading must be kept here too.
A value of a shape the projection does not expect is kept as it is, so that build reports
it exactly as it would have reported the issue itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from deskplan.adapters.jira.adf import adf_to_text
from deskplan.adapters.jira.fields import JsmFields

_PERSON = ("accountId", "accountType", "displayName")
_CYCLE = ("breached", "goalDuration", "elapsedTime", "remainingTime")


def is_status_change(item: dict[str, Any]) -> bool:
    """Whether a changelog item changes the status (older sites name the field, newer give its id)."""
    return (item.get("fieldId") or str(item.get("field", "")).lower()) == "status"


def stored_issue(issue: dict[str, Any], jsm: JsmFields) -> dict[str, Any]:
    """The projection of `issue` (with its whole changelog and every comment) that is stored."""
    f = issue.get("fields")
    if not isinstance(f, dict):
        return issue
    trims = _field_trims(jsm)
    kept: dict[str, Any] = {key: issue[key] for key in ("id", "key") if key in issue}
    kept["fields"] = {name: trims[name](value) for name, value in f.items() if name in trims}
    if "changelog" in issue:
        kept["changelog"] = _changelog(issue["changelog"], jsm.feedback)
    return kept


@lru_cache(maxsize=8)
def _field_trims(jsm: JsmFields) -> dict[str, Callable[[Any], Any]]:
    """Field id -> what of its value is kept; fields not named here are not read.
    (Cached: a site has one set of JSM fields, and a sync projects every issue.)"""
    trims: dict[str, Callable[[Any], Any]] = {
        "summary": _same, "labels": _same, "created": _same, "updated": _same, "resolutiondate": _same,
        "description": _plain,
        "status": _status,
        "priority": _name, "issuetype": _name,
        "reporter": _person, "creator": _person, "assignee": _person,
        "components": _first_name,
        "comment": _comment_block,
    }
    for field_id, trim in ((jsm.request_type, _request_type), (jsm.feedback, _same), (jsm.feedback_date, _same),
                           (jsm.organizations, _first_name), (jsm.team, _team)):
        if field_id:
            trims[field_id] = trim
    for field_id, _ in jsm.sla:
        trims[field_id] = _sla
    return trims


def _pick(value: Any, keys: tuple[str, ...]) -> Any:
    """An object with only `keys`; anything else as it is. An object holding none of them is
    kept whole: build also reads whether an object is empty (`creator or reporter`, SLA cycles)."""
    if not isinstance(value, dict):
        return value
    kept = {}
    for key in keys:    # a loop, not a comprehension: ~20% faster on CPython 3.11
        if key in value:
            kept[key] = value[key]
    return kept if kept or not value else value


def _same(value: Any) -> Any:
    return value


def _plain(doc: Any) -> Any:
    """The plain text of an ADF body; a body it cannot read is kept, for build to report."""
    try:
        return adf_to_text(doc)
    except (AttributeError, TypeError, ValueError):
        return doc


def _name(value: Any) -> Any:
    return _pick(value, ("name",))


def _person(value: Any) -> Any:
    try:
        # The usual shape, copied without a loop (for speed: a sync meets ~10 people per issue).
        return {"accountId": value["accountId"], "accountType": value["accountType"],
                "displayName": value["displayName"]}
    except (KeyError, TypeError):
        return _pick(value, _PERSON)


def _account(value: Any) -> Any:
    """Authors of changes: build reads only their account id."""
    try:
        return {"accountId": value["accountId"]}     # the usual shape, without a loop (speed)
    except (KeyError, TypeError):
        return _pick(value, ("accountId",))


def _status(value: Any) -> Any:
    kept = _pick(value, ("name", "statusCategory"))
    if isinstance(kept, dict) and kept is not value and "statusCategory" in kept:
        kept["statusCategory"] = _pick(kept["statusCategory"], ("key",))
    return kept


def _first_name(value: Any) -> Any:
    """Components and organizations: build reads the first one's name."""
    return [_name(value[0])] if isinstance(value, list) and value else value


def _team(value: Any) -> Any:
    return _pick(value, ("name", "title", "value"))


def _request_type(value: Any) -> Any:
    if not isinstance(value, dict) or "requestType" not in value:
        return value
    return {"requestType": _name(value["requestType"])}


def _sla(value: Any) -> Any:
    """The ongoing cycle and the last completed one, with their verdict and durations."""
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    if "ongoingCycle" in value:
        kept["ongoingCycle"] = _cycle(value["ongoingCycle"])
    if "completedCycles" in value:
        cycles = value["completedCycles"]
        kept["completedCycles"] = [_cycle(cycles[-1])] if isinstance(cycles, list) and cycles else cycles
    return kept


def _cycle(cycle: Any) -> Any:
    return _pick(cycle, _CYCLE)


def _comment_block(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    kept = {key: block[key] for key in ("total",) if key in block}
    if "comments" in block:
        comments = block["comments"]
        kept["comments"] = [_comment(c) for c in comments] if isinstance(comments, list) else comments
    return kept


def _comment(comment: Any) -> Any:
    if not isinstance(comment, dict):
        return comment
    kept = {key: comment[key] for key in ("id", "created", "jsdPublic") if key in comment}
    if "author" in comment:
        kept["author"] = _person(comment["author"])
    if "body" in comment:
        kept["body"] = _plain(comment["body"])
    return kept


def _changelog(changelog: Any, feedback_field: str | None) -> Any:
    if not isinstance(changelog, dict):
        return changelog
    kept = {key: changelog[key] for key in ("total",) if key in changelog}
    if "histories" in changelog:
        histories = changelog["histories"]
        kept["histories"] = ([_history(h, feedback_field) for h in histories] if isinstance(histories, list)
                             else histories)
    return kept


def _history(history: Any, feedback_field: str | None) -> Any:
    """A change with the items build reads: status changes and changes of the satisfaction
    field (a resolution set with a status change, for one, is left out)."""
    if not isinstance(history, dict):
        return history
    kept = {key: history[key] for key in ("id", "created") if key in history}
    if "author" in history:
        kept["author"] = _account(history["author"])
    if "items" in history:
        items = history["items"]
        kept["items"] = ([item for item in items
                          if not isinstance(item, dict) or is_status_change(item)
                          or (feedback_field and item.get("fieldId") == feedback_field)]
                         if isinstance(items, list) else items)
    return kept
