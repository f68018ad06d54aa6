"""Conditions: every operator on every kind of field, combinators, Unicode, linear-time regexes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from deskplan.model import Ticket
from deskplan.rules.conditions import ConditionCompiler
from deskplan.rules.yamlload import load_yaml_text

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def ticket(**fields) -> Ticket:
    base = dict(source="zd", id="7", key="7", status="open",
                created_at="2026-03-02T01:00:00Z", updated_at="2026-03-02T02:00:00Z")
    return Ticket(**{**base, **fields})


def compiled(text: str):
    compiler = ConditionCompiler()
    condition = compiler.compile(load_yaml_text(text, "c.yaml"), (), "rule r")
    assert compiler.problems == []
    return condition, compiler.extractor()


def holds(text: str, t: Ticket, now: datetime = NOW) -> bool:
    condition, extractor = compiled(text)
    return condition.test(extractor.values(t, now))


CUSTOM = {"plan": "gold", "seats": 12, "regions": ["cn-east", "eu-west"], "vip": True}

CASES = [
    # eq (also the shorthand FIELD: VALUE)
    ("{status: open}", {}, True),
    ("{status: {eq: solved}}", {}, False),
    ("{priority: urgent}", {"priority": "urgent"}, True),
    ("{priority: urgent}", {}, False),                                   # no priority
    ("{group: Billing}", {"group": "Billing"}, True),
    ("{group: billing}", {"group": "Billing"}, False),                   # eq is exact
    ("{group: 360001}", {"group": "360001"}, True),                      # numbers compare as text
    ("{tags: vip}", {"tags": ("vip", "cn")}, True),                      # a list: has the element
    ("{tags: vip}", {"tags": ("vipx",)}, False),
    ("{custom.plan: gold}", {"custom": CUSTOM}, True),
    ("{custom.regions: eu-west}", {"custom": CUSTOM}, True),
    ("{custom.seats: 12}", {"custom": CUSTOM}, True),
    ("{custom.vip: true}", {"custom": CUSTOM}, True),
    ("{custom.missing: x}", {"custom": CUSTOM}, False),
    ("{satisfaction: bad}", {"satisfaction": {"score": "bad", "at": "2026-03-03T00:00:00Z"}}, True),
    ("{satisfaction: bad}", {}, False),
    # ne
    ("{status: {ne: closed}}", {}, True),
    ("{status: {ne: open}}", {}, False),
    ("{group: {ne: Billing}}", {}, True),                                # no group is not Billing
    ("{tags: {ne: vip}}", {"tags": ("cn",)}, True),
    ("{tags: {ne: vip}}", {"tags": ("vip",)}, False),
    ("{custom.plan: {ne: gold}}", {"custom": CUSTOM}, False),
    # in / not_in
    ("{priority: {in: [urgent, high]}}", {"priority": "high"}, True),
    ("{priority: {in: [urgent, high]}}", {"priority": "normal"}, False),
    ("{tags: {in: [vip, gold]}}", {"tags": ("cn", "gold")}, True),
    ("{tags: {in: [vip, gold]}}", {"tags": ("cn",)}, False),
    ("{custom.regions: {in: [us, cn-east]}}", {"custom": CUSTOM}, True),
    ("{custom.seats: {in: [10, 11]}}", {"custom": CUSTOM}, False),
    ("{status: {not_in: [solved, closed]}}", {}, True),
    ("{status: {not_in: [open, closed]}}", {}, False),
    ("{tags: {not_in: [spam, test]}}", {"tags": ("vip",)}, True),
    ("{tags: {not_in: [spam, test]}}", {"tags": ("vip", "test")}, False),
    ("{group: {not_in: [Billing]}}", {}, True),
    # contains: case-insensitive substring on text, element on lists
    ("{subject: {contains: REFUND}}", {"subject": "Where is my refund?"}, True),
    ("{subject: {contains: refunds}}", {"subject": "Where is my refund?"}, False),
    ("{subject: {contains: 退款}}", {"subject": "我要退款，谢谢"}, True),
    ("{subject: {contains: straße}}", {"subject": "STRASSE closed"}, True),    # Unicode casefold
    ("{tags: {contains: vip}}", {"tags": ("vip",)}, True),
    ("{tags: {contains: vi}}", {"tags": ("vip",)}, False),                     # elements, not substrings
    ("{custom.regions: {contains: cn-east}}", {"custom": CUSTOM}, True),
    ("{custom.plan: {contains: OL}}", {"custom": CUSTOM}, True),
    ("{description: {contains: x}}", {}, False),
    # matches: RE2, searched anywhere
    ("{subject: {matches: '^Order #\\d+'}}", {"subject": "Order #123 late"}, True),
    ("{subject: {matches: '^Order #\\d+'}}", {"subject": "Re: Order #123"}, False),
    ("{subject: {matches: '(?i)unacceptable'}}", {"subject": "UNACCEPTABLE delay"}, True),
    ("{text: {matches: '投诉|complain'}}", {"description": "我要投诉你们的客服"}, True),
    ("{text: {matches: '\\p{Han}{4}'}}", {"subject": "ok 你好吗"}, False),
    ("{text: {matches: '\\p{Han}{4}'}}", {"subject": "ok 你好吗朋友"}, True),
    ("{tags: {matches: '^vip-'}}", {"tags": ("cn", "vip-gold")}, True),
    ("{custom.plan: {matches: '^go'}}", {"custom": CUSTOM}, True),
    ("{custom.regions: {matches: '^eu'}}", {"custom": CUSTOM}, True),
    ("{custom.seats: {matches: '1'}}", {"custom": CUSTOM}, False),             # not text
    ("{group: {matches: 'Bill'}}", {}, False),
    # gt / lt
    ("{priority: {gt: normal}}", {"priority": "high"}, True),
    ("{priority: {gt: normal}}", {"priority": "normal"}, False),
    ("{priority: {lt: high}}", {"priority": "low"}, True),
    ("{priority: {lt: high}}", {}, False),
    ("{created_at: {gt: 2026-03-01T00:00:00Z}}", {}, True),
    ("{created_at: {lt: '2026-03-02T09:00:00+08:00'}}", {}, False),          # the same instant
    ("{created_at: {lt: '2026-03-02T09:00:01+08:00'}}", {}, True),
    ("{custom.seats: {gt: 10}}", {"custom": CUSTOM}, True),
    ("{custom.seats: {lt: 10}}", {"custom": CUSTOM}, False),
    ("{custom.plan: {gt: 10}}", {"custom": CUSTOM}, False),                    # text vs number: no
    ("{custom.plan: {lt: h}}", {"custom": CUSTOM}, True),
    # exists
    ("{group: {exists: true}}", {"group": "Billing"}, True),
    ("{group: {exists: true}}", {"group": ""}, False),
    ("{group: {exists: false}}", {}, True),
    ("{tags: {exists: true}}", {}, False),
    ("{satisfaction: {exists: true}}", {"satisfaction": {"score": "good", "at": "2026-03-03T00:00:00Z"}}, True),
    ("{solved_at: {exists: false}}", {}, True),
    ("{custom.seats: {exists: true}}", {"custom": CUSTOM}, True),
    ("{custom.nothing: {exists: true}}", {"custom": {"nothing": []}}, False),
    # older_than: wall clock before now
    ("{created_at: {older_than: 8d}}", {}, True),                              # 8d11h before now
    ("{created_at: {older_than: 9d}}", {}, False),
    ("{created_at: {older_than: 8d11h}}", {}, False),                          # exactly: not older
    ("{solved_at: {older_than: 1m}}", {}, False),
    ("{rated_at: {older_than: 1d}}", {"satisfaction": {"score": "bad", "at": "2026-03-09T13:00:00Z"}}, False),
]


@pytest.mark.parametrize("condition, fields, expected", CASES)
def test_operator(condition, fields, expected):
    assert holds(condition, ticket(**fields)) is expected


def test_every_operator_is_covered():
    used = {op for condition, _, _ in CASES for op in
            ("eq", "ne", "in", "not_in", "contains", "matches", "gt", "lt", "exists", "older_than")
            if f"{op}:" in condition}
    assert used == {"eq", "ne", "in", "not_in", "contains", "matches", "gt", "lt", "exists", "older_than"}


NESTED = """
all:
  - any:
      - priority: urgent
      - tags: {contains: vip}
  - not: {status: {in: [solved, closed]}}
  - not:
      any:
        - group: Spam
        - subject: {matches: '(?i)^out of office'}
