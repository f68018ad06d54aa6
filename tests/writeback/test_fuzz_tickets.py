"""Hostile Zendesk tickets among good ones, generated: no traceback, exit 0 or 1, every good
ticket's writes land, the next run exits 0, the report renders (README, "Bad tickets").

Each example serves the harness story (24 good tickets) and a few tickets hypothesis made
hostile: fields of the wrong type, keys missing, huge or control-laden strings, deep nesting,
dates at the ends of time, odd offsets, ids of the wrong sign or type. What the simulator cannot
serve (a lone surrogate's escape, JSON nested past every encoder, an id that is not a number)
goes in as a marker its answers are rewritten with on the way out (test_bad_tickets.py).
Bounded: a few dozen examples, a few seconds each at most, no deadline.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from deskplan.app.report.render_html import render_html
from deskplan.app.report.render_json import render_json
from deskplan.app.report.render_text import render_text
from deskplan.cli import _print_write
from deskplan.effects import TASK_TAG
from deskplan.kpi.report import build_report, stored_tickets
from deskplan.rules.load import load_workspace
from deskplan.state.store import Store

from .harness import MARKER, NOW, Effects, Site, make_workspace, scenario, sync
from .test_bad_tickets import RAW, nested, rewrite_answers

# What must never reach a terminal (a tab may, in a comment's body).
TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
FIRST_ID = 1000               # hostile tickets are 1000, 1001, … in the simulator
GOOD_IDS = frozenset(range(1, 25))

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=("Cc", "Cf", "Zl", "Zp")), max_size=20),
    st.sampled_from(["\x1b[2J\x1b[31mred", "\u202eevil\u202c", "\x00nul", "a\r\nb", "@@surrogate@@",
                     "[deskplan:0123456789abcdef]", "{{ 7 * 7 }}", "x" * 200_000]),
)
HOSTILE_DATE = st.sampled_from([
    "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "2026-02-30T10:00:00Z", "yesterday", "", "2026-03-01",
    "2026-03-01T10:00:00", "2026-03-01T10:00:00+99:00", "2025-11-02T09:00:00Z",
])


def any_value(dates: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Whatever a field could hold in a hostile answer: a scalar of any type (hostile text and
    `dates`, the helpdesk's date formats pushed to their ends, among them), or deep nesting."""
    scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                       st.floats(allow_nan=True, allow_infinity=True), HOSTILE_TEXT, dates)
    deep = st.one_of(st.sampled_from([nested(3), nested(33), nested(200), nested(300), "@@deep@@"]),
                     st.recursive(scalar, lambda inner: st.lists(inner, max_size=3)
                                  | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8))
    return st.one_of(scalar, deep)


ANY = any_value(HOSTILE_DATE)
FIELDS = ("subject", "raw_subject", "description", "status", "priority", "type", "tags", "via", "requester_id",
          "assignee_id", "group_id", "organization_id", "custom_fields", "satisfaction_rating", "created_at",
          "updated_at", "due_at", "external_id")
SIDELOADED = {"group_id": 7_770_000, "organization_id": 7_780_000}
# Ids the simulator cannot hold, put into its answers in place of the ticket's own.
ODD_IDS = [b"-5", b'"abc"', b"0", b"123456789012345678901234567890", b"1.5", b"null", b'"\\ud800"', b"true"]

CHANGE = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FIELDS), ANY),
    st.tuples(st.just("set"), st.sampled_from(("created_at", "updated_at")), HOSTILE_DATE),
    st.tuples(st.just("set"), st.just("custom_fields"), st.lists(st.fixed_dictionaries(
        {"id": st.one_of(st.integers(), HOSTILE_TEXT, st.none()), "value": ANY}), max_size=3)),
    st.tuples(st.just("set"), st.just("tags"), st.lists(ANY, max_size=4)),
    st.tuples(st.just("drop"), st.sampled_from(FIELDS + ("status", "created_at")), st.none()),
    st.tuples(st.just("id"), st.sampled_from(ODD_IDS), st.none()),       # (bytes: raw JSON)
    st.tuples(st.just("comment"), st.just("body"), HOSTILE_TEXT),
)
TICKETS = st.lists(st.lists(CHANGE, min_size=1, max_size=4), min_size=1, max_size=3)


