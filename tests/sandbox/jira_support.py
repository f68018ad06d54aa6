"""Small builders for the Jira simulator tests: hand-built scenarios and a served app."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import requests

from deskplan_sandbox.jira import JiraSimulator, create_app
from deskplan_sandbox.scenario import Comment, Person, Rating, Scenario, ScenarioTicket, StatusChange
from deskplan_sandbox.server import SandboxServer

EMAIL, TOKEN = "agent@example.com", "s3cret-token"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)          # a Monday, 01:00 in Los Angeles
AGENT = Person(1, "Ann Agent", "ann@example.com", "agent")
CUSTOMER = Person(2, "Carl Customer", "carl@example.net", "requester", "Acme")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def ticket(number: int, created: datetime = T0, *, statuses: list[tuple[timedelta, str]] = (),
           comments: list[tuple[timedelta, int, str, bool]] = (), priority: str | None = "normal",
           tags: list[str] = (), ratings: list[tuple[timedelta, str]] = (), type_: str | None = "question",
           deleted: bool = False) -> ScenarioTicket:
    """A ticket created `created` in status new; offsets are from creation."""
    return ScenarioTicket(
        number=number, subject=f"Ticket {number}", description=f"Description of {number}", requester=2,
        assignee=1, group="Support", organization="Acme", priority=priority, type=type_, channel="web",
        tags=list(tags), created_at=created,
        status_changes=[StatusChange(created, "new", 2)] + [StatusChange(created + d, s, 1) for d, s in statuses],
        comments=[Comment(created, 2, f"Description of {number}", True)]
        + [Comment(created + d, who, body, public) for d, who, body, public in comments],
        ratings=[Rating(created + d, score) for d, score in ratings],
        deleted_at=created + minutes(1) if deleted else None,
    )


def scenario(*tickets: ScenarioTicket) -> Scenario:
    return Scenario(people=[AGENT, CUSTOMER], tickets=list(tickets), groups=["Support"])


def app_for(*tickets: ScenarioTicket, now: datetime = T0 + timedelta(days=1), **options) -> JiraSimulator:
    options.setdefault("log", io.StringIO())
    return create_app(email=EMAIL, token=TOKEN, scenario=scenario(*tickets), now=lambda: now, **options)


class QuickServer(SandboxServer):
    """The base server tuned for many short tests: it stops in milliseconds (the base polls for
    shutdown every 0.5 s) and answers without Nagle's delay (headers and body go out as two
    writes, which costs ~40 ms per request on loopback with delayed ACKs)."""

    def start(self) -> QuickServer:
        self._httpd.RequestHandlerClass.disable_nagle_algorithm = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self


@contextmanager
def served(app: JiraSimulator) -> Iterator[tuple[str, requests.Session]]:
    with QuickServer(app) as server:
        session = requests.Session()
        session.auth = (EMAIL, TOKEN)
        yield server.url, session
        session.close()