"""


@pytest.mark.parametrize("fields, expected", [
    ({"priority": "urgent"}, True),
    ({"tags": ("vip",)}, True),
    ({"priority": "low"}, False),                                     # neither urgent nor vip
    ({"priority": "urgent", "status": "solved"}, False),              # first not
    ({"priority": "urgent", "group": "Spam"}, False),                 # second not, first branch
    ({"tags": ("vip",), "subject": "Out of Office: back Monday"}, False),
    ({"tags": ("vip",), "subject": "Not out of office"}, True),
])
def test_not_and_nested_all_any(fields, expected):
    assert holds(NESTED, ticket(**fields)) is expected


def test_several_entries_in_one_mapping_must_all_hold():
    text = "{priority: urgent, tags: vip, subject: {contains: order, matches: '\\d{4}'}}"
    assert holds(text, ticket(priority="urgent", tags=("vip",), subject="order 2026")) is True
    assert holds(text, ticket(priority="urgent", tags=("vip",), subject="order 26")) is False
    assert holds(text, ticket(priority="high", tags=("vip",), subject="order 2026")) is False


def test_catastrophic_backtracking_pattern_runs_in_linear_time():
    # `(a+)+$` takes exponential time in a backtracking engine on "aaa…ab"; RE2 is linear.
    condition = "{description: {matches: '(a+)+$'}}"
    assert holds(condition, ticket(description="a" * 100_000 + "b")) is False
    assert holds(condition, ticket(description="a" * 100_000)) is True
    assert holds("{text: {matches: '(x+x+)+y'}}", ticket(description="x" * 100_000)) is False


def test_many_patterns_on_one_field_are_each_exact():
    # They share one RE2 pass per ticket; each must still answer for itself.
    compiler = ConditionCompiler()
    doc = load_yaml_text("""
