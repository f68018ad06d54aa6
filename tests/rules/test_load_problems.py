"""Every kind of problem in plan.yaml and rules/*.yaml, reported exactly as FILE:LINE:COL."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskplan.errors import InvalidFiles
from deskplan.rules import load_workspace

PLAN = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30}
goals:
  - {id: G1, metric: csat, target: 90%, by: 2026-03-31}
measures:
  - {id: M1, title: Rota, owner: customer service, goals: [G1]}
"""

RULE_USING_M1 = "rules:\n  - id: r1\n    when: {tags: vip}\n    then: {measure: M1}\n"


def problems(root: Path, files: dict[str, str]) -> list[str]:
    """Write the files (plan.yaml defaults to a valid one) and return the problems, with
    paths relative to the workspace."""
    for name, text in {"plan.yaml": PLAN, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(root)
    return [str(p).replace(f"{root}/", "") for p in caught.value.problems]


def test_yaml_syntax_error_points_at_the_problem_and_where_the_construct_began(tmp_path):
    assert problems(tmp_path, {"rules/a.yaml": "rules:\n  - id: r1\n    when: {status: open\n"}) == [
        "rules/a.yaml:4:1: YAML syntax: while parsing a flow mapping, expected ',' or '}', "
        "but got '<stream end>' (it starts at line 3, column 11)",
    ]


def test_a_plan_that_is_not_yaml_gives_one_problem_not_unknown_measures_in_every_rule(tmp_path):
    plan = PLAN.replace("  - {id: M1,", "\t- {id: M1,")
    rules = ("rules:\n  - id: r1\n    when: {tags: vip}\n    then: {measure: M1, sla: {first_reply: 1h, calendar: x}}\n"
             "  - id: r2\n    when: {tags: vip}\n    then: {task: {title: Call}}\n")
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": rules}) == [
        "plan.yaml:5:1: a tab in the indentation: YAML indents with spaces only; type spaces instead "
        "(line 4 is not indented)",
    ]


def test_a_full_width_colon_in_the_plan_is_one_problem_saying_what_to_type(tmp_path):
    plan = PLAN.replace("measures:\n", "measures：\n")
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": RULE_USING_M1}) == [
        "plan.yaml:4:9: a full-width colon '：' after `measures`: YAML needs an ASCII colon and a space; "
        "type `measures: `",
    ]


def test_a_full_width_comma_in_a_list_of_names_says_what_to_type(tmp_path):
    plan = PLAN + "milestones:\n  - {id: P1, title: One, start: 2026-01-05, end: 2026-02-28, measures: [M1，M2]}\n"
    assert problems(tmp_path, {"plan.yaml": plan}) == [
        "plan.yaml:7:73: milestone P1: measures[0]: unknown measure 'M1，M2'; known: M1 "
        "(a full-width comma '，' does not separate items in YAML: type ', ')",
    ]


def test_duplicate_yaml_key_is_a_syntax_problem(tmp_path):
    text = "rules:\n  - id: r1\n    when: {status: open}\n    when: {status: new}\n    then: {category: quality}\n"
    assert problems(tmp_path, {"rules/a.yaml": text}) == [
        'rules/a.yaml:4:5: YAML syntax: while constructing a mapping, found duplicate key "when" with value '
        '"{\'status\': \'new\'}" (original value: "{\'status\': \'open\'}") '
        "(it starts at line 2, column 5)",
    ]


def test_unknown_keys_name_the_close_match_and_the_choices(tmp_path):
    rules = """\
rules:
  - id: vip
    when: {tags: vip}
    then:
      measrue: M1
  - id: vip2
    descripton: typo
    when: {tags: vip}
    then: {measure: M1}
"""
    plan = PLAN + "milestone:\n  - {id: P1}\n"
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": rules}) == [
        "plan.yaml:6:1: unknown key 'milestone' (did you mean 'milestones'?); "
        "expected one of: plan, language, calendars, goals, measures, milestones, cadence, report, owners",
        "rules/a.yaml:5:7: rule vip: then: unknown key 'measrue' (did you mean 'measure'?); "
        "expected one of: measure, sla, category, task, comment, priority",
        "rules/a.yaml:7:5: rule vip2: unknown key 'descripton' (did you mean 'description'?); "
        "expected one of: id, description, when, then",
    ]


