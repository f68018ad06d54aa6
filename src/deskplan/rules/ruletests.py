"""`deskplan rules test`: unit tests for rules, next to the rules (like `promtool test rules`).

rules/tests/*.yaml:

```yaml
tests:
  - name: an urgent VIP request gets the 24-hour rota
    now: 2026-03-02T10:00:00+08:00           # optional; default: the ticket's updated_at
    ticket:                                  # canonical fields; the rest is filled in
      priority: urgent
      tags: [vip]
      created_at: 2026-03-02T09:00:00+08:00
    expect:
      rules_fired: [urgent-vip]              # [] asserts that no rule fires
      measures: [M2]
      sla: {first_reply: 30m, resolution: {target: 8h, rule: urgent-vip}}
```

Only what `expect` lists is asserted. `rules_fired`, `measures` and `categories` are
compared as sets; `sla` lists every target the ticket gets (kinds not listed must be
absent); `tasks` lists every task, in rule order, each checking the keys it gives.
A test ticket needs `created_at` (or the test a `now`); `source` defaults to `test`, `key`
and `id` to the test's position (`id` to the key when that is a number), `status` to `open`,
`updated_at` to the latest time the ticket shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from deskplan.errors import InvalidFiles, Problem
from deskplan.model import Ticket
from deskplan.rules.durations import Duration, format_hours
from deskplan.rules.engine import Evaluation
from deskplan.rules.load import RULES_DIR, Workspace, load_workspace
from deskplan.rules.ruleset import Category
from deskplan.rules.validation import message, validate
from deskplan.rules.yamlload import YamlDoc, YamlSyntaxError, load_yaml

TESTS_DIR = "tests"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class ExpectedSla(_Model):
    target: Duration
    rule: str | None = Field(None, description="the rule the target must come from")
    calendar: str | None = None


class ExpectedTask(_Model):
    title: str | None = None
    body: str | None = None
    owner: str | None = None
    rule: str | None = None
    due_at: AwareDatetime | None = None


class Expect(_Model):
    rules_fired: tuple[str, ...] | None = Field(None, description="ids of the rules that fire; [] for none")
    measures: tuple[str, ...] | None = None
    categories: tuple[Category, ...] | None = None
    sla: dict[Literal["first_reply", "resolution"], Duration | ExpectedSla] | None = Field(
        None, description="every SLA target the ticket gets: kind -> duration or {target, rule, calendar}")
    tasks: tuple[ExpectedTask, ...] | None = None

    @model_validator(mode="after")
    def _asserts_something(self) -> Expect:
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("`expect` asserts nothing: give rules_fired, measures, categories, sla or tasks")
        return self


class RuleTest(_Model):
    name: str
    now: AwareDatetime | None = Field(None, description="the instant the rules run at (default: ticket.updated_at)")
    ticket: dict[str, Any] = Field(description="canonical ticket fields, with an optional timeline")
    expect: Expect


class RuleTestFile(_Model):
    tests: tuple[RuleTest, ...]


@dataclass(frozen=True)
class RuleCase:
    name: str
    where: str                      # FILE:LINE:COL of the test
    ticket: Ticket
    now: datetime
    expect: Expect


@dataclass(frozen=True)
class CaseResult:
    case: RuleCase
    failures: tuple[str, ...]       # readable diff lines; empty when it passed

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class RuleTestRun:
    results: tuple[CaseResult, ...]

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)

    def text(self) -> str:
        lines = []
        for result in self.results:
            if result.passed:
                lines.append(f"PASS  {result.case.name}")
            else:
                lines.append(f"FAIL  {result.case.name}  ({result.case.where})")
                lines.extend(f"      {line}" for line in result.failures)
        passed = len(self.results) - self.failed
        lines.append(f"{passed} passed, {self.failed} failed" if self.results else "no rule tests found")
        return "\n".join(lines)


def rule_test_files(root: Path) -> list[Path]:
    folder = root / RULES_DIR / TESTS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def run_rule_tests(root: Path) -> RuleTestRun:
    """Load the workspace and its rule tests, run them. Raises InvalidFiles with the problems
    of both when either is invalid."""
    problems: list[Problem] = []
    try:
        workspace = load_workspace(root)
    except InvalidFiles as exc:
        problems.extend(exc.problems)
        workspace = None
    cases = load_cases(root, problems)
    if problems or workspace is None:
        raise InvalidFiles(problems)
    return RuleTestRun(tuple(run_case(workspace, case) for case in cases))


def load_cases(root: Path, problems: list[Problem]) -> list[RuleCase]:
    """The test cases of rules/tests/*.yaml; problems are added to `problems`. Each test is
    checked on its own, and its ticket even when its `expect` is wrong, so one run shows all."""
    cases = []
    for path in rule_test_files(root):
        try:
            doc = load_yaml(path, str(path))
        except YamlSyntaxError as exc:
            problems.append(exc.problem)
            continue
        items = doc.data.get("tests") if isinstance(doc.data, dict) else None
        if not isinstance(items, list):
            validate(RuleTestFile, doc, problems)
            continue
        validate(RuleTestFile, doc, problems, data={**doc.data, "tests": []})    # unknown top-level keys
        for index, item in enumerate(items):
            test = validate(RuleTest, doc, problems, base=("tests", index))
            raw = item.get("ticket") if isinstance(item, dict) else None
            if not isinstance(raw, dict):
                continue
            now = test.now if test is not None else None
            ticket = _ticket(doc, index, raw, now, problems)
            if test is not None and ticket is not None:
                pos = doc.value_pos(("tests", index))
                cases.append(RuleCase(test.name, f"{doc.file}:{pos.line}:{pos.col}", ticket,
                                      test.now or ticket.updated_at, test.expect))
    return cases


def _ticket(doc: YamlDoc, index: int, raw: dict[str, Any], now: datetime | None,
            problems: list[Problem]) -> Ticket | None:
    base = ("tests", index, "ticket")
    data = dict(raw)
    if "created_at" not in data:
        if now is None:
            problems.append(doc.problem(base, message(doc, base, "missing `created_at` (or give the test a `now`)")))
            return None
        data["created_at"] = now
    data.setdefault("source", "test")
    data.setdefault("key", str(data.get("id", index + 1)))
    # an id is a helpdesk's, a positive integer: a Jira key such as SD-9 is not one
    data.setdefault("id", data["key"] if str(data["key"]).isdecimal() else str(index + 1))
    data.setdefault("status", "open")
    data.setdefault("updated_at", data["created_at"])       # replaced by the latest time below
    ticket = validate(Ticket, doc, problems, base=base, data=data)
    if ticket is not None and "updated_at" not in raw:
        ticket = ticket.model_copy(update={"updated_at": _latest(ticket)})
    return ticket


def _latest(ticket: Ticket) -> datetime:
    times = [ticket.created_at, *(e.at for e in ticket.timeline)]
    if ticket.satisfaction is not None:
        times.append(ticket.satisfaction.at)
    if ticket.solved_at is not None:
        times.append(ticket.solved_at)
    return max(times)


def run_case(workspace: Workspace, case: RuleCase) -> CaseResult:
    got = workspace.evaluate(case.ticket, case.now)
    return CaseResult(case, tuple(_compare(case.expect, got)))


def _compare(expect: Expect, got: Evaluation) -> list[str]:
    failures: list[str] = []
    for name in ("rules_fired", "measures", "categories"):
        wanted = getattr(expect, name)
        if wanted is not None:
            failures.extend(_set_diff(name, wanted, getattr(got, name)))
    if expect.sla is not None:
        failures.extend(_sla_diff(dict(expect.sla.items()), got))     # keys as plain strings
    if expect.tasks is not None:
        failures.extend(_task_diff(expect.tasks, got))
    return failures


def _set_diff(name: str, wanted: tuple[str, ...], got: tuple[str, ...]) -> list[str]:
    missing = [x for x in dict.fromkeys(wanted) if x not in got]
    unexpected = [x for x in got if x not in wanted]
    if not missing and not unexpected:
        return []
    lines = [f"{name}: expected {_list(wanted)}, got {_list(got)}"]
    if missing:
        lines.append(f"  - missing:    {', '.join(missing)}")
    if unexpected:
        lines.append(f"  + unexpected: {', '.join(unexpected)}")
    return lines


def _sla_diff(wanted: dict[str, timedelta | ExpectedSla], got: Evaluation) -> list[str]:
    lines = []
    for kind in sorted(set(wanted) | set(got.sla)):
        actual = got.sla.get(kind)
        shown = (f"{format_hours(actual.target)} on {actual.calendar} (rule {actual.rule_id})"
                 if actual else "no target")
        spec = wanted.get(kind)
        if spec is None:
            lines.append(f"sla.{kind}: expected no target, got {shown}")
            continue
        want = spec if isinstance(spec, ExpectedSla) else ExpectedSla(target=spec)
        if actual is None:
            lines.append(f"sla.{kind}: expected {format_hours(want.target)}, got no target")
            continue
        wrong = [
            f"{label} {expected}" for label, expected, value in (
                ("target", format_hours(want.target), format_hours(actual.target)),
                ("rule", want.rule, actual.rule_id),
                ("calendar", want.calendar, actual.calendar),
            ) if expected is not None and expected != value
        ]
        if wrong:
            lines.append(f"sla.{kind}: expected {', '.join(wrong)}; got {shown}")
    return lines


def _task_diff(wanted: tuple[ExpectedTask, ...], got: Evaluation) -> list[str]:
    lines = []
    if len(wanted) != len(got.tasks):
        lines.append(f"tasks: expected {len(wanted)}, got {len(got.tasks)}"
                     + (f" ({', '.join(repr(t.title) for t in got.tasks)})" if got.tasks else ""))
    for index, (want, task) in enumerate(zip(wanted, got.tasks, strict=False)):    # a count mismatch is reported above
        actual = {"title": task.title, "body": task.body, "owner": task.owner, "rule": task.rule_id,
                  "due_at": task.due_at}
        for key, value in want.model_dump(exclude_none=True).items():
            if value != actual[key]:
                got_value = actual[key]
                if isinstance(value, datetime) and isinstance(got_value, datetime):
                    # In the zone the test wrote, so the two read side by side (09:00+08:00, not 01:00+00:00).
                    got_value = got_value.astimezone(value.tzinfo)
                lines.append(f"tasks[{index}].{key}:")
                lines.append(f"  - expected: {_show(value)}")
                lines.append(f"  + got:      {_show(got_value)}")
    return lines


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(items) + "]"


def _show(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)
