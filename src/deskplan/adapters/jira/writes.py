"""Write-back to Jira Service Management: the internal status comment and improvement tasks.

- The status comment is one comment per ticket, edited in place: the first is
  `POST /rest/api/3/issue/{id}/comment` with the `sd.public.comment` property set to
  `{"internal": true}` (a role `visibility` would not hide it from the customer: JSM still
  marks it `jsdPublic`), later states `PUT …/comment/{commentId}` (an edit is idempotent, so it may be
  retried; the property stays with the comment). The comment is read first: only an internal
  comment by deskplan's own account is ever edited (an edit of anyone else's would put the
  status text in their name, and in a public one before the customer). A comment someone
  deleted, or one that is not deskplan's own internal comment, is written anew.
- An improvement task is `POST /rest/api/3/issue` in `tasks_project` (default: the ticket's
  project) of type `tasks_issue_type`, with an ADF description, `duedate` (the due day in the
  plan's time zone, which the write carries), the labels
  `deskplan_task` and `deskplan-<key prefix>`, the full key as the issue property `deskplan`,
  and its links to the source tickets in the same request (`update.issuelinks`): the task
  never exists without them. On a site whose create screen lacks "Linked Issues" (Jira answers
  400 naming `issuelinks`) the task is created bare and linked with `POST /rest/api/3/issueLink`.
  A review task's description keeps the digest's headings and lists (`outline_to_adf`).
- A task whose owner plan.yaml routes (`owners`) gets its `assignee` (an accountId as it is; an
  email looked up with `GET /rest/api/3/user/search?query=<email>`, once a run) and/or its
  `components` by name. One that cannot be routed (no such user; Jira refuses the assignee or
  the component) is still created without it, and the problem kept in `unrouted`.
- `find_effect` asks Jira: the marker among the internal comments of deskplan's own account
  on the ticket; for a task, the issues linked to its source ticket (`GET` of that issue:
  current at once), confirmed by the `deskplan` property, then its label through JQL, and in
  either case created by deskplan's own account (anyone can type a marker, set a property or
  a label). Issue search is eventually consistent
  (seconds, at times minutes): only a task created with its link to a source ticket is looked up at once
  after a lost answer; goal, plan and review tasks, linked to no one ticket, are looked up next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from deskplan.adapters.base import note_unrouted
from deskplan.adapters.jira.adf import adf_to_text
from deskplan.adapters.jira.client import JiraClient
from deskplan.adapters.jira.marker import is_internal
from deskplan.effects import MARKER_KEY_CHARS, REVIEW_ORIGIN, TASK_TAG, PlannedWrite, WriteKind
from deskplan.errors import RequestRejected
from deskplan.kpi.windows import written_due_day
from deskplan.transport.http import HttpClient, Rejected

log = logging.getLogger(__name__)

INTERNAL_PROPERTY = {"key": "sd.public.comment", "value": {"internal": True}}
KEY_PROPERTY = "deskplan"
LINK_TYPE = "Relates"
COMMENT_PAGE_SIZE = 100
ROUTE_OF_FIELD = {"assignee": "assignee", "components": "component"}    # issue field -> owners' route key
COMMENT_PAGE_LIMIT = 60


def task_label(key: str) -> str:
    """The label that finds a task again by its idempotency key."""
    return f"deskplan-{key[:MARKER_KEY_CHARS]}"


def text_to_adf(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: one paragraph per line (a newline inside a text node
    is not a line break in ADF)."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]}
        for line in text.splitlines() if line.strip()
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def outline_to_adf(text: str) -> dict[str, Any]:
    """A review digest (app/review/render_text.py, `render_note`) as a readable ADF document:
    the line after a blank line is a heading, `- ` lines a bullet list, `  - ` lines a list
    nested in the item above, every other line a paragraph."""
    content: list[dict[str, Any]] = []
    items: list[dict[str, Any]] | None = None         # the bullet list being filled
    after_blank = False
    for line in text.splitlines():
        if not line.strip():
            items, after_blank = None, True
            continue
        if line.startswith("  - ") and items:
            inner = items[-1]["content"]
            if inner[-1]["type"] != "bulletList":
                inner.append({"type": "bulletList", "content": []})
            inner[-1]["content"].append(_item(line[4:]))
        elif line.startswith("- "):
            if items is None:
                content.append({"type": "bulletList", "content": []})
                items = content[-1]["content"]
            items.append(_item(line[2:]))
        else:
            items = None
            node = _paragraph(line)
            if after_blank:
                node = {"type": "heading", "attrs": {"level": 3}, "content": node["content"]}
            content.append(node)
        after_blank = False
    return {"type": "doc", "version": 1, "content": content}


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def _item(text: str) -> dict[str, Any]:
    return {"type": "listItem", "content": [_paragraph(text)]}


class JiraWriter:
    """Writes for one Jira source, through the shared HttpClient."""

    ticket_update_limit = None     # Jira's per-issue write limit answers 429 + Retry-After, which the client honours

    def __init__(self, http: HttpClient, *, tasks_project: str | None = None, tasks_issue_type: str = "Task",
                 projects: tuple[str, ...] = (), own_user: str | None = None):
        self.http = http
        self.client = JiraClient(http)
        self.source = http.source
        self.tasks_project = tasks_project
        self.tasks_issue_type = tasks_issue_type
        self.projects = projects
        self.own_user = own_user          # deskplan's accountId; asked of Jira (`/myself`) when first needed
        self._link_type: str | None = None
        self.unrouted: list[str] = []     # tasks written without their owner's route, and why (the run lists them)
        self._accounts: dict[str, str | None] = {}      # email (case-folded) -> accountId, or None: nobody
        self._refused: set[tuple[str, str]] = set()     # route pairs Jira refused on create this run
        self._links_in_create = True      # until the site refuses `update.issuelinks` on create

    @property
    def requests(self) -> int:
        return self.http.requests

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        if write.kind is WriteKind.COMMENT:
            return self._write_comment(write, previous_remote_id)
        return self._create_task(write)

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        if write.kind is WriteKind.COMMENT:
            return self._find_comment(write)
        source = _source_ticket(write)
        found = self._find_linked_task(source, write) if source else None
        # Search as well: a task linked separately (by an earlier version, or on a site without
        # links on create) may lack its link after a crash, and goal tasks have no one source.
        return found if found is not None else self._find_task(write)

    def complete(self, write: PlannedWrite, remote_id: str) -> None:
        """A task found after a crash may lack some of its links: add the missing ones."""
        if write.kind is WriteKind.TASK and write.links:
            self._link(remote_id, write.links, existing=self._linked_keys(remote_id))

    def lookup_is_immediate(self, write: PlannedWrite) -> bool:
        """Comments are read from their ticket; a task created with its link to a source ticket
        is seen among that ticket's links. Anything else waits for the search index."""
        if write.kind is WriteKind.COMMENT:
            return True
        return self._links_in_create and _source_ticket(write) is not None

    # --- the status comment ------------------------------------------------------------------

    def _write_comment(self, write: PlannedWrite, previous: str | None) -> str:
        issue = _issue(write)
        if previous and self._is_own_comment(issue, previous):
            try:
                self.http.send("PUT", f"/rest/api/3/issue/{issue}/comment/{previous}",
                               json={"body": text_to_adf(write.body)}, retry="safe")
                return previous
            except Rejected as exc:
                if exc.status != 404:
                    raise
                # Someone deleted deskplan's comment: write a new one.
        elif previous:
            log.warning("%s: comment %s on %s is not an internal comment of deskplan's own account (or it is "
                        "gone): the status goes into a new internal comment", self.source, previous, issue)
        result = self.http.send(
            "POST", f"/rest/api/3/issue/{issue}/comment",
            json={"body": text_to_adf(write.body), "properties": [INTERNAL_PROPERTY]}, retry="connect_only",
        )
        comment_id = (result.json or {}).get("id")
        if comment_id is None:
            raise RequestRejected("Jira answered the comment without an id", source=self.source,
                                  where=f"POST /rest/api/3/issue/{issue}/comment", status=result.status)
        return str(comment_id)

    def _find_comment(self, write: PlannedWrite) -> str | None:
        for comment in self._comments(_issue(write)):
            if self._by_me(comment) and write.marker in adf_to_text(comment.get("body")):
                return str(comment["id"])
        return None

    def _is_own_comment(self, issue: str, comment_id: str) -> bool:
        """Whether comment `comment_id` on `issue` is an internal comment of deskplan's own account
        (False when it is gone)."""
        try:
            comment = self.http.get_json(f"/rest/api/3/issue/{issue}/comment/{comment_id}")
        except Rejected as exc:
            if exc.status == 404:
                return False
            raise
        return self._by_me(comment)

    def _by_me(self, comment: dict[str, Any]) -> bool:
        """An internal comment written by deskplan's own account."""
        return _account(comment.get("author")) == self._me() and is_internal(comment)

    def _me(self) -> str:
        """deskplan's own accountId: the account the credentials belong to."""
        if self.own_user is None:
            account = _account(self.client.myself())
            if account is None:
                raise self.http.refused("Jira named no account for the credentials", "GET /rest/api/3/myself")
            self.own_user = account
        return self.own_user

    def _comments(self, issue: str) -> Iterator[dict[str, Any]]:
        start = 0
        for _ in range(COMMENT_PAGE_LIMIT):
            try:
                page = self.http.get_json(f"/rest/api/3/issue/{issue}/comment",
                                          {"startAt": start, "maxResults": COMMENT_PAGE_SIZE, "orderBy": "-created"})
            except Rejected as exc:
                if exc.status == 404:
                    return
                raise
            comments = page.get("comments") or []
            yield from comments
            start += len(comments)
            if not comments or start >= int(page.get("total") or 0):
                return

    # --- tasks -------------------------------------------------------------------------------

    def _create_task(self, write: PlannedWrite) -> str:
        fields: dict[str, Any] = {
            "project": {"key": self._project(write)},
            "issuetype": {"name": self.tasks_issue_type},
            "summary": write.title[:255],
            "description": outline_to_adf(write.body) if write.origin.startswith(REVIEW_ORIGIN)
            else text_to_adf(write.body),
            "labels": [TASK_TAG, task_label(write.key)],
        }
        if write.due is not None:
            # `due` is "by the end of day D" in the plan's zone: D, not the UTC date of that end.
            fields["duedate"] = written_due_day(write.due, write.zone).isoformat()
        routed = self._route(write)
        while True:
            try:
                return self._create_routed(write, {**fields, **routed})
            except Rejected as exc:
                refused = sorted(name for name in routed if exc.status == 400 and name in str(exc))
                if not refused:
                    raise
                # The assignee cannot be assigned in the project, or the component does not exist
                # there: the task is written without it rather than lost (a 400 creates nothing).
                self._note(write, f"Jira refused {' and '.join(refused)}: {exc}")
                routed = {name: value for name, value in routed.items() if name not in refused}
                # Not offered again this run (each would cost a refused create first).
                self._refused.update((ROUTE_OF_FIELD[f], v) for f in refused for n, v in write.route
                                     if n == ROUTE_OF_FIELD[f])

    def _create_routed(self, write: PlannedWrite, fields: dict[str, Any]) -> str:
        body: dict[str, Any] = {
            "fields": fields,
            "properties": [{"key": KEY_PROPERTY, "value": {"key": write.key, "origin": write.origin}}],
        }
        linked_in_create = self._links_in_create and bool(write.links)
        if linked_in_create:
            body["update"] = {"issuelinks": [
                {"add": {"type": {"name": self._relates()}, "inwardIssue": {"key": k}}} for k in write.links]}
        try:
            result = self.http.send("POST", "/rest/api/3/issue", json=body, retry="connect_only")
        except Rejected as exc:
            if not linked_in_create or not self._links_refused(exc, write.links):
                raise
            log.warning("%s: the create screen of %s has no \"Linked Issues\": tasks are linked after they "
                        "are created, and a task whose answer is lost is looked up on the next run",
                        self.source, self._project(write))
            self._links_in_create = False
            return self._create_task(write)
        key = (result.json or {}).get("key")
        if not key:
            raise RequestRejected("Jira answered the new issue without a key", source=self.source,
                                  where="POST /rest/api/3/issue", status=result.status)
        if not linked_in_create:
            self._link(str(key), write.links, existing=())
        return str(key)

    # --- routing -----------------------------------------------------------------------------

    def _route(self, write: PlannedWrite) -> dict[str, Any]:
        """`assignee` and `components` for the write's route, as far as they resolve."""
        fields: dict[str, Any] = {}
        for name, value in write.route:
            if (name, value) in self._refused:
                self._note(write, f"Jira refused the {name} {value!r} earlier in this run")
            elif name == "assignee":
                try:
                    account = self._account(value)
                except Rejected as exc:     # not allowed to browse users: the task goes without
                    self._note(write, f"the assignee {value!r} could not be looked up: {exc}")
                    continue
                if account is None:
                    self._note(write, f"no Jira user has the email {value!r}")
                else:
                    fields["assignee"] = {"accountId": account}
            elif name == "component":
                fields["components"] = [{"name": value}]
        return fields

    def _account(self, who: str) -> str | None:
        """An accountId as it is; the accountId of the user whose email `who` is."""
        if "@" not in who:
            return who
        wanted = who.casefold()
        if wanted not in self._accounts:
            user = self.client.user_by_email(who)
            self._accounts[wanted] = str(user["accountId"]) if user else None
        return self._accounts[wanted]

    def _note(self, write: PlannedWrite, problem: str) -> None:
        note_unrouted(self.unrouted, write, problem)

    def _links_refused(self, exc: Rejected, links: tuple[str, ...]) -> bool:
        """Whether a 400 on a create with links means the site takes no links on create: it names
        `issuelinks` while every linked issue exists (a missing one is a refusal of the task)."""
        if exc.status != 400 or "issuelinks" not in str(exc):
            return False
        for key in links:
            try:
                self.http.get_json(f"/rest/api/3/issue/{key}", {"fields": "summary"})
            except Rejected as missing:
                if missing.status == 404:
                    return False
                raise
        return True

    def _project(self, write: PlannedWrite) -> str:
        if self.tasks_project:
            return self.tasks_project
        if write.ticket_key and "-" in write.ticket_key:
            return write.ticket_key.rsplit("-", 1)[0]
        if self.projects:
            return self.projects[0]
        raise RequestRejected("no project for the task: set tasks_project for this source", source=self.source)

    def _find_linked_task(self, source: str, write: PlannedWrite) -> str | None:
        """The task among the issues linked to its source ticket, confirmed by its `deskplan`
        property. Both are read from the issues themselves, so a task created a moment ago is
        seen (search would miss it for seconds). Issues named like the task are checked first."""
        try:
            issue = self.http.get_json(f"/rest/api/3/issue/{source}", {"fields": "issuelinks"})
        except Rejected as exc:
            if exc.status == 404:
                return None         # the source ticket is gone; search may still find the task
            raise
        linked: dict[str, bool] = {}
        for link in (issue.get("fields") or {}).get("issuelinks") or []:
            for side in ("inwardIssue", "outwardIssue"):
                other = link.get(side)
                if isinstance(other, dict) and other.get("key"):
                    summary = (other.get("fields") or {}).get("summary")
                    linked[str(other["key"])] = summary == write.title[:255]
        for key in sorted(linked, key=lambda k: not linked[k]):
            if self._is_own_task(key, write.key):
                return key
        return None

    def _is_own_task(self, issue: str, key: str) -> bool:
        """Whether `issue` carries `key` in its `deskplan` property and deskplan's own account
        created it (one read of the issue: its creator and that property)."""
        try:
            found = self.http.get_json(f"/rest/api/3/issue/{issue}",
                                       {"fields": "creator", "properties": KEY_PROPERTY})
        except Rejected as exc:
            if exc.status == 404:
                return False        # the issue is gone
            raise
        value = (found.get("properties") or {}).get(KEY_PROPERTY)
        if not isinstance(value, dict) or value.get("key") != key:
            return False            # no such property: not ours
        return _account((found.get("fields") or {}).get("creator")) == self._me()

    def _find_task(self, write: PlannedWrite) -> str | None:
        page = self.http.get_json("/rest/api/3/search/jql", {
            # Only deskplan's own: more issues than a page, labelled by someone else, hide nothing.
            "jql": f'labels = "{task_label(write.key)}" AND creator = currentUser()', "fields": "labels,creator",
            "maxResults": 10,
        })
        for issue in page.get("issues") or []:
            fields = issue.get("fields") or {}
            if task_label(write.key) in (fields.get("labels") or []) and _account(fields.get("creator")) == self._me():
                return str(issue["key"])
        return None

    def _link(self, task_key: str, sources: tuple[str, ...], *, existing: Iterable[str]) -> None:
        have = set(existing)
        for source_key in sources:
            if source_key in have:
                continue
            # Jira answers a repeated link as created and keeps one, so a retry is harmless.
            self.http.send("POST", "/rest/api/3/issueLink", json={
                "type": {"name": self._relates()},
                "inwardIssue": {"key": source_key},
                "outwardIssue": {"key": task_key},
            }, retry="safe")

    def _linked_keys(self, task_key: str) -> set[str]:
        issue = self.http.get_json(f"/rest/api/3/issue/{task_key}", {"fields": "issuelinks"})
        keys: set[str] = set()
        for link in (issue.get("fields") or {}).get("issuelinks") or []:
            for side in ("inwardIssue", "outwardIssue"):
                other = link.get(side)
                if isinstance(other, dict) and other.get("key"):
                    keys.add(other["key"])
        return keys

    def _relates(self) -> str:
        """The site's "relates to" link type; link type names differ per site (GET /rest/api/3/issueLinkType)."""
        if self._link_type is None:
            types = self.http.get_json("/rest/api/3/issueLinkType").get("issueLinkTypes") or []
            names = [t.get("name") for t in types if t.get("name")]
            if not names:
                raise RequestRejected("the site has no issue link types", source=self.source)
            self._link_type = LINK_TYPE if LINK_TYPE in names else names[0]
        return self._link_type


def _source_ticket(write: PlannedWrite) -> str | None:
    """The ticket a task follows up, when the task is linked to it (rule tasks; not goal tasks,
    whose links are evidence, nor plan tasks)."""
    if write.ticket_id and write.ticket_key and write.ticket_key in write.links:
        return write.ticket_key
    return None


def _account(user: Any) -> str | None:
    account = user.get("accountId") if isinstance(user, dict) else None
    return str(account) if account else None


def _issue(write: PlannedWrite) -> str:
    issue = write.ticket_id or write.ticket_key
    if not issue:
        raise RequestRejected("a comment needs the ticket it goes on", source=write.source)
    return issue
