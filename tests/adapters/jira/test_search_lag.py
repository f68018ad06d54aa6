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

EMAIL, TOKEN = "bot@acme.test", "lag-token"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TICKETS = 40
SLOW = SearchLag(600.0)          # how A and B are chosen: A surfaces late, B at once, under a 10-minute lag


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


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
    assert busy.reconciled(at + 1) == Watermark(top, {}, top, at + 1)
