"""Recorded Zendesk answers (../shared/contracts/zendesk) replayed through the adapter."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from responses.registries import OrderedRegistry

from deskplan.adapters.zendesk import create_adapter
from deskplan.config import SourceConfig
from deskplan.errors import AuthError
from deskplan.model import Status
from deskplan.state.records import Related
from deskplan.transport.http import Rejected

SITE = "https://d3v-zenpydev.zendesk.com"
CONFIG = SourceConfig(name="zd", kind="zendesk", url=SITE, email="bot@acme.test", token_env="ZD_TOKEN")
NOW = "2024-02-08T17:26:48+00:00"    # when the 87-ticket export was recorded
TICKETS = f"{SITE}/api/v2/incremental/tickets/cursor.json"


@pytest.fixture
def zenpy(contracts_dir) -> Path:
    return contracts_dir / "zendesk" / "zenpy" / "responses"


@pytest.fixture
def adapter(monkeypatch):
    monkeypatch.setenv("DESKPLAN_NOW", NOW)
    return create_adapter(CONFIG, "tok", sleep=lambda s: None, clock=lambda: 0.0)


def interaction(folder: Path, number: str) -> tuple[dict, dict]:
    """(meta, body) of one recorded interaction, by its three-digit number."""
    [meta] = folder.glob(f"*.{number}.*.meta.json")
    body = meta.with_name(meta.name.replace(".meta.json", ".body.json"))
    return json.loads(meta.read_text()), json.loads(body.read_text())


def recorded_query(meta: dict) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(meta["request"]["uri"]).query))


def test_the_87_ticket_export_is_pulled_in_one_page_and_every_ticket_builds(adapter, zenpy):
    meta, body = interaction(zenpy / "TicketsIncrementalTest.test_get_values", "001")
    assert recorded_query(meta) == {"start_time": "0"}
    with responses.RequestsMock() as mock:
        mock.get(TICKETS, json=body)
        [page] = adapter.pull("tickets", None)
        assert dict(parse_qsl(urlsplit(mock.calls[0].request.url).query)) == {
            "start_time": "0", "per_page": "1000", "include": "groups,organizations"}

    assert (len(page.records), page.done, page.cursor) == (87, True, {"after_cursor": "MTcwNzI3MTc0MS4wfHw0MDQ1fA==",
                                                                      "whole": True})
    built = [adapter.build(r, Related(events=[], ratings=[], user=lambda _: None)) for r in page.records]

    assert len(built) == 87
    [tombstone] = [t for t in built if t.deleted]
    assert (tombstone.id, tombstone.subject, tombstone.status_raw, tombstone.status, tombstone.timeline) == (
        "4034", "SCRUBBED", "deleted", Status.CLOSED, ())
    assert Counter(t.status_raw for t in built) == Counter({"new": 77, "open": 1, "pending": 8, "deleted": 1})
    assert Counter(t.status for t in built if not t.deleted) == Counter(
        {Status.NEW: 77, Status.OPEN: 1, Status.WAITING_CUSTOMER: 8})
    assert all(t.url == f"{SITE}/agent/tickets/{t.id}" for t in built)
    # Recorded without side-loads: the group and organization fall back to their ids.
    assert Counter((t.group, t.organization) for t in built) == Counter(
        {(None, "6130869157658"): 82, (None, None): 3, (None, "6295841670298"): 1, ("6130852536346", None): 1})


@responses.activate(registry=OrderedRegistry)
def test_the_recorded_cursor_chain_is_followed_to_end_of_stream(adapter, zenpy):
    folder = zenpy / "TicketsIncrementalTest.test_pagination"
    chain = [interaction(folder, f"{n:03d}") for n in range(17, 27)]
    for _, body in chain:
        responses.get(TICKETS, json=body)
    # The recording stops mid-chain; the export's recorded last page (end_of_stream: true) ends it.
    _, last = interaction(zenpy / "TicketsIncrementalTest.test_get_values", "001")
    responses.get(TICKETS, json=last)

    pages = list(adapter.pull("tickets", None))

    sent = [dict(parse_qsl(urlsplit(c.request.url).query)) for c in responses.calls]
    assert [q.get("cursor") for q in sent] == [None] + [body["after_cursor"] for _, body in chain]
    assert [q.get("cursor") for q in sent][1:] == [recorded_query(meta)["cursor"] for meta, _ in chain[1:]] + [
        chain[-1][1]["after_cursor"]]
    assert [[r.id for r in p.records] for p in pages[:10]] == [[str(b["tickets"][0]["id"])] for _, b in chain]
    assert [p.done for p in pages] == [False] * 10 + [True]
    assert adapter.requests == 11


@responses.activate(registry=OrderedRegistry)
def test_the_recorded_list_pages_are_followed_by_page_after(adapter, zenpy):
    folder = zenpy / "TestTicketsPagination.test_pagination"
    chain = [interaction(folder, f"{n:03d}") for n in range(4, 14)]
    for _, body in chain:
        responses.get(f"{SITE}/api/v2/tickets.json", json=body)

    pages = adapter.client.list_pages("/api/v2/tickets.json", "tickets", {})
    taken = [next(pages) for _ in range(len(chain))]

    sent = [dict(parse_qsl(urlsplit(c.request.url).query)).get("page[after]") for c in responses.calls]
    assert sent == [recorded_query(meta).get("page[after]") for meta, _ in chain]
    assert [p.cursor for p in taken] == [{"page_after": b["meta"]["after_cursor"]} for _, b in chain]
    assert not any(p.done for p in taken)


@responses.activate
def test_has_more_false_ends_the_list_although_links_next_is_set(adapter, zenpy):
    _, body = interaction(zenpy / "TestAttachmentUpload.test_redact_attachment-upload-single", "002")
    assert body["meta"]["has_more"] is False and body["links"]["next"]
    responses.get(f"{SITE}/api/v2/tickets/33/comments.json", json=body)

    pages = list(adapter.client.list_pages("/api/v2/tickets/33/comments.json", "comments", {}))

    assert [(len(p.items), p.done) for p in pages] == [(1, True)]
    assert len(responses.calls) == 1


@responses.activate
def test_node_zendesk_followed_links_next_past_has_more_false_and_got_an_empty_page_we_do_not(adapter, contracts_dir):
    recorded = json.loads((contracts_dir / "zendesk/node-zendesk/organizations_test_list_all.json").read_text())
    first, extra = (exchange["response"] for exchange in recorded)
    assert (first["meta"]["has_more"], bool(first["links"]["next"]), extra["organizations"]) == (False, True, [])
    responses.get(f"{SITE}/api/v2/organizations.json", json=first)

    pages = list(adapter.client.list_pages("/api/v2/organizations.json", "organizations", {}))

    assert [(len(p.items), p.done) for p in pages] == [(len(first["organizations"]), True)]
    assert len(responses.calls) == 1


def test_record_not_found_is_a_typed_rejection_with_its_code(adapter, zenpy):
    folder = zenpy / ("TestTicketCreateUpdateDelete."
                      "test_single_update_raises_recordnotfoundexception-recordnotfound-update")
    meta, body = interaction(folder, "000")
    path = urlsplit(meta["request"]["uri"]).path
    with responses.RequestsMock() as mock:
        mock.put(f"{SITE}{path}", status=meta["response"]["status"]["code"], json=body)
        with pytest.raises(Rejected) as err:
            adapter.client.http.send("PUT", path, json={"ticket": {"subject": "x"}}, retry="connect_only")
    assert (err.value.status, err.value.code) == (404, "RecordNotFound")
    assert str(err.value) == f"[zd] PUT {path} -> 404: request rejected (RecordNotFound: Not found)"

    with responses.RequestsMock() as mock:
        mock.get(TICKETS, status=404, json=body)
        with pytest.raises(Rejected) as err:
            list(adapter.pull("tickets", None))
    assert (err.value.code, adapter.requests) == ("RecordNotFound", 2)


def test_invalid_pagination_parameter_is_a_typed_rejection_not_retried(adapter):
    # Body as recorded by Estuary for a garbage page[after]: Zendesk answers 400 with it.
    body = {"error": "InvalidPaginationParameter", "description": "page[after] is not valid"}
    with responses.RequestsMock() as mock:
        mock.get(f"{SITE}/api/v2/satisfaction_ratings.json", status=400, json=body)
        with pytest.raises(Rejected) as err:
            list(adapter.pull("satisfaction_ratings", {"start_time": 0, "page_after": "garbage", "newest": 0}))
    assert (err.value.status, err.value.code, adapter.requests) == (400, "InvalidPaginationParameter", 1)


def test_401_is_an_auth_error(adapter):
    with responses.RequestsMock() as mock:
        mock.get(TICKETS, status=401, json={"error": "Couldn't authenticate you"})
        with pytest.raises(AuthError) as err:
            list(adapter.pull("tickets", None))
    assert err.value.status == 401
    assert adapter.requests == 1


@pytest.mark.parametrize("name", ["authentication_test_incorrect_token.json",
                                  "authentication_test_verifyUser_incorrect_tokens.json",
                                  "authentication_test_no_creds.json"])
def test_check_refuses_the_anonymous_user_zendesk_answers_with_200(adapter, contracts_dir, name):
    [exchange] = json.loads((contracts_dir / "zendesk/node-zendesk" / name).read_text())
    assert (exchange["path"], exchange["status"]) == ("/api/v2/users/me.json", 200)
    with responses.RequestsMock() as mock:
        mock.get(f"{SITE}/api/v2/users/me.json", json=exchange["response"])
        with pytest.raises(AuthError, match="anonymous"):
            adapter.check()


def test_check_accepts_a_real_user(adapter):
    with responses.RequestsMock() as mock:
        mock.get(f"{SITE}/api/v2/users/me.json", json={"user": {"id": 6130907993114, "role": "admin"}})
        adapter.check()
    assert adapter.requests == 1
