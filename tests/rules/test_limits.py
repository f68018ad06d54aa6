"""A rule file that would hang deskplan or exhaust its memory is exit 2 at FILE:LINE:COL, in seconds.

Each case runs the real command in a child process with a timeout: a case that hangs fails
(the child is killed) rather than blocking the suite, and one that ends in a traceback shows
it. Before the limits, each of these hung, took minutes and gigabytes, or ended in a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deskplan.rules import template_limits
from deskplan.rules.conditions import PatternGroup
from deskplan.rules.template_limits import MAX_ITERATIONS, TemplateLimitError
from deskplan.rules.templates import (
    TASK_NAMES,
    TemplateRenderError,
    compile_template,
    make_environment,
    sample_context,
)

CHILD_TIMEOUT = 60          # seconds a command may take; the cases here end in one or two

TOML = """\
[[sources]]
name = "zendesk"
kind = "zendesk"
url = "http://127.0.0.1:9"
email = "deskplan@example.com"
token_env = "DESKPLAN_LIMITS_TOKEN"

[state]
path = "state/state.db"
"""
STATE_LINE = 9              # where `path =` is in TOML

PLAN = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30}
goals:
  - {id: G1, metric: csat, target: 90%, by: 2026-03-31}
measures:
  - {id: M1, title: Rota, owner: customer service, goals: [G1]}
"""


def rule_with_title(template: str) -> str:
    """A rule file whose task title is `template`: the title's value is at 7:16."""
    return f"""\
rules:
  - id: r1
    when: {{status: open}}
    then:
      task:
        owner: x
        title: {json.dumps(template)}
"""


TITLE = "rules/r.yaml:7:16: rule r1: then.task.title: "


def workspace(root: Path, rules: str | None = None, *, plan: str = PLAN, toml: str = TOML) -> Path:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    (root / "deskplan.toml").write_text(toml, encoding="utf-8")
    (root / "plan.yaml").write_text(plan, encoding="utf-8")
    if rules is not None:
        (root / "rules" / "r.yaml").write_text(rules, encoding="utf-8")
    return root


def deskplan(root: Path, *args: str) -> tuple[int, str]:
    """Run `deskplan ARGS --workspace ROOT` in a child process; (exit code, stderr with the
    workspace's path left out). A child that outlives CHILD_TIMEOUT is killed and the test fails."""
    env = {**os.environ, "DESKPLAN_LIMITS_TOKEN": "not-a-real-token", "DESKPLAN_NOW": "2026-03-10T12:00:00Z"}
    env.pop("DESKPLAN_WORKSPACE", None)
    done = subprocess.run([sys.executable, "-m", "deskplan", *args, "--workspace", str(root)],
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=env, cwd=root)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, done.stderr.replace(f"{root}/", "")


def check(root: Path) -> tuple[int, list[str]]:
    code, err = deskplan(root, "check")
    return code, err.splitlines()


# --- templates -------------------------------------------------------------------------------

