"""The simulators' options for the real services' behaviours: each kind's own, with the real
services' defaults, stated in `--help`; an option of the other kind refused; and a first line of
output that names what a configuration must name to find the data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner

from deskplan.cli import cli
from deskplan_sandbox.__main__ import parser
from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.serve import kind_options


def test_each_kind_has_its_own_options_at_the_real_services_defaults():
    assert kind_options("zendesk", {}) == {"rate_limit": 10, "account_rate_limit": 700,
                                           "ratings_start_time": "created"}
    assert kind_options("jira", {"search_lag": None}) == {"rate_limit": 0, "burst_limit": 100, "search_lag": 0.0}
    assert kind_options("jira", {"search_lag": 30.0, "rate_limit": 5})["search_lag"] == 30.0
    with pytest.raises(ConfigError, match="--account-rate-limit is an option of the Zendesk simulator"):
        kind_options("jira", {"account_rate_limit": 5})
    with pytest.raises(ConfigError, match="--burst-limit is an option of the Jira simulator"):
        kind_options("zendesk", {"burst_limit": 5})


@pytest.mark.parametrize("help_text", [
    lambda: parser().format_help(),
    lambda: CliRunner().invoke(cli, ["sandbox", "--help"], terminal_width=400).output,
], ids=["python -m deskplan_sandbox", "deskplan sandbox"])
def test_help_states_every_default(help_text):
    text = " ".join(help_text().split())
    for stated in ("Default: created", "Default: 700, an Enterprise plan's", "Default: 100, Atlassian's documented",
                   "Default: 0, no lag", "(default: 10, Zendesk's)", "(default: 0, none: API tokens meet"):
        assert stated in text, stated


def test_the_jira_sandbox_names_its_project_keys_on_its_first_line_and_does_not_throttle_a_first_sync():
    command = [sys.executable, "-m", "deskplan_sandbox", "--kind", "jira", "--tickets", "20", "--token", "tok-2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "DESKPLAN_NOW": "2026-11-20T09:00:00Z"})
    try:
        first = process.stdout.readline()
        match = re.fullmatch(r"deskplan sandbox \(jira\) serving at (http://127\.0\.0\.1:\d+)  "
                             r"email=admin@sandbox\.example\.com  token=tok-2  projects=SUP  other projects=IMP\n",
                             first)
        assert match, first
        # Twenty requests in a row, as a first sync makes them: none refused (the burst bucket holds 100).
        auth = ("admin@sandbox.example.com", "tok-2")
        statuses = {requests.get(f"{match.group(1)}/rest/api/3/field", auth=auth, timeout=10).status_code
                    for _ in range(20)}
        assert statuses == {200}
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
    assert process.returncode == 0
