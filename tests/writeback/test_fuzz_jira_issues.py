"""Hostile Jira Service Management issues among good ones, generated: no traceback, exit 0 or 1,
every good issue's writes land, the next run exits 0, the report renders (README, "Bad tickets").

Each example serves the harness story (24 good issues, SUP-1 … SUP-24) and a few issues
hypothesis made hostile, copies of SUP-2 (open, commented, with a changelog): fields of the
wrong type, keys missing, huge or control-laden strings, deep nesting, dates at the ends of
time and odd offsets, hostile ADF comment bodies and changelog items, hostile SLA, request-type
and satisfaction custom field values. The simulator's store holds each hostile issue with a
placeholder where a hostile value goes (a base value marked, a valid unique date, so that its
search, SLA and request routes still work; not `live`, so it derives nothing from them), and its
answers are rewritten on the way out with the hostile values, odd ids and keys, a lone
surrogate's escape and JSON nested 5000 levels, as test_bad_tickets.py does for Zendesk.
Bounded: 20 examples, generation only, no deadline.
"""

from __future__ import annotations

import copy
import functools
import json
import tempfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from deskplan.cli import _print_write
from deskplan_sandbox.jira.shapes import SITE
from deskplan_sandbox.jira.store import IssueRecord
from deskplan_sandbox.server import Response

from .harness import Effects, Site, make_workspace, scenario, sync
from .test_bad_tickets import RAW, nested
from .test_fuzz_tickets import TERMINAL_CONTROLS, any_value, assert_report_renders

BASE = "SUP-2"
FIRST = 1000                  # hostile issues are SUP-1000, SUP-1001, … (ids 21000, 21001, …)
GOOD_KEYS = frozenset(f"SUP-{n}" for n in range(1, 25))

HOSTILE_DATE = st.sampled_from([
    "9999-12-31T23:59:59.999+0000", "0001-01-01T00:00:00.000+0000", "0001-01-01T00:00:00.000+2359",
    "9999-12-31T23:59:59.000-2359", "1969-12-31T23:59:59.000Z", "2100-01-01T00:00:00.000+1400",
    "2026-02-30T10:00:00.000+0000", "yesterday", "", "2026-03-01", "2026-03-01T10:00:00",
    "2026-03-01T10:00:00.000+9900", "2025-11-02T09:00:00Z", "2025-11-02T09:00:00.000-0730",
])
ANY = any_value(HOSTILE_DATE)
# Custom fields of the simulator's catalog (catalog.FieldIds): request type, organizations,
# satisfaction and its date, team, and the two SLA fields.
CUSTOM = ("customfield_10410", "customfield_10402", "customfield_10470", "customfield_10471", "customfield_10480",
          "customfield_10461", "customfield_10462")
FIELDS = ("summary", "description", "status", "priority", "issuetype", "labels", "assignee", "reporter", "creator",
          "project", "resolution", "resolutiondate", "created", "updated", "statuscategorychangedate", "duedate",
          "issuelinks", "components") + CUSTOM
DATES = ("created", "updated", "resolutiondate", "statuscategorychangedate", "duedate", "customfield_10471")
ADF = st.one_of(
    ANY,
    st.fixed_dictionaries({"type": st.sampled_from(["doc", "paragraph", "text", "mention", 7, None]),
                           "version": ANY, "content": st.one_of(ANY, st.lists(ANY, max_size=3))}),
    st.builds(lambda text, mark: {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text, "marks": [mark]}]}]},
        ANY, ANY),
    st.sampled_from([{"type": "doc", "version": 1, "content": nested(300, {"type": "paragraph"})},
                     {"type": "doc"}, {"content": []}, {"type": "doc", "version": 1, "content": "@@deep@@"}]),
)
SLA = st.one_of(ANY, st.fixed_dictionaries({
    "id": ANY, "name": ANY, "completedCycles": st.one_of(ANY, st.lists(st.dictionaries(
        st.sampled_from(["startTime", "stopTime", "breached", "goalDuration", "elapsedTime"]), ANY), max_size=2)),
    "ongoingCycle": st.one_of(ANY, st.dictionaries(
        st.sampled_from(["startTime", "breachTime", "breached", "paused", "withinCalendarHours", "goalDuration"]),
        st.one_of(ANY, st.fixed_dictionaries({"iso8601": HOSTILE_DATE, "epochMillis": ANY}))))}))
SATISFACTION = st.one_of(ANY, st.fixed_dictionaries({"rating": ANY}, optional={"comment": ANY}))
REQUEST_TYPE = st.one_of(ANY, st.fixed_dictionaries(
    {"requestType": st.one_of(ANY, st.fixed_dictionaries({"id": ANY, "name": ANY})),
     "currentStatus": st.one_of(ANY, st.fixed_dictionaries({"status": ANY, "statusCategory": ANY}))}))
