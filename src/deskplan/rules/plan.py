"""plan.yaml: the service improvement plan as data (README, "plan.yaml").

```yaml
plan: {id: sip-2026h1, title: ..., start: 2026-01-05, end: 2026-06-30, calendar: support-hours}
language: zh-CN                            # en (default) or zh-CN: what deskplan writes (i18n.py)
calendars: {support-hours: {...}}          # see calendar_spec.py
goals:
  - {id: G1, metric: csat, baseline: 85%, target: 90%, by: 2026-03-31, window: month}
  - {id: G2, metric: first_reply_within, threshold: 12h, target: 90%, by: 2026-03-31}
measures:
  - {id: M1, title: Automated order processing, owner: technology, goals: [G3]}
milestones:
  - {id: P1, title: Upgrade and training, start: 2026-01-05, end: 2026-02-28, measures: [M1]}
cadence:
  - {id: weekly-check, title: Weekly KPI check, every: week, owner: customer service, in: zendesk}
owners:
  customer service: {zendesk: {group: Support}, jira: {assignee: cs-lead@example.com, component: Support}}
```

Shares (`target`, `baseline`) are written `90%` or `0.9` and held as fractions (0.9).
These models check shapes and values; references between entries (a measure's goals, a
goal's calendar) are checked by the loader, which knows every file.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from deskplan.i18n import DEFAULT_LANGUAGE, Language
from deskplan.rules.calendar_spec import CalendarSpec
from deskplan.rules.durations import Duration

BUILTIN_CALENDAR = "24x7"
"""The calendar that is always there: every hour of every day, in UTC."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, description="a short name, unique in its list: letters, digits, _ . -")]

Metric = Literal[
    "first_reply_within", "resolution_within", "first_contact_resolution",
    "csat", "complaint_rate", "feedback_response_within",
]
TIMED_METRICS = frozenset({"first_reply_within", "resolution_within", "feedback_response_within"})
Window = Literal["week", "month", "quarter"]

CONDITION_MARK = "x-deskplan-condition"
ConditionData = Annotated[Any, WithJsonSchema({"type": "object", CONDITION_MARK: True})]
"""A condition as written. Its shape is checked by the condition compiler (conditions.py),
which reports each problem at its own position; pydantic takes it as it is. Its recursive JSON
Schema is put in place by schema.py, which replaces the marked object."""

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_share(value: Any) -> float:
    """`"90%"` or `0.9` -> 0.9. A bare 90 is refused: is it 90% or 9000%?"""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if not match:
            raise ValueError(f"expected a share such as 90% or 0.9, got {value!r}")
        share = float(match.group(1)) / 100
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        share = float(value)
        if share > 1:
            raise ValueError(f"a share is written 90% or 0.9; {value} is more than 100% (did you mean {value}%?)")
    else:
        raise ValueError(f"expected a share such as 90% or 0.9, got {value!r}")
    if not 0 <= share <= 1:
        raise ValueError(f"a share lies between 0% and 100%, got {value!r}")
    return share


