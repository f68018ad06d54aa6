"""`deskplan check --online`: everything `check` does, then each source's settings asked of its
helpdesk, reading only, so that a project key, a task project or issue type, a group, a status
or an owner the helpdesk does not know is exit 2 at its FILE:LINE:COL before anything is written,
instead of a refused write in the middle of a sync.

What is asked of each helpdesk is the adapter's (`probe`, GET requests only); here the answers
become positions in deskplan.toml (the source's settings) or plan.yaml (`owners`), and the exit
code: 2 when a setting does not match its helpdesk, else 4 when a helpdesk could not be reached
or refused the credentials, else 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deskplan.adapters import open_adapter
from deskplan.adapters.base import Adapter, Mismatch, SettingsProber
from deskplan.app.check import check_workspace
from deskplan.config import CONFIG_NAME, SourceConfig, load_config, setting_position
from deskplan.errors import AuthError, ConfigError, ExitStatus, HelpdeskError, Problem
from deskplan.rules.load import PLAN_FILE, load_workspace
from deskplan.rules.owners import routes_by_kind
from deskplan.rules.yamlload import reread_yaml

AdapterFactory = Callable[[SourceConfig, str], Adapter]


@dataclass
class OnlineCheck:
    summary: str                                            # the offline check's line
    lines: list[str] = field(default_factory=list)          # per source: what the helpdesk agrees with
    problems: list[Problem] = field(default_factory=list)   # settings the helpdesk does not match (exit 2)
    unreached: list[str] = field(default_factory=list)      # helpdesks not reached or refusing (exit 4)

    @property
    def exit_code(self) -> int:
        if self.problems:
            return ExitStatus.INVALID
        return ExitStatus.UNREACHABLE if self.unreached else ExitStatus.OK


def check_online(root: Path, *, environ: Mapping[str, str] = os.environ,
                 adapter_factory: AdapterFactory = open_adapter,
                 warn: Callable[[Problem], None] | None = None) -> OnlineCheck:
    """The offline check (raises InvalidFiles as `check` does), then every source online."""
    result = OnlineCheck(check_workspace(root, warn=warn))
    config_path = root / CONFIG_NAME
    config = load_config(config_path)
    plan = load_workspace(root).plan
    for index, source in enumerate(config.sources):
        at = _toml_position(config_path, index)
        try:
            token = source.token(environ)
        except ConfigError as exc:
            result.problems.append(at(("token_env",), str(exc)))
            continue
        adapter = adapter_factory(source, token)
        if not isinstance(adapter, SettingsProber):
            result.lines.append(f"{source.name}: not checked online (its adapter cannot ask the helpdesk)")
            continue
        try:
            probe = adapter.probe(source, routes_by_kind(plan, source.kind))
        except AuthError as exc:
            line, col = setting_position(config_path, ("sources", index, "token_env"))
            result.unreached.append(
                f"{config_path}:{line}:{col}: source {source.name!r}: {source.url} refused the credentials of "
                f"{source.email} (the token in ${source.token_env}): {exc}")
            continue
        except HelpdeskError as exc:
            result.unreached.append(f"source {source.name!r}: {exc}")
            continue
        result.lines.append(f"{source.name} ({source.url}): " + "; ".join(probe.checked))
        for mismatch in probe.mismatches:
            if mismatch.setting[:1] == ("owners",):
                result.problems.append(_owner_problem(root / PLAN_FILE, source, mismatch))
            else:
                result.problems.append(at(mismatch.setting, f"{source.name}: {mismatch.message}"))
    return result


def _toml_position(path: Path, index: int) -> Callable[[tuple[str | int, ...], str], Problem]:
    def at(setting: tuple[str | int, ...], message: str) -> Problem:
        line, col = setting_position(path, ("sources", index, *setting))
        name = ".".join(str(part) for part in setting)
        return Problem(str(path), line, col, f"{name}: {message}")
    return at


def _owner_problem(path: Path, source: SourceConfig, mismatch: Mismatch) -> Problem:
    """At the owner's setting in plan.yaml (`owners: {marketing: {zendesk: {group: ...}}}`)."""
    _, owner, setting = mismatch.setting
    text = f"owners.{owner}.{source.kind}.{setting}: {mismatch.message} (source {source.name!r})"
    doc = reread_yaml(path)
    if doc is None:
        return Problem(str(path), 1, 1, text)
    return doc.problem(("owners", owner, source.kind, setting), text)      # or its nearest ancestor written
