"""Enhanced JQL search: minute precision in the user's zone, keyset pages, tokens, Jira's 400s."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskplan_sandbox.jira.dates import to_ms
from deskplan_sandbox.jira.search import BAD_TOKEN, UNBOUNDED

from .jira_support import T0, app_for, minutes, served, ticket

REMOVED = {"errorMessages": ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
                             "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"],
           "errors": {}}


def keys(page: dict) -> list[str]:
    return [issue["key"] for issue in page["issues"]]


def search(session, url: str, jql: str, **params) -> dict:
    response = session.get(f"{url}/rest/api/3/search/jql", params={"jql": jql, "fields": "summary", **params})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def two_close_updates():
    """SUP-1 updated 04:00:30 and SUP-2 04:01:10 in the API user's zone (America/Los_Angeles)."""
    app = app_for(ticket(1), ticket(2))
    app.store.touch(["SUP-1"], T0 + timedelta(hours=3, seconds=30))
    app.store.touch(["SUP-2"], T0 + timedelta(hours=3, minutes=1, seconds=10))
    with served(app) as (url, session):
        yield url, session


@pytest.mark.parametrize("jql, expected", [
    ('project = SUP AND updated >= "2026/03/02 04:01" ORDER BY key ASC', ["SUP-2"]),
    ('project = SUP AND updated >= "2026-03-02 04:01" ORDER BY key ASC', ["SUP-2"]),
    ('project = SUP AND updated >= "2026/03/02 04:00" ORDER BY key ASC', ["SUP-1", "SUP-2"]),
    ('project = SUP AND updated < "2026/03/02 04:01" ORDER BY key ASC', ["SUP-1"]),
    ('project = SUP AND updated >= "2026-03-02" ORDER BY key ASC', ["SUP-1", "SUP-2"]),
    # the same wall-clock minute written in UTC by a client that ignored /myself.timeZone
    ('project = SUP AND updated >= "2026/03/02 12:01" ORDER BY key ASC', []),
])
def test_quoted_dates_are_minutes_in_the_users_time_zone(two_close_updates, jql, expected):
    url, session = two_close_updates
    assert keys(search(session, url, jql)) == expected


def test_unquoted_numbers_are_epoch_milliseconds(two_close_updates):
    url, session = two_close_updates
    first = to_ms(T0 + timedelta(hours=3, seconds=30))
    assert keys(search(session, url, f"project = SUP AND updated >= {first} ORDER BY key ASC")) == ["SUP-1", "SUP-2"]
    assert keys(search(session, url, f"project = SUP AND updated >= {first + 1} ORDER BY key ASC")) == ["SUP-2"]


def test_myself_reports_the_zone_dates_are_read_in(two_close_updates):
    url, session = two_close_updates
    assert session.get(f"{url}/rest/api/3/myself").json()["timeZone"] == "America/Los_Angeles"


def page_through(session, url: str, jql: str, size: int) -> list[dict]:
    pages, token = [], None
    while True:
        params = {"maxResults": size, **({"nextPageToken": token} if token else {})}
        page = search(session, url, jql, **params)
        pages.append(page)
        if page["isLast"]:
            return pages
        token = page["nextPageToken"]


def test_pages_run_to_the_end_in_updated_then_key_order():
    tickets = [ticket(n, T0 + minutes(n % 3)) for n in range(1, 24)]
    with served(app_for(*tickets)) as (url, session):
        pages = page_through(session, url, "project = SUP ORDER BY updated ASC, key ASC", 10)
    assert [len(p["issues"]) for p in pages] == [10, 10, 3]
    assert [p["isLast"] for p in pages] == [False, False, True]
    assert "nextPageToken" not in pages[-1] and all(isinstance(p["nextPageToken"], str) for p in pages[:-1])
    expected = [f"SUP-{n}" for n in sorted(range(1, 24), key=lambda n: (n % 3, n))]
    assert [k for p in pages for k in keys(p)] == expected


