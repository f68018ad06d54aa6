"""Agents have a default group in the Zendesk simulator, as on a real account: the recorded admin
(the estuary capture's `acmeCo/users`) carries one, and Zendesk's Users reference
(https://developer.zendesk.com/api-reference/ticketing/users/users/) describes `default_group_id`
as "The id of the user's default group"; end users have none."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import datetime, timezone

import requests

from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "owner@example.com", "s3cret-token"


def test_agents_default_to_the_group_most_of_their_tickets_are_in_and_end_users_to_none(contracts_dir):
    scenario = generate_scenario(120, 6, NOW)
    app = create_app(email=EMAIL, token=TOKEN, tickets=120, seed=6, now=lambda: NOW, log=io.StringIO())
    groups = {g["name"]: g["id"] for g in app.store.named_after("groups", 0, 100)[0]}
    with SandboxServer(app) as server:
        http = requests.Session()
        http.auth = (f"{EMAIL}/token", TOKEN)
        users = http.get(f"{server.url}/api/v2/incremental/users/cursor.json", params={"start_time": 0}).json()["users"]
    by_email = {u["email"]: u for u in users}
    for person in scenario.people:
        user = by_email[person.email]
        if person.role != "agent":
            assert user["default_group_id"] is None
            continue
        tickets = Counter(t.group for t in scenario.tickets if t.assignee == person.id and t.group)
        assert user["default_group_id"] == groups[tickets.most_common(1)[0][0]]
    assert by_email[EMAIL]["default_group_id"] == min(groups.values())
    recorded = next(doc for name, doc in json.loads(
        (contracts_dir / "zendesk/estuary/source-zendesk-support-native.snapshots__capture__capture.stdout.json")
        .read_text("utf-8")) if name.endswith("/users") and doc.get("role") == "admin")
    assert isinstance(recorded["default_group_id"], int) and isinstance(by_email[EMAIL]["default_group_id"], int)
