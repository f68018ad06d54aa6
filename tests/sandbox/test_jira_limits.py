"""Basic auth, burst rate limits with Atlassian's headers, and seeded fault injection."""

from __future__ import annotations

import requests

from deskplan_sandbox.server import FaultInjector, SlidingWindowLimiter

from .jira_support import EMAIL, TOKEN, app_for, served, ticket


def test_wrong_or_missing_credentials_are_401_but_server_info_is_public():
    with served(app_for(ticket(1))) as (url, _session):
        wrong = requests.get(f"{url}/rest/api/3/myself", auth=(EMAIL, "not-the-token"))
        missing = requests.get(f"{url}/rest/api/3/issue/SUP-1")
        info = requests.get(f"{url}/rest/api/2/serverInfo")
    expected = {"message": "Client must be authenticated to access this resource.", "status-code": 401}
    assert (wrong.status_code, wrong.json()) == (401, expected)
    assert (missing.status_code, missing.json()) == (401, expected)
    assert info.status_code == 200 and info.json()["deploymentType"] == "Cloud"


def test_answers_name_the_callers_account():
    with served(app_for(ticket(1))) as (url, session):
        me = session.get(f"{url}/rest/api/3/myself")
    assert me.headers["X-AAccountId"] == me.json()["accountId"]


def test_unknown_paths_get_the_dead_link_page():
    with served(app_for(ticket(1))) as (url, session):
        response = session.get(f"{url}/rest/api/3/nothing/here")
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")


def test_burst_limit_answers_429_with_retry_after_and_reset():
    app = app_for(ticket(1))
    ticks = iter([0.0, 1.0, 2.0, 15.5, 15.5])
    app.limiter = SlidingWindowLimiter(3, 60.0, clock=lambda: next(ticks))
    with served(app) as (url, session):
        statuses = [session.get(f"{url}/rest/api/3/myself").status_code for _ in range(3)]
        limited = session.get(f"{url}/rest/api/3/myself")
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "45"                     # the first hit leaves the window at 60 s
    assert limited.headers["X-RateLimit-Reset"] == "2026-03-03T09:01Z"   # clock 09:00Z + 45 s, to the minute
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert limited.json() == {"errorMessages": ["Rate limit exceeded."], "errors": {}}


def test_injected_429_and_503_carry_retry_after():
    app = app_for(ticket(1))
    with served(app) as (url, session):
        app.faults = FaultInjector(1.0, seed=1, kinds=("429",))
        too_many = session.get(f"{url}/rest/api/3/myself")
        app.faults = FaultInjector(1.0, seed=1, kinds=("503",))
        unavailable = session.get(f"{url}/rest/api/3/myself")
    assert too_many.status_code == 429 and too_many.headers["Retry-After"] == "1"
    assert too_many.headers["RateLimit-Reason"] == "jira-burst-based" and "X-RateLimit-Reset" in too_many.headers
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "1"


def outcomes(seed: int) -> list[str]:
    app = app_for(ticket(1), faults=0.5, seed=seed)
    results = []
    with served(app) as (url, _):
        for _ in range(24):
            try:
                response = requests.get(f"{url}/rest/api/3/issue/SUP-1", auth=(EMAIL, TOKEN), timeout=5)
                response.json()
                results.append(str(response.status_code))
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, ValueError) as exc:
                results.append(type(exc).__name__)
    return results


def test_faults_are_reproducible_for_a_seed():
    first, again, other = outcomes(7), outcomes(7), outcomes(8)
    assert first == again
    assert first != other
    assert "200" in first and len(set(first)) >= 3