def test_post_search_pages_like_get():
    with served(app_for(*[ticket(n) for n in range(1, 6)])) as (url, session):
        body = {"jql": "project = SUP ORDER BY key DESC", "maxResults": 3, "fields": ["summary", "status"]}
        first = session.post(f"{url}/rest/api/3/search/jql", json=body).json()
        second = session.post(f"{url}/rest/api/3/search/jql",
                              json={**body, "nextPageToken": first["nextPageToken"]}).json()
    assert keys(first) == ["SUP-5", "SUP-4", "SUP-3"] and keys(second) == ["SUP-2", "SUP-1"]
    assert set(first["issues"][0]["fields"]) == {"summary", "status"}
    assert second["isLast"] is True and "nextPageToken" not in second


def test_default_fields_are_ids_only():
    with served(app_for(ticket(1), ticket(2))) as (url, session):
        page = session.get(f"{url}/rest/api/3/search/jql", params={"jql": "project = SUP ORDER BY key ASC"}).json()
    assert page == {"issues": [{"id": "10001"}, {"id": "10002"}], "isLast": True}


def test_an_issue_updated_while_paging_comes_round_again():
    tickets = [ticket(n, T0 + minutes(n)) for n in range(1, 8)]
    app = app_for(*tickets)
    with served(app) as (url, session):
        jql = "project = SUP ORDER BY updated ASC, key ASC"
        first = search(session, url, jql, maxResults=4)
        app.store.touch(["SUP-2"], T0 + timedelta(hours=5))
        second = search(session, url, jql, maxResults=4, nextPageToken=first["nextPageToken"])
    assert keys(first) == ["SUP-1", "SUP-2", "SUP-3", "SUP-4"]
    assert keys(second) == ["SUP-5", "SUP-6", "SUP-7", "SUP-2"]


def test_changes_in_the_same_minute_as_a_watermark_are_found_again():
    app = app_for(ticket(1), ticket(2))
    watermark = T0 + timedelta(hours=2, seconds=5)
    app.store.touch(["SUP-1"], watermark)
    with served(app) as (url, session):
        jql = 'project = SUP AND updated >= "2026/03/02 03:00" ORDER BY updated ASC, key ASC'
        assert keys(search(session, url, jql)) == ["SUP-1"]
        app.store.touch(["SUP-2"], watermark + timedelta(seconds=20))     # same minute, later second
        found = search(session, url, jql)
    assert keys(found) == ["SUP-1", "SUP-2"]
    assert found["issues"][1]["fields"]["summary"] == "Ticket 2"


def test_a_token_belongs_to_its_query():
    with served(app_for(*[ticket(n, tags=["vip"]) for n in range(1, 5)])) as (url, session):
        first = search(session, url, "project = SUP ORDER BY key ASC", maxResults=2)
        other = session.get(f"{url}/rest/api/3/search/jql", params={
            "jql": "project = SUP AND labels = vip ORDER BY key ASC", "nextPageToken": first["nextPageToken"]})
        forged = session.get(f"{url}/rest/api/3/search/jql", params={
            "jql": "project = SUP ORDER BY key ASC", "nextPageToken": first["nextPageToken"][:-2] + "AA"})
    assert other.status_code == 400 and other.json() == {"errorMessages": [BAD_TOKEN], "errors": {}}
    assert forged.status_code == 400 and forged.json() == {"errorMessages": [BAD_TOKEN], "errors": {}}


@pytest.fixture(scope="module")
def three_tickets():
    tickets = [
        ticket(1, tags=["vip"]),
        ticket(2, priority="high", statuses=[(minutes(5), "solved")]),
        ticket(3, tags=["vip", "printer"], statuses=[(minutes(5), "waiting_customer")]),
    ]
    with served(app_for(*tickets)) as (url, session):
        yield url, session