Share = Annotated[
    float,
    BeforeValidator(parse_share),
    PlainSerializer(lambda v: f"{round(v * 100, 4):g}%", return_type=str),
    WithJsonSchema({
        "anyOf": [
            {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"},
            {"type": "number", "minimum": 0, "maximum": 1},
        ],
        "description": "a share: 90% or 0.9",
    }),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class PlanInfo(_Model):
    """The `plan:` header."""

    id: Id
    title: str
    start: date = Field(description="first day of the plan")
    end: date = Field(description="last day of the plan")
    calendar: str = Field(BUILTIN_CALENDAR, description="the calendar goals and SLA targets use unless they name one")
    description: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> PlanInfo:
        if self.end < self.start:
            raise ValueError(f"the plan ends ({self.end}) before it starts ({self.start})")
        return self


class Goal(_Model):
    """A KPI with a target and a deadline (the metrics: kpi/metrics.py and the README's KPI table)."""

    id: Id
    title: str = ""
    metric: Metric
    target: Share
    baseline: Share | None = Field(None, description="where the KPI stood when the plan began")
    by: date = Field(description="the deadline for the target")
    threshold: Duration | None = Field(None, description="for *_within metrics: the time allowed, e.g. 12h")
    direction: Literal["at_least", "at_most"] = Field(
        "at_least", description="at_least: the KPI must reach the target; at_most: stay at or below it (rates)")
    window: Window = Field("month", description="the period each value is measured over")
    calendar: str | None = Field(None, description="calendar for the threshold (default: the plan's); 24x7 is UTC")
    scope: ConditionData | None = Field(None, description="only tickets matching this condition count")

    @model_validator(mode="after")
    def _threshold_fits_metric(self) -> Goal:
        if self.metric in TIMED_METRICS and self.threshold is None:
            raise ValueError(f"{self.metric} needs a `threshold`, e.g. threshold: 12h")
        if self.metric not in TIMED_METRICS and self.threshold is not None:
            raise ValueError(f"{self.metric} takes no `threshold` (only the *_within metrics do)")
        return self

    def is_met(self, value: float) -> bool:
        """Whether a KPI value (a share, 0.0 to 1.0) meets the target in the goal's direction."""
        return value >= self.target if self.direction == "at_least" else value <= self.target


_POINTS = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*pp\s*$")


def parse_points(value: Any) -> float:
    """`"5pp"`, `"-2.5pp"` -> 5.0, -2.5 (percentage points). A bare number is refused: is 5
    five points or five hundred (0.05 written as a share)?"""
    match = _POINTS.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a change in percentage points such as 5pp or -3pp, got {value!r}")
    points = float(match.group(1))
    if points == 0 or abs(points) > 100:
        raise ValueError(f"a change lies between -100pp and 100pp and is not 0, got {value!r}")
    return points


Points = Annotated[
    float,
    BeforeValidator(parse_points),
    PlainSerializer(lambda v: f"{v:+g}pp", return_type=str),
    WithJsonSchema({
        "type": "string", "pattern": r"^\s*[+-]?\d+(\.\d+)?\s*pp\s*$",
        "description": "percentage points: 5pp, or -3pp for a rate that must fall",
    }),
]


class Pilot(_Model):
    """The measure tried on part of the tickets first (the pilot group), the rest compared
    beside it (the control group): kpi/effect.py."""

    scope: ConditionData = Field(description="the tickets of the pilot group, a condition as in rules")
    start: date = Field(description="the first day of the pilot")
    end: date | None = Field(None, description="its last day (default: still running)")
    control: ConditionData | None = Field(
        None, description="the tickets compared with it (default: every ticket outside `scope`)")

    @model_validator(mode="after")
    def _ordered(self) -> Pilot:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"the pilot ends ({self.end}) before it starts ({self.start})")
        return self


class Budget(_Model):
    amount: float = Field(ge=0, description="what the measure costs, e.g. 120000")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="an ISO 4217 code, e.g. CNY, EUR")

    @field_validator("currency", mode="before")
    @classmethod
    def _code(cls, value: Any) -> Any:
        if not (isinstance(value, str) and re.fullmatch(r"[A-Z]{3}", value)):
            raise ValueError(f"a currency is a three-letter ISO 4217 code such as CNY or EUR, got {value!r}")
        return value


class Expected(_Model):
    """The change a measure should bring to one of its goals."""

    goal: str = Field(description="a goal the measure serves")
    change: Points


class Measure(_Model):
    """A concrete improvement, owned by a department, serving goals."""

    id: Id
    title: str
    owner: str = Field(description="the department or person responsible, e.g. technology")
    goals: tuple[str, ...] = Field((), description="ids of the goals it serves")
    description: str = ""
    start: date | None = Field(None, description="the day it took effect (default: the start of its first milestone)")
    pilot: Pilot | None = Field(None, description="tried on a pilot group first, compared with a control group")
    budget: Budget | None = None
    expected: tuple[Expected, ...] = Field((), description="the change it should bring to each goal, in points")

    def expected_change(self, goal_id: str) -> float | None:
        """The change in percentage points plan.yaml expects on a goal, if it says."""
        return next((e.change for e in self.expected if e.goal == goal_id), None)


class Milestone(_Model):
    """A phase of the plan."""

    id: Id
    title: str
    start: date
    end: date
    measures: tuple[str, ...] = Field((), description="ids of the measures this phase delivers")
    owner: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Milestone:
        if self.end < self.start:
            raise ValueError(f"it ends ({self.end}) before it starts ({self.start})")
        return self


