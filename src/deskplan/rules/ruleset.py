"""rules/*.yaml: what a rule looks like (README, "rules/*.yaml").

```yaml
rules:
  - id: bad-rating-follow-up
    description: Every bad rating gets a follow-up by marketing within 48 hours
    when: {satisfaction: bad}
    then:
      measure: M3
      category: quality
      task: {title: "Follow up on the rating of {{ ticket.key }}", owner: marketing, due: 48h}
```

`then.priority` orders rules: lower numbers come first (default 0; equal priorities keep
file order, files in name order). The order decides which comment override wins, the order
of tasks, and which of two equally strict SLA targets is reported.
These models check shapes; conditions, templates and references are checked by the loader.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deskplan.rules.durations import Duration
from deskplan.rules.plan import ConditionData, Id

Category = Literal["attitude", "quality", "product", "process", "complaint"]
CATEGORIES: tuple[str, ...] = get_args(Category)
SLA_KINDS = ("first_reply", "resolution")
DueFrom = Literal["created", "updated", "rated"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class SlaSpec(_Model):
    """SLA targets in business time on a calendar."""

    first_reply: Duration | None = Field(None, description="time to the first public agent reply, e.g. 30m")
    resolution: Duration | None = Field(None, description="time to the first solved status, e.g. 8h")
    calendar: str | None = Field(None, description="the calendar the targets run on (default: the plan's)")

    @model_validator(mode="after")
    def _some_target(self) -> SlaSpec:
        if self.first_reply is None and self.resolution is None:
            raise ValueError("sla needs `first_reply`, `resolution` or both")
        return self


class TaskSpec(_Model):
    """An improvement task to open when the rule fires (once per ticket)."""

    title: str = Field(description="template, e.g. 'Follow up on {{ ticket.key }}'")
    body: str = Field("", description="template for the task's description")
    owner: str | None = Field(None, description="who does it (default: the owner of the rule's measure)")
    due: Duration | None = Field(None, description="how long the owner has, e.g. 48h")
    due_from: DueFrom | None = Field(
        None,
        description="what `due` counts from: created, updated or rated (the latest rating). "
                    "Default: rated when the rule tests satisfaction, else created",
    )


class Then(_Model):
    measure: str | None = Field(None, description="the id of the plan measure this ticket counts towards")
    sla: SlaSpec | None = None
    category: Category | None = Field(None, description="feedback class")
    task: TaskSpec | None = None
    comment: str | None = Field(None, description="template replacing the standard status comment")
    priority: int = Field(0, description="order among rules: lower comes first (default 0)")

    @model_validator(mode="after")
    def _does_something(self) -> Then:
        if all(v is None for v in (self.measure, self.sla, self.category, self.task, self.comment)):
            raise ValueError("`then` does nothing: give measure, sla, category, task or comment")
        return self


class Rule(_Model):
    id: Id
    description: str = ""
    when: ConditionData = Field(description="the condition on the ticket")
    then: Then


class RuleFile(_Model):
    """One rules/*.yaml file."""

    rules: tuple[Rule, ...] = Field(description="the rules of this file")