@pytest.mark.parametrize("jql, message", [
    ("project = SUP AND", "Error in the JQL Query: Expecting a field name but got 'EOF'. (line 1, character 18)"),
    ("project SUP", "Error in the JQL Query: Expecting operator but got 'SUP'. The valid operators are '=', '!=', "
                    "'<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)"),
    ("colour = red", "Field 'colour' does not exist or you do not have permission to view it."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("key = SUP-99", "An issue with key 'SUP-99' does not exist for field 'key'."),
    ('updated >= "yesterday"', "Date value 'yesterday' for field 'updated' is invalid. Valid formats include: "
                               "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
                               "format e.g. '-5d', '4w 2d'."),
    ("ORDER BY key DESC", UNBOUNDED),
    ("", UNBOUNDED),
])
def test_bad_jql_is_a_400_error_collection(three_tickets, jql, message):
    url, session = three_tickets
    response = session.get(f"{url}/rest/api/3/search/jql", params={"jql": jql})
    assert response.status_code == 400
    assert response.json() == {"errorMessages": [message], "errors": {}}


@pytest.mark.parametrize("jql, expected", [
    ("labels = vip ORDER BY key ASC", ["SUP-1", "SUP-3"]),
    ("project in (SUP, IMP) AND labels != vip ORDER BY key ASC", ["SUP-2"]),
    ("key = SUP-2", ["SUP-2"]),
    ("issuekey in (SUP-3, SUP-1) ORDER BY key DESC", ["SUP-3", "SUP-1"]),
    ("project = SUP AND (labels = vip OR priority = High) ORDER BY key ASC", ["SUP-1", "SUP-2", "SUP-3"]),
    ("project = SUP AND NOT labels = vip ORDER BY key ASC", ["SUP-2"]),
    ('status = "Waiting for customer"', ["SUP-3"]),
    ("statusCategory = Done", ["SUP-2"]),
    ("project = SUP AND resolution = Unresolved ORDER BY key ASC", ["SUP-1", "SUP-3"]),
])
def test_jql_clauses(three_tickets, jql, expected):
    url, session = three_tickets
    assert keys(search(session, url, jql)) == expected


def test_search_embeds_at_most_twenty_histories_and_says_how_many_there_are():
    flips = [(minutes(m), "open" if m % 2 else "waiting_customer") for m in range(1, 26)]
    with served(app_for(ticket(1, statuses=flips))) as (url, session):
        page = search(session, url, "key = SUP-1", expand="changelog")
        issue = session.get(f"{url}/rest/api/3/issue/SUP-1", params={"expand": "changelog"}).json()
    changelog = page["issues"][0]["changelog"]
    assert (changelog["startAt"], changelog["maxResults"], changelog["total"]) == (0, 20, 25)
    assert changelog["histories"][0]["created"] == "2026-03-02T01:25:00.000-0800"     # most recent first
    assert issue["changelog"]["maxResults"] == 25 and len(issue["changelog"]["histories"]) == 25


def test_removed_search_endpoints_answer_410():
    with served(app_for(ticket(1))) as (url, session):
        for version in ("2", "3"):
            for method in ("get", "post"):
                response = getattr(session, method)(f"{url}/rest/api/{version}/search", params={"jql": "project = SUP"})
                assert response.status_code == 410
                assert response.json() == REMOVED


def test_approximate_count():
    with served(app_for(*[ticket(n) for n in range(1, 4)])) as (url, session):
        response = session.post(f"{url}/rest/api/3/search/approximate-count", json={"jql": "project = SUP"})
    assert response.json() == {"count": 3}


def test_five_thousand_issues_page_through_once_each():
    tickets = [ticket(n, T0 + timedelta(seconds=n * 37)) for n in range(1, 5001)]
    with served(app_for(*tickets)) as (url, session):
        pages = page_through(session, url, "project = SUP ORDER BY updated ASC, key ASC", 100)
    seen = [k for p in pages for k in keys(p)]
    assert len(pages) == 50 and len(seen) == 5000 and len(set(seen)) == 5000
    assert seen[:2] == ["SUP-1", "SUP-2"] and seen[-1] == "SUP-5000"


def test_periods_count_from_the_simulator_clock_as_it_moves():
    clock = [T0 + timedelta(hours=3)]
    app = app_for(ticket(1), ticket(2, T0 + timedelta(hours=2)))
    app.now = lambda: clock[0]
    with served(app) as (url, session):
        before = keys(search(session, url, "project = SUP AND updated >= -90m"))
        clock[0] += timedelta(hours=1)
        after = keys(search(session, url, "project = SUP AND updated >= -90m"))
    assert (before, after) == (["SUP-2"], [])


def test_summary_is_searched_as_text(three_tickets):
    url, session = three_tickets
    assert keys(search(session, url, 'project = SUP AND summary ~ "ticket 2"')) == ["SUP-2"]
    refused = session.get(f"{url}/rest/api/3/search/jql", params={"jql": 'summary = "Ticket 2"'})
    assert refused.json() == {"errorMessages": ["The operator '=' is not supported by the 'summary' field."],
                              "errors": {}}
