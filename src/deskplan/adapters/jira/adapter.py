"""The Jira Service Management adapter: one stream, `issues`, pulled by a watermark.

Each page of the enhanced search becomes one Page of `ticket` records. A record holds
everything `build` needs (the issue with its whole changelog and every comment, the
JSM CSAT feedback, the site's JSM field ids), because Jira hands out an issue's history
with the issue; nothing else is stored per ticket.

Requests per sync: `/myself` and the field catalog once (cached in the instance), one
per search page, plus only what a page leaves out: changelog and comment pages for
issues with more than the search returns inline, and `/feedback` calls (counted in
`feedback_requests`):

- on a site without a Satisfaction field, one per pulled resolved issue (only those can
  be rated): the rating comes from there;
- on a site with one, the field holds the rating but not its comment. The comment of a
  *bad* rating is what rules classify (attitude, quality, …) and what a follow-up task
  quotes, so by default (`rating_comments="bad"`) it is fetched for bad ratings only;
  `"all"` fetches every rating's comment (on 2,000 generated issues 4.9 times the requests of a
  full sync: bench/README.md, bench_jira_requests.py), `"none"` none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from deskplan import clock
from deskplan.adapters.base import OwnerRoutes, Probe
from deskplan.adapters.jira.client import JiraClient
from deskplan.adapters.jira.fields import JsmFields, discover
from deskplan.adapters.jira.mapping import (
    build_ticket,
    csat_score,
    field_rating,
    issue_record,
    status_resolver,
    time_ms,
)
from deskplan.adapters.jira.probe import probe_settings
from deskplan.adapters.jira.tasks import read_tasks, task_url
from deskplan.adapters.jira.watermark import DEFAULT_OVERLAP_MS, MAX_RECONCILE_SPAN_MS, Watermark, jql_for
from deskplan.adapters.jira.writes import JiraWriter
from deskplan.config import SourceConfig
from deskplan.errors import BadPayload
from deskplan.model import Score, Status, Ticket
from deskplan.state.records import Page, Quarantined, Record, Related
from deskplan.state.store import payload_text
from deskplan.state.tasks import TaskReading

RatingComments = Literal["none", "bad", "all"]

STREAM = "issues"
_PAYLOAD_LIMIT = 65536


class JiraAdapter:
    streams = (STREAM,)

    def __init__(
        self,
        client: JiraClient,
        *,
        source: str,
        site: str,
        projects: tuple[str, ...] = (),
        status_map: Mapping[str, Status] | None = None,
        overlap_ms: int = DEFAULT_OVERLAP_MS,
        rating_comments: RatingComments = "bad",
        tasks_project: str | None = None,
        tasks_issue_type: str = "Task",
        now: Callable[[], datetime] = clock.now,
    ):
        self.client = client
        self.tasks_project = tasks_project
        self.tasks_issue_type = tasks_issue_type
        self.source = source
        self.site = site.rstrip("/")
        self.projects = tuple(projects)
        self.status_map = dict(status_map or {})
        self.overlap_ms = overlap_ms
        self._now = now             # the host's clock: how long since the last reconciliation
        self.rating_comments = rating_comments
        self.feedback_requests = 0
        # issues a reconciliation read again from before the overlap (its cost; see watermark.py)
        self.reconciled_issues = 0
        # changes a reconciliation found that the last one had passed unseen (the index that late)
        self.late_changes = 0
        self.pull_warnings: list[str] = []
        self.own_user: str | None = None        # deskplan's accountId, from `/myself` (check)
        self._profile: dict[str, Any] | None = None
        self._fields: JsmFields | None = None

    def writer(self) -> JiraWriter:
        """The write side, on this adapter's HTTP client (one client, one retry budget per source)."""
        return JiraWriter(self.client.http, tasks_project=self.tasks_project,
                          tasks_issue_type=self.tasks_issue_type, projects=self.projects, own_user=self.own_user)

    @property
    def requests(self) -> int:
        return self.client.requests

    def check(self) -> None:
        """`GET /myself`: AuthError on 401/403, Unreachable when the site does not answer.
        The answer's accountId is deskplan's own account."""
        account = self._myself().get("accountId")
        if account:
            self.own_user = str(account)

    def pull(self, stream: str, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if stream != STREAM:
            raise ValueError(f"the Jira adapter has no stream {stream!r} (it has {STREAM!r})")
        mark = before = Watermark.from_cursor(cursor)
        fields = self._jsm_fields()
        # the overlap, or the reconciliation's reach when one is due (see watermark.py)
        now_ms = int(self._now().timestamp() * 1000)
        reach = mark.reach_ms(self.overlap_ms, now_ms)
        reconciling = reach > self.overlap_ms or not mark.updated_ms
        jql = jql_for(self.projects, mark.search_from_ms(reach), self._myself().get("timeZone"))
        latest: tuple[int, str] = (0, "")           # the latest change found that the last reconciliation passed
        read: dict[str, int] = {}                   # a reconciliation's versions read (for its tail)
        for page in self.client.search(jql, fields=fields.requested(), expand="changelog"):
            records: list[Record] = []
            quarantined: list[Quarantined] = []
            processed: list[tuple[str, int]] = []
            for issue in page.issues:
                try:
                    issue_id, updated = _identity(issue)
                except (KeyError, TypeError, ValueError) as exc:
                    quarantined.append(_quarantine(issue, f"unreadable id, key or updated time ({type(exc).__name__})"))
                    continue
                if reconciling:
                    read[issue_id] = updated
                if not mark.admits(issue_id, updated, reach):
                    continue
                if reach > self.overlap_ms and mark.updated_ms and updated < mark.updated_ms - self.overlap_ms:
                    self.reconciled_issues += 1
                passed = before.passed_unseen(issue_id, updated) if reconciling else None
                if passed is not None:
                    self.late_changes += 1
                    latest = max(latest, (passed, str(issue.get("key") or issue_id)))
                records.append(self._record(issue, fields))
                processed.append((issue_id, updated))
            mark = mark.advance(processed, self.overlap_ms)
            if reconciling:      # read in `updated` order: everything up to the watermark is covered
                mark = mark.reconciled(now_ms, read, before.search_from_ms(reach) or 0)
                read = dict(mark.tail or {})
                if page.last:
                    mark = self._respanned(before, mark, *latest)
            yield Page(STREAM, records, mark.to_cursor(), done=page.last, quarantined=quarantined)

    def _respanned(self, before: Watermark, mark: Watermark, late_ms: int, key: str) -> Watermark:
        """The next reconciliations' span after this one (watermark.py), said when it widens."""
        mark = mark.respanned(late_ms)
        if mark.span_ms > before.span_ms or 2 * late_ms > MAX_RECONCILE_SPAN_MS:
            self.pull_warnings.append(
                f"the search index showed a change of {key} {_minutes(late_ms)} late, after the last "
                f"reconciliation had passed it; reconciliations now reach back {_minutes(mark.span_ms)} "
                f"(were {_minutes(before.span_ms)}). A change later than that is missed until its issue "
                "changes again: `deskplan sync --full` pulls everything")
        return mark

    def read_tasks(self, remote_ids: Sequence[str], stored: Callable[[str], dict[str, Any] | None]
                   ) -> Iterator[TaskReading]:
        """By key, from Jira itself: tasks go to `tasks_project`, which the pull may not cover."""
        return read_tasks(self.client, remote_ids, self.site)

    def task_url(self, remote_id: str) -> str:
        return task_url(self.site, remote_id)

    def build(self, ticket: Record, related: Related) -> Ticket:
        if ticket.kind != "ticket":
            raise BadPayload(f"not a ticket record ({ticket.kind})", source=self.source, ref=ticket.id)
        return build_ticket(ticket.data, source=self.source, site=self.site, status_map=self.status_map,
                            own_user=self.own_user)

    def probe(self, config: SourceConfig, owners: OwnerRoutes) -> Probe:
        """`check --online`: the settings against Jira, reading only (adapters/jira/probe.py)."""
        self.check()
        return probe_settings(self.client, self._myself(), config, owners)

    # --- per sync, cached ----------------------------------------------------------------

    def _myself(self) -> dict[str, Any]:
        if self._profile is None:
            self._profile = self.client.myself() or {}
        return self._profile

    def _jsm_fields(self) -> JsmFields:
        if self._fields is None:
            self._fields = discover(self.client.field_catalog() or ())
        return self._fields

    # --- one issue -----------------------------------------------------------------------

    def _record(self, issue: dict[str, Any], fields: JsmFields) -> Record:
        issue = self._complete(issue)
        feedback = None
        if self._may_have_feedback(issue, fields):
            self.feedback_requests += 1
            feedback = self.client.feedback(issue["key"])
        issue_id = str(issue["id"])
        return Record("ticket", issue_id, issue_id, issue_record(issue, feedback=feedback, fields=fields))

    def _complete(self, issue: dict[str, Any]) -> dict[str, Any]:
        """The issue with its whole changelog and every comment (search caps both)."""
        key = issue["key"]
        changelog = issue.get("changelog") or {}
        histories = changelog.get("histories") or []
        total = changelog.get("total")
        if isinstance(total, int) and total > len(histories):
            # Inline histories are the newest ones; the endpoint lists oldest first.
            older = list(self.client.changelog(key, start=0, stop=total - len(histories)))
            histories = _unique(older + list(histories))
            issue = {**issue, "changelog": {"startAt": 0, "maxResults": len(histories), "total": len(histories),
                                            "histories": histories}}
        block = issue["fields"].get("comment") or {}
        comments = block.get("comments") or []
        total = block.get("total")
        if isinstance(total, int) and total > len(comments):
            # Inline comments are the oldest ones.
            comments = _unique(list(comments) + list(self.client.comments(key, start=len(comments), stop=total)))
            block = {**block, "comments": comments, "startAt": 0, "maxResults": len(comments), "total": len(comments)}
            issue = {**issue, "fields": {**issue["fields"], "comment": block}}
        return issue

    def _may_have_feedback(self, issue: dict[str, Any], fields: JsmFields) -> bool:
        if fields.feedback is None:
            return self._resolved(issue)
        if self.rating_comments == "none":
            return False
        value = issue["fields"].get(fields.feedback)
        # A field value that already carries the comment needs no call.
        if value is None or (isinstance(value, dict) and "comment" in value):
            return False
        if self.rating_comments == "bad":
            rating = field_rating(value)
            return rating is not None and csat_score(rating) is Score.BAD
        return True

    def _resolved(self, issue: dict[str, Any]) -> bool:
        status = issue["fields"].get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        name = status.get("name")
        return status_resolver(self.status_map, current=(name, category))(name).is_resolved


def _identity(issue: dict[str, Any]) -> tuple[str, int]:
    """(issue id, `updated` in ms): what the watermark needs; a key is needed to page details."""
    if not isinstance(issue.get("key"), str):
        raise KeyError("key")
    return str(issue["id"]), time_ms(issue["fields"]["updated"])


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeats by id (a page boundary can move while an issue changes), keeping order."""
    seen: set[str] = set()
    kept = []
    for item in items:
        ident = str(item.get("id"))
        if ident not in seen:
            seen.add(ident)
            kept.append(item)
    return kept


def _quarantine(issue: Any, error: str) -> Quarantined:
    ref = str(issue.get("key") or issue.get("id") or "?") if isinstance(issue, dict) else "?"
    return Quarantined(ref=ref, error=error, payload=payload_text(issue)[:_PAYLOAD_LIMIT])


def _minutes(ms: int) -> str:
    return f"{round(ms / 60_000)} min"
