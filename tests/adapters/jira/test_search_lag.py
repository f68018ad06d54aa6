"""The Jira adapter's overlap against a search index that lags writes (the simulator's
`search_lag`), over loopback HTTP: a change surfacing late by less than the overlap is pulled by
the next sync; one late by more is pulled by the next reconciliation (watermark.py), at a cost the
adapter counts (`reconciled_issues`)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from protocol_driver import MemoryState, sync

from deskplan.adapters.jira import create_adapter
from deskplan.adapters.jira.watermark import Watermark
from deskplan.config import SourceConfig
from deskplan_sandbox.jira import create_app
from deskplan_sandbox.jira.dates import to_ms
from deskplan_sandbox.jira.search import SearchLag
from deskplan_sandbox.scenario import Comment, Person, Scenario, ScenarioTicket, StatusChange
from deskplan_sandbox.server import SandboxServer
from tests.clocks import Clock

EMAIL, TOKEN = "bot@acme.test", "lag-token"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TICKETS = 40
SLOW = SearchLag(600.0)          # how A and B are chosen: A surfaces late, B at once, under a 10-minute lag


def ticket(number: int) -> ScenarioTicket:
    return ScenarioTicket(number=number, subject=f"Ticket {number}", description="Printer", requester=2, assignee=1,
                          group="Support", organization="Acme", priority="normal", type="question", channel="web",
                          tags=[], created_at=T0, status_changes=[StatusChange(T0, "new", 2)],
                          comments=[Comment(T0, 2, "Printer", True)], ratings=[])


@pytest.fixture
def site(request):
    clock = Clock(T0 + timedelta(minutes=20))
    people = [Person(1, "Ann Agent", "ann@example.com", "agent"),
              Person(2, "Carl Customer", "carl@example.net", "requester", "Acme")]
    app = create_app(email=EMAIL, token=TOKEN, now=clock, log=io.StringIO(), search_lag=request.param,
                     scenario=Scenario(people=people, tickets=[ticket(n) for n in range(1, TICKETS + 1)],
                                       groups=["Support"]))
    with SandboxServer(app) as server:
        config = SourceConfig(name="jsm", kind="jira", url=server.url, email=EMAIL, token_env="JIRA_TOKEN",
                              projects=("SUP",))
        yield app, clock, create_adapter(config, TOKEN, sleep=lambda s: None)


def pick(app, at: datetime, wanted, *, besides: tuple[str, ...] = ()) -> str:
    """An issue that, changed `at`, would surface after a delay `wanted` accepts under SLOW."""
    return next(key for key in (f"SUP-{n}" for n in range(1, TICKETS + 1))
                if key not in besides and wanted(SLOW.delay_ms(app.store.require(key).id, to_ms(at))))


def pulled_versions(run) -> set[tuple[str, str]]:
    return {(r.data["issue"]["key"], r.data["issue"]["fields"]["updated"][:19]) for r in run.pulled}


@pytest.mark.parametrize(("site", "missed_until_reconciled"), [(240.0, False), (600.0, True)], indirect=["site"],
                         ids=["lag-below-overlap", "lag-above-overlap"])
def test_an_issue_surfacing_after_a_later_one_is_pulled_by_the_next_sync_or_the_next_reconciliation(
        site, missed_until_reconciled):
    app, clock, adapter = site
    state = MemoryState()
    sync(adapter, state)                                   # full: everything changed at T0 is indexed by now
    t1 = T0 + timedelta(minutes=25)
    slow = pick(app, t1, lambda d: d > 8.5 * 60_000)
    quick = pick(app, t1 + timedelta(minutes=6), lambda d: d < 60_000, besides=(slow,))
    app.store.touch([slow], t1)
    app.store.touch([quick], t1 + timedelta(minutes=6))
    clock.at = t1 + timedelta(minutes=7, seconds=30)
    second = sync(adapter, state)                          # finds the quick change; the slow one is not indexed yet
    assert quick in {key for key, _ in pulled_versions(second)}
    clock.at = t1 + timedelta(minutes=20)                  # both indexed now
    third = sync(adapter, state)
    slow_version = (slow, app.store.require(slow).fields["updated"][:19])
    assert (slow_version in pulled_versions(second) | pulled_versions(third)) is not missed_until_reconciled
    assert adapter.reconciled_issues == 0

    # An hour of changes on, the sync after them reconciles, reaching back before the last reconciliation.
    later = T0 + timedelta(minutes=90)
    app.store.touch([pick(app, later, lambda d: True, besides=(slow, quick))], later)
    clock.at = later + timedelta(minutes=15)
    fourth = sync(adapter, state)
    assert len(fourth.pulled) == 1 and adapter.reconciled_issues == 0
    fifth = sync(adapter, state)

    assert state.records[("ticket", app.store.require(slow).id)].data["issue"]["fields"]["updated"][:19] == \
        slow_version[1]
    assert slow_version in pulled_versions(fifth)
    # Its cost: every issue changed from half an hour before the last reconciliation on but the
    # newest (still inside the overlap), read again once.
    assert adapter.reconciled_issues == len(fifth.pulled) == TICKETS - 1
    sixth = sync(adapter, state)
    assert sixth.pulled == [] and adapter.reconciled_issues == TICKETS - 1


def test_a_reconciliation_is_due_an_hour_of_changes_or_an_hour_of_the_hosts_clock_after_the_last():
    minute = 60_000
    top, at = 1_772_413_530_123, 1_772_420_000_000
    quiet = Watermark(top, {}, reconciled_ms=top - 10 * minute, reconciled_at=at)
    assert quiet.reach_ms(5 * minute, at + 59 * minute) == 5 * minute
    assert quiet.reach_ms(5 * minute, at + 60 * minute) == 40 * minute     # back to 30 minutes before it
    assert Watermark(top, {}, top - 10 * minute, 0).reach_ms(5 * minute, at + 600 * minute) == 5 * minute
    busy = Watermark(top, {}, reconciled_ms=top - 61 * minute, reconciled_at=at)
    assert busy.reach_ms(5 * minute, at) == 91 * minute
    assert busy.reconciled(at + 1, {}, 0) == Watermark(top, {}, top, at + 1, tail={}, tail_ms=top - 30 * minute)


def test_a_reconciliation_widens_its_span_when_it_finds_a_change_the_last_one_passed_unseen():
    """Atlassian bounds the index's lag by nothing ("seconds to minutes", longer for bulk edits);
    under a lag of up to three hours the first reconciliations reach back only half an hour. The
    one that finds a change the last reconciliation had passed (56 minutes late) says so and widens
    the span; the next late change, 40 minutes before the mark the last reconciliation reached
    (beyond the default span), is pulled by the next reconciliation."""
    lag = SearchLag(3 * 3600.0)
    start = T0 + timedelta(hours=4)                       # the scenario's changes are indexed by then
    clock = Clock(start)
    people = [Person(1, "Ann Agent", "ann@example.com", "agent"),
              Person(2, "Carl Customer", "carl@example.net", "requester", "Acme")]
    app = create_app(email=EMAIL, token=TOKEN, now=clock, log=io.StringIO(), search_lag=lag.seconds,
                     scenario=Scenario(people=people, tickets=[ticket(n) for n in range(1, 201)], groups=["Support"]))
    keys = [f"SUP-{n}" for n in range(1, 201)]
    taken: set[str] = set()

    def change(at: datetime, low: float, high: float) -> str:
        """An issue, changed `at`, that surfaces between `low` and `high` minutes later (one a slow
        change is waiting on is left alone)."""
        key = next(k for k in keys if k not in taken
                   and low * 60_000 <= lag.delay_ms(app.store.require(k).id, to_ms(at)) < high * 60_000)
        if low:
            taken.add(key)
        app.store.touch([key], at)
        return key

    with SandboxServer(app) as server:
        config = SourceConfig(name="jsm", kind="jira", url=server.url, email=EMAIL, token_env="JIRA_TOKEN",
                              projects=("SUP",))
        adapter = create_adapter(config, TOKEN, sleep=lambda s: None, now=clock)
        state = MemoryState()
        sync(adapter, state)                              # full: a reconciliation at `start`
        late = change(start + timedelta(minutes=5), 70, 100)
        change(start + timedelta(minutes=6), 0, 3)
        clock.at = start + timedelta(minutes=10)
        sync(adapter, state)
        clock.at = start + timedelta(minutes=61)          # an hour on: reconciles; `late` not indexed yet
        assert late not in {r.data["issue"]["key"] for r in sync(adapter, state).pulled}
        assert (adapter.late_changes, adapter.pull_warnings) == (0, [])
        clock.at = start + timedelta(minutes=122)         # the next one finds it, 56 minutes late

        found = sync(adapter, state)

        assert late in {r.data["issue"]["key"] for r in found.pulled} and adapter.late_changes == 1
        assert adapter.pull_warnings == [
            f"the search index showed a change of {late} 56 min late, after the last reconciliation had "
            "passed it; reconciliations now reach back 112 min (were 30 min). A change later than that is "
            "missed until its issue changes again: `deskplan sync --full` pulls everything"]
        assert state.cursors["issues"]["span_ms"] == 112 * 60_000

        # Busy on: a change every three minutes moves the mark on; a slow one is passed by the
        # next reconciliation more than the default span before the mark it reaches.
        slow_at = start + timedelta(minutes=130)
        slow = change(slow_at, 66, 75)
        pulled: set[str] = set()
        for minutes in range(125, 191, 3):
            change(start + timedelta(minutes=minutes), 0, 5)
            clock.at = start + timedelta(minutes=minutes + 5)
            pulled |= {r.data["issue"]["key"] for r in sync(adapter, state).pulled}
        mark = Watermark.from_cursor(state.cursors["issues"])
        assert mark.reconciled_at == to_ms(clock.at) and slow not in pulled      # reconciled without it
        assert mark.reconciled_ms - to_ms(slow_at) > 30 * 60_000     # beyond the default span's reach
        clock.at += timedelta(minutes=61)

        reconciled = sync(adapter, state)

    assert slow in {r.data["issue"]["key"] for r in reconciled.pulled}
    assert adapter.late_changes == 2 and len(adapter.pull_warnings) == 2


def test_the_reconciliation_span_widens_to_twice_the_lateness_found_and_stays_so():
    minute = 60_000
    top, at = 1_772_413_530_123, 1_772_420_000_000
    mark = Watermark(top, {}, reconciled_ms=top - 10 * minute, reconciled_at=at, tail={"A": top - 12 * minute},
                     tail_ms=top - 40 * minute)
    assert mark.passed_unseen("B", top - 12 * minute) == at - (top - 12 * minute)
    assert mark.passed_unseen("A", top - 12 * minute) is None         # the last one read this version
    assert mark.passed_unseen("A", top - 11 * minute) == at - (top - 11 * minute)   # a later one it did not
    assert mark.passed_unseen("B", top - 10 * minute) is None         # it had not read so far
    assert mark.passed_unseen("B", top - 41 * minute) is None         # nor from so far back
    assert Watermark(top, {}, top - 10 * minute, at).passed_unseen("B", top - 20 * minute) is None  # no tail
    assert mark.respanned(15 * minute) == mark                        # within half the span: kept
    assert mark.respanned(16 * minute).span_ms == 32 * minute
    assert mark.respanned(300 * minute).span_ms == 240 * minute       # at most four hours
    wide = mark.respanned(100 * minute)
    assert (wide.span_ms, wide.reach_ms(5 * minute, at + 60 * minute)) == (200 * minute, 210 * minute)
    assert wide.respanned(0) == wide and wide.respanned(60 * minute) == wide
    assert Watermark.from_cursor(wide.to_cursor()) == wide
    assert {k: wide.to_cursor()[k] for k in ("span_ms", "tail")} == {
        "span_ms": 200 * minute, "tail": {"from": top - 40 * minute, "read": {"A": top - 12 * minute}}}
    assert "span_ms" not in mark.to_cursor() and "tail" not in Watermark(top).to_cursor()
    # A reconciliation keeps what it read within the span before its mark, and not before its reach.
    read = {"A": top - 31 * minute, "B": top - 29 * minute, "C": top}
    assert Watermark(top).reconciled(at, read, top - 60 * minute).tail == {"B": top - 29 * minute, "C": top}
    assert Watermark(top).reconciled(at, read, top - 10 * minute).tail_ms == top - 10 * minute
