"""`check --online` for a Zendesk source: every setting that names something in Zendesk, asked
with GET requests only.

- `tasks_group`: a group id of the account that is not deleted (`GET /groups/{id}`); a name
  given instead is looked up, to say which id to write;
- `status_map`: each key is a ticket status. A ticket's `status` is one of Zendesk's own
  (`new`, `open`, `pending`, `hold`, `solved`, `closed`) whatever the account's custom statuses:
  a custom status is reported as its category, so only these can be mapped;
- owners (plan.yaml): a `group` is the name of a group (`GET /groups`), an `assignee` the email
  of an active agent or admin (`GET /users/search`).
"""

from __future__ import annotations

from collections.abc import Callable

from deskplan.adapters.base import OwnerRoutes, Probe
from deskplan.adapters.zendesk.client import ZendeskClient
from deskplan.adapters.zendesk.mapping import DEFAULT_STATUS_MAP
from deskplan.config import SourceConfig
from deskplan.rules.suggest import suggest


def probe_settings(client: ZendeskClient, me: str, config: SourceConfig, owners: OwnerRoutes) -> Probe:
    probe = Probe()
    probe.checked.append(f"credentials of {me} accepted")
    groups: list[tuple[str, str]] | None = None     # (id, name) of live groups, read once when needed

    def live_groups() -> list[tuple[str, str]]:
        nonlocal groups
        if groups is None:
            groups = [(str(g.get("id")), str(g.get("name"))) for g in client.groups() if not g.get("deleted")]
        return groups

    if config.tasks_group is not None:
        _tasks_group(client, config.tasks_group, live_groups, probe)
    _statuses(config, probe)

    def group(name: str) -> str | None:
        names = [n for _, n in live_groups()]
        if name.casefold() in {n.casefold() for n in names}:
            return None
        return f"no Zendesk group is named {name!r}{suggest(name, names)}; there are: {', '.join(names)}"

    def assignee(email: str) -> str | None:
        return None if client.agent(email) else f"no active Zendesk agent has the email {email!r}"

    probe.owners(owners, {"group": group, "assignee": assignee}, "groups and assignees")
    return probe


def _tasks_group(client: ZendeskClient, wanted: str, live_groups: Callable[[], list[tuple[str, str]]],
                 probe: Probe) -> None:
    if not wanted.isdigit():
        named = [gid for gid, name in live_groups() if name.casefold() == wanted.casefold()]
        hint = f": group {wanted!r} has the id {named[0]}" if named else ""
        probe.mismatch(("tasks_group",), f"tasks_group takes a group's id (a number){hint}")
        return
    group = client.group(wanted)
    if group is None or group.get("deleted"):
        there = ", ".join(f"{gid} ({name})" for gid, name in live_groups())
        probe.mismatch(("tasks_group",), f"no Zendesk group has the id {wanted}; there are: {there or 'none'}")
        return
    probe.checked.append(f"tasks_group {wanted} ({group.get('name')})")


def _statuses(config: SourceConfig, probe: Probe) -> None:
    names = list(DEFAULT_STATUS_MAP)
    missing = [key for key in config.status_map if key not in DEFAULT_STATUS_MAP]
    for key in missing:
        probe.mismatch(("status_map", key), f"Zendesk has no ticket status {key!r}{suggest(key, names)}: a ticket's "
                       f"status is one of {', '.join(names)} (a custom status is reported as its category)")
    if len(missing) < len(config.status_map):
        probe.checked.append(f"status_map: {len(config.status_map) - len(missing)} statuses")