def test_wrong_types_and_values(tmp_path):
    plan = PLAN.replace("target: 90%", "target: 90").replace("by: 2026-03-31", "by: end of March")
    rules = """\
rules:
  - id: r1
    when: {status: open}
    then: {category: complain, priority: first}
  - id: r2
    when: {status: open}
    then: {sla: 12h}
"""
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": rules}) == [
        "plan.yaml:3:36: goal G1: target: a share is written 90% or 0.9; 90 is more than 100% (did you mean 90%?)",
        "plan.yaml:3:44: goal G1: by: Input should be a valid date or datetime, invalid character in year, "
        "got 'end of March'",
        "rules/a.yaml:4:22: rule r1: then.category: unknown value 'complain' (did you mean 'complaint'?); "
        "expected one of: attitude, quality, product, process, complaint",
        "rules/a.yaml:4:42: rule r1: then.priority: Input should be a valid integer, unable to parse string as an "
        "integer, got 'first'",
        "rules/a.yaml:7:17: rule r2: then.sla: Input should be a valid dictionary or instance of SlaSpec, got '12h'",
    ]


def test_missing_keys_and_rules_that_do_nothing(tmp_path):
    plan = PLAN + "  - {id: M2, title: Training}\n"
    rules = """\
rules:
  - when: {status: open}
    then: {category: quality}
  - id: r2
    when: {status: open}
  - id: r3
    when: {status: open}
    then: {priority: 3}
"""
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": rules}) == [
        "plan.yaml:6:5: measure M2: missing `owner`",
        "rules/a.yaml:2:5: rule #1: missing `id`",
        "rules/a.yaml:4:5: rule r2: missing `then`",
        "rules/a.yaml:8:11: rule r3: then: `then` does nothing: give measure, sla, category, task or comment",
    ]


def test_duplicate_ids_name_the_first(tmp_path):
    plan = PLAN.replace("goals:\n", "goals:\n  - {id: G1, metric: complaint_rate, target: 5%, by: 2026-06-30}\n")
    first = "rules:\n  - id: vip\n    when: {tags: vip}\n    then: {measure: M1}\n"
    second = "rules:\n  - id: other\n    when: {tags: x}\n    then: {measure: M1}\n  - id: vip\n" \
             "    when: {tags: vip}\n    then: {category: quality}\n"
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": first, "rules/b.yaml": second}) == [
        "plan.yaml:4:10: goal G1: duplicate id; the first is at plan.yaml:3:10",
        "rules/b.yaml:5:9: rule vip: duplicate id; the first is at rules/a.yaml:2:9",
    ]


def test_references_to_unknown_measures_goals_and_calendars(tmp_path):
    plan = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30, calendar: support}
calendars:
  support-hours: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-18:00"]}}
goals:
  - {id: csat, metric: csat, target: 90%, by: 2026-03-31, calendar: 24x7}
  - {id: reply, metric: first_reply_within, threshold: 12h, target: 90%, by: 2026-03-31, calendar: suport-hours}
measures:
  - {id: M1, title: Rota, owner: customer service, goals: [csat, rply]}
milestones:
  - {id: P1, title: Go live, start: 2026-05-01, end: 2026-06-30, measures: [M1, M7]}
"""
    rules = """\
rules:
  - id: r1
    when: {tags: vip}
    then:
      measure: M2
      sla: {first_reply: 1h, calendar: 24X7}
"""
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": rules}) == [
        "plan.yaml:1:75: plan: calendar: unknown calendar 'support' (did you mean 'support-hours'?); "
        "known: 24x7, support-hours",
        "plan.yaml:6:100: goal reply: calendar: unknown calendar 'suport-hours' (did you mean 'support-hours'?); "
        "known: 24x7, support-hours",
        "plan.yaml:8:66: measure M1: goals[1]: unknown goal 'rply' (did you mean 'reply'?); known: csat, reply",
        "plan.yaml:10:81: milestone P1: measures[1]: unknown measure 'M7'; known: M1",
        "rules/a.yaml:5:16: rule r1: then.measure: unknown measure 'M2'; known: M1",
        "rules/a.yaml:6:40: rule r1: then.sla.calendar: unknown calendar '24X7' (did you mean '24x7'?); "
        "known: 24x7, support-hours",
    ]


def test_condition_problems(tmp_path):
    rules = """\
