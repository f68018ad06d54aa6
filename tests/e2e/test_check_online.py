"""`deskplan check --online` against both simulators: every setting that names something in a
helpdesk is asked of it with GET requests only; a mismatch is exit 2 at the setting's
FILE:LINE:COL, a helpdesk that cannot be reached or refuses the credentials exit 4."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from deskplan.app.demo import EMAIL, TOKEN_ENV, Helpdesks, helpdesks, point_workspace
from deskplan.cli import cli
from deskplan.workspace.init import init_workspace

from .helpdesks import refused_port

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
ZENDESK_GROUPS = "Support, Billing, Technical, Logistics, 华东客服"


@pytest.fixture
def desks(tmp_path) -> Iterator[Helpdesks]:
    with helpdesks({"zendesk": 20, "jsm": 20}, 8, NOW, tmp_path / "logs") as running:
        yield running


@pytest.fixture
def workspace(tmp_path, desks) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    point_workspace(root, desks.urls, NOW)
    return root


def invoke(workspace: Path, env: dict[str, str]):
    return CliRunner().invoke(cli, ["check", "--online", "--workspace", str(workspace)],
                              env={**env, "DESKPLAN_NOW": NOW.isoformat()}, catch_exceptions=False)


def edit(path: Path, *changes: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def position(path: Path, text: str, *, after: str = "") -> str:
    """`FILE:LINE:COL` of the first `text` (after the first `after`) in the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    line = next(i for i in range(start, len(lines)) if text in lines[i])
    return f"{path}:{line + 1}:{lines[line].index(text) + 1}"


def logged(tmp_path: Path) -> list[str]:
    return [line for name in ("zendesk", "jsm")
            for line in (tmp_path / "logs" / f"sandbox-{name}.log").read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.timeout(60)
def test_a_workspace_that_matches_both_helpdesks_passes_asking_with_get_only(tmp_path, desks, workspace):
    before = desks.writes()

    run = invoke(workspace, desks.environ({}))

    assert run.exit_code == 0, run.output
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0].startswith("ok: deskplan.toml (2 sources)")
    assert lines[1:] == [
        f"online: zendesk ({desks.urls['zendesk']}): credentials of {EMAIL} accepted; status_map: 6 statuses; "
        "owners: 2 groups and assignees",         # the example's owners route two to Zendesk groups
        f"online: jsm ({desks.urls['jsm']}): credentials of {EMAIL} accepted; projects SUP; service desk 1 (SUP); "
        "Task issues can be created in IMP; status_map: 7 statuses",
    ]
    requests = logged(tmp_path)
    assert requests and all(line.startswith("GET ") for line in requests), requests
    assert desks.writes() == before


@pytest.mark.timeout(60)
def test_a_wrong_project_key_and_tasks_project_are_exit_2_at_their_settings_before_any_write(
        tmp_path, desks, workspace):
    config = workspace / "deskplan.toml"
    edit(config, ('projects = ["SUP"]', 'projects = ["SPU"]'), ('tasks_project = "IMP"', 'tasks_project = "IMPX"'))
    before = desks.writes()

    run = invoke(workspace, desks.environ({}))

    assert run.exit_code == 2, run.output
    spu = position(config, '"SPU"')
    assert run.stderr.splitlines() == [
        f"{spu}: projects.0: jsm: no project 'SPU' that {EMAIL} can see in {desks.urls['jsm']} "
        "(did you mean 'SUP'?); it sees: SUP, IMP",
        f"{position(config, 'service_desk')}: service_desk: jsm: service desk 1 is project SUP's, which `projects` "
        "does not list",
        f"{position(config, 'tasks_project')}: tasks_project: jsm: {EMAIL} cannot create issues in project 'IMPX' "
        "(no such project, or no permission to create issues there): improvement tasks go there",
    ]
    assert all(line.startswith("GET ") for line in logged(tmp_path))
    assert desks.writes() == before


@pytest.mark.timeout(60)
def test_issue_type_group_and_statuses_the_helpdesks_do_not_have(desks, workspace):
    config = workspace / "deskplan.toml"
    edit(config,
         ('tasks_issue_type = "Task"', 'tasks_issue_type = "Improvement"'),
         ('"Pending" = "on_hold"', '"Pendng" = "on_hold"'),
         ('hold = "on_hold"', 'on-hold = "on_hold"'),
         ('token_env = "DESKPLAN_DEMO_ZENDESK_TOKEN"\n',
          'token_env = "DESKPLAN_DEMO_ZENDESK_TOKEN"\ntasks_group = "77"\n'))

    run = invoke(workspace, desks.environ({}))

    assert run.exit_code == 2, run.output
    groups = ", ".join(f"{gid} ({name})" for gid, name in zendesk_groups(desks))
    pendng = position(config, '"Pendng"')
    assert run.stderr.splitlines() == [
        f"{position(config, 'tasks_group')}: tasks_group: zendesk: no Zendesk group has the id 77; there are: {groups}",
        f"{position(config, 'on-hold')}: status_map.on-hold: zendesk: Zendesk has no ticket status 'on-hold' "
        "(did you mean 'hold'?): a ticket's status is one of new, open, pending, hold, solved, closed (a custom "
        "status is reported as its category)",
        f"{position(config, 'tasks_issue_type')}: tasks_issue_type: jsm: project IMP has no issue type "
        f"'Improvement' that {EMAIL} can create; it has: Service Request, Incident, Problem, Task",
        f"{pendng}: status_map.Pendng: jsm: Jira has no status 'Pendng' (did you mean "
        "'Pending'?); it has: Closed, Done, In Progress, Open, Pending, Resolved, To Do, Waiting for customer, "
        "Waiting for support",
    ]