HISTORY = st.fixed_dictionaries(
    {"id": st.one_of(ANY, st.just("hostile")), "created": st.one_of(HOSTILE_DATE, ANY),
     "items": st.one_of(ANY, st.lists(st.one_of(ANY, st.dictionaries(
         st.sampled_from(["field", "fieldId", "fieldtype", "from", "fromString", "to", "toString"]), ANY)),
         max_size=3))},
    optional={"author": ANY})
# Ids and keys the simulator cannot hold, put into its answers in place of the issue's own.
ODD_IDS = [b"-5", b'"abc"', b"0", b"123456789012345678901234567890", b"1.5", b"null", b'"\\ud800"', b"true", b"{}"]
# Keys the issue's answers carry instead of its own ({n}: its number).
ODD_KEYS = [b"null", b"7", b"[]", b"{}", b'"sup-{n}"', b'"SUP-{n}\\u0000"', b'"SUP-{n}\\u001b[2J"', b'"SUP {n}"',
            b'"SUP-2"',          # the key of a good issue, on another id: quarantined, never stored
            b'"SUP-"', b'"SUP-1e9"', b'"../../etc"', b'"\\u202eSUP-9"']    # keys Jira cannot resolve
CHANGE = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(FIELDS), ANY),
    st.tuples(st.just("set"), st.sampled_from(DATES), HOSTILE_DATE),
    st.tuples(st.just("set"), st.sampled_from(("customfield_10461", "customfield_10462")), SLA),
    st.tuples(st.just("set"), st.just("customfield_10470"), SATISFACTION),
    st.tuples(st.just("set"), st.just("customfield_10410"), REQUEST_TYPE),
    st.tuples(st.just("set"), st.just("labels"), st.lists(ANY, max_size=4)),
    st.tuples(st.just("set"), st.just("description"), ADF),
    st.tuples(st.just("drop"), st.sampled_from(FIELDS), st.none()),
    st.tuples(st.just("id"), st.sampled_from(ODD_IDS), st.none()),        # (bytes: raw JSON)
    st.tuples(st.just("key"), st.sampled_from(ODD_KEYS), st.none()),      # (bytes: raw JSON)
    st.tuples(st.just("comment"), st.sampled_from(("body", "created", "author", "id", "jsdPublic")), ADF),
    st.tuples(st.just("comments"), st.just(""), ANY),
    st.tuples(st.just("history"), st.just(""), HISTORY),
)


ISSUES = st.lists(st.lists(CHANGE, min_size=1, max_size=4), min_size=1, max_size=3)


def rewrite_answers(site: Site, raw: dict[bytes, bytes]) -> None:
    """The simulator's JSON answers (bytes, as the Jira simulator writes them) with each marker
    replaced by its raw JSON."""
    inner = site.app.dispatch

    def dispatch(request: Any) -> Response:
        response = inner(request)
        if not isinstance(response.body, bytes):
            return response
        # The simulator has written its address into every link; the markers hold its placeholder.
        base = f"http://{request.headers.get('host', '127.0.0.1')}".encode()
        body = response.body.replace(base, SITE.encode())
        for marker, value in raw.items():
            body = body.replace(marker, value)
        return Response(response.status, body.replace(SITE.encode(), base), response.headers)

    site.app.dispatch = dispatch


