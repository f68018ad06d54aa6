"""`search_lag` (`--search-lag SECONDS`): changes reach the Jira search results late, each after
a delay of its own up to the lag, so they surface out of order; `reconcileIssues` gets the named
issues' latest versions at once.

Atlassian documents the enhanced search as eventually consistent, with `reconcileIssues` for
read-after-write consistency:
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
"""

from __future__ import annotations

import io
from datetime import timedelta

from deskplan_sandbox.jira import create_app
from deskplan_sandbox.jira.dates import to_ms
from tests.clocks import Clock

from .jira_support import EMAIL, T0, TOKEN, scenario, served, ticket

JQL = "project = SUP ORDER BY key ASC"
LAG = 600.0


def app_for(tickets: int, clock: Clock, **options):
    return create_app(email=EMAIL, token=TOKEN, scenario=scenario(*(ticket(n) for n in range(1, tickets + 1))),
                      now=clock, log=io.StringIO(), **options)


def found(session, url: str, **params) -> list[str]:
    response = session.get(f"{url}/rest/api/3/search/jql", params={"jql": JQL, "fields": "summary",
                                                                   "maxResults": 100, **params})
    assert response.status_code == 200, response.text
    return [issue["key"] for issue in response.json()["issues"]]


def test_changes_surface_each_after_its_own_delay_up_to_the_lag_and_reconcile_gets_them_at_once():
    clock = Clock(T0 + timedelta(hours=1))
    app = app_for(30, clock, search_lag=LAG)
    every = [f"SUP-{n}" for n in range(1, 31)]
    changed_at = T0 + timedelta(hours=1)
    app.store.touch(every, changed_at)
    delays = {key: app.search_lag.delay_ms(app.store.require(key).id, to_ms(changed_at)) for key in every}
    assert all(0 <= d < LAG * 1000 for d in delays.values()) and len(set(delays.values())) == 30
    with served(app) as (url, session):
        assert found(session, url) == [k for k in every if delays[k] == 0]
        clock.at = changed_at + timedelta(seconds=LAG / 2)
        half = [k for k in every if delays[k] <= LAG * 500]
        assert found(session, url) == half and 0 < len(half) < 30
        late = next(k for k in every if k not in half)
        reconciled = found(session, url, reconcileIssues=app.store.require(late).id)
        assert reconciled == sorted(half + [late], key=every.index)
        count = session.post(f"{url}/rest/api/3/search/approximate-count", json={"jql": JQL}).json()
        assert count == {"count": len(half)}
        clock.at = changed_at + timedelta(seconds=LAG)
        assert found(session, url) == every


def test_without_a_lag_every_change_is_found_at_once():
    clock = Clock(T0 + timedelta(hours=1))
    app = app_for(5, clock)
    app.store.touch(["SUP-3"], clock.at)
    with served(app) as (url, session):
        assert found(session, url) == [f"SUP-{n}" for n in range(1, 6)]