- {subject: {matches: 'ORDER'}}
- {subject: {matches: '(?i)refund'}}
- {subject: {matches: '\\p{Han}+'}}
- {subject: {matches: 'Straße'}}
- {subject: {matches: '^$'}}
""", "c.yaml")
    conditions = [compiler.compile(doc, (i,), f"rule r{i}") for i in range(5)]
    extractor = compiler.extractor()

    def results(subject: str) -> list[bool]:
        values = extractor.values(ticket(subject=subject), NOW)
        return [c.test(values) for c in conditions]

    assert results("ORDER 1") == [True, False, False, False, False]
    assert results("order 1") == [False, False, False, False, False]
    assert results("a REFUND") == [False, True, False, False, False]
    assert results("straße") == [False, False, False, False, False]
    assert results("Straße 订单") == [False, False, True, True, False]
    assert results("") == [False, False, False, False, True]


def test_trace_records_which_value_matched():
    condition, extractor = compiled("""
all:
  - tags: {in: [gold, vip]}
  - text: {matches: '投诉|complain'}
  - created_at: {older_than: 1d}
  - not: {status: closed}
""")
    t = ticket(tags=("cn", "vip"), subject="订单", description="我要投诉")
    trace = condition.trace(extractor.values(t, NOW))
    assert trace.to_dict() == {
        "expr": "all", "result": True, "children": [
            {"expr": "tags in [gold, vip]", "result": True, "value": ["cn", "vip"], "matched": ["vip"]},
            {"expr": "text matches /投诉|complain/", "result": True, "value": "订单\n我要投诉", "matched": "投诉"},
            {"expr": "created_at older_than 1d", "result": True, "value": "2026-03-02T01:00:00+00:00",
             "matched": "8d11h old"},
            {"expr": "not", "result": True, "children": [
                {"expr": "status eq closed", "result": False, "value": "open"},
            ]},
        ],
    }
    assert trace.lines() == [
        "[yes] all",
        "  [yes] tags in [gold, vip]  (value: [cn, vip]; matched: [vip])",
        "  [yes] text matches /投诉|complain/  (value: 订单 我要投诉; matched: 投诉)",     # on one line
        "  [yes] created_at older_than 1d  (value: 2026-03-02T01:00:00+00:00; matched: 8d11h old)",
        "  [yes] not",
        "    [no ] status eq closed  (value: open)",
    ]


def test_requirements_name_what_a_condition_cannot_hold_without():
    condition, extractor = compiled("""
all:
  - status: {ne: closed}
  - priority: {in: [urgent, high]}
  - any: [{group: A}, {group: B}]
  - tags: vip
""")
    status_slot = extractor.slots[("status", "raw")]
    priority_slot = extractor.slots[("priority", "raw")]
    assert sorted(condition.requires) == sorted([status_slot, priority_slot])   # not `any`, not lists
    (status,) = condition.requires[status_slot]
    assert (status.allows("open"), status.allows("closed")) == (True, False)
    (priority,) = condition.requires[priority_slot]
    assert (priority.allows("high"), priority.allows("low"), priority.allows(None)) == (True, False, False)