@pytest.mark.parametrize(("template", "stops"), [
    pytest.param("{{ 9**(9**9) }}", "`**` makes a number of about 349,875,569 digits; at most 1,000",
                 id="power-folded-at-compile-time"),
    pytest.param("{{ 'a' * 10**9 }}", "`*` would make 1,000,000,000 characters or items; at most 100,000",
                 id="a-gigabyte-title"),
    pytest.param("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
                 "range() of more than 10,000 numbers", id="nested-loops-over-range"),
    pytest.param("{% set r = range(10000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
                 "loops ran more than 10,000 times", id="nested-loops-that-output-nothing"),
    pytest.param("{% for i in range(10**9) %}{% endfor %}", "range() of more than 10,000 numbers",
                 id="range-of-a-billion"),
    pytest.param("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}",
                 "macros call each other more than 32 deep (a macro that calls itself without end?)",
                 id="recursive-macro"),
    pytest.param("{{ '%0999999999d' % 1 }}", "`%` would make 1,000,000,013 characters or items; at most 100,000",
                 id="printf-width"),
    pytest.param("{{ ('{0}' * 30000).format('a' * 99999) }}",
                 "`.format()` would make 2,999,970,000 characters or items; at most 100,000", id="format-repeats"),
    pytest.param("{{ 'a'|center(1000000000) }}", "`center` width: 1,000,000,000 is more than 100,000",
                 id="filter-width-folded-at-compile-time"),
    pytest.param("{% set s = 'a' * 99999 %}{{ s|replace('a', s) }}",
                 "`replace` would make 9,999,800,001 characters or items; at most 100,000", id="replace-multiplies"),
    pytest.param("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                 "`~` would make 131,072 characters or items; at most 100,000", id="concatenation-doubles"),
    pytest.param("{% set s = 'a' * 99999 %}{% set x %}{% for i in range(10000) %}{{ s }}{% endfor %}{% endset %}",
                 "the template builds more than 2,000,000 characters and items in all (repeated work in a loop?)",
                 id="output-into-a-block"),
    pytest.param("{% for i in range(2000) %}{{ 'x' * 60 }}{% endfor %}",
                 "the text is longer than 100,000 characters", id="output-streamed-and-stopped"),
    pytest.param("{{ ticket.tags.append(1) }}", "access to attribute 'append' of 'list' object is unsafe.",
                 id="no-growing-a-list-in-place"),
])
@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_a_template_that_would_run_away_is_exit_2_at_its_position(tmp_path, template, stops):
    code, lines = check(workspace(tmp_path, rule_with_title(template)))
    assert (code, lines) == (2, [f"{TITLE}for a sample ticket, the template stops: {stops}"])


@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_a_gigabyte_title_stops_the_dry_run_too_before_anything_is_pulled(tmp_path):
    code, err = deskplan(workspace(tmp_path, rule_with_title("{{ 'a' * 10**9 }}")), "sync", "--dry-run")
    assert (code, err) == (2, f"{TITLE}for a sample ticket, the template stops: "
                              "`*` would make 1,000,000,000 characters or items; at most 100,000\n")


@pytest.mark.parametrize(("template", "problem"), [
    pytest.param("{{ " + "(" * 1000 + "1" + ")" * 1000 + " }}",
                 "the template nests too deeply (brackets in brackets?); at most 40 levels", id="brackets"),
    pytest.param("{{ 1" + " + 1" * 100 + " }}",
                 "the template nests 103 levels deep (tags, operators, filters and brackets); at most 40",
                 id="operators"),
    pytest.param("{% for a in [1] %}" * 25 + "{% endfor %}" * 25,
                 "the template nests too deeply to compile (too many statically nested blocks)", id="loops"),
    pytest.param("{{ " + "9" * 5000 + " }}",
                 "the template cannot be read: Exceeds the limit (4300 digits) for integer string conversion: "
                 "value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit", id="long-number"),
])
@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_a_template_nested_too_deeply_is_exit_2_at_its_position(tmp_path, template, problem):
    code, lines = check(workspace(tmp_path, rule_with_title(template)))
    assert (code, lines) == (2, [f"{TITLE}{problem}"])


@pytest.mark.timeout(30)
def test_nothing_a_template_computes_runs_while_it_compiles():
    """jinja2 folds constant expressions while compiling (`9 ** (9 ** 9)` would hang there,
    before any render-time check): intercepted operators and context filters are never
    folded, so compiling returns at once and the code calls the checkpoints."""
    env = make_environment()
    for source in ("{{ 9 ** (9 ** 9) }}", "{{ 'a' * 10 ** 9 }}", "{{ 'a'|center(1000000000) }}",
                   "{{ 'a' ~ 'b' }}", "literal text"):
        template = compile_template(env, source, "r1", TASK_NAMES)
        assert template.template is not None
    code = env.compile("{{ 9 ** (9 ** 9) }}{{ 'a'|center(10) }}{{ 'a' ~ 'b' }}", raw=True)
    assert "environment.call_binop(context, '**', 9, environment.call_binop(context, '**', 9, 9))" in code
    assert "environment.filters['center']" in code and "environment.filters['deskplan:concat']" in code
    assert "environment.finalize(context, 'literal" not in code     # (nothing was rendered as a constant)


@pytest.mark.timeout(30)
def test_a_template_past_a_limit_on_one_ticket_fails_that_ticket_only(tmp_path):
    """The sample ticket does not take this branch, so the rules load; the real ticket that
    does fails with a TemplateRenderError (which fails that ticket, not the sync)."""
    from datetime import datetime, timezone

    from deskplan.model import Ticket
    from deskplan.rules import load_workspace

    ws = load_workspace(workspace(tmp_path, rule_with_title("{% if ticket.key == '41' %}{{ 'a' * 10**9 }}{% endif %}")))
    now = datetime(2026, 3, 10, tzinfo=timezone.utc)

    def ticket(key: str) -> Ticket:
        return Ticket(source="zd", id=key, key=key, status="open",
                      created_at="2026-03-02T01:00:00Z", updated_at="2026-03-02T02:00:00Z")

    assert ws.evaluate(ticket("42"), now).tasks[0].title == ""
    with pytest.raises(TemplateRenderError) as caught:
        ws.evaluate(ticket("41"), now)
    assert str(caught.value) == (
        "rule r1: template \"{% if ticket.key == '41' %}{{ 'a' * 10**9 }}{% endif %}\": "
        "`*` would make 1,000,000,000 characters or items; at most 100,000")


def test_the_render_deadline_is_read_at_each_step(monkeypatch):
    """The deadline is checked where the template steps (no signal, no thread): with a clock
    that jumps a second at every reading, a loop stops at its first steps."""
    class JumpingClock:
        now = 0.0

        def monotonic(self) -> float:
            self.now += 1.0
            return self.now

    monkeypatch.setattr(template_limits, "time", JumpingClock())
    env = make_environment()
    template = compile_template(env, "{% for i in range(5) %}{{ i }}{% endfor %}", "r1", TASK_NAMES)
    with pytest.raises(TemplateLimitError, match=r"^rendering took longer than 1 s$"):
        template.render_unchecked(sample_context({"id": "r1"}))


def test_templates_within_the_limits_render_as_before():
    env = make_environment()
    context = sample_context({"id": "r1", "description": "Bad ratings"})
    cases = {
        "{{ ticket.key }}: {{ ticket.subject|truncate(20) }}": "SD-1001: Order #A-1001...",
        "{{ ticket.tags|join(', ') }} / {{ ticket.requester_name or ticket.requester }}":
            "vip, delivery, 投诉 / Li Wei 李伟",
        "{% for c in ticket.tags %}{{ loop.index }}{{ c|upper }} {% endfor %}": "1VIP 2DELIVERY 3投诉 ",
        "{{ '%s has %d tags' % (ticket.key, ticket.tags|length) }}": "SD-1001 has 3 tags",
        "{{ '{} · {}'.format(rule.id, measure.owner) }}": "r1 · customer service",
        "{{ 'x' * 3 ~ 2 ** 10 }} {{ range(3)|list }}": "xxx1024 [0, 1, 2]",
        "{{ ticket.description|wordwrap(30)|indent(2)|length > 0 }}": "True",
        "{{ ticket.custom.order_id }} {{ ticket.custom.anything }}": "A-1001 sample anything 示例",
    }
    for source, expected in cases.items():
        assert compile_template(env, source, "r1", TASK_NAMES).render(context) == expected, source
    text = compile_template(env, "{{ 'a' * 100000 }}", "r1", TASK_NAMES).render(context)
    assert len(text) == 100_000                      # the largest text is allowed, exactly
    loops = "{% for i in range(50) %}{% for j in range(199) %}{% endfor %}{% endfor %}"   # 50 + 50 * 199 steps
    assert MAX_ITERATIONS == 50 + 50 * 199
    assert compile_template(env, loops, "r1", TASK_NAMES).render(context) == ""


# --- YAML ------------------------------------------------------------------------------------

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{x}: &{x} [" + ",".join(f"*{y}" for _ in range(9)) + "]\n" for x, y in zip("bcdefghi", "abcdefgh", strict=True))


@pytest.mark.parametrize(("text", "problem"), [
    pytest.param(BILLION_LAUGHS, "rules/r.yaml:6:8: the aliases of this file stand for more than 100,000 values "
                                 "(aliases that repeat aliases?)", id="billion-laughs"),
    pytest.param("rules: " + "[" * 5000 + "]" * 5000 + "\n", "rules/r.yaml:1:71: nested more than 64 levels deep",
                 id="nesting"),
    pytest.param("a: &a 1\nlist: [" + ", ".join(["*a"] * 10_001) + "]\n",
                 "rules/r.yaml:2:40008: more than 10,000 aliases in one file", id="alias-count"),
    pytest.param("rules: &r\n  - id: r1\n    when: *r\n",
                 "rules/r.yaml:3:11: the alias *r is inside the value it names, so it would repeat without end",
                 id="alias-cycle"),
])
@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_yaml_that_would_explode_is_exit_2_at_its_position(tmp_path, text, problem):
    assert check(workspace(tmp_path, text)) == (2, [problem])


@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_a_50_mb_rule_file_is_refused_before_it_is_read(tmp_path):
    root = workspace(tmp_path)
    rule = '  - {id: r%d, when: {text: {matches: "%s"}}, then: {category: complaint}}\n'
    with (root / "rules" / "big.yaml").open("w", encoding="utf-8") as out:
        out.write("rules:\n")
        n = 0
        while out.tell() <= 50 * 1024 * 1024:
            out.write(rule % (n, "|".join(f"w{n}x{i}" for i in range(100))[:900]))
            n += 1
    assert (root / "rules" / "big.yaml").stat().st_size > 50 * 1024 * 1024
    assert check(root) == (2, ["rules/big.yaml:1:1: the file is larger than 1,024 KiB (1,048,576 bytes), "
                               "the most deskplan reads"])


@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_more_rules_than_the_limit_is_exit_2_at_the_first_rule_past_it(tmp_path):
    root = workspace(tmp_path)
    rule = "  - {id: r%d, when: {status: open}, then: {category: complaint}}\n"
    (root / "rules" / "a.yaml").write_text("rules:\n" + "".join(rule % n for n in range(1500)))
    (root / "rules" / "b.yaml").write_text("rules:\n" + "".join(rule % (1500 + n) for n in range(600)))
    assert check(root) == (2, ["rules/b.yaml:502:5: rule #501 of this file is rule 2,001 of the workspace; "
                               "a workspace holds at most 2,000 rules"])


@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_a_too_long_pattern_is_exit_2_at_its_position(tmp_path):
    pattern = "|".join(f"word{i}" for i in range(2000))
    rules = f'rules:\n  - id: words\n    when: {{text: {{matches: "{pattern}"}}}}\n    then: {{category: complaint}}\n'
    assert check(workspace(tmp_path, rules)) == (2, [
        f"rules/r.yaml:3:28: rule words: text matches: the pattern {pattern[:60] + '…'!r} is "
        f"{len(pattern):,} characters long; at most 10,000"])


@pytest.mark.timeout(60)
def test_patterns_too_many_for_one_re2_filter_are_split_and_still_match():
    """FilteredRE2 refuses to compile hundreds of long keyword lists together (a traceback at
    load, before); the group splits them until each part compiles."""
    import re2

    group = PatternGroup()
    patterns = ["|".join(f"w{(n * 7919 + i * 104729) % 10**6}x{n}" for i in range(100)) for n in range(400)]
    indexes = [group.add(p) for p in patterns]
    assert indexes == list(range(400))
    with pytest.raises(re2.error):             # what one filter for all of them does
        whole = re2.Filter()
        for p in patterns:
            whole.Add(p)
        whole.Compile()
    group.compile()
    first, second, last = patterns[7].split("|")[0], patterns[123].split("|")[45], patterns[399].split("|")[99]
    assert sorted(group.matched(f"before {second} and {first} after")) == [7, 123]
    assert sorted(group.matched(["none", last])) == [399]
    assert list(group.matched("nothing here")) == []


@pytest.mark.parametrize(("plan", "problem"), [
    pytest.param(PLAN.replace("by: 2026-03-31", "by: 2026-04-31"),
                 "plan.yaml:3:45: goal G1: by: Input should be a valid date or datetime, day value is outside "
                 "expected range, got '2026-04-31'", id="day"),
    pytest.param(PLAN.replace("start: 2026-01-05", "start: 2026-13-01"),
                 "plan.yaml:1:36: plan: start: Input should be a valid date or datetime, month value is outside "
                 "expected range of 1-12, got '2026-13-01'", id="month"),
])
@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_a_date_that_cannot_be_is_exit_2_at_its_key(tmp_path, plan, problem):
    assert check(workspace(tmp_path, plan=plan)) == (2, [problem])


# --- files that cannot be read ---------------------------------------------------------------

@pytest.mark.timeout(2 * CHILD_TIMEOUT)
def test_files_that_cannot_be_read_are_exit_2_naming_the_file(tmp_path):
    root = workspace(tmp_path)
    (root / "rules" / "bad.yaml").write_bytes(b"rules:\n  - id: caf\xe9\n")
    (root / "rules" / "tests").mkdir()
    (root / "rules" / "tests" / "t.yaml").write_bytes(b"tests: \xff\n")
    assert check(root) == (2, [
        "rules/bad.yaml:2:12: not UTF-8 text: save the file as UTF-8",
        "rules/tests/t.yaml:1:8: not UTF-8 text: save the file as UTF-8",
    ])
    (root / "deskplan.toml").unlink()
    (root / "deskplan.toml").mkdir()
    assert deskplan(root, "report") == (2, "deskplan.toml:1:1: cannot read: Is a directory\n")
    code, lines = check(root)
    assert (code, lines[0]) == (2, "deskplan.toml:1:1: cannot read: Is a directory")


# --- the state path --------------------------------------------------------------------------

def _make_read_only(path: Path) -> bool:
    """Make `path` read-only even for root (chattr +i), or say it cannot be done here."""
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    if os.access(path, os.W_OK) and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return not os.access(path, os.W_OK)


def _state_cases() -> dict[str, tuple[str, str]]:
    """How to spoil the state path: case -> (what the message says, the path it names)."""
    return {
        "folder": ("this is a folder; the setting names the state file itself, e.g. .deskplan/state.db",
                   "state/state.db"),
        "not a database": ("this file is not a deskplan state file (not an SQLite database)", "state/state.db"),
        "read-only": ("the file is read-only; deskplan writes to its state file", "state/state.db"),
        "folder cannot be created": ("its folder cannot be created: blocker is a file",
                                     "blocker/state/state.db"),
    }


def _spoil(root: Path, case: str) -> Path | None:
    state = root / "state" / "state.db"
    shutil.rmtree(root / "state", ignore_errors=True)
    (root / "state").mkdir()
    if case == "folder":
        state.mkdir()
    elif case == "not a database":
        state.write_text("these are my notes, not a database\n")
    elif case == "read-only":
        import sqlite3

        sqlite3.connect(state).execute("CREATE TABLE t (x)").connection.close()
        if not _make_read_only(state):
            return None
    elif case == "folder cannot be created":
        (root / "blocker").write_text("a file where a folder should be\n")
        (root / "deskplan.toml").write_text(TOML.replace("state/state.db", "blocker/state/state.db"))
    return state


@pytest.mark.parametrize("case", ["folder", "not a database", "read-only", "folder cannot be created"])
@pytest.mark.timeout(4 * CHILD_TIMEOUT)
def test_a_state_path_that_cannot_be_the_state_file_is_exit_2_naming_it(tmp_path, case):
    root = workspace(tmp_path)
    if _spoil(root, case) is None:
        pytest.skip("cannot make a file read-only here")
    try:
        reason, shown = _state_cases()[case]
        message = f"deskplan: [state] path {shown}: {reason}\n"
        assert check(root) == (2, [f"deskplan.toml:{STATE_LINE}:1: [state] path {shown}: {reason}"])
        assert deskplan(root, "sync") == (2, message)
        if case != "folder cannot be created":     # (report and explain: no state file yet, exit 2)
            assert deskplan(root, "report") == (2, message)
        code, err = deskplan(root, "explain", "zendesk:1")
        assert code == 2 and err.startswith("deskplan: ")
        if case in ("not a database", "read-only"):
            assert err == message
    finally:
        subprocess.run(["chattr", "-i", str(root / "state" / "state.db")], capture_output=True, check=False)

