"""`deskplan rules test`: rule unit tests pass, fail with a readable diff, or are invalid files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from deskplan.cli import cli

PLAN = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30, calendar: office}
calendars:
  office: {timezone: Asia/Shanghai, hours: {mon-fri: ["09:00-12:00", "13:00-18:00"]}}
goals:
  - {id: csat, metric: csat, target: 90%, by: 2026-03-31}
measures:
  - {id: M1, title: Rota, owner: customer service, goals: [csat]}
  - {id: M2, title: Follow-up, owner: marketing, goals: [csat]}
"""
RULES = """\
rules:
  - id: standard
    when: {type: {ne: task}}
    then: {sla: {first_reply: 12h, resolution: 24h}}
  - id: vip
    when: {tags: vip}
    then: {measure: M1, sla: {first_reply: 30m, calendar: 24x7}}
  - id: complaint
    when: {text: {matches: "投诉|complain"}}
    then: {category: complaint}
  - id: bad-rating
    when: {satisfaction: bad}
    then: {measure: M2, task: {title: "Call {{ ticket.requester }} about {{ ticket.key }}", due: 48h}}
"""
PASSING = """\
tests:
  - name: a VIP request goes to the rota
    ticket: {tags: [vip], created_at: 2026-03-02T09:00:00+08:00}
    expect:
      rules_fired: [vip, standard]
      measures: [M1]
      sla:
        first_reply: {target: 30m, rule: vip, calendar: 24x7}
        resolution: 24h
  - name: a bad rating becomes a task two days after the rating
    now: 2026-03-06T00:00:00Z
    ticket:
      key: SD-9
      requester: Wang Fang
      created_at: 2026-03-02T09:00:00+08:00
      satisfaction: {score: bad, comment: 太慢了, at: 2026-03-04T10:00:00+08:00}
      timeline:
        - {at: 2026-03-02T09:30:00+08:00, kind: public_reply}
        - {at: 2026-03-02T10:00:00+08:00, kind: status, status: solved}
    expect:
      tasks: [{title: Call Wang Fang about SD-9, owner: marketing, due_at: 2026-03-06T10:00:00+08:00}]
  - name: deskplan's own tasks match nothing
    ticket: {type: task, created_at: 2026-03-02T09:00:00+08:00}
    expect: {rules_fired: []}
"""
FAILING = """\
tests:
  - name: right
    ticket: {type: task, created_at: 2026-03-02T09:00:00+08:00}
    expect: {rules_fired: []}
  - name: wrong about everything
    ticket: {tags: [vip], subject: 我要投诉, created_at: 2026-03-02T09:00:00+08:00}
    expect:
      rules_fired: [vip, bad-rating]
      measures: [M2]
      categories: []
      sla: {first_reply: {target: 1h, rule: standard}}
      tasks: [{title: Call back}]
"""


def write(root: Path, tests: str) -> Path:
    (root / "rules" / "tests").mkdir(parents=True)
    (root / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (root / "rules" / "main.yaml").write_text(RULES, encoding="utf-8")
    (root / "rules" / "tests" / "main.yaml").write_text(tests, encoding="utf-8")
    return root


def run(root: Path):
    return CliRunner().invoke(cli, ["rules", "test", "--workspace", str(root)], catch_exceptions=False)


def test_passing_tests_exit_0(tmp_path):
    result = run(write(tmp_path, PASSING))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "PASS  a VIP request goes to the rota",
        "PASS  a bad rating becomes a task two days after the rating",
        "PASS  deskplan's own tasks match nothing",
        "3 passed, 0 failed",
    ]