def hostile_tickets(site: Site, changes: list[list[tuple[str, str, Any]]]) -> dict[bytes, bytes]:
    """Load one hostile ticket per list of changes (copies of ticket 2); the answer rewrites they need."""
    raw = dict(RAW)
    docs, audits = [], []
    for index, ticket_changes in enumerate(changes):
        ticket_id = FIRST_ID + index
        doc = copy.deepcopy(site.app.store.ticket(2))
        doc.update(id=ticket_id, external_id=None)
        ticket_audits = copy.deepcopy(site.app.store.audits(2))
        for number, audit in enumerate(ticket_audits):
            audit.update(id=ticket_id * 100 + number, ticket_id=ticket_id)
            for position, event in enumerate(audit["events"]):
                event["id"] = ticket_id * 10_000 + number * 100 + position
        for what, name, value in ticket_changes:
            if what == "set" and name in SIDELOADED:
                # The simulator side-loads the group and organization a ticket names: it needs a number.
                marker = SIDELOADED[name] + len(raw)
                doc[name] = marker
                raw[f'"{name}":{marker}'.encode()] = f'"{name}":{json.dumps(value)}'.encode()
            elif what == "set":
                doc[name] = value
            elif what == "drop":
                doc.pop(name, None)
            elif what == "id":
                raw[f'"id":{ticket_id},'.encode()] = b'"id":' + name + b","
            else:
                ticket_audits[0]["events"][0]["body"] = value
        docs.append(doc)
        audits.extend(ticket_audits)
    site.app.store.load_fixtures(tickets=docs, audits=audits)
    return raw


def good_effects(site: Site, hostile: range) -> Effects:
    """What deskplan wrote about the good tickets: comments on them, tasks (none names a hostile one)."""
    found = Effects()
    docs, _ = site.app.store.tickets_after(0, 10**9)
    for doc in docs:
        if doc["id"] in GOOD_IDS:
            for comment in site.app.store.comments(doc["id"]) or []:
                for marker in MARKER.findall(comment["body"]):
                    found.comments[(str(doc["id"]), marker)] += 1
        elif doc["id"] not in hostile and TASK_TAG in doc["tags"]:      # a task deskplan created
            (marker,) = MARKER.findall(doc["description"])
            found.tasks[marker] += 1
            found.task_details[marker] = doc["subject"]
    return found


story = functools.cache(scenario)


# Two syncs an example: a failure is reported as found, not shrunk (shrinking would take minutes).
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                 HealthCheck.function_scoped_fixture])
@given(changes=TICKETS)
def test_hostile_tickets_among_good_ones_never_stop_a_sync(changes, clean_effects, capsys):
    site = Site("zendesk", story())
    try:
        rewrite_answers(site, hostile_tickets(site, changes))
        with tempfile.TemporaryDirectory() as tmp:
            workspace = make_workspace(Path(tmp) / "ws", site, compact=True)
            sync(workspace, dry_run=True, on_write=_print_write)       # the dry-run prints what it plans
            printed = capsys.readouterr().out
            assert not TERMINAL_CONTROLS.search(printed.replace("\n", "")), printed
            (first,) = sync(workspace).summaries
            assert first.exit_code <= 1, first.errors
            assert first.quarantined <= len(changes) * 2, first.errors
            written = good_effects(site, range(FIRST_ID, FIRST_ID + len(changes)))
            assert written.comments == clean_effects.comments        # each good ticket's status comment, once
            follow_ups = {m for m, d in clean_effects.task_details.items() if d[0].startswith("Follow up")}
            assert follow_ups <= set(written.tasks)                  # the good tickets' rule tasks
            assert written.duplicates() == []
            (second,) = sync(workspace).summaries
            assert second.exit_code == 0, second.errors
            assert second.quarantined == 0 and second.quarantined_known == first.quarantined
            assert_report_renders(workspace, at_least=len(GOOD_IDS))
    finally:
        site.stop()


def assert_report_renders(workspace: Path, *, at_least: int) -> None:
    """The report over what the runs stored renders in every format, with no control character
    reaching a terminal, and counts at least the good tickets."""
    store = Store.open(workspace / "state.db")
    try:
        left_out: list = []
        report = build_report(load_workspace(workspace), stored_tickets(store, left_out), NOW, left_out=left_out)
    finally:
        store.close()
    assert report.tickets >= at_least
    for render in (render_text, render_json, render_html):
        assert render(report)
    assert not TERMINAL_CONTROLS.search(render_text(report).replace("\n", ""))
