"""The seeded scenario generator: deterministic, realistic, ordered."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest

from deskplan_sandbox.generate import HISTORY, generate_scenario

NOW = datetime(2026, 11, 20, 9, 30, 15, tzinfo=timezone.utc)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(3000, seed=11, now=NOW)


def test_same_seed_same_story_and_another_seed_another():
    first = generate_scenario(300, seed=5, now=NOW)
    again = generate_scenario(300, seed=5, now=NOW)
    other = generate_scenario(300, seed=6, now=NOW)
    assert first == again
    assert [t.subject for t in first.tickets] != [t.subject for t in other.tickets]


def test_ticket_count_numbers_and_people(scenario):
    assert [t.number for t in scenario.tickets] == list(range(1, 3001))
    ids = [p.id for p in scenario.people]
    assert len(ids) == len(set(ids))
    assert {p.role for p in scenario.people} == {"agent", "requester"}
    people = {p.id: p for p in scenario.people}
    for t in scenario.tickets:
        assert people[t.requester].role == "requester"
        assert t.assignee is None or people[t.assignee].role == "agent"
        assert t.group in scenario.groups
        assert t.organization is None or t.organization in scenario.organizations


def test_times_are_utc_whole_seconds_within_six_months(scenario):
    assert scenario.now == NOW
    for t in scenario.tickets:
        moments = ([t.created_at] + [c.at for c in t.comments] + [s.at for s in t.status_changes]
                   + [r.at for r in t.ratings])
        if t.deleted_at:
            moments.append(t.deleted_at)
        for moment in moments:
            assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
            assert moment.microsecond == 0
            assert NOW - HISTORY <= moment <= NOW


def test_events_start_with_creation_and_stay_ordered(scenario):
    for t in scenario.tickets:
        assert t.status_changes[0].at == t.created_at and t.status_changes[0].status == "new"
        assert t.comments[0].at == t.created_at and t.comments[0].author == t.requester and t.comments[0].public
        assert t.comments[0].body == t.description
        later = [c.at for c in t.comments[1:]] + [s.at for s in t.status_changes[1:]] + [r.at for r in t.ratings]
        assert all(moment > t.created_at for moment in later)
        for series in ([c.at for c in t.comments], [s.at for s in t.status_changes], [r.at for r in t.ratings]):
            assert series == sorted(series)
        statuses = [s.status for s in t.status_changes]
        assert all(a != b for a, b in pairwise(statuses))      # every change changes something
        if t.deleted_at:
            assert t.deleted_at > max(later, default=t.created_at)
        if "closed" in statuses:
            assert statuses[-1] == "closed" and statuses[-2] == "solved"


def test_realistic_mix(scenario):
    tickets = scenario.tickets
    texts = [t.subject for t in tickets] + [c.body for t in tickets for c in t.comments]
    assert sum(1 for text in texts if CJK.search(text)) > len(texts) * 0.3
    assert sum(1 for text in texts if not CJK.search(text)) > len(texts) * 0.3
    assert {t.channel for t in tickets} == {"web", "email", "chat", "api", "voice"}
    assert {t.priority for t in tickets} == {"low", "normal", "high", "urgent", None}
    complaints = [t for t in tickets if t.type == "complaint"]
    assert complaints and all("complaint" in t.tags for t in complaints)
    assert any("vip" in t.tags for t in tickets)
    statuses = [[s.status for s in t.status_changes] for t in tickets]
    assert any("waiting_customer" in s for s in statuses)
    assert any("on_hold" in s for s in statuses)
    reopened = [s for s in statuses if any(a == "solved" and b == "open" for a, b in pairwise(s))]
    assert 0.02 * len(tickets) < len(reopened) < 0.3 * len(tickets)
    agent_replies = [sum(1 for c in t.comments[1:] if c.public and c.author == t.assignee) for t in tickets]
    assert 1 in agent_replies and max(agent_replies) >= 3
    assert any(not c.public for t in tickets for c in t.comments)                  # internal notes
    assert any(c.author == t.requester for t in tickets for c in t.comments[1:])   # requester follow-ups
    scores = [[r.score for r in t.ratings] for t in tickets if t.ratings]
    assert any(s[-1] == "good" for s in scores) and any(s[-1] == "bad" for s in scores)
    assert any(s == ["bad", "good"] for s in scores)                                # changed their mind
    assert any(r.comment for t in tickets for r in t.ratings)
    deleted = sum(1 for t in tickets if t.deleted_at)
    assert 0 < deleted < 0.02 * len(tickets)
    recent = [t for t in tickets if NOW - t.created_at < timedelta(days=2)]
    assert any(s.status_changes[-1].status not in ("solved", "closed") for s in recent)


def test_zero_tickets_and_naive_now():
    assert generate_scenario(0, seed=1, now=NOW).tickets == []
    with pytest.raises(ValueError):
        generate_scenario(1, seed=1, now=datetime(2026, 1, 1))
