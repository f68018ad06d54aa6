"""A refused token, against both simulators: the error names the variable that holds it and the
account and site it must belong to (deskplan.toml's token_env, email, url), never the token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from deskplan.app.demo import EMAIL, TOKEN_ENV, Helpdesks, helpdesks, point_workspace
from deskplan.cli import cli
from deskplan.workspace.init import init_workspace

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
WRONG = "wrong-token-4711"


@pytest.fixture
def desks(tmp_path) -> Iterator[Helpdesks]:
    with helpdesks({"zendesk": 10, "jsm": 10}, 8, NOW, tmp_path / "logs") as running:
        yield running


@pytest.mark.timeout(60)
def test_a_refused_token_names_its_variable_and_account_in_sync(tmp_path, desks):
    root = tmp_path / "ws"
    init_workspace(root)
    point_workspace(root, desks.urls, NOW)
    env = {**desks.environ({}), TOKEN_ENV["zendesk"]: WRONG, TOKEN_ENV["jsm"]: WRONG, "DESKPLAN_NOW": NOW.isoformat()}

    run = CliRunner().invoke(cli, ["sync", "--json", "--workspace", str(root)], env=env, catch_exceptions=False)

    assert run.exit_code == 4, run.output
    assert WRONG not in run.output
    zendesk = next(line for line in run.stdout.splitlines() if '"source": "zendesk"' in line)
    jsm = next(line for line in run.stdout.splitlines() if '"source": "jsm"' in line)
    assert (f"[zendesk] GET /api/v2/users/me.json: the credentials were not accepted (Zendesk answered as an "
            f"anonymous user); check ${TOKEN_ENV['zendesk']} (the token_env of source 'zendesk'): it must hold an "
            f"API token of {EMAIL} on {desks.urls['zendesk']}") in zendesk
    assert (f"[jsm] GET /rest/api/3/myself -> 401: the helpdesk refused the credentials; check "
            f"${TOKEN_ENV['jsm']} (the token_env of source 'jsm'): it must hold an API token of {EMAIL} on "
            f"{desks.urls['jsm']}") in jsm
