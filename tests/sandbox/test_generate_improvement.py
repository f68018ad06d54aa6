"""The generated story gives one team a real improvement from a date (the demo's effective pilot)."""

from __future__ import annotations

from datetime import datetime, timezone
from statistics import median

from deskplan_sandbox.generate import IMPROVED_FOR, IMPROVED_GROUP, generate_scenario

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def first_reply_hours(scenario, improved_team: bool, recent: bool) -> list[float]:
    since = NOW - IMPROVED_FOR
    found = []
    for t in scenario.tickets:
        if (t.group == IMPROVED_GROUP) != improved_team or (t.created_at >= since) != recent:
            continue
        reply = next((c for c in t.comments if c.public and c.author == t.assignee), None)
        if reply is not None:
            found.append((reply.at - t.created_at).total_seconds() / 3600)
    return found


def test_billing_answers_first_much_faster_from_the_date_and_the_other_teams_do_not():
    scenario = generate_scenario(3000, seed=5, now=NOW)
    billing_before = median(first_reply_hours(scenario, True, False))
    billing_after = median(first_reply_hours(scenario, True, True))
    others_before = median(first_reply_hours(scenario, False, False))
    others_after = median(first_reply_hours(scenario, False, True))
    assert billing_after < billing_before / 3
    assert others_before / 1.5 < others_after < others_before * 1.5


def test_without_the_improvement_billing_answers_as_it_did_before():
    plain = generate_scenario(3000, seed=5, now=NOW, improvement=False)
    billing_before = median(first_reply_hours(plain, True, False))
    assert billing_before / 1.5 < median(first_reply_hours(plain, True, True)) < billing_before * 1.5
