"""Satisfaction surveys in the Zendesk simulator: offered, answered late by the requester through
`POST /api/v2/tickets/{id}/satisfaction_rating`, and listed by `start_time` under both readings of
what that time is (`ratings_start_time`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
import requests

from deskplan_sandbox.errors import ConfigError
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import ZendeskSimulator, create_app
from tests.clocks import Clock

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "owner@example.com", "s3cret-token"
RATINGS = "/api/v2/satisfaction_ratings.json"


@contextmanager
def serving(clock: Clock, **options) -> Iterator[tuple[ZendeskSimulator, str]]:
    app = create_app(email=EMAIL, token=TOKEN, tickets=150, seed=5, now=clock, rate_limit=0, log=io.StringIO(),
                     **options)
    with SandboxServer(app) as server:
        yield app, server.url


def unrated_solved(app: ZendeskSimulator) -> list[dict]:
    """Open tickets, solved now, their survey not answered."""
    tickets = [doc for _, doc in app.store.exported((0, 0), 10_000, 1 << 40)[0]
               if doc["status"] in ("new", "open", "pending")]
    return [app.store.update_ticket(t["id"], status="solved").ticket for t in tickets[:2]]


def as_requester(app: ZendeskSimulator, ticket: dict) -> tuple[str, str]:
    email = app.store.user(ticket["requester_id"])["email"]
    return f"{email}/token", TOKEN


def answer(url: str, app: ZendeskSimulator, ticket: dict, body: dict) -> requests.Response:
    return requests.post(f"{url}/api/v2/tickets/{ticket['id']}/satisfaction_rating.json", json=body,
                         auth=as_requester(app, ticket))


def test_the_requesters_answer_updates_the_offered_rating_and_keeps_its_creation_time():
    """https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/
    #create-a-satisfaction-rating: body {"satisfaction_rating": {"score", "comment"}}, 200 and the
    rating; only the requester (an API token acts as any user of the account:
    https://developer.zendesk.com/documentation/api-basics/authentication/using-the-api-with-2-factor-authentication-enabled)."""
    clock = Clock(T0)
    with serving(clock) as (app, url):
        ticket = unrated_solved(app)[0]
        offered = app.store.offer_survey(ticket["id"])
        assert (offered["score"], offered["created_at"]) == ("offered", "2026-11-20T09:00:00Z")
        clock.at = T0 + timedelta(hours=30)
        response = answer(url, app, ticket, {"satisfaction_rating": {"score": "bad", "comment": "Took days"}})
        assert response.status_code == 200
        rating = response.json()["satisfaction_rating"]
        assert {k: rating[k] for k in ("id", "ticket_id", "requester_id", "score", "comment", "created_at",
                                       "updated_at")} == {
            "id": offered["id"], "ticket_id": ticket["id"], "requester_id": ticket["requester_id"], "score": "bad",
            "comment": "Took days", "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-21T15:00:00Z"}
        shown = app.store.ticket(ticket["id"])
        assert shown["satisfaction_rating"] == {"id": offered["id"], "score": "bad", "comment": "Took days"}
        assert shown["generated_timestamp"] == int(clock.at.timestamp())


def test_only_the_requester_may_answer_and_only_good_or_bad():
    """Same reference: "Only the end user listed as the ticket requester can create a satisfaction rating";
    "Only "good" and "bad" are valid values for the score ... will result in a 422 error"."""
    clock = Clock(T0)
    with serving(clock) as (app, url):
        ticket = unrated_solved(app)[0]
        path = f"{url}/api/v2/tickets/{ticket['id']}/satisfaction_rating.json"
        by_admin = requests.post(path, json={"satisfaction_rating": {"score": "good"}}, auth=(f"{EMAIL}/token", TOKEN))
        assert by_admin.status_code == 403
        assert by_admin.json()["error"]["title"] == "Forbidden"
        wrong_token = requests.post(path, json={"satisfaction_rating": {"score": "good"}},
                                    auth=(as_requester(app, ticket)[0], "nope"))
        assert (wrong_token.status_code, wrong_token.json()) == (401, {"error": "Couldn't authenticate you"})
        offered = answer(url, app, ticket, {"satisfaction_rating": {"score": "offered"}})
        assert offered.status_code == 422 and offered.json()["error"] == "RecordInvalid"
        # The requester's credentials reach nothing else.
        other = requests.get(f"{url}/api/v2/tickets/{ticket['id']}.json", auth=as_requester(app, ticket))
        assert other.status_code == 401


@pytest.mark.parametrize(("reading", "listed"), [("created", False), ("updated", True)])
def test_a_late_answer_is_listed_after_a_start_time_between_offer_and_answer_only_when_it_filters_updates(
        reading, listed):
    """The reference's `start_time` is the "time of the oldest satisfaction rating"; read as the creation
    (the survey's offer), a survey offered before it and answered after is not listed."""
    clock = Clock(T0)
    with serving(clock, ratings_start_time=reading) as (app, url):
        ticket = unrated_solved(app)[0]
        rating_id = app.store.offer_survey(ticket["id"])["id"]
        clock.at = T0 + timedelta(hours=2)
        answer(url, app, ticket, {"satisfaction_rating": {"score": "good"}}).raise_for_status()
        since = int((T0 + timedelta(hours=1)).timestamp())
        found = requests.get(f"{url}{RATINGS}", params={"score": "received", "start_time": since},
                             auth=(f"{EMAIL}/token", TOKEN)).json()["satisfaction_ratings"]
        assert (rating_id in [r["id"] for r in found]) is listed


def test_an_unknown_reading_is_refused():
    with pytest.raises(ConfigError, match="ratings_start_time must be one of created, updated"):
        create_app(email=EMAIL, token=TOKEN, ratings_start_time="answered", log=io.StringIO())
