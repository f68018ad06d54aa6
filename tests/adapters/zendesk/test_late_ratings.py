"""The Zendesk adapter gets every satisfaction rating, answered late or not, whichever time the
ratings list's `start_time` filters on (the simulator's `ratings_start_time`), over real HTTP."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime, timezone

import pytest
import requests

from deskplan.adapters.zendesk import create_adapter
from deskplan.app.sync import run_sync
from deskplan.config import SourceConfig, load_config
from deskplan.errors import ExitStatus, Unreachable
from deskplan.state.store import Store
from deskplan_sandbox.server import SandboxServer
from deskplan_sandbox.zendesk import create_app
from tests.clocks import Clock

T0 = datetime(2026, 11, 20, 9, 0, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "bot@acme.test", "sandbox-token"


class Site:
    def __init__(self, reading: str):
        self.clock = Clock(T0)
        self.log = io.StringIO()
        self.app = create_app(email=EMAIL, token=TOKEN, tickets=150, seed=5, now=self.clock, rate_limit=0,
                              log=self.log, ratings_start_time=reading)
        self.server = SandboxServer(self.app).start()
        config = SourceConfig(name="zd", kind="zendesk", url=self.server.url, email=EMAIL, token_env="ZD")
        self.adapter = create_adapter(config, TOKEN, sleep=lambda s: None)
        self.ratings: dict[str, tuple[str, str | None]] = {}      # rating id -> (score, comment) pulled
        self.cursors: dict[str, dict | None] = defaultdict(lambda: None)

    def sync(self) -> list[str]:
        """Every stream from its cursor, as the connector runs them; the request lines it made."""
        before = len(self.log.getvalue().splitlines())
        for stream in self.adapter.streams:
            for page in self.adapter.pull(stream, self.cursors[stream]):
                self.ratings.update({r.id: (r.data["score"], r.data["comment"])
                                     for r in page.records if r.kind == "rating"})
                self.cursors[page.stream] = page.cursor
        return self.log.getvalue().splitlines()[before:]

    def answer(self, ticket: dict, score: str, comment: str | None = None) -> None:
        email = self.app.store.user(ticket["requester_id"])["email"]
        requests.post(f"{self.server.url}/api/v2/tickets/{ticket['id']}/satisfaction_rating.json",
                      json={"satisfaction_rating": {"score": score, "comment": comment}},
                      auth=(f"{email}/token", TOKEN)).raise_for_status()

    def offer_two_surveys(self) -> tuple[dict, dict]:
        """Two open tickets solved and offered a survey; ten minutes on, the first answered good,
        and ten minutes more."""
        first, second = [t for _, t in self.app.store.exported((0, 0), 10_000, 1 << 40)[0]
                         if t["status"] in ("new", "open", "pending")][:2]
        for ticket in (first, second):
            self.app.store.update_ticket(ticket["id"], status="solved")
            self.app.store.offer_survey(ticket["id"])
        self.clock.advance(minutes=10)
        self.answer(first, "good")
        self.clock.advance(minutes=10)
        return first, second

    def truth(self) -> dict[str, tuple[str, str | None]]:
        """Every answered rating the helpdesk holds now."""
        listed, _ = self.app.store.ratings_after((0, 0), 1 << 30, 1 << 62, lambda doc: doc["score"] in ("good", "bad"))
        return {str(doc["id"]): (doc["score"], doc["comment"]) for _, doc in listed}


@pytest.fixture
def site():
    sites: list[Site] = []

    def make(reading: str) -> Site:
        sites.append(Site(reading))
        return sites[-1]

    yield make
    for s in sites:
        s.server.stop()


@pytest.mark.parametrize(("reading", "fetched_one_by_one"), [("created", 2), ("updated", 0)])
def test_surveys_offered_before_the_resume_point_and_answered_after_are_all_pulled(site, reading,
                                                                                   fetched_one_by_one):
    s = site(reading)
    first, second = s.offer_two_surveys()
    s.sync()                                    # resumes from here: after both offers, after the first answer
    assert s.ratings == s.truth()
    s.clock.advance(minutes=10)
    s.answer(second, "bad", "Nobody called back")
    s.clock.advance(minutes=5)
    s.answer(first, "bad", "Changed my mind")
    s.clock.advance(minutes=5)

    requests_made = s.sync()

    assert s.ratings == s.truth()
    late = {str(s.app.store.ticket(t["id"])["satisfaction_rating"]["id"]) for t in (first, second)}
    assert {rid: s.ratings[rid] for rid in late} == {
        str(s.app.store.ticket(first["id"])["satisfaction_rating"]["id"]): ("bad", "Changed my mind"),
        str(s.app.store.ticket(second["id"])["satisfaction_rating"]["id"]): ("bad", "Nobody called back")}
    by_id = [line for line in requests_made if line.startswith("GET /api/v2/satisfaction_ratings/")]
    assert len(by_id) == fetched_one_by_one


def test_a_sync_with_no_late_answer_fetches_no_rating_by_id(site):
    s = site("created")
    s.sync()
    s.clock.advance(minutes=30)
    assert [line for line in s.sync() if "/satisfaction_ratings/" in line] == []


@pytest.mark.parametrize("full", [False, True])
def test_a_sync_stopped_between_the_tickets_and_the_ratings_loses_no_late_answer(site, tmp_path, full):
    """The tickets a sync stored name a late answer the ratings list will never return (the
    `created` reading); the sync stops before its ratings stream (the list unreachable). The
    tickets cursor stored with them owes the rating, so the next sync fetches it by id, and
    the one after that owes nothing. (Without the rating itself the ticket's own copy of it stands
    in, dated by the ticket's last change, until a change of the ticket brings the rating.)
    A `--full` sync names no rating (its ratings list starts from the beginning): stopped so, its
    tickets cursor says `whole`, and the next sync lists the ratings from the beginning."""
    s = site("created")
    (tmp_path / "deskplan.toml").write_text(
        f'[[sources]]\nname = "zd"\nkind = "zendesk"\nurl = "{s.server.url}"\nemail = "{EMAIL}"\n'
        'token_env = "ZD"\n\n[state]\npath = "state.db"\n', encoding="utf-8")
    config = load_config(tmp_path / "deskplan.toml")
    outage = {"on": False}

    def factory(source: SourceConfig, token: str):
        adapter = create_adapter(source, token, sleep=lambda _: None)
        listing = adapter.client.satisfaction_ratings

        def ratings(cursor):
            if outage["on"]:
                raise Unreachable("connection refused", source=source.name,
                                  where="GET /api/v2/satisfaction_ratings.json")
            return listing(cursor)

        adapter.client.satisfaction_ratings = ratings
        return adapter

    def sync(full: bool = False) -> tuple[int, list[str]]:
        before = len(s.log.getvalue().splitlines())
        result = run_sync(config, pull_only=True, full=full, environ={"ZD": TOKEN}, adapter_factory=factory)
        return result.exit_code, s.log.getvalue().splitlines()[before:]

    def stored(rating_id: str, ticket_id: str):
        """(the tickets cursor, the stored rating's score, the ticket's satisfaction)"""
        store = Store.open(tmp_path / "state.db")
        try:
            rating = store.record_lookup("zd")("rating", rating_id)
            [ticket] = [t for t in store.tickets() if t.id == ticket_id]
            return store.cursor("zd", "tickets") or {}, rating and rating["score"], ticket.satisfaction
        finally:
            store.close()

    _, second = s.offer_two_surveys()
    assert sync()[0] == 0                       # the ratings list resumes after the first answer next time
    s.clock.advance(minutes=10)
    answered_at = s.clock.at
    s.answer(second, "bad", "Nobody called back")
    s.clock.advance(minutes=5)
    late, ticket_id = str(s.app.store.ticket(second["id"])["satisfaction_rating"]["id"]), str(second["id"])

    outage["on"] = True
    exit_code, _ = sync(full)

    assert exit_code == ExitStatus.UNREACHABLE
    cursor, score, _ = stored(late, ticket_id)
    owed = {"whole": True} if full else {"answered": {late: ticket_id}}
    assert ({k: cursor[k] for k in ("answered", "whole") if k in cursor}, score) == (owed, None)

    outage["on"] = False
    exit_code, requests_made = sync()

    assert exit_code == 0
    ratings_asked = [line.split(" ")[1] for line in requests_made if "/satisfaction_ratings" in line]
    if full:
        assert ratings_asked == ["/api/v2/satisfaction_ratings.json?score=received&start_time=0&page[size]=100"]
    else:
        assert ratings_asked[1:] == [f"/api/v2/satisfaction_ratings/{late}.json"]
    cursor, score, _ = stored(late, ticket_id)
    assert (sorted(cursor), score) == (["after_cursor"], "bad")
    s.clock.advance(minutes=30)
    exit_code, requests_made = sync()
    assert exit_code == 0 and [line for line in requests_made if "/satisfaction_ratings/" in line] == []
    _, _, satisfaction = stored(late, ticket_id)
    assert (satisfaction.score.value, satisfaction.comment, satisfaction.at) == ("bad", "Nobody called back",
                                                                                 answered_at)