rules:
  - id: r1
    when:
      all:
        - prority: urgent
        - tags: {contain: vip}
        - status: {older_than: 2d}
        - status: clsed
        - tags: [vip, gold]
        - group: {exists: yes}
        - priority: {in: urgent}
        - created_at: {gt: 2026-03-01T09:00:00}
        - any: []
        - not: open
    then: {category: quality}
"""
    assert problems(tmp_path, {"rules/a.yaml": rules}) == [
        "rules/a.yaml:5:11: rule r1: unknown field 'prority' (did you mean 'priority'?)",
        "rules/a.yaml:6:18: rule r1: tags: unknown operator 'contain' (did you mean 'contains'?); "
        "expected one of: eq, ne, in, not_in, contains, matches, exists",
        "rules/a.yaml:7:20: rule r1: status: operator 'older_than' does not apply to this field; "
        "expected one of: eq, ne, in, not_in, exists",
        "rules/a.yaml:8:19: rule r1: status eq: unknown status 'clsed' (did you mean 'closed'?); "
        "expected one of: new, open, waiting_customer, on_hold, solved, closed",
        "rules/a.yaml:9:17: rule r1: tags: a list needs an operator, e.g. {in: [...]} for any of them",
        "rules/a.yaml:10:27: rule r1: group exists: expected true or false, got yes",
        "rules/a.yaml:11:26: rule r1: priority in: expected a non-empty list, e.g. [a, b], got urgent",
        "rules/a.yaml:12:28: rule r1: created_at gt: 2026-03-01T09:00:00 has no time zone; add one, e.g. +08:00 or Z",
        "rules/a.yaml:13:16: rule r1: `any` takes a non-empty list of conditions",
        "rules/a.yaml:14:16: rule r1: a condition is a mapping such as {priority: urgent} or {all: [...]}, got open",
    ]


def test_invalid_regular_expressions(tmp_path):
    rules = """\
rules:
  - id: words
    when:
      any:
        - text: {matches: "投诉|(complain"}
        - subject: {matches: "(?=refund)"}
        - tags: {matches: ""}
    then: {category: complaint}
"""
    assert problems(tmp_path, {"rules/a.yaml": rules}) == [
        "rules/a.yaml:5:27: rule words: text matches: invalid regular expression '投诉|(complain': "
        "missing ): 投诉|(complain",
        "rules/a.yaml:6:30: rule words: subject matches: invalid regular expression '(?=refund)': "
        "invalid perl operator: (?=",
        'rules/a.yaml:7:27: rule words: tags matches: expected a regular expression, got ""',
    ]


def test_invalid_durations(tmp_path):
    plan = PLAN + "  - {id: M2, title: Feedback, owner: marketing}\n"
    plan = plan.replace("goals:\n", "goals:\n  - {id: G0, metric: first_reply_within, threshold: 12 hours, "
                                    "target: 90%, by: 2026-03-31}\n")
    rules = """\
rules:
  - id: r1
    when: {created_at: {older_than: 2 days}}
    then:
      sla: {first_reply: 30, resolution: 0h}
      task: {title: Call back, owner: marketing, due: 48hrs}
"""
    assert problems(tmp_path, {"plan.yaml": plan, "rules/a.yaml": rules}) == [
        "plan.yaml:3:53: goal G0: threshold: invalid duration '12 hours': expected a duration such as "
        "30m, 12h, 2d or 1h30m",
        "rules/a.yaml:3:37: rule r1: created_at older_than: invalid duration '2 days': expected a duration such as "
        "30m, 12h, 2d or 1h30m",
        "rules/a.yaml:5:26: rule r1: then.sla.first_reply: expected a duration such as 30m, 12h, 2d or 1h30m, got 30",
        "rules/a.yaml:5:42: rule r1: then.sla.resolution: invalid duration '0h': a duration must be longer than zero",
        "rules/a.yaml:6:55: rule r1: then.task.due: invalid duration '48hrs': expected a duration such as "
        "30m, 12h, 2d or 1h30m",
    ]


def test_template_problems_are_found_at_load(tmp_path):
    rules = """\
rules:
  - id: r1
    when: {satisfaction: bad}
    then:
      task:
        title: "Call {{ ticket.requestor }} back"
        body: "{% for t in ticket.tags %}{{ t }}"
        owner: marketing
      comment: "{{ ticket.key }} is {{ state }}"
