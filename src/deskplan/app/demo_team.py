"""The service team of `deskplan demo`, working between two syncs.

An agent opens the helpdesk, lists the tasks deskplan gave the team and solves some of them,
the way a person (or any script of theirs) would: through the helpdesk's own HTTP API (Zendesk:
list the tickets, `PUT /tickets/{id}` status solved, assigning themselves where nobody is;
Jira: search the tasks project, then the workflow transition to a status of category done).
Nothing here reads or writes deskplan's state: the next sync learns of the work the way it
would from a real team.

Which tasks are done follows a fixed pattern, so every run of one story tells the same story:
of the improvement tasks due four weeks ago or earlier, three in four (by due time); of those
due since, one in three; none of those not due yet. The task of each milestone that ended is
closed, but the latest one's, left open so the report shows an overdue milestone beside done
ones. The plan's measures (ongoing work) and the reviews on the cadence stay open.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import requests

from deskplan.effects import TASK_TAG
from deskplan.i18n import ENGLISH, Lang
from deskplan.kpi.windows import day_end
from deskplan.rules.plan import Plan

OLD = timedelta(weeks=4)        # an improvement task due this long ago or more is an old one
TIMEOUT = 10.0


@dataclass(frozen=True)
class HelpdeskTask:
    """An open task as an agent sees it in the helpdesk."""

    id: str                     # Zendesk ticket id, Jira issue key
    title: str
    due: datetime | None


@dataclass
class TeamWork:
    """What the team did in one helpdesk."""

    source: str
    open_before: int = 0                                # deskplan's open tasks the agent found
    solved: list[HelpdeskTask] = field(default_factory=list)
    milestones_closed: list[str] = field(default_factory=list)
    milestones_left: list[str] = field(default_factory=list)

    def line(self) -> str:
        closed = f"; milestone {', '.join(self.milestones_closed)}'s task closed" if self.milestones_closed else ""
        left = (f"; milestone {', '.join(self.milestones_left)}'s task left open, past its end"
                if self.milestones_left else "")
        return f"{self.source}: {len(self.solved)} of {self.open_before} open tasks solved{closed}{left}"


class Agent:
    """One agent at one helpdesk, with the API user's credentials; `zone`, the plan's (an IANA
    name, None for UTC), is where a due day set in the helpdesk ends, as deskplan reads it."""

    def __init__(self, kind: str, url: str, email: str, token: str, *, zone: str | None,
                 tasks_project: str = "IMP"):
        self.kind = kind
        self.zone = zone
        self.url = url.rstrip("/")
        self.tasks_project = tasks_project
        self.session = requests.Session()
        self.session.auth = (f"{email}/token", token) if kind == "zendesk" else (email, token)
        self._me: int | None = None

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path_or_url: str, body: Any = None) -> Any:
        url = path_or_url if path_or_url.startswith("http") else self.url + path_or_url
        response = self.session.request(method, url, json=body, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json() if response.content else None

    def open_tasks(self) -> list[HelpdeskTask]:
        """deskplan's open tasks (its tag or label), by due time, then id."""
        found = list(self._zendesk_tasks() if self.kind == "zendesk" else self._jira_tasks())
        far = datetime.max.replace(tzinfo=timezone.utc)
        return sorted(found, key=lambda t: (t.due or far, t.id.rjust(20)))

    def solve(self, task: HelpdeskTask) -> None:
        if self.kind == "zendesk":
            ticket = self._call("GET", f"/api/v2/tickets/{task.id}.json")["ticket"]
            change: dict[str, Any] = {"status": "solved"}
            if not ticket.get("assignee_id"):       # Zendesk solves nothing without an assignee
                change["assignee_id"] = self._zendesk_me()
            self._call("PUT", f"/api/v2/tickets/{task.id}.json", {"ticket": change})
        else:
            transitions = self._call("GET", f"/rest/api/3/issue/{task.id}/transitions")["transitions"]
            done = next(t for t in transitions if t["to"]["statusCategory"]["key"] == "done")
            self._call("POST", f"/rest/api/3/issue/{task.id}/transitions", {"transition": {"id": done["id"]}})

    def comments(self, ticket_id: str) -> list[dict[str, Any]]:
        """A ticket's comments as the helpdesk's API returns them (the first page: the demo's
        tickets have a few)."""
        path = (f"/api/v2/tickets/{ticket_id}/comments.json" if self.kind == "zendesk"
                else f"/rest/api/3/issue/{ticket_id}/comment")
        return list(self._call("GET", path)["comments"])

    def _zendesk_me(self) -> int:
        if self._me is None:
            self._me = int(self._call("GET", "/api/v2/users/me.json")["user"]["id"])
        return self._me

    def _zendesk_tasks(self) -> Iterator[HelpdeskTask]:
        page: str | None = "/api/v2/tickets.json?page[size]=100"
        while page:
            body = self._call("GET", page)
            for ticket in body["tickets"]:
                if (ticket.get("type") == "task" and TASK_TAG in (ticket.get("tags") or [])
                        and ticket.get("status") not in ("solved", "closed")):
                    yield HelpdeskTask(str(ticket["id"]), ticket.get("subject") or "", _instant(ticket.get("due_at")))
            page = body["links"]["next"] if body["meta"]["has_more"] else None

    def _jira_tasks(self) -> Iterator[HelpdeskTask]:
        query: dict[str, Any] = {"jql": f"project = {self.tasks_project} AND labels = {TASK_TAG} ORDER BY key ASC",
                                 "fields": ["summary", "duedate", "status"], "maxResults": 100}
        while True:
            body = self._call("POST", "/rest/api/3/search/jql", query)
            for issue in body["issues"]:
                fields = issue["fields"]
                if fields["status"]["statusCategory"]["key"] != "done":
                    due = fields.get("duedate")
                    yield HelpdeskTask(issue["key"], fields.get("summary") or "",
                                       day_end(date.fromisoformat(due), self.zone) if due else None)
            if body.get("isLast", True) or not body.get("nextPageToken"):
                return
            query["nextPageToken"] = body["nextPageToken"]


def work(agent: Agent, source: str, plan: Plan, now: datetime, today: date, lang: Lang = ENGLISH) -> TeamWork:
    """The team's work in one helpdesk at `now` (`today`: the plan calendar's day); `lang`, the
    plan's language, is the one `plan push` titled its tasks in (`Milestone P1: …`)."""
    tasks = agent.open_tasks()
    done = TeamWork(source, open_before=len(tasks))
    ended = [m for m in plan.milestones if m.end < today]
    latest = max((m.end for m in ended), default=None)
    reviews = tuple(c.title for c in plan.cadence if c.title)
    kinds = (lang._("Milestone") + " ", lang._("Measure") + " ")
    old = recent = 0
    for task in tasks:
        milestone = next((m for m in ended if task.title.startswith(
            lang._("{kind} {id}: {title}", kind=lang._("Milestone"), id=m.id, title=""))), None)
        if milestone is not None:
            if milestone.end == latest:
                done.milestones_left.append(milestone.id)
                continue
            done.milestones_closed.append(milestone.id)
        elif task.title.startswith((*kinds, *reviews)) or task.due is None or task.due > now:
            continue
        elif task.due <= now - OLD:
            old += 1
            if old % 4 == 0:
                continue
        else:
            recent += 1
            if recent % 3 != 1:
                continue
        agent.solve(task)
        done.solved.append(task)
    return done


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