def zendesk_groups(desks: Helpdesks) -> list[tuple[int, str]]:
    docs, _ = desks.apps["zendesk"].store.named_after("groups", 0, 1000)
    return [(doc["id"], doc["name"]) for doc in docs]


@pytest.mark.timeout(60)
def test_a_group_name_where_tasks_group_wants_its_id(desks, workspace):
    config = workspace / "deskplan.toml"
    edit(config, ('token_env = "DESKPLAN_DEMO_ZENDESK_TOKEN"\n',
                  'token_env = "DESKPLAN_DEMO_ZENDESK_TOKEN"\ntasks_group = "billing"\n'))
    billing = next(gid for gid, name in zendesk_groups(desks) if name == "Billing")

    run = invoke(workspace, desks.environ({}))

    assert run.exit_code == 2, run.output
    assert run.stderr.splitlines() == [
        f"{position(config, 'tasks_group')}: tasks_group: zendesk: tasks_group takes a group's id (a number): "
        f"group 'billing' has the id {billing}"]


@pytest.mark.timeout(60)
def test_owners_whose_group_assignee_or_component_the_helpdesks_do_not_have(desks, workspace):
    desks.apps["jsm"].store.projects["IMP"]["components"] = [{"id": "10100", "name": "Rota"}]
    plan = workspace / "plan.yaml"
    # In place of the example's own `owners` (its last section).
    plan.write_text(plan.read_text(encoding="utf-8").split("\nowners:")[0] + f"""
owners:
  customer service:
    zendesk: {{group: Support, assignee: {EMAIL}}}
    jira: {{assignee: {EMAIL}, component: Rota}}
  marketing:
    zendesk: {{group: Marketting}}
    jira: {{component: Roster}}
  technology:
    zendesk: {{assignee: nobody@example.com}}
    jira: {{assignee: nobody@example.com}}
  product: {{}}
  service manager: {{}}
""", encoding="utf-8")

    run = invoke(workspace, desks.environ({}))

    assert run.exit_code == 2, run.output
    assert run.stderr.splitlines() == [
        f"{position(plan, 'Marketting')}: owners.marketing.zendesk.group: no Zendesk group is named 'Marketting'; "
        f"there are: {ZENDESK_GROUPS} (source 'zendesk')",
        f"{position(plan, 'nobody@', after='technology:')}: owners.technology.zendesk.assignee: no active Zendesk "
        "agent has the email 'nobody@example.com' (source 'zendesk')",
        f"{position(plan, 'Roster')}: owners.marketing.jira.component: no component 'Roster' in project IMP (did you "
        "mean 'Rota'?) (source 'jsm')",
        f"{position(plan, 'nobody@', after='jira: {assignee: nobody')}: owners.technology.jira.assignee: no active "
        "Jira user has the email 'nobody@example.com' (source 'jsm')",
    ]
    assert "owners: 2 groups and assignees" in run.stdout
    assert "owners: 2 assignees and components" in run.stdout


@pytest.mark.timeout(60)
def test_an_unreachable_helpdesk_and_refused_credentials_are_exit_4(tmp_path, desks):
    root = tmp_path / "down"
    init_workspace(root)
    down = f"http://127.0.0.1:{refused_port()}"
    config = point_workspace(root, {"zendesk": down, "jsm": desks.urls["jsm"]}, NOW)
    env = {**desks.environ({}), TOKEN_ENV["jsm"]: "not-the-token"}

    run = invoke(root, env)

    assert run.exit_code == 4, run.output
    lines = run.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("deskplan: source 'zendesk': ") and down in lines[0]
    token_env = position(config, "token_env", after='name = "jsm"')
    assert lines[1].startswith(
        f"deskplan: {token_env}: source 'jsm': {desks.urls['jsm']} "
        f"refused the credentials of {EMAIL} (the token in ${TOKEN_ENV['jsm']}): ")
    assert "not-the-token" not in run.output


@pytest.mark.timeout(60)
def test_a_token_variable_that_is_not_set_is_exit_2_at_token_env(desks, workspace):
    env = desks.environ({})
    del env[TOKEN_ENV["zendesk"]]
    config = workspace / "deskplan.toml"

    run = CliRunner(env={TOKEN_ENV["zendesk"]: None}).invoke(
        cli, ["check", "--online", "--workspace", str(workspace)], env={**env, "DESKPLAN_NOW": NOW.isoformat()},
        catch_exceptions=False)

    assert run.exit_code == 2, run.output
    assert run.stderr.splitlines() == [
        f"{position(config, 'token_env')}: token_env: source 'zendesk': the environment variable "
        f"{TOKEN_ENV['zendesk']} (its token_env) is not set"]


def test_check_without_online_asks_no_helpdesk(tmp_path):
    init_workspace(tmp_path)
    point_workspace(tmp_path, {"zendesk": f"http://127.0.0.1:{refused_port()}",
                               "jsm": f"http://127.0.0.1:{refused_port()}"}, NOW)

    run = CliRunner().invoke(cli, ["check", "--workspace", str(tmp_path)], env={"DESKPLAN_NOW": NOW.isoformat()})

    assert run.exit_code == 0, run.output
    assert "online" not in run.stdout
