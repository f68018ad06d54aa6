"""Groups and organizations in the Zendesk simulator: side-loaded on the ticket exports
(`include=groups,organizations`), listed and shown, in the shapes of recorded objects."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.generate import generate_scenario
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app
from deskplan_sandbox.zendesk.fixtures import read_fixtures

from .test_zendesk_contract import assert_same_shape, path_and_query

EMAIL, TOKEN = "owner@example.com", "s3cret-token"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
TICKETS, SEED = 40, 5
CURSOR_EXPORT = "/api/v2/incremental/tickets/cursor.json"
TIME_EXPORT = "/api/v2/incremental/tickets.json"


@pytest.fixture(scope="module")
def generated():
    """A served generated site, and the scenario it was generated from (by ticket number)."""
    app = create_app(email=EMAIL, token=TOKEN, tickets=TICKETS, seed=SEED, now=lambda: NOW, rate_limit=0,
                     log=io.StringIO())
    scenario = {t.number: t for t in generate_scenario(TICKETS, SEED, NOW).tickets}
    with SandboxServer(app) as server:
        http = requests.Session()
        http.auth = (f"{EMAIL}/token", TOKEN)
        yield server.url, http, scenario


def served(tmp_path: Path, **lists):
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps(lists))
    return SandboxServer(create_app(email=EMAIL, token=TOKEN, fixtures=fixtures, now=lambda: NOW, rate_limit=0,
                                    log=io.StringIO()))


def session() -> requests.Session:
    http = requests.Session()
    http.auth = (f"{EMAIL}/token", TOKEN)
    return http


def recorded_capture(contracts_dir: Path, collection: str) -> dict:
    """One object of the estuary capture, without the `_meta` its harness adds."""
    capture = json.loads((contracts_dir / "zendesk/estuary/source-zendesk-support-native."
                                          "snapshots__capture__capture.stdout.json").read_text())
    doc = next(doc for name, doc in capture if name == f"acmeCo/{collection}")
    return {k: v for k, v in doc.items() if k != "_meta"}


def recorded_organizations(contracts_dir: Path) -> list[dict]:
    return json.loads((contracts_dir / "zendesk/node-zendesk/organizations_test_list_all.json").read_text())


# --- side-loads on the ticket exports ------------------------------------------------------

def test_the_cursor_export_side_loads_the_groups_and_organizations_of_its_page(generated):
    url, http, scenario = generated

    body = http.get(f"{url}{CURSOR_EXPORT}", params={"start_time": 0, "per_page": 7,
                                                      "include": "groups,organizations"}).json()

    tickets = body["tickets"]
    assert len(tickets) == 7
    assert list(body) == ["tickets", "after_url", "before_url", "after_cursor", "before_cursor", "end_of_stream",
                          "groups", "organizations"]
    # Each referenced object once, named as in the scenario; nothing the page does not refer to.
    assert {g["id"]: g["name"] for g in body["groups"]} == {
        t["group_id"]: scenario[t["id"]].group for t in tickets if t["group_id"] is not None}
    assert {o["id"]: o["name"] for o in body["organizations"]} == {
        t["organization_id"]: scenario[t["id"]].organization for t in tickets if t["organization_id"] is not None}
    assert len(body["groups"]) == len({g["id"] for g in body["groups"]})
    assert len(body["organizations"]) == len({o["id"] for o in body["organizations"]})


def test_without_include_the_export_carries_no_side_loads(generated):
    url, http, _ = generated

    body = http.get(f"{url}{CURSOR_EXPORT}", params={"start_time": 0, "per_page": 3}).json()

    assert list(body) == ["tickets", "after_url", "before_url", "after_cursor", "before_cursor", "end_of_stream"]


def test_side_loads_combine_with_metric_sets_and_repeated_include_params(generated):
    url, http, _ = generated

    body = http.get(f"{url}{CURSOR_EXPORT}", params=[("start_time", 0), ("per_page", 5),
                                                      ("include", "metric_sets,groups")]).json()
    repeated = http.get(f"{url}{CURSOR_EXPORT}", params=[("start_time", 0), ("per_page", 5),
                                                          ("include", "groups"), ("include", "organizations")]).json()

    assert "organizations" not in body and body["groups"]
    assert all(t["metric_set"]["ticket_id"] == t["id"] for t in body["tickets"] if t["status"] != "deleted")
    assert (repeated["groups"], bool(repeated["organizations"])) == (body["groups"], True)
    assert all("metric_set" not in t for t in repeated["tickets"])


def test_the_time_based_export_side_loads_too(generated):
    url, http, scenario = generated

    body = http.get(f"{url}{TIME_EXPORT}", params={"start_time": 0, "include": "groups,organizations"}).json()

    assert body["count"] == TICKETS
    assert {g["name"] for g in body["groups"]} == {t.group for t in scenario.values() if t.group}
    assert {o["name"] for o in body["organizations"]} == {t.organization for t in scenario.values() if t.organization}


def test_an_empty_export_page_side_loads_empty_lists(generated):
    url, http, _ = generated

    # (a minute ago: the simulator refuses a later start_time, as Zendesk does, with a 422)
    body = http.get(f"{url}{TIME_EXPORT}", params={"start_time": int(NOW.timestamp()) - 60,
                                                    "include": "groups,organizations"}).json()

    assert (body["tickets"], body["groups"], body["organizations"]) == ([], [], [])


# --- lists and single objects -------------------------------------------------------------------

def test_generated_groups_are_the_scenarios_teams_in_id_order_with_cursor_pagination(generated):
    url, http, _ = generated

    first = http.get(f"{url}/api/v2/groups.json", params={"page[size]": 3}).json()
    second = http.get(first["links"]["next"]).json()

    names = [g["name"] for g in first["groups"] + second["groups"]]
    assert names == ["Support", "Billing", "Technical", "Logistics", "华东客服"]
    assert (first["meta"]["has_more"], second["meta"]["has_more"]) == (True, False)
    assert [g["default"] for g in first["groups"] + second["groups"]] == [True, False, False, False, False]
    offset = http.get(f"{url}/api/v2/groups.json", params={"per_page": 2, "page": 3}).json()
    assert ([g["name"] for g in offset["groups"]], offset["count"], offset["next_page"]) == (["华东客服"], 5, None)


def test_groups_and_organizations_are_shown_by_id_and_unknown_ids_are_not_found(generated):
    url, http, _ = generated
    listed = http.get(f"{url}/api/v2/organizations.json", params={"page[size]": 100}).json()["organizations"]

    shown = http.get(f"{url}/api/v2/organizations/{listed[1]['id']}.json").json()
    group = http.get(f"{url}/api/v2/groups/{21_000_000_000_005}").json()
    missing = http.get(f"{url}/api/v2/groups/1.json")

    assert shown == {"organization": listed[1]}
    assert (group["group"]["name"], group["group"]["url"]) == ("华东客服", f"{url}/api/v2/groups/21000000000005.json")
    assert (missing.status_code, missing.json()) == (404, {"error": "RecordNotFound", "description": "Not found"})


# --- recorded shapes --------------------------------------------------------------------------

def test_generated_groups_and_organizations_have_the_recorded_shapes(generated, contracts_dir):
    url, http, _ = generated
    body = http.get(f"{url}{TIME_EXPORT}", params={"start_time": 0, "include": "groups,organizations"}).json()
    group, organization = body["groups"][0], body["organizations"][0]

    assert_same_shape(group, recorded_capture(contracts_dir, "groups"))
    assert_same_shape(organization, recorded_capture(contracts_dir, "organizations"))
    # The older node-zendesk recording has every key but `deleted_at`, which the 2024 capture added.
    for older in recorded_organizations(contracts_dir)[0]["response"]["organizations"]:
        assert set(organization) - set(older) == {"deleted_at"} and set(older) <= set(organization)
        assert_same_shape({k: organization[k] for k in older}, older)


def test_recorded_organizations_are_listed_back_exactly(tmp_path, contracts_dir):
    first, last = recorded_organizations(contracts_dir)
    with served(tmp_path, organizations=first["response"]["organizations"]) as server:
        http = session()
        ours = [http.get(f"{server.url}{urlsplit(step['path']).path}",
                         params=parse_qsl(urlsplit(step["path"]).query)).json() for step in (first, last)]

    assert ours[0]["organizations"] == first["response"]["organizations"]
    assert ours[0]["meta"] == first["response"]["meta"]
    assert {k: path_and_query(v) for k, v in ours[0]["links"].items()} == \
           {k: path_and_query(v) for k, v in first["response"]["links"].items()}
    assert ours[1] == last["response"]


def test_fixture_groups_and_organizations_are_side_loaded_verbatim(tmp_path, contracts_dir):
    group = {**recorded_capture(contracts_dir, "groups"), "a_field_we_do_not_know": [1, 2]}
    organization = recorded_organizations(contracts_dir)[0]["response"]["organizations"][1]
    ticket = {"id": 7, "created_at": "2026-11-01T08:00:00Z", "updated_at": "2026-11-01T08:00:00Z",
              "generated_timestamp": 1793520000, "status": "open", "group_id": group["id"],
              "organization_id": organization["id"], "subject": "Printer"}
    orphan = {**ticket, "id": 8, "group_id": 99, "organization_id": None}
    with served(tmp_path, tickets=[ticket, orphan], groups=[group], organizations=[organization]) as server:
        body = session().get(f"{server.url}{CURSOR_EXPORT}",
                             params={"start_time": 0, "include": "groups,organizations"}).json()

    assert [t["id"] for t in body["tickets"]] == [7, 8]
    # A group the fixtures do not hold is left out, as an unknown id cannot be side-loaded.
    assert (body["groups"], body["organizations"]) == ([group], [organization])


def test_the_fixtures_loader_reads_groups_and_organizations_and_names_a_bad_entry(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"groups": [{"id": 1, "name": "Billing", "extra": True}],
                                "organizations": [{"id": 2, "name": "Acme"}]}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"organizations": [{"id": 2}, {"name": "no id"}]}))

    lists = read_fixtures(good)

    assert (lists["groups"], lists["organizations"], lists["tickets"]) == (
        [{"id": 1, "name": "Billing", "extra": True}], [{"id": 2, "name": "Acme"}], [])
    with pytest.raises(ConfigError, match=r"bad\.json: organizations\[1\] lacks id"):
        read_fixtures(bad)
