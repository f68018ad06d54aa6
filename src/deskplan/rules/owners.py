"""Owners and where their work goes: plan.yaml's `owners` (owner -> per source kind, a Zendesk
group and/or assignee, a Jira assignee and/or component) and each cadence entry's source (`in`).

The loader checks that every owner the plan and the rules name is listed (rules/load.py); what
is here needs deskplan.toml too (the source names), so the commands that read both call it:

- `cadence_sources`: each cadence entry's source, `in` or else the first source; an unknown
  name is an InvalidFiles problem at the entry's `in` in plan.yaml;
- `owner_route`: the (field, value) pairs a task of an owner carries into a source of a kind,
  which the writers resolve against the helpdesk (group name -> id, email -> user).

`check --online` reads `routes_by_kind` to verify every owner's group, assignee and
component against each helpdesk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from deskplan.errors import InvalidFiles, Problem
from deskplan.rules.load import PLAN_FILE
from deskplan.rules.plan import Plan
from deskplan.rules.suggest import suggest
from deskplan.rules.validation import message
from deskplan.rules.yamlload import reread_yaml

OWNER_SEPARATORS = re.compile("[,、，]")     # how `Lang.listed` joins a goal task's owners, in each language

Route = tuple[tuple[str, str], ...]
"""(field, value) pairs: Zendesk `group` (name), `assignee` (email); Jira `assignee` (email or
accountId), `component` (name)."""

def cadence_sources(plan: Plan, root: Path, sources: Sequence[str]) -> dict[str, str]:
    """cadence id -> the source its review tasks go to: its `in`, else the first of `sources`
    (deskplan.toml's order). An `in` that names no source is a problem at its FILE:LINE:COL."""
    problems: list[Problem] = []
    found: dict[str, str] = {}
    for index, entry in enumerate(plan.cadence):
        if entry.source is None:
            if sources:
                found[entry.id] = sources[0]
            continue
        if entry.source in sources:
            found[entry.id] = entry.source
            continue
        listed = f"; deskplan.toml has: {', '.join(sources)}" if sources else "; deskplan.toml has no sources"
        text = f"unknown source {entry.source!r}{suggest(entry.source, list(sources))}{listed}"
        problems.append(_problem(root / PLAN_FILE, ("cadence", index, "in"), text, f"cadence {entry.id}"))
    if problems:
        raise InvalidFiles(problems)
    return found


def _problem(path: Path, where: tuple[str, int, str], text: str, label: str) -> Problem:
    """The problem at `where` in the file; at its first line when the file cannot be read again."""
    doc = reread_yaml(path)
    if doc is None:
        return Problem(str(path), 1, 1, f"{label}: in: {text}")
    return doc.problem(where, message(doc, where, text))


def owner_route(plan: Plan, owner: str | None, kind: str) -> Route:
    """Where a task of `owner` goes in a source of `kind`: the owner's pairs in `owners`, or none
    (no `owners`, an owner it does not list, or none for that kind). A goal task's owner is its
    measures' owners joined in the plan's language (", ", "、": i18n.py `Lang.listed`): the first
    of them that `owners` lists routes it."""
    if not owner or not plan.owners:
        return ()
    for name in (owner, *(part.strip() for part in OWNER_SEPARATORS.split(owner))):
        routes = plan.owners.get(name)
        if routes is not None:
            return routes.route(kind)
    return ()


def routes_by_kind(plan: Plan, kind: str) -> dict[str, Route]:
    """owner -> its pairs in a source of `kind`, for the owners that have some there."""
    return {name: route for name, routes in (plan.owners or {}).items() if (route := routes.route(kind))}
