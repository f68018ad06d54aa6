"""`check --online` for a Jira source: every setting that names something in Jira, asked of
Jira with GET requests only, so that a wrong key surfaces before the first write does.

- `projects`: each key is a project the account can see (`GET /project/{key}`);
- `service_desk`: a JSM service desk the account is an agent of, of one of `projects`;
- `tasks_project` and `tasks_issue_type`: the account can create issues of that type there
  (create metadata, `GET /issue/createmeta/{project}/issuetypes`); without `tasks_project`,
  in each of `projects`, where tasks then go;
- `status_map`: each key is a status of the site (`GET /status`), compared as the mapping
  compares it (case-insensitively);
- owners (plan.yaml): an `assignee` is an active user (an email found by `GET /user/search`, an
  accountId by its `accountId`), a `component` exists in each project tasks go to.
"""

from __future__ import annotations

from typing import Any

from deskplan.adapters.base import OwnerRoutes, Probe
from deskplan.adapters.jira.client import JiraClient
from deskplan.config import SourceConfig
from deskplan.errors import RequestRejected
from deskplan.rules.suggest import suggest

SHOWN = 12          # names listed in a message at most


def probe_settings(client: JiraClient, me: dict[str, Any], config: SourceConfig, owners: OwnerRoutes) -> Probe:
    probe = Probe()
    who = me.get("emailAddress") or me.get("displayName") or config.email
    probe.checked.append(f"credentials of {who} accepted")
    found = _projects(client, config, probe)
    _service_desk(client, config, found, probe)
    task_projects = _task_type(client, config, [config.tasks_project] if config.tasks_project else found, probe)
    _statuses(client, config, probe)
    _owners(client, owners, task_projects, probe)
    return probe


def _projects(client: JiraClient, config: SourceConfig, probe: Probe) -> list[str]:
    """The keys of `projects` that exist (as Jira spells them)."""
    found = []
    for index, key in enumerate(config.projects):
        project = client.project(key)
        if project is None:
            probe.mismatch(("projects", index), f"no project {key!r} that {config.email} can see in {config.url}"
                           + _visible(client, key))
        else:
            found.append(str(project.get("key") or key))
    if found:
        probe.checked.append(f"projects {', '.join(found)}")
    return found


def _visible(client: JiraClient, key: str) -> str:
    """`; it sees: A, B` with a suggestion, from the project list (a user's typo is the usual cause)."""
    try:
        keys = client.project_keys()
    except RequestRejected:     # only a hint: the mismatch stands without it
        return ""
    return f"{suggest(key, keys)}; it sees: {_listed(keys)}" if keys else ""


def _service_desk(client: JiraClient, config: SourceConfig, projects: list[str], probe: Probe) -> None:
    if config.service_desk is None:
        return
    desks = list(client.service_desks())
    desk = next((d for d in desks if str(d.get("id")) == config.service_desk), None)
    if desk is None:
        there = _listed([f"{d.get('id')} ({d.get('projectKey')})" for d in desks])
        probe.mismatch(("service_desk",), f"no service desk {config.service_desk!r} that {config.email} is an agent "
                       f"of; there are: {there}")
        return
    key = str(desk.get("projectKey") or "")
    if key.casefold() not in {p.casefold() for p in config.projects}:
        probe.mismatch(("service_desk",), f"service desk {config.service_desk} is project {key}'s, which `projects` "
                       "does not list")
        return
    probe.checked.append(f"service desk {config.service_desk} ({key})")


def _task_type(client: JiraClient, config: SourceConfig, projects: list[str], probe: Probe) -> list[str]:
    """Checks the issue type in each project tasks go to; returns those that exist."""
    wanted = config.tasks_issue_type
    existing = []
    for project in projects:
        types = client.creatable_issue_types(project)
        if types is None:
            setting = ("tasks_project",) if config.tasks_project else ("projects", _index(config.projects, project))
            probe.mismatch(setting, f"{config.email} cannot create issues in project {project!r} (no such project, "
                           "or no permission to create issues there): improvement tasks go there")
            continue
        existing.append(project)
        names = [str(t["name"]) for t in types if t.get("name") and not t.get("subtask")]
        if wanted.casefold() not in {n.casefold() for n in names}:     # Jira finds an issue type by name in any case
            probe.mismatch(("tasks_issue_type",), f"project {project} has no issue type {wanted!r} that "
                           f"{config.email} can create{suggest(wanted, names)}; it has: {_listed(names)}")
            continue
        probe.checked.append(f"{wanted} issues can be created in {project}")
    return existing


def _statuses(client: JiraClient, config: SourceConfig, probe: Probe) -> None:
    if not config.status_map:
        return
    names = sorted({str(s["name"]) for s in client.statuses() if s.get("name")})
    known = {n.casefold() for n in names}
    missing = [key for key in config.status_map if key.casefold() not in known]
    for key in missing:
        probe.mismatch(("status_map", key), f"Jira has no status {key!r}{suggest(key, names)}; it has: "
                       f"{_listed(names)}")
    if len(missing) < len(config.status_map):
        probe.checked.append(f"status_map: {len(config.status_map) - len(missing)} statuses")


def _owners(client: JiraClient, owners: OwnerRoutes, projects: list[str], probe: Probe) -> None:
    components: dict[str, set[str] | None] = {}
    probe.owners(owners, {"assignee": lambda who: _assignee(client, who),
                          "component": lambda name: _component(client, components, projects, name)},
                 "assignees and components")


def _assignee(client: JiraClient, who: str) -> str | None:
    if "@" not in who:
        if client.users(account_id=who):
            return None
        return f"no active Jira user has the accountId {who!r}"
    if client.user_by_email(who):
        return None
    return f"no active Jira user has the email {who!r}"


def _component(client: JiraClient, cache: dict[str, set[str] | None], projects: list[str], name: str) -> str | None:
    lacking = []
    for project in projects:
        if project not in cache:
            listed = client.components(project)
            cache[project] = None if listed is None else {str(c.get("name")) for c in listed}
        names = cache[project]
        if names is not None and name not in names:
            lacking.append(f"{project}{suggest(name, sorted(names))}")
    if lacking:
        return f"no component {name!r} in project {', '.join(lacking)}"
    return None


def _index(keys: tuple[str, ...], key: str) -> int:
    folded = [k.casefold() for k in keys]
    return folded.index(key.casefold()) if key.casefold() in folded else 0


def _listed(names: list[str]) -> str:
    if not names:
        return "none"
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more
