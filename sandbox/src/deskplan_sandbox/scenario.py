"""A helpdesk-neutral story of tickets, which each simulator renders in its own API shapes.

The same scenario served by the Zendesk and the Jira simulator must come out of the two
adapters as the same canonical timelines; that is how "one model for both" is tested.
The seeded generator that fills a Scenario lives in `sandbox/generate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Canonical names; each simulator maps them to its helpdesk's own
# (Zendesk: new/open/pending/hold/solved/closed; Jira: workflow statuses with categories).
ScenarioStatus = Literal["new", "open", "waiting_customer", "on_hold", "solved", "closed"]
Role = Literal["agent", "requester"]
Priority = Literal["low", "normal", "high", "urgent"]
Score = Literal["good", "bad"]


@dataclass(frozen=True)
class Person:
    id: int                     # stable per scenario; simulators derive their own ids from it
    name: str
    email: str
    role: Role                  # "agent" (incl. admins) or "requester" (end user / customer)
    organization: str | None = None


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    status: ScenarioStatus
    by: int                     # Person.id


@dataclass(frozen=True)
class Comment:
    at: datetime
    author: int                 # Person.id
    body: str
    public: bool                # False: internal note (agents only)


@dataclass(frozen=True)
class Rating:
    at: datetime
    score: Score
    comment: str | None = None


@dataclass
class ScenarioTicket:
    number: int                 # 1..N; Zendesk ticket id, Jira issue number
    subject: str
    description: str
    requester: int
    assignee: int | None
    group: str | None
    organization: str | None
    priority: Priority | None
    type: str | None            # question, incident, problem, task, complaint
    channel: str                # web, email, api, voice, chat
    tags: list[str]
    created_at: datetime
    status_changes: list[StatusChange] = field(default_factory=list)   # first entry: creation status
    comments: list[Comment] = field(default_factory=list)              # first: the description, by the requester
    ratings: list[Rating] = field(default_factory=list)                # in order; the last one is current
    deleted_at: datetime | None = None

    @property
    def events_end(self) -> datetime:
        times = [self.created_at]
        times += [c.at for c in self.comments] + [s.at for s in self.status_changes] + [r.at for r in self.ratings]
        if self.deleted_at:
            times.append(self.deleted_at)
        return max(times)


@dataclass
class Scenario:
    people: list[Person]
    tickets: list[ScenarioTicket]
    groups: list[str]
    organizations: list[str] = field(default_factory=list)   # every organization named by people or tickets
    now: datetime | None = None                                # the instant the story was generated up to
