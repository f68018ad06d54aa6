"""Evaluating tickets: which rules fire, what they apply, which SLA target is the strictest."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from deskplan.errors import InvalidFiles
from deskplan.model import Ticket
from deskplan.rules import load_workspace
from deskplan.rules.templates import TemplateRenderError

PLAN = """\
plan: {id: sip, title: Service plan, start: 2026-01-05, end: 2026-06-30, calendar: office}
calendars:
  office: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-18:00"]}}
goals:
  - {id: csat, metric: csat, target: 90%, by: 2026-03-31}
  - {id: complaints, metric: complaint_rate, target: 5%, direction: at_most, by: 2026-06-30,
     scope: {type: {ne: task}}}
measures:
  - {id: M1, title: Order automation, owner: technology, goals: [csat]}
  - {id: M2, title: 24-hour rota, owner: customer service, goals: [csat]}
  - {id: M3, title: Feedback follow-up, owner: marketing, goals: [csat, complaints]}
"""
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def workspace(root: Path, rules: str, plan: str = PLAN):
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "plan.yaml").write_text(plan, encoding="utf-8")
    (root / "rules" / "rules.yaml").write_text(rules, encoding="utf-8")
    return load_workspace(root)


def ticket(**fields) -> Ticket:
    base = dict(source="zd", id="41", key="41", status="open",
                created_at="2026-03-02T01:00:00Z", updated_at="2026-03-02T02:00:00Z")
    return Ticket(**{**base, **fields})


def test_every_matching_rule_applies_its_measure_category_and_task(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: orders
    when: {subject: {contains: order}}
    then: {measure: M1}
  - id: complaint
    when: {text: {matches: "投诉|complain"}}
    then: {category: complaint, measure: M3}
  - id: bad-rating
    when: {satisfaction: bad}
    then:
      measure: M3
      category: quality
      task: {title: "Call back about {{ ticket.key }}", body: "Rated {{ ticket.satisfaction.score }}", due: 48h}
  - id: unrelated
    when: {group: Billing}
    then: {measure: M2}
""")
    t = ticket(subject="Order 77: 我要投诉", satisfaction={"score": "bad", "at": "2026-03-03T08:00:00Z"})
    ev = ws.evaluate(t, NOW)
    assert ev.rules_fired == ("orders", "complaint", "bad-rating")
    assert ev.measures == ("M1", "M3")
    assert ev.categories == ("complaint", "quality")
    assert [(task.rule_id, task.title, task.body, task.owner, task.measure, task.due_at) for task in ev.tasks] == [
        ("bad-rating", "Call back about 41", "Rated bad", "marketing", "M3",
         datetime(2026, 3, 5, 8, 0, tzinfo=timezone.utc)),        # 48h after the rating: the rule tests it
    ]
    assert ev.sla == {}
    assert ev.ticket_ref == "zd:41" and ev.now == NOW


def test_a_rule_that_must_not_fire(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: urgent-vip
    when:
      all:
        - priority: {in: [urgent, high]}
        - tags: {contains: vip}
        - not: {status: closed}
    then: {measure: M2}
""")
    assert ws.evaluate(ticket(priority="urgent", tags=("vip",)), NOW).rules_fired == ("urgent-vip",)
    for fields in ({"priority": "urgent", "tags": ("vip",), "status": "closed"},
                   {"priority": "normal", "tags": ("vip",)},
                   {"priority": "urgent", "tags": ("vipx",)},
                   {"tags": ("vip",)}):
        ev = ws.evaluate(ticket(**fields), NOW)
        assert (ev.rules_fired, ev.measures, ev.tasks) == ((), (), ())


def test_the_shortest_target_wins_on_one_calendar(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: standard
    when: {status: {ne: closed}}
    then: {sla: {first_reply: 12h, resolution: 24h}}
  - id: high
    when: {priority: high}
    then: {sla: {first_reply: 4h}}
  - id: vip
    when: {tags: vip}
    then: {sla: {first_reply: 6h, resolution: 16h}}
""")
    ev = ws.evaluate(ticket(priority="high", tags=("vip",)), NOW)
    first, resolution = ev.sla["first_reply"], ev.sla["resolution"]
    assert (first.target, first.rule_id, first.calendar, first.overridden) == (
        timedelta(hours=4), "high", "office", ("vip", "standard"))
    assert (resolution.target, resolution.rule_id, resolution.overridden) == (
        timedelta(hours=16), "vip", ("standard",))


