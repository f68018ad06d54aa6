"""Write-back to Jira Service Management: the internal status comment and improvement tasks.

- The status comment is one comment per ticket, edited in place: the first is
  `POST /rest/api/3/issue/{id}/comment` with the `sd.public.comment` property set to
  `{"internal": true}` (a role `visibility` would not hide it from the customer, api/jira.md
  §7), later states `PUT …/comment/{commentId}` (an edit is idempotent, so it may be
  retried; the property stays with the comment). A comment someone deleted is written anew.
- An improvement task is `POST /rest/api/3/issue` in `tasks_project` (default: the ticket's
  project) of type `tasks_issue_type`, with an ADF description, `duedate`, the labels
  `deskplan_task` and `deskplan-<key prefix>`, and the full key as the issue property `deskplan`;
  then `POST /rest/api/3/issueLink` to each source ticket (Jira keeps one link per pair).
- `find_effect` asks Jira: the marker among the ticket's comments, or the label through JQL.
  Issue search is eventually consistent (api/jira.md §0), so a task whose answer was lost is
  looked up on the next run rather than at once.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any, Iterator

from ...connector.effects import MARKER_KEY_CHARS, TASK_TAG, PlannedWrite, WriteKind
from ...connector.http import HttpClient, Rejected
from ...errors import RequestRejected
from .adf import adf_to_text

INTERNAL_PROPERTY = {"key": "sd.public.comment", "value": {"internal": True}}
KEY_PROPERTY = "deskplan"
LINK_TYPE = "Relates"
COMMENT_PAGE_SIZE = 100
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


class JiraWriter:
    """Writes for one Jira source, through the shared HttpClient."""

    ticket_update_limit = None     # Jira's per-issue write limit answers 429 + Retry-After, which the client honours

    def __init__(self, http: HttpClient, *, tasks_project: str | None = None, tasks_issue_type: str = "Task",
                 projects: tuple[str, ...] = ()):
        self.http = http
        self.source = http.source
        self.tasks_project = tasks_project
        self.tasks_issue_type = tasks_issue_type
        self.projects = projects
        self._link_type: str | None = None

    @property
    def requests(self) -> int:
        return self.http.requests

    def apply(self, write: PlannedWrite, previous_remote_id: str | None) -> str:
        if write.kind is WriteKind.COMMENT:
            return self._write_comment(write, previous_remote_id)
        key = self._create_task(write)
        self._link(key, write.links, existing=())
        return key

    def find_effect(self, write: PlannedWrite, previous_remote_id: str | None) -> str | None:
        if write.kind is WriteKind.COMMENT:
            return self._find_comment(write)
        return self._find_task(write)

    def complete(self, write: PlannedWrite, remote_id: str) -> None:
        """A task found after a crash may lack some of its links: add the missing ones."""
        if write.kind is WriteKind.TASK and write.links:
            self._link(remote_id, write.links, existing=self._linked_keys(remote_id))

    def lookup_is_immediate(self, write: PlannedWrite) -> bool:
        return write.kind is WriteKind.COMMENT

    # --- the status comment ------------------------------------------------------------------

    def _write_comment(self, write: PlannedWrite, previous: str | None) -> str:
        issue = _issue(write)
        if previous:
            try:
                self.http.send("PUT", f"/rest/api/3/issue/{issue}/comment/{previous}",
                               json={"body": text_to_adf(write.body)}, retry="safe")
                return previous
            except Rejected as exc:
                if exc.status != 404:
                    raise
                # Someone deleted deskplan's comment: write a new one.
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
            if write.marker in adf_to_text(comment.get("body")):
                return str(comment["id"])
        return None

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
            "description": text_to_adf(write.body),
            "labels": [TASK_TAG, task_label(write.key)],
        }
        if write.due is not None:
            fields["duedate"] = write.due.astimezone(timezone.utc).date().isoformat()
        body = {"fields": fields, "properties": [{"key": KEY_PROPERTY, "value": {"key": write.key, "origin": write.origin}}]}
        result = self.http.send("POST", "/rest/api/3/issue", json=body, retry="connect_only")
        key = (result.json or {}).get("key")
        if not key:
            raise RequestRejected("Jira answered the new issue without a key", source=self.source,
                                  where="POST /rest/api/3/issue", status=result.status)
        return str(key)

    def _project(self, write: PlannedWrite) -> str:
        if self.tasks_project:
            return self.tasks_project
        if write.ticket_key and "-" in write.ticket_key:
            return write.ticket_key.rsplit("-", 1)[0]
        if self.projects:
            return self.projects[0]
        raise RequestRejected("no project for the task: set tasks_project for this source", source=self.source)

    def _find_task(self, write: PlannedWrite) -> str | None:
        page = self.http.get_json("/rest/api/3/search/jql", {
            "jql": f'labels = "{task_label(write.key)}"', "fields": "labels", "maxResults": 10,
        })
        for issue in page.get("issues") or []:
            if task_label(write.key) in ((issue.get("fields") or {}).get("labels") or []):
                return str(issue["key"])
        return None

    def _link(self, task_key: str, sources: tuple[str, ...], *, existing: Iterator[str] | tuple[str, ...]) -> None:
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
        keys = set()
        for link in (issue.get("fields") or {}).get("issuelinks") or []:
            for side in ("inwardIssue", "outwardIssue"):
                other = link.get(side)
                if isinstance(other, dict) and other.get("key"):
                    keys.add(other["key"])
        return keys

    def _relates(self) -> str:
        """The site's "relates to" link type; link type names differ per site (api/jira.md §8.3)."""
        if self._link_type is None:
            types = self.http.get_json("/rest/api/3/issueLinkType").get("issueLinkTypes") or []
            names = [t.get("name") for t in types if t.get("name")]
            if not names:
                raise RequestRejected("the site has no issue link types", source=self.source)
            self._link_type = LINK_TYPE if LINK_TYPE in names else names[0]
        return self._link_type


def _issue(write: PlannedWrite) -> str:
    issue = write.ticket_id or write.ticket_key
    if not issue:
        raise RequestRejected("a comment needs the ticket it goes on", source=write.source)
    return issue