def _dump(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:                       # past orjson's depth or integer range
        return json.dumps(value, separators=(",", ":")).encode()


class Slots:
    """Placeholders the simulator can hold (a base value marked, a valid unique date), each put
    into its answers as the hostile value on the way out."""

    def __init__(self) -> None:
        self.raw: dict[bytes, bytes] = {}

    def placeholder(self, base: Any, date: bool = False) -> Any:
        n = len(self.raw)
        if date:
            return f"2001-02-03T04:{n // 60 % 60:02d}:{n % 60:02d}.{n // 3600 % 1000:03d}+0000"
        if isinstance(base, dict):
            return {**base, f"@@h{n}@@": True}
        if isinstance(base, list):          # the simulator reads lists of dicts (issuelinks)
            return [{f"@@h{n}@@": True}]
        return f"@@h{n}@@"

    def set(self, name: str, base: Any, value: Any, *, date: bool = False) -> Any:
        held = self.placeholder(base, date)
        self.raw[f'"{name}":'.encode() + _dump(held)] = f'"{name}":'.encode() + _dump(value)
        return held

    def drop(self, name: str, base: Any, *, date: bool = False) -> Any:
        held = self.placeholder(base, date)
        pair = f'"{name}":'.encode() + _dump(held)
        self.raw[b"," + pair] = b""
        self.raw[pair + b","] = b""
        return held

    def whole(self, base: dict[str, Any], value: Any) -> dict[str, Any]:
        held = self.placeholder(base)
        self.raw[_dump(held)] = _dump(value)
        return held


def hostile_issues(site: Site, changes: list[list[tuple[str, str, Any]]]) -> dict[bytes, bytes]:
    """Store one hostile issue per list of changes (copies of SUP-2); the answer rewrites they need."""
    slots = Slots()
    store = site.app.store
    base = store.require(BASE)
    for index, issue_changes in enumerate(changes):
        number = FIRST + index
        issue_id = str(20_000 + number)
        fields = copy.deepcopy(base.fields)
        comments = copy.deepcopy(base.comments)
        histories = copy.deepcopy(base.histories)
        for position, comment in enumerate(comments):
            comment["id"] = f"{issue_id}{position:02d}"
            comment["self"] = f"https://jira-sandbox.invalid/rest/api/3/issue/{issue_id}/comment/{comment['id']}"
        for position, history in enumerate(histories):
            history["id"] = f"{issue_id}{position + 50:02d}"
        for what, name, value in issue_changes:
            if what == "set":
                fields[name] = slots.set(name, fields.get(name), value, date=name in DATES)
            elif what == "drop":
                fields[name] = slots.drop(name, fields.get(name), date=name in DATES)
            elif what == "id":
                slots.raw[f'"id":"{issue_id}"'.encode()] = b'"id":' + name
            elif what == "key":
                slots.raw[f'"key":"SUP-{number}"'.encode()] = b'"key":' + name.replace(b"{n}", str(number).encode())
            elif what == "comment" and comments:
                comments[0][name] = slots.set(name, comments[0].get(name), value, date=name == "created")
            elif what == "comments" and comments:
                comments.append(slots.whole({**comments[-1], "id": f"{issue_id}{len(comments):02d}"}, value))
            elif what == "history" and histories:
                histories.append(slots.whole({**histories[-1], "id": f"{issue_id}{len(histories) + 50:02d}"}, value))
        record = IssueRecord(issue_id, f"SUP-{number}", fields, comments=comments, histories=histories,
                             updated_ms=base.updated_ms, created_ms=base.created_ms)
        with store.lock:
            store.add_record(record)
    return slots.raw | RAW


def good_effects(site: Site) -> Effects:
    """What deskplan wrote about the good issues: comments on them, tasks (in IMP)."""
    found = site.effects()
    found.comments = type(found.comments)({k: n for k, n in found.comments.items() if k[0] in GOOD_KEYS})
    return found


story = functools.cache(scenario)


@functools.cache
def clean_effects() -> Effects:
    """What a sync of the story alone leaves in the Jira simulator (compact workspace)."""
    site = Site("jira", story())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sync(make_workspace(Path(tmp) / "clean", site, compact=True))
        return site.effects()
    finally:
        site.stop()


# Two syncs an example: a failure is reported as found, not shrunk (shrinking would take minutes).
@settings(max_examples=20, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                 HealthCheck.function_scoped_fixture])
@given(changes=ISSUES)
def test_hostile_jira_issues_among_good_ones_never_stop_a_sync(changes, capsys):
    clean = clean_effects()
    site = Site("jira", story())
    try:
        rewrite_answers(site, hostile_issues(site, changes))
        with tempfile.TemporaryDirectory() as tmp:
            workspace = make_workspace(Path(tmp) / "ws", site, compact=True)
            sync(workspace, dry_run=True, on_write=_print_write)       # the dry-run prints what it plans
            printed = capsys.readouterr().out
            assert not TERMINAL_CONTROLS.search(printed.replace("\n", "")), printed
            (first,) = sync(workspace).summaries
            assert first.exit_code <= 1, first.errors
            assert first.quarantined <= len(changes) * 2, first.errors
            written = good_effects(site)
            assert written.comments == clean.comments                 # each good issue's status comment, once
            follow_ups = {m for m, d in clean.task_details.items() if d[0].startswith("Follow up")}
            assert follow_ups <= set(written.tasks)                   # the good issues' rule tasks
            assert written.duplicates() == []
            (second,) = sync(workspace).summaries
            assert second.exit_code == 0, second.errors
            assert second.quarantined == 0
            # Two hostile issues may claim the same bad key: they are one quarantined ticket then.
            assert (second.quarantined_known > 0) == (first.quarantined > 0), second
            assert second.quarantined_known <= first.quarantined, second
            assert_report_renders(workspace, at_least=len(GOOD_KEYS))
    finally:
        site.stop()