def test_across_calendars_the_earliest_due_instant_wins(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: office-8h
    when: {status: open}
    then: {sla: {first_reply: 8h}}
  - id: rota-20h
    when: {status: open}
    then: {sla: {first_reply: 20h, calendar: 24x7}}
""")
    # Friday 17:00 in Shanghai: 8 office hours fall due Monday 16:00; 20 clock hours Saturday 13:00.
    friday = ws.evaluate(ticket(created_at="2026-03-06T09:00:00Z"), NOW).sla["first_reply"]
    assert (friday.rule_id, friday.target, friday.overridden) == ("rota-20h", timedelta(hours=20), ("office-8h",))
    # Monday 09:00: office hours fall due Monday 17:00, before Tuesday 05:00.
    monday = ws.evaluate(ticket(created_at="2026-03-09T01:00:00Z"), NOW).sla["first_reply"]
    assert (monday.rule_id, monday.calendar, monday.overridden) == ("office-8h", "office", ("rota-20h",))


def test_equal_targets_go_to_the_lower_priority_then_the_id(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: b-rule
    when: {status: open}
    then: {sla: {first_reply: 4h}}
  - id: a-rule
    when: {status: open}
    then: {sla: {first_reply: 4h}}
  - id: c-rule
    when: {tags: vip}
    then: {sla: {first_reply: 4h}, priority: -1}
""")
    assert ws.evaluate(ticket(), NOW).sla["first_reply"].rule_id == "a-rule"
    vip = ws.evaluate(ticket(tags=("vip",)), NOW)
    assert vip.sla["first_reply"].rule_id == "c-rule"
    assert vip.rules_fired == ("c-rule", "b-rule", "a-rule")      # priority first, then file order


def test_comment_override_comes_from_the_first_rule_in_order(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: general
    when: {status: open}
    then: {measure: M1, comment: "General note for {{ ticket.key }}"}
  - id: vip
    when: {tags: vip}
    then: {measure: M2, comment: "{{ measures | map(attribute='id') | join(', ') }}: VIP {{ ticket.key }}",
           priority: -5}
""")
    ev = ws.evaluate(ticket(tags=("vip",)), NOW)
    assert ev.comment.rule_id == "vip"
    assert ev.comment.render({"ticket": {"key": "41"}, "measures": [{"id": "M2"}, {"id": "M1"}]}) == "M2, M1: VIP 41"
    assert ws.evaluate(ticket(), NOW).comment.render({"ticket": {"key": "41"}}) == "General note for 41"


def test_task_owner_and_due_defaults(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: from-measure
    when: {status: open}
    then: {measure: M2, task: {title: "Check {{ ticket.key }} ({{ measure.title }}, {{ plan.title }})", due: 1d}}
  - id: from-update
    when: {status: open}
    then: {task: {title: Update, owner: ops, due: 2h, due_from: updated}}
  - id: rated-without-rating
    when: {satisfaction: {ne: good}}
    then: {task: {title: Ask for a rating, owner: marketing, due: 3d}}
""")
    tasks = ws.evaluate(ticket(), NOW).tasks
    assert [(t.rule_id, t.title, t.owner, t.due_at) for t in tasks] == [
        ("from-measure", "Check 41 (24-hour rota, Service plan)", "customer service",
         datetime(2026, 3, 3, 1, 0, tzinfo=timezone.utc)),          # from creation
        ("from-update", "Update", "ops", datetime(2026, 3, 2, 4, 0, tzinfo=timezone.utc)),
        ("rated-without-rating", "Ask for a rating", "marketing",
         datetime(2026, 3, 5, 2, 0, tzinfo=timezone.utc)),          # no rating yet: from the last update
    ]


def test_templates_cannot_reach_python_internals(tmp_path):
    # Rendered for the sample ticket when the rules load, the template is refused there.
    with pytest.raises(InvalidFiles) as refused:
        workspace(tmp_path, """\
rules:
  - id: sneaky
    when: {status: open}
    then: {task: {title: "{{ ticket.tags.__class__.__mro__ }}", owner: x}}
""")
    assert [str(p).replace(f"{tmp_path}/", "") for p in refused.value.problems] == [
        "rules/rules.yaml:4:26: rule sneaky: then.task.title: for a sample ticket, the template stops: "
        "access to attribute '__class__' of 'list' object is unsafe.",
    ]
    # Where the sample does not go, the sandbox still stops it, for that ticket.
    ws = workspace(tmp_path, """\
rules:
  - id: sneaky
    when: {status: open}
    then: {task: {title: "{% if ticket.key == '41' %}{{ ticket.tags.__class__.__mro__ }}{% endif %}", owner: x}}
""")
    with pytest.raises(TemplateRenderError) as caught:
        ws.evaluate(ticket(tags=("a",)), NOW)
    assert str(caught.value) == (
        "rule sneaky: template \"{% if ticket.key == '41' %}{{ ticket.tags.__class__.__mro__ }}{% endif %}\": "
        "access to attribute '__class__' of 'list' object is unsafe."
    )