def test_a_failure_prints_a_readable_diff_and_exits_1(tmp_path):
    root = write(tmp_path, FAILING)
    result = run(root)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "PASS  right",
        f"FAIL  wrong about everything  ({root}/rules/tests/main.yaml:5:5)",
        "      rules_fired: expected [vip, bad-rating], got [standard, vip, complaint]",
        "        - missing:    bad-rating",
        "        + unexpected: standard, complaint",
        "      measures: expected [M2], got [M1]",
        "        - missing:    M2",
        "        + unexpected: M1",
        "      categories: expected [], got [complaint]",
        "        + unexpected: complaint",
        "      sla.first_reply: expected target 1h, rule standard; got 30m on 24x7 (rule vip)",
        "      sla.resolution: expected no target, got 24h on office (rule standard)",
        "      tasks: expected 1, got 0",
        "1 passed, 1 failed",
    ]


def test_task_fields_are_compared_one_by_one(tmp_path):
    tests = PASSING.replace("title: Call Wang Fang about SD-9, owner: marketing", "title: Call Wang about SD-9")
    result = run(write(tmp_path, tests))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1:6] == [
        f"FAIL  a bad rating becomes a task two days after the rating  ({tmp_path}/rules/tests/main.yaml:10:5)",
        "      tasks[0].title:",
        "        - expected: 'Call Wang about SD-9'",
        "        + got:      'Call Wang Fang about SD-9'",
        "PASS  deskplan's own tasks match nothing",
    ]


def test_a_wrong_due_at_shows_both_times_in_the_zone_the_test_wrote(tmp_path):
    tests = PASSING.replace("due_at: 2026-03-06T10:00:00+08:00", "due_at: 2026-03-06T09:00:00+08:00")
    result = run(write(tmp_path, tests))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[2:5] == [
        "      tasks[0].due_at:",
        "        - expected: 2026-03-06T09:00:00+08:00",
        "        + got:      2026-03-06T10:00:00+08:00",
    ]
    utc = PASSING.replace("due_at: 2026-03-06T10:00:00+08:00", "due_at: 2026-03-06T03:00:00Z")
    assert run(write(tmp_path / "utc", utc)).stdout.splitlines()[2:5] == [
        "      tasks[0].due_at:",
        "        - expected: 2026-03-06T03:00:00+00:00",
        "        + got:      2026-03-06T02:00:00+00:00",
    ]


def test_problems_in_test_files_are_reported_like_rule_problems(tmp_path):
    tests = """\
tests:
  - name: typo in expect
    ticket: {status: opn, created_at: 2026-03-02T09:00:00+08:00}
    expect: {rule_fired: []}
  - name: no time
    ticket: {subject: hello}
    expect: {measures: []}
  - name: asserts nothing
    ticket: {created_at: 2026-03-02T09:00:00+08:00}
    expect: {}
"""
    root = write(tmp_path, tests)
    result = run(root)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{root}/rules/tests/main.yaml:3:22: test 'typo in expect': ticket.status: unknown value 'opn' "
        "(did you mean 'open'?); expected one of: new, open, waiting_customer, on_hold, solved, closed",
        f"{root}/rules/tests/main.yaml:4:14: test 'typo in expect': expect: unknown key 'rule_fired' "
        "(did you mean 'rules_fired'?); expected one of: rules_fired, measures, categories, sla, tasks",
        f"{root}/rules/tests/main.yaml:6:13: test 'no time': ticket: missing `created_at` (or give the test a `now`)",
        f"{root}/rules/tests/main.yaml:10:13: test 'asserts nothing': expect: `expect` asserts nothing: "
        "give rules_fired, measures, categories, sla or tasks",
    ]


def test_rule_problems_and_test_problems_come_together(tmp_path):
    root = write(tmp_path, "tests:\n  - name: x\n")
    (root / "rules" / "main.yaml").write_text(RULES.replace("{tags: vip}", "{tag: vip}"), encoding="utf-8")
    result = run(root)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{root}/rules/main.yaml:6:12: rule vip: unknown field 'tag' (did you mean 'tags'?)",
        f"{root}/rules/tests/main.yaml:2:5: test 'x': missing `ticket`",
        f"{root}/rules/tests/main.yaml:2:5: test 'x': missing `expect`",
    ]