class Cadence(_Model):
    """A recurring review: weekly checks, monthly reviews, quarterly feedback analysis
    (`deskplan review` renders one period's digest; `sync` writes it as a review task into
    the source `in` names when a period closes)."""

    id: Id
    title: str
    every: Window = Field(description="how often: week (Monday first), month or quarter, in the plan's time zone")
    owner: str | None = None
    goals: tuple[str, ...] = Field((), description="ids of the goals it reviews (default: every goal)")
    source: str | None = Field(None, alias="in", description="the source (its name in deskplan.toml) its review "
                               "tasks go to (default: the first source)")
    description: str = ""


class ZendeskRoute(_Model):
    """Where an owner's tasks go in a Zendesk source: a group (by name) and/or an agent (by email)."""

    group: str | None = Field(None, description="a group's name, e.g. Support")
    assignee: str | None = Field(None, description="an agent's email address")

    @model_validator(mode="after")
    def _something(self) -> ZendeskRoute:
        if self.group is None and self.assignee is None:
            raise ValueError("give a `group` (name) and/or an `assignee` (email)")
        return self


class JiraRoute(_Model):
    """Where an owner's tasks go in a Jira source: an assignee (email or accountId) and/or a component."""

    assignee: str | None = Field(None, description="an email address or an accountId")
    component: str | None = Field(None, description="a component's name in the tasks project")

    @model_validator(mode="after")
    def _something(self) -> JiraRoute:
        if self.assignee is None and self.component is None:
            raise ValueError("give an `assignee` (email or accountId) and/or a `component` (name)")
        return self


class OwnerRoutes(_Model):
    """One owner's tasks, per source kind (README, "plan.yaml": `owners`)."""

    zendesk: ZendeskRoute | None = None
    jira: JiraRoute | None = None

    def route(self, kind: str) -> tuple[tuple[str, str], ...]:
        """(field, value) pairs for a source of `kind` (zendesk | jira): `group`, `assignee`,
        `component`; empty when the owner has none there."""
        found: BaseModel | None = self.zendesk if kind == "zendesk" else self.jira if kind == "jira" else None
        if found is None:
            return ()
        return tuple((name, value) for name, value in found.model_dump().items() if value is not None)


class ReportOptions(_Model):
    agents: bool = Field(False, description="break goals down per agent (assignee) too; off by default")


class Plan(_Model):
    """The whole of plan.yaml."""

    plan: PlanInfo
    language: Language = Field(DEFAULT_LANGUAGE, description="the language of what deskplan writes: status "
                               "comments, built-in task and review texts, the report (en or zh-CN)")
    calendars: dict[str, CalendarSpec] = Field({}, description="business calendars by name")
    goals: tuple[Goal, ...] = ()
    measures: tuple[Measure, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    cadence: tuple[Cadence, ...] = ()
    report: ReportOptions = ReportOptions()
    owners: dict[str, OwnerRoutes] | None = Field(
        None, description="owner name -> where that owner's tasks go, per source kind; when given, every owner "
        "the plan and the rules name must be listed")

    def goal(self, goal_id: str) -> Goal:
        return next(g for g in self.goals if g.id == goal_id)

    def measure(self, measure_id: str) -> Measure:
        return next(m for m in self.measures if m.id == measure_id)

    def measures_for(self, goal_id: str) -> tuple[Measure, ...]:
        """The measures that serve a goal, in plan order."""
        return tuple(m for m in self.measures if goal_id in m.goals)

    def owners_of(self, goal_id: str) -> tuple[str, ...]:
        """The owners of a goal's measures, each once, in plan order."""
        return tuple(dict.fromkeys(m.owner for m in self.measures_for(goal_id)))

    def goal_calendar(self, goal: Goal) -> str:
        return goal.calendar or self.plan.calendar

    def measure_start(self, measure: Measure) -> date | None:
        """When a measure took effect: its `start`, else the start of its first milestone."""
        if measure.start is not None:
            return measure.start
        return min((m.start for m in self.milestones if measure.id in m.measures), default=None)
