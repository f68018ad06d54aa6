"""Jira Cloud's burst limit (a token bucket per endpoint and method) and per-issue write limit
(20 writes in 2 seconds, 100 in 30 seconds), as
https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ describes them, with the 429's
`RateLimit-Reason` naming which (`jira-burst-based`, `jira-per-issue-on-write`)."""

from __future__ import annotations

import io
from datetime import timedelta

from deskplan_sandbox.jira import create_app
from deskplan_sandbox.jira.limits import endpoint
from tests.clocks import Clock

from .jira_support import EMAIL, T0, TOKEN, scenario, served, ticket


def site(clock: Clock, burst: int):
    return create_app(email=EMAIL, token=TOKEN, scenario=scenario(ticket(1), ticket(2)), now=clock,
                      log=io.StringIO(), burst_limit=burst)


def comment(session, url: str, key: str):
    body = {"body": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Looking into it"}]}]}}
    return session.post(f"{url}/rest/api/3/issue/{key}/comment", json=body)


def test_each_endpoint_and_method_has_a_bucket_refilled_at_a_tenth_of_it_a_second():
    clock = Clock(T0 + timedelta(days=1))
    with served(site(clock, burst=10)) as (url, session):
        statuses = [session.get(f"{url}/rest/api/3/myself").status_code for _ in range(11)]
        assert statuses == [200] * 10 + [429]
        refused = session.get(f"{url}/rest/api/3/myself")
        assert refused.json() == {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        assert (refused.headers["RateLimit-Reason"], refused.headers["Retry-After"],
                refused.headers["X-RateLimit-Limit"]) == ("jira-burst-based", "1", "10")
        assert session.get(f"{url}/rest/api/3/field").status_code == 200        # another endpoint
        clock.at += timedelta(seconds=1)                                          # one token back
        assert [session.get(f"{url}/rest/api/3/myself").status_code for _ in range(2)] == [200, 429]


def test_one_issue_takes_20_writes_in_2_seconds_and_100_in_30():
    clock = Clock(T0 + timedelta(days=1))
    with served(site(clock, burst=1000)) as (url, session):
        assert [comment(session, url, "SUP-1").status_code for _ in range(21)] == [201] * 20 + [429]
        refused = comment(session, url, "SUP-1")
        assert (refused.headers["RateLimit-Reason"], refused.headers["X-RateLimit-Limit"],
                refused.headers["Retry-After"]) == ("jira-per-issue-on-write", "20", "2")
        assert comment(session, url, "SUP-2").status_code == 201                 # another issue
        assert session.get(f"{url}/rest/api/3/issue/SUP-1").status_code == 200   # reads are not writes
        for _ in range(4):                                                        # 100 in 8 seconds
            clock.at += timedelta(seconds=2)
            assert {comment(session, url, "SUP-1").status_code for _ in range(20)} == {201}
        clock.at += timedelta(seconds=2)
        refused = comment(session, url, "SUP-1")
        assert (refused.status_code, refused.headers["X-RateLimit-Limit"]) == (429, "100")
        assert refused.headers["Retry-After"] == "20"                            # the first write leaves at 30 s


def test_without_a_burst_limit_nothing_is_refused():
    clock = Clock(T0 + timedelta(days=1))
    with served(site(clock, burst=0)) as (url, session):
        assert {comment(session, url, "SUP-1").status_code for _ in range(25)} == {201}


def test_object_ids_share_their_endpoints_bucket():
    assert endpoint("POST", "/rest/api/3/issue/SUP-12/comment") == endpoint("POST", "/rest/api/3/issue/10044/comment")
    assert endpoint("GET", "/rest/api/3/issue/SUP-12") != endpoint("PUT", "/rest/api/3/issue/SUP-12")
    assert endpoint("GET", "/rest/api/2/issue/10044") == "GET /rest/api/2/issue/{id}"