"""
    assert problems(tmp_path, {"rules/a.yaml": rules}) == [
        "rules/a.yaml:6:16: rule r1: then.task.title: ticket has no 'requestor' (did you mean 'requester'?); "
        "it has: ref, source, id, key, url, subject, description, status, priority, type, channel, tags, group, "
        "organization, requester, assignee, requester_name, assignee_name, created_at, updated_at, solved_at, "
        "satisfaction, custom",
        "rules/a.yaml:7:15: rule r1: then.task.body: template syntax: Unexpected end of template. Jinja was looking "
        "for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.",
        "rules/a.yaml:9:16: rule r1: then.comment: unknown name 'state' in template; "
        "available: clocks, measures, plan, rule, ticket",
    ]


def test_a_task_needs_an_owner_or_a_measure_with_one(tmp_path):
    rules = "rules:\n  - id: r1\n    when: {satisfaction: bad}\n    then:\n      task: {title: Call back}\n"
    assert problems(tmp_path, {"rules/a.yaml": rules}) == [
        "rules/a.yaml:5:13: rule r1: then.task: the task needs an `owner` (or a `measure`, whose owner then gets it)",
    ]


def test_calendar_problems_are_placed_at_the_entry(tmp_path):
    plan = PLAN + """\
calendars:
  support:
    timezone: Asia/Shanghia
    hours:
      mon-fri: ["09:00-12:00", "13:00-18:60"]
      sun-fry: ["10:00-12:00"]
  24x7: {timezone: UTC, hours: {mon-sun: ["00:00-24:00"]}}
"""
    assert problems(tmp_path, {"plan.yaml": plan}) == [
        "plan.yaml:8:15: calendar support: timezone: unknown time zone 'Asia/Shanghia' (did you mean "
        "'Asia/Shanghai'?): use an IANA name such as Asia/Shanghai, Europe/Berlin or UTC",
        "plan.yaml:10:32: calendar support: hours.mon-fri[1]: invalid interval '13:00-18:60': 18:60 is not a time "
        "of day (00:00 to 23:59, and 24:00 only as an end)",
        "plan.yaml:11:7: calendar support: hours.sun-fry: unknown day 'fry' in day range 'sun-fry' (did you mean "
        "'fri'?): use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri or a list such as mon,wed,fri",
        "plan.yaml:12:3: calendar 24x7: this name is built in (every hour, UTC); give your calendar another name",
    ]


def test_files_that_are_missing_empty_or_not_a_mapping(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "empty.yaml").write_text("# nothing yet\n")
    (tmp_path / "rules" / "list.yaml").write_text("- id: r1\n")
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(tmp_path)
    assert [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems] == [
        "plan.yaml:1:1: file not found (run `deskplan init DIR` for an example)",
        "rules/empty.yaml:1:1: expected a mapping with `rules:`, got an empty file",
        "rules/list.yaml:1:1: expected a mapping with `rules:`, got list",
    ]


def test_every_problem_of_every_file_in_one_run(tmp_path):
    found = problems(tmp_path, {
        "plan.yaml": PLAN.replace("csat", "cast"),
        "rules/a.yaml": "rules:\n  - id: r1\n    when: {prority: high}\n    then: {measure: M1}\n",
        "rules/b.yaml": "rules:\n  - id: r2\n    when: {status: open}\n    then: {measure: M9}\n",
        "rules/c.yml": "rules: [\n",
    })
    assert [p.split(": ")[0] for p in found] == [
        "plan.yaml:3:22", "rules/a.yaml:3:12", "rules/b.yaml:4:21", "rules/c.yml:2:1",
    ]


def test_rule_tests_folder_is_not_read_as_rules(tmp_path):
    (tmp_path / "plan.yaml").write_text(PLAN)
    (tmp_path / "rules" / "tests").mkdir(parents=True)
    (tmp_path / "rules" / "tests" / "t.yaml").write_text("tests: []\n")
    (tmp_path / "rules" / "a.yaml").write_text("rules:\n  - id: r1\n    when: {tags: vip}\n    then: {measure: M1}\n")
    assert [r.id for r in load_workspace(tmp_path).rules] == ["r1"]