def test_a_missing_custom_field_in_a_template_is_a_clear_error(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: plan-check
    when: {status: open}
    then: {task: {title: "Customer on plan {{ ticket.custom.plan }}", owner: sales}}
""")
    assert ws.evaluate(ticket(custom={"plan": "gold"}), NOW).tasks[0].title == "Customer on plan gold"
    with pytest.raises(TemplateRenderError) as caught:
        ws.evaluate(ticket(), NOW)
    assert str(caught.value) == (
        "rule plan-check: template 'Customer on plan {{ ticket.custom.plan }}': 'dict object' has no attribute 'plan'"
    )


def test_people_are_named_in_templates_and_conditions_while_requester_stays_the_id(tmp_path):
    ws = workspace(tmp_path, """\
rules:
  - id: call-back
    when: {requester_name: {matches: "^Li "}}
    then: {task: {title: "Call {{ ticket.requester_name or ticket.requester }} ({{ ticket.assignee_name }})", owner: x}}
  - id: by-id
    when: {requester: "20000000000028"}
    then: {category: attitude}
""")
    named = ticket(requester="20000000000028", requester_name="Li Wei", assignee="5b10", assignee_name="Mia Krystof")
    evaluation = ws.evaluate(named, NOW)
    assert evaluation.rules_fired == ("call-back", "by-id")
    assert evaluation.tasks[0].title == "Call Li Wei (Mia Krystof)"
    assert ws.evaluate(ticket(requester="20000000000028"), NOW).rules_fired == ("by-id",)


def test_evaluation_is_immutable(tmp_path):
    ws = workspace(tmp_path, "rules:\n  - id: r\n    when: {status: open}\n    then: {sla: {first_reply: 1h}}\n")
    ev = ws.evaluate(ticket(), NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.measures = ("M1",)
    with pytest.raises(TypeError):
        ev.sla["resolution"] = ev.sla["first_reply"]
    assert ev.fired[0].why.to_dict() == {"expr": "status eq open", "result": True, "value": "open", "matched": "open"}


def test_goal_scope(tmp_path):
    ws = workspace(tmp_path, "rules: []\n")
    csat, complaints = ws.plan.goals
    task = ticket(type="task")
    assert (ws.in_scope(csat, task, NOW), ws.in_scope(complaints, task, NOW)) == (True, False)
    assert ws.in_scope(complaints, ticket(type="question"), NOW) is True
    assert ws.plan.owners_of("csat") == ("technology", "customer service", "marketing")
    assert (complaints.is_met(0.04), complaints.is_met(0.06), csat.is_met(0.9), csat.is_met(0.89)) == (
        True, False, True, False)


INDEXED_RULES = """\
rules:
  - {id: r1, when: {status: {in: [open, new]}, priority: urgent}, then: {category: quality}}
  - {id: r2, when: {status: {ne: solved}, group: A}, then: {category: quality}}
  - {id: r3, when: {all: [{group: {not_in: [A, B]}}, {priority: {gt: normal}}]}, then: {category: quality}}
  - {id: r4, when: {any: [{group: A}, {tags: vip}]}, then: {category: quality}}
  - {id: r5, when: {satisfaction: bad, channel: {in: [email, web]}}, then: {category: quality}}
  - {id: r6, when: {not: {status: open}}, then: {category: quality}}
  - {id: r7, when: {channel: {ne: email}, status: {not_in: [closed]}}, then: {category: quality}}
  - {id: r8, when: {status: open, any: [{priority: low}, {group: {exists: false}}]}, then: {category: quality}}
"""


@settings(max_examples=150, deadline=None)
@given(
    status=st.sampled_from(["new", "open", "waiting_customer", "on_hold", "solved", "closed"]),
    priority=st.sampled_from([None, "low", "normal", "high", "urgent"]),
    group=st.sampled_from([None, "A", "B", "C", ""]),
    channel=st.sampled_from([None, "email", "web", "phone"]),
    tags=st.lists(st.sampled_from(["vip", "cn", "x"]), max_size=2),
    rated=st.sampled_from([None, "good", "bad"]),
)
def test_the_rule_index_never_skips_a_rule_that_holds(indexed_workspace, status, priority, group, channel, tags,
                                                       rated):
    t = ticket(status=status, priority=priority, group=group, channel=channel, tags=tuple(tags),
               satisfaction={"score": rated, "at": "2026-03-03T00:00:00Z"} if rated else None)
    engine = indexed_workspace.engine
    values = engine.values(t, NOW)
    every_rule = [rule.id for rule in engine.rules if rule.condition.test(values)]
    assert [rule.id for rule in engine.matching(t, NOW)] == every_rule
    assert indexed_workspace.evaluate(t, NOW).rules_fired == tuple(every_rule)


@pytest.fixture(scope="module")
def indexed_workspace(tmp_path_factory):
    ws = workspace(tmp_path_factory.mktemp("indexed"), INDEXED_RULES)
    assert len(ws.engine.index.slots) >= 3          # the index is in use: status, channel, group …
    return ws
