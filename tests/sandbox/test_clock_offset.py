"""The simulators' clock offset (`--clock-offset`, `create_app(clock_offset=...)`), and the
Zendesk simulator's 422 "Too recent start_time" for a start_time inside its held-back minute,
compared with the answer documented for the real API (`shared/api/zendesk.md`)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from deskplan_sandbox import jira, zendesk
from deskplan_sandbox.__main__ import parser
from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.server import SandboxServer

HOST_NOW = datetime(2026, 11, 20, 9, 0, 0, tzinfo=timezone.utc)      # the host's clock, standing still
EMAIL, TOKEN = "owner@example.com", "s3cret-token"
EXPORTS = {
    "ticket events": ("/api/v2/incremental/ticket_events.json", {}),
    "tickets by time": ("/api/v2/incremental/tickets.json", {}),
    "tickets by cursor": ("/api/v2/incremental/tickets/cursor.json", {}),
    "users by cursor": ("/api/v2/incremental/users/cursor.json", {}),
}


def host_epoch(seconds_from_now: float = 0) -> int:
    return int((HOST_NOW + timedelta(seconds=seconds_from_now)).timestamp())


@contextmanager
def serving(kind: str, offset: float = 0, tickets: int = 20) -> Iterator[tuple[Any, str, requests.Session]]:
    module = zendesk if kind == "zendesk" else jira
    app = module.create_app(email=EMAIL, token=TOKEN, tickets=tickets, seed=3, now=lambda: HOST_NOW,
                            log=io.StringIO(), rate_limit=0, clock_offset=offset)
    with SandboxServer(app) as server:
        http = requests.Session()
        http.auth = (f"{EMAIL}/token", TOKEN) if kind == "zendesk" else (EMAIL, TOKEN)
        yield app, server.url, http


def documented_too_recent(contracts_dir: Path) -> dict[str, Any]:
    """The 422 body the API notes give for a too recent start_time (quoted by Zendesk's clients)."""
    notes = contracts_dir.parent / "api" / "zendesk.md"
    if not notes.is_file():
        pytest.skip(f"the Zendesk API notes are not at {notes}")
    for line in notes.read_text(encoding="utf-8").splitlines():
        found = re.search(r"422[^`]*`(\{[^`]*Too recent start_time[^`]*\})`", line)
        if found:
            return json.loads(found.group(1))
    raise AssertionError("no 422 Too recent start_time body in the Zendesk API notes")


@pytest.mark.parametrize("export", EXPORTS)
def test_a_start_time_inside_the_last_minute_answers_the_documented_422(contracts_dir, export):
    real = documented_too_recent(contracts_dir)
    path, params = EXPORTS[export]
    with serving("zendesk") as (_, url, http):
        refused = http.get(url + path, params={**params, "start_time": host_epoch(-30)})
        later = http.get(url + path, params={**params, "start_time": host_epoch(+30)})
        answered = http.get(url + path, params={**params, "start_time": host_epoch(-60)})   # a minute old: fine
    assert (refused.status_code, refused.json()) == (422, real)
    assert (later.status_code, later.json()) == (422, real)
    assert answered.status_code == 200


@pytest.mark.parametrize(("offset", "start", "status"), [
    (600, +100, 200),       # ahead: the host's future is 500 s old to the helpdesk
    (600, +560, 422),       # …and 40 s old is too recent
    (-600, -300, 422),      # behind: five minutes ago on the host is the helpdesk's future
    (-600, -700, 200),
])
def test_the_zendesk_simulators_minute_is_its_own_clocks(offset, start, status):
    with serving("zendesk", offset) as (app, url, http):
        answer = http.get(f"{url}/api/v2/incremental/ticket_events.json", params={"start_time": host_epoch(start)})
        assert answer.status_code == status, answer.text
        assert app.clock() == HOST_NOW + timedelta(seconds=offset)


def test_the_zendesk_simulators_data_and_writes_run_on_its_clock():
    with serving("zendesk", 600, tickets=60) as (app, url, http):
        ticket = next(t for t in (app.store.ticket(i) for i in range(60, 0, -1))
                      if t and t["status"] not in ("closed", "deleted"))
        http.put(f"{url}/api/v2/tickets/{ticket['id']}.json",
                 json={"ticket": {"comment": {"body": "checked", "public": False}}}).raise_for_status()
        updated = http.get(f"{url}/api/v2/tickets/{ticket['id']}.json").json()["ticket"]["updated_at"]
    assert updated == (HOST_NOW + timedelta(seconds=600)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("offset", [600, -600])
def test_the_jira_simulators_server_time_is_off_by_the_offset(offset):
    with serving("jira", offset) as (app, url, http):
        info = http.get(f"{url}/rest/api/3/serverInfo").json()
    server_time = datetime.strptime(info["serverTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert server_time == HOST_NOW + timedelta(seconds=offset)
    assert app.now() == HOST_NOW + timedelta(seconds=offset)


def test_the_offset_is_a_command_line_option_with_its_default_stated():
    assert parser().parse_args(["--kind", "jira"]).clock_offset == 0
    assert parser().parse_args(["--kind", "zendesk", "--clock-offset", "-600"]).clock_offset == -600
    help_text = " ".join(parser().format_help().split())
    assert "--clock-offset SECONDS" in help_text and "(default: 0.0)" in help_text.rsplit("--clock-offset", 1)[1]


@pytest.mark.parametrize("offset", [float("nan"), 400 * 86400.0])
def test_an_offset_out_of_range_is_a_config_error(offset):
    with pytest.raises(ConfigError, match="clock offset"):
        zendesk.create_app(email=EMAIL, token=TOKEN, clock_offset=offset)
