"""The Zendesk simulator's account-wide and ticket-update rate limits, as Zendesk's rate-limits
reference describes them (https://developer.zendesk.com/api-reference/introduction/rate-limits/):
the account limit counts every request and answers in plain text (as airbytehq/airbyte#11035
found: "Number of allowed API requests per minute exceeded"); "Update Ticket" allows 100 updates
a minute per account (bucket `zendesk-rate-limit-tickets-update`, as recorded by zenpy's
cassettes) and 30 per ticket and user in 10 minutes, the latter refused in plain text as Zendesk's
"Best practices for avoiding rate limiting" shows it."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import requests

from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app
from tests.clocks import Clock

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "owner@example.com", "s3cret-token"


def test_the_account_limit_counts_every_endpoint_and_answers_in_plain_text():
    clock = Clock(NOW)
    app = create_app(email=EMAIL, token=TOKEN, tickets=30, seed=2, now=clock, log=io.StringIO(), account_rate_limit=4)
    with SandboxServer(app) as server:
        http = requests.Session()
        http.auth = (f"{EMAIL}/token", TOKEN)
        paths = ["/api/v2/users/me.json", "/api/v2/tickets/1.json", "/api/v2/satisfaction_ratings.json",
                 "/api/v2/incremental/tickets/cursor.json?start_time=0"]
        answers = [http.get(server.url + path) for path in paths]
        assert [a.status_code for a in answers] == [200, 200, 200, 200]
        assert [a.headers["x-rate-limit-remaining"] for a in answers] == ["3", "2", "1", "0"]
        assert answers[0].headers["x-rate-limit"] == "4"
        refused = http.get(server.url + "/api/v2/tickets/2.json")
        assert (refused.status_code, refused.text, refused.headers["Content-Type"]) == (
            429, "Number of allowed API requests per minute exceeded", "text/plain; charset=utf-8")
        assert refused.headers["Retry-After"] == "60"
        clock.at += timedelta(seconds=60)
        assert http.get(server.url + "/api/v2/tickets/2.json").status_code == 200


def test_without_an_account_limit_requests_are_counted_for_the_headers_only():
    app = create_app(email=EMAIL, token=TOKEN, tickets=5, now=lambda: NOW, log=io.StringIO())
    with SandboxServer(app) as server:
        answers = [requests.get(server.url + "/api/v2/tickets/1.json", auth=(f"{EMAIL}/token", TOKEN))
                   for _ in range(3)]
    assert [(a.status_code, a.headers["x-rate-limit"], a.headers["x-rate-limit-remaining"]) for a in answers] == [
        (200, "700", "699"), (200, "700", "698"), (200, "700", "697")]


def test_ticket_updates_are_limited_per_account_and_per_ticket():
    clock = Clock(NOW)
    app = create_app(email=EMAIL, token=TOKEN, tickets=0, now=clock, log=io.StringIO(), account_rate_limit=700)
    ids = [app.store.create_ticket({"comment": {"body": f"Printer {n}"}}, author_id=app.api_user_id).ticket["id"]
           for n in range(101)]
    note = {"ticket": {"comment": {"body": "Looking into it", "public": False}}}
    with SandboxServer(app) as server:
        http = requests.Session()
        http.auth = (f"{EMAIL}/token", TOKEN)
        first = http.put(f"{server.url}/api/v2/tickets/{ids[0]}.json", json=note)
        assert first.headers["zendesk-rate-limit-tickets-update"] == "total=100; remaining=99; resets=60"
        assert first.headers["zendesk-ratelimit-per-ticket-updates"] == "total=30; remaining=29; resets=600"
        for ticket_id in ids[1:100]:
            assert http.put(f"{server.url}/api/v2/tickets/{ticket_id}.json", json=note).status_code == 200
        refused = http.put(f"{server.url}/api/v2/tickets/{ids[100]}.json", json=note)
        assert refused.status_code == 429
        assert refused.json() == {"error": "APIRateLimitExceeded",
                                  "description": "Number of allowed ticket update API requests per minute exceeded"}
        assert refused.headers["zendesk-rate-limit-tickets-update"] == "total=100; remaining=0; resets=60"
        clock.at += timedelta(minutes=1)
        for _ in range(29):
            assert http.put(f"{server.url}/api/v2/tickets/{ids[0]}.json", json=note).status_code == 200
        per_ticket = http.put(f"{server.url}/api/v2/tickets/{ids[0]}.json", json=note)
        # As Zendesk's "Best practices for avoiding rate limiting" shows this 429: plain text, 85 bytes
        # (https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/best-practices-for-avoiding-rate-limiting/)
        assert (per_ticket.status_code, per_ticket.text, per_ticket.headers["Content-Type"],
                per_ticket.headers["Content-Length"]) == (
            429, "Rate limit for ticket updates exceeded, please wait before updating this ticket again",
            "text/html; charset=utf-8", "85")
        assert per_ticket.headers["Retry-After"] == "540"
        assert per_ticket.headers["zendesk-ratelimit-per-ticket-updates"] == "total=30; remaining=0; resets=540"
