"""Paging through the adapter's streams: what is sent, when it stops, what the cursor is."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import responses
from responses import matchers
from responses.registries import OrderedRegistry

from deskplan.adapters.zendesk import create_adapter
from deskplan.config import SourceConfig
from deskplan.errors import ServerError
from deskplan.transport.http import Rejected

from .builders import (
    SITE,
    changed,
    comment,
    created,
    events_page,
    export_page,
    rating,
    ratings_page,
    ticket,
    ticket_event,
    user,
)

CONFIG = SourceConfig(name="zd", kind="zendesk", url=SITE, email="bot@acme.test", token_env="ZD_TOKEN")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
TICKETS = f"{SITE}/api/v2/incremental/tickets/cursor.json"
USERS = f"{SITE}/api/v2/incremental/users/cursor.json"
EVENTS = f"{SITE}/api/v2/incremental/ticket_events.json"
RATINGS = f"{SITE}/api/v2/satisfaction_ratings.json"
SIDELOADS = "groups,organizations"   # asked for on every ticket export page


@pytest.fixture
def adapter(monkeypatch):
    monkeypatch.setenv("DESKPLAN_NOW", NOW.isoformat())
    sleeps: list[float] = []
    return create_adapter(CONFIG, "tok", sleep=sleeps.append, clock=lambda: 0.0)


def query(**params):
    return [matchers.query_param_matcher({k: str(v) for k, v in params.items()})]


@responses.activate(registry=OrderedRegistry)
def test_given_no_cursor_when_pulling_tickets_then_start_time_then_after_cursor_until_end_of_stream(adapter):
    responses.get(TICKETS, match=query(start_time=0, per_page=1000, include=SIDELOADS),
                  json=export_page([ticket(1), ticket(2)], after_cursor="c1", end_of_stream=False))
    # An empty page that is not the end: keep going.
    responses.get(TICKETS, match=query(cursor="c1", per_page=1000, include=SIDELOADS),
                  json=export_page([], after_cursor="c2", end_of_stream=False))
    # The end, with an after_url still set: stop, and keep its after_cursor for next time.
    responses.get(TICKETS, match=query(cursor="c2", per_page=1000, include=SIDELOADS),
                  json=export_page([ticket(3, status="deleted")], after_cursor="c3", end_of_stream=True))

    pages = list(adapter.pull("tickets", None))

    # An export from the beginning says so (`whole`) until the ratings stream settles it (adapter.py).
    assert [([r.id for r in p.records], p.cursor, p.done) for p in pages] == [
        (["1", "2"], {"after_cursor": "c1", "whole": True}, False),
        ([], {"after_cursor": "c2", "whole": True}, False),
        (["3"], {"after_cursor": "c3", "whole": True}, True),
    ]
    assert [(r.kind, r.ticket_id) for r in pages[0].records] == [("ticket", "1"), ("ticket", "2")]
    assert adapter.requests == 3


@responses.activate
def test_given_a_stored_cursor_and_nothing_changed_then_exactly_one_request(adapter):
    responses.get(TICKETS, match=query(cursor="c3", per_page=1000, include=SIDELOADS),
                  json=export_page([], after_cursor="c3", end_of_stream=True))

    [page] = adapter.pull("tickets", {"after_cursor": "c3"})

    assert (page.records, page.cursor, page.done) == ([], {"after_cursor": "c3"}, True)
    assert adapter.requests == 1


@responses.activate
def test_given_the_same_cursor_back_before_the_end_then_a_loop_error_not_an_endless_loop(adapter):
    responses.get(TICKETS, json=export_page([ticket(1)], after_cursor="c1", end_of_stream=False))

    with pytest.raises(ServerError, match="pagination loop"):
        list(adapter.pull("tickets", {"after_cursor": "c1"}))
    assert adapter.requests == 1


@responses.activate(registry=OrderedRegistry)
def test_users_come_from_the_cursor_user_export(adapter):
    responses.get(USERS, match=query(start_time=0, per_page=1000),
                  json=export_page([user(100, "end-user"), user(200, "agent")], key="users", after_cursor="u1",
                                   end_of_stream=True))

    [page] = adapter.pull("users", None)

    assert [(r.kind, r.id, r.ticket_id, r.data["role"]) for r in page.records] == [
        ("user", "100", None, "end-user"), ("user", "200", None, "agent")]
    assert page.cursor == {"after_cursor": "u1"}


@responses.activate(registry=OrderedRegistry)
def test_ticket_events_follow_end_time_and_keep_only_comments_and_status_changes(adapter):
    tags_only = ticket_event(3, 7, "2026-03-02T09:05:00Z",
                             {"id": 31, "event_type": "Change", "tags": ["x"], "previous_value": []})
    responses.get(EVENTS, match=query(start_time=0, include="comment_events", per_page=1000),
                  json=events_page([ticket_event(1, 7, "2026-03-02T09:00:00Z", comment(11, 100, "hi"), created(12)),
                                    tags_only], end_time=1772442300, end_of_stream=False))
    responses.get(EVENTS, match=query(start_time=1772442300, include="comment_events", per_page=1000),
                  json=events_page([ticket_event(2, 7, "2026-03-02T09:30:00Z", changed(21, "open", "new"))],
                                   end_time=1772443800, end_of_stream=True))

    pages = list(adapter.pull("ticket_events", None))

    assert [([(r.kind, r.id, r.ticket_id) for r in p.records], p.cursor, p.done) for p in pages] == [
        ([("event", "1", "7")], {"start_time": 1772442300}, False),
        ([("event", "2", "7")], {"start_time": 1772443800}, True),
    ]


@pytest.mark.parametrize("skew", [600, -600])
@responses.activate
def test_ticket_events_resume_at_the_servers_end_time_whatever_the_host_clock_says(adapter, skew):
    # The helpdesk's clock runs ten minutes ahead of (or behind) the host's: its end_time is sent
    # back as it came, even when it lies inside (or beyond) the host's last minute.
    stored = int(NOW.timestamp()) + skew - 200
    responses.get(EVENTS, match=query(start_time=stored, include="comment_events", per_page=1000),
                  json=events_page([], end_time=stored + 100, end_of_stream=False))
    responses.get(EVENTS, match=query(start_time=stored + 100, include="comment_events", per_page=1000),
                  json=events_page([], end_time=stored + 100, end_of_stream=True))

    pages = list(adapter.pull("ticket_events", {"start_time": stored}))

    assert [(p.cursor, p.done) for p in pages] == [({"start_time": stored + 100}, False),
                                                   ({"start_time": stored + 100}, True)]
    assert adapter.requests == 2


@responses.activate
def test_a_too_recent_start_time_means_caught_up_and_the_cursor_stays(adapter):
    stored = int(NOW.timestamp()) - 10
    responses.get(EVENTS, match=query(start_time=stored, include="comment_events", per_page=1000), status=422,
                  json={"error": "InvalidValue",
                        "description": "Too recent start_time. Use a start_time older than 5 minutes"})

    assert list(adapter.pull("ticket_events", {"start_time": stored})) == []
    assert adapter.requests == 1          # not retried, not an error


@responses.activate
def test_another_422_on_an_export_is_an_error(adapter):
    responses.get(EVENTS, status=422, json={"error": "InvalidValue", "description": "start_time is required"})
    with pytest.raises(Rejected, match="start_time is required"):
        list(adapter.pull("ticket_events", {"start_time": 5}))


@responses.activate(registry=OrderedRegistry)
def test_a_cursor_that_comes_back_to_one_already_sent_is_a_loop(adapter):
    responses.get(TICKETS, match=query(cursor="c1", per_page=1000, include=SIDELOADS),
                  json=export_page([ticket(1)], after_cursor="c2", end_of_stream=False))
    responses.get(TICKETS, match=query(cursor="c2", per_page=1000, include=SIDELOADS),
                  json=export_page([ticket(2)], after_cursor="c1", end_of_stream=False))

    pulled = []
    with pytest.raises(ServerError, match="pagination loop"):
        for page in adapter.pull("tickets", {"after_cursor": "c1"}):
            pulled.append(page.cursor)
    assert pulled == [{"after_cursor": "c2"}, {"after_cursor": "c1"}]
    assert adapter.requests == 2


@responses.activate(registry=OrderedRegistry)
def test_ticket_events_whose_end_time_moves_back_are_a_loop(adapter):
    responses.get(EVENTS, match=query(start_time=1000, include="comment_events", per_page=1000),
                  json=events_page([], end_time=2000, end_of_stream=False))
    responses.get(EVENTS, match=query(start_time=2000, include="comment_events", per_page=1000),
                  json=events_page([], end_time=1000, end_of_stream=False))
    with pytest.raises(ServerError, match="pagination loop"):
        list(adapter.pull("ticket_events", {"start_time": 1000}))
    assert adapter.requests == 2


@responses.activate
def test_ticket_events_whose_end_time_does_not_advance_are_a_loop(adapter):
    responses.get(EVENTS, json=events_page([], end_time=1000, end_of_stream=False))
    with pytest.raises(ServerError, match="pagination loop"):
        list(adapter.pull("ticket_events", {"start_time": 1000}))


@responses.activate(registry=OrderedRegistry)
def test_ratings_page_by_cursor_and_resume_from_the_newest_change(adapter):
    responses.get(RATINGS, match=query(**{"score": "received", "start_time": 0, "page[size]": 100}),
                  json=ratings_page([rating(81, 7, "bad", created_at="2026-03-02T12:30:00Z",
                                            updated_at="2026-03-03T08:00:00Z")], after_cursor="r1", has_more=True))
    # has_more false ends it although links.next is set.
    responses.get(RATINGS,
                  match=query(**{"score": "received", "start_time": 0, "page[size]": 100, "page[after]": "r1"}),
                  json=ratings_page([rating(82, 8, "good", created_at="2026-03-02T13:00:00Z")], after_cursor="r2",
                                    has_more=False))

    pages = list(adapter.pull("satisfaction_ratings", None))

    newest = int(datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc).timestamp())
    assert [([(r.kind, r.id, r.ticket_id) for r in p.records], p.cursor, p.done) for p in pages] == [
        ([("rating", "81", "7")], {"start_time": 0, "page_after": "r1", "newest": newest}, False),
        ([("rating", "82", "8")], {"start_time": newest}, True),
    ]


@responses.activate
def test_an_export_item_without_id_is_quarantined_and_the_page_goes_on(adapter):
    responses.get(TICKETS, json=export_page([ticket(1), {"subject": "no id"}], after_cursor="c1", end_of_stream=True))

    [page] = adapter.pull("tickets", None)

    assert [r.id for r in page.records] == ["1"]
    assert [(q.ref, q.error) for q in page.quarantined] == [("tickets item without an id", "no id")]


@responses.activate
def test_a_429_on_an_export_page_waits_and_the_page_is_pulled_again(monkeypatch):
    monkeypatch.setenv("DESKPLAN_NOW", NOW.isoformat())
    sleeps: list[float] = []
    adapter = create_adapter(CONFIG, "tok", sleep=sleeps.append, clock=lambda: 0.0)
    responses.get(TICKETS, status=429, headers={"Retry-After": "6"},
                  json={"error": "APIRateLimitExceeded",
                        "description": "Number of allowed incremental export API requests per minute exceeded"})
    responses.get(TICKETS, json=export_page([ticket(1)], after_cursor="c1", end_of_stream=True))

    [page] = adapter.pull("tickets", None)

    assert [r.id for r in page.records] == ["1"]
    assert len(sleeps) == 1 and sleeps[0] >= 6
    assert adapter.requests == 2


def test_unknown_stream_is_a_programming_error(adapter):
    with pytest.raises(ValueError, match="unknown Zendesk stream"):
        list(adapter.pull("macros", None))
