"""deskplan counts, settles and edits as its own only what its own API user wrote internally.

Each test plays an attack on the simulators: a customer or another agent writes deskplan's
marker, key or label where deskplan looks for its own writes. Anyone can type a marker; only
deskplan's user writes as deskplan. What counts is the helpdesk's own data, read from the
simulator's store.
"""

from __future__ import annotations

import stat
from datetime import timedelta
from urllib.parse import urlsplit

import requests

from deskplan.adapters import open_adapter, open_writer
from deskplan.adapters.jira.adf import adf_to_text
from deskplan.adapters.jira.writes import text_to_adf
from deskplan.app.sync import run_sync
from deskplan.config import load_config
from deskplan.effects import WriteKind
from deskplan.model import EventKind
from deskplan.rules.load import load_workspace
from deskplan.rules.sla import first_reply_at
from deskplan.state.ledger import Ledger
from deskplan.state.store import Store

from .harness import NOW, Site, environment, make_workspace, sync

AGENT = ("alex@acme.test", "alex-token")            # another agent of the helpdesk, with a token of their own
CUSTOMER = ("pat@customer.test", "pat-token")       # a JSM portal customer
QUOTED = "[deskplan:0123456789abcdef]"


class LosingSession(requests.Session):
    """The writer's session: requests to `call` fail before they reach the helpdesk, as read
    timeouts (the writer cannot tell whether they landed), until the writer has looked the
    write up in the helpdesk (any other request)."""

    def __init__(self, method: str, path: str):
        super().__init__()
        self.call = (method, path)
        self.lost = 0
        self.looked_up = False

    def request(self, method, url, *args, **kwargs):
        call = (method.upper(), urlsplit(url).path)
        if call == self.call and not self.looked_up:
            self.lost += 1
            raise requests.ReadTimeout("read timed out")
        if self.lost:
            self.looked_up = True
        return super().request(method, url, *args, **kwargs)


def _no_sleep(seconds: float) -> None:
    pass


def sync_losing(workspace, session: LosingSession, now=NOW):
    (summary,) = run_sync(
        load_config(workspace / "deskplan.toml"), environ=environment(now=now),
        adapter_factory=lambda cfg, token: open_adapter(cfg, token, sleep=_no_sleep),
        writer_factory=lambda cfg, token: open_writer(cfg, token, session=session, sleep=_no_sleep),
    ).summaries
    return summary


def planned_writes(workspace, now=NOW):
    """The writes a dry-run plans now: the keys the real run uses (so an attacker who reads a
    marker, or computes one, has the real one)."""
    planned = []
    sync(workspace, dry_run=True, on_write=planned.append, environ=environment(now=now))
    return planned


def at(site: Site, minutes: float):
    site.clock.now = NOW + timedelta(minutes=minutes)
    return site.clock.now


# --- who does what, in each helpdesk ------------------------------------------------------------

def api_user(site: Site) -> str:
    """deskplan's own user: the one the sandbox's credentials belong to."""
    return str(site.app.api_user_id) if site.kind == "zendesk" else site.app.myself["accountId"]


def zendesk_customer(site: Site) -> int:
    return int(site.app.store.ticket(7)["requester_id"])        # an end user of the story


def zendesk_agent(site: Site) -> int:
    agents = (site.app.store.ticket(n).get("assignee_id") for n in range(1, 25))
    return int(next(a for a in agents if a and a != site.app.api_user_id))


def jira_people(site: Site) -> tuple[dict, dict]:
    """(the other agent, the customer): accounts with tokens of their own."""
    accounts = {email: user for (email, _), user in site.app.accounts.items()}
    agent = accounts.get(AGENT[0]) or site.app.add_account(*AGENT)
    customer = accounts.get(CUSTOMER[0]) or site.app.add_account(*CUSTOMER, customer=True)
    return agent, customer


def customer_opens(site: Site, subject: str, text: str) -> str:
    """A new request from a customer; its key."""
    if site.kind == "zendesk":
        fields = {"subject": subject, "comment": {"body": text}, "priority": "urgent"}
        return str(site.app.store.create_ticket(fields, author_id=zendesk_customer(site)).ticket["id"])
    _, customer = jira_people(site)          # an agent raises it on the customer's behalf
    body = {"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Service Request"}, "summary": subject,
                       "description": text_to_adf(text), "priority": {"name": "Highest"},
                       "reporter": {"accountId": customer["accountId"]}}}
    answer = requests.post(f"{site.url}/rest/api/3/issue", json=body, auth=AGENT)
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


def customer_says(site: Site, key: str, text: str) -> str:
    """A public comment by the requester (Zendesk: their e-mail reply; JSM: the portal); its id."""
    if site.kind == "zendesk":
        result = site.app.store.update_ticket(int(key), comment={"body": text, "public": True},
                                              author_id=zendesk_customer(site))
        return str(next(e["id"] for e in result.audit["events"] if e["type"] == "Comment"))
    jira_people(site)
    answer = requests.post(f"{site.url}/rest/servicedeskapi/request/{key}/comment",
                           json={"body": text, "public": True}, auth=CUSTOMER)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def agent_replies(site: Site, key: str, text: str) -> None:
    """A public reply to the customer by another agent."""
    if site.kind == "zendesk":
        site.app.store.update_ticket(int(key), comment={"body": text, "public": True}, author_id=zendesk_agent(site))
        return
    jira_people(site)
    answer = requests.post(f"{site.url}/rest/api/3/issue/{key}/comment", json={"body": text_to_adf(text)},
                           auth=AGENT)
    assert answer.status_code == 201, answer.text


def comments(site: Site, key: str) -> list[dict]:
    """The ticket's comments as (id, author, public, text)."""
    if site.kind == "zendesk":
        return [{"id": str(c["id"]), "author": str(c["author_id"]), "public": c["public"], "text": c["body"]}
                for c in site.app.store.comments(int(key))]
    return [{"id": c["id"], "author": c["author"]["accountId"], "public": c["jsdPublic"],
             "text": adf_to_text(c["body"])} for c in site.app.store.get(key).comments]


def note_request(site: Site, key: str) -> tuple[str, str]:
    """The request that writes the first status comment on ticket `key`."""
    if site.kind == "zendesk":
        return "PUT", f"/api/v2/tickets/{key}.json"
    return "POST", f"/rest/api/3/issue/{site.app.store.get(key).id}/comment"


def ledger_remote_id(workspace, key: str) -> str | None:
    store = Store.open(workspace / "state.db")
    try:
        return Ledger(store).remote_id(key)
    finally:
        store.close()


# --- 1. a marker quoted in a public comment does not settle a write whose answer was lost --------

def test_a_customer_quoting_the_marker_of_a_lost_note_does_not_settle_it(site, tmp_path):
    workspace = make_workspace(tmp_path / "ws", site, compact=True)
    sync(workspace)
    at(site, 1)
    key = customer_opens(site, "Printer on fire", "It is burning.")
    now = at(site, 3)
    (note,) = [w for w in planned_writes(workspace, now) if w.ticket_key == key and w.kind is WriteKind.COMMENT]
    quoted = customer_says(site, key, f"Is this yours? {note.marker}")

    session = LosingSession(*note_request(site, key))
    summary = sync_losing(workspace, session, at(site, 5))     # (Zendesk exports what is a minute old)

    assert session.lost and summary.exit_code == 0
    carrying = [c for c in comments(site, key) if note.marker in c["text"]]
    ours = [c for c in carrying if c["author"] == api_user(site) and not c["public"]]
    assert len(ours) == 1                                   # the note was written, once
    assert ledger_remote_id(workspace, note.key) == ours[0]["id"] != quoted
    if site.kind == "jira":
        # A later state is written by editing deskplan's own comment, never the customer's.
        later = site.clock.now = NOW + timedelta(hours=10)
        sync(workspace, environ=environment(now=later))
        by_id = {c["id"]: c for c in comments(site, key)}
        assert by_id[quoted]["text"] == f"Is this yours? {note.marker}" and by_id[quoted]["public"]
        assert "AT RISK" in by_id[ours[0]["id"]]["text"] and not by_id[ours[0]["id"]]["public"]
        assert not [w for w in site.app.writes if w.method == "PUT" and w.path.endswith(f"/comment/{quoted}")]


def test_jira_writes_a_new_note_rather_than_edit_a_comment_it_did_not_write_internally(story, tmp_path):
    """A ledger that names a customer's comment as deskplan's (as a deskplan from before could
    record): the next state goes into a new internal note, the customer's comment is left alone."""
    site = Site("jira", story)
    try:
        workspace = make_workspace(tmp_path / "ws", site, compact=True)
        at(site, 1)
        key = customer_opens(site, "Printer on fire", "It is burning.")
        sync(workspace, environ=environment(now=at(site, 3)))
        (ours,) = [c for c in comments(site, key) if c["author"] == api_user(site)]
        quoted = customer_says(site, key, "Thanks, waiting.")
        store = Store.open(workspace / "state.db")
        try:
            store.db.execute("UPDATE status_comments SET remote_id = ? WHERE remote_id = ?", [quoted, ours["id"]])
            store.db.execute("UPDATE writes SET remote_id = ? WHERE remote_id = ?", [quoted, ours["id"]])
        finally:
            store.close()

        later = site.clock.now = NOW + timedelta(hours=10)
        sync(workspace, environ=environment(now=later))

        by_id = {c["id"]: c for c in comments(site, key)}
        assert by_id[quoted]["text"] == "Thanks, waiting." and by_id[quoted]["author"] != api_user(site)
        assert not [w for w in site.app.writes if w.method == "PUT" and w.path.endswith(f"/comment/{quoted}")]
        notes = [c for c in by_id.values() if c["author"] == api_user(site) and not c["public"]]
        assert len(notes) == 2 and "AT RISK" in notes[-1]["text"]
    finally:
        site.stop()


# --- 2. a task another agent made with deskplan's key is not taken for deskplan's own ---------------

def agent_makes_task(site: Site, key: str, marker: str) -> str:
    """Another agent creates a task carrying the write's key where deskplan would look for it."""
    if site.kind == "zendesk":
        fields = {"subject": "Follow up on the rating of 7", "comment": {"body": f"mine\n{marker}", "public": False},
                  "type": "task", "external_id": key, "tags": ["deskplan", "deskplan_task", "deskplan_ticket_7"]}
        return str(site.app.store.create_ticket(fields, author_id=zendesk_agent(site)).ticket["id"])
    jira_people(site)
    body = {"fields": {"project": {"key": "IMP"}, "issuetype": {"name": "Task"},
                       "summary": "Follow up on the rating of SUP-7", "description": text_to_adf(f"mine\n{marker}"),
                       "labels": ["deskplan_task", f"deskplan-{key[:16]}"]},
            "properties": [{"key": "deskplan", "value": {"key": key, "origin": "rule:bad-rating-follow-up"}}],
            "update": {"issuelinks": [{"add": {"type": {"name": "Relates"}, "inwardIssue": {"key": "SUP-7"}}}]}}
    answer = requests.post(f"{site.url}/rest/api/3/issue", json=body, auth=AGENT)
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


def tasks_carrying(site: Site, key: str) -> dict[str, str]:
    """Task id or key -> its creator, for every task that carries `key` as deskplan's key."""
    if site.kind == "zendesk":
        tickets, _ = site.app.store.tickets_after(0, 10**9)
        return {str(t["id"]): str(t["submitter_id"]) for t in tickets if t.get("external_id") == key}
    return {r.key: r.fields["creator"]["accountId"] for r in list(site.app.store.records())
            if f"deskplan-{key[:16]}" in (r.fields.get("labels") or [])}


def test_a_task_another_agent_made_with_the_key_does_not_settle_a_lost_task(site, tmp_path):
    workspace = make_workspace(tmp_path / "ws", site, compact=True)
    (task,) = [w for w in planned_writes(workspace) if w.origin == "rule:bad-rating-follow-up"]
    forged = agent_makes_task(site, task.key, task.marker)

    create = ("POST", "/api/v2/tickets.json") if site.kind == "zendesk" else ("POST", "/rest/api/3/issue")
    session = LosingSession(*create)       # the first task created is the rule task
    summary = sync_losing(workspace, session)

    assert session.lost and summary.exit_code == 0
    found = tasks_carrying(site, task.key)
    ours = [ident for ident, creator in found.items() if creator == api_user(site)]
    assert len(ours) == 1 and forged in found and found[forged] != api_user(site)
    assert ledger_remote_id(workspace, task.key) == ours[0]


# --- 3. only deskplan's own internal notes are deskplan's in the timeline ------------------------

def test_a_marker_in_a_customer_complaint_or_an_agent_reply_is_not_deskplans(site, tmp_path):
    workspace = make_workspace(tmp_path / "ws", site)       # the example rules: complaint-words
    at(site, 1)
    key = customer_opens(site, "Order 1234", "Where is my order?")
    at(site, 2)
    customer_says(site, key, f"This is unacceptable. {QUOTED}")
    at(site, 3)
    agent_replies(site, key, f"Sorry! Your order ships today. (Our note said {QUOTED})")
    now = at(site, 5)
    sync(workspace, environ=environment(now=now))
    now = at(site, 7)
    sync(workspace, environ=environment(now=now))         # deskplan's own note comes back with this pull

    store = Store.open(workspace / "state.db")
    try:
        ticket = store.get_ticket("zd" if site.kind == "zendesk" else "jsm", key)
    finally:
        store.close()
    complaint = [e for e in ticket.timeline if e.body and "unacceptable" in e.body]
    reply = [e for e in ticket.timeline if e.kind is EventKind.PUBLIC_REPLY]
    own = [e for e in ticket.timeline if e.by_deskplan]
    assert [(e.kind, e.by_deskplan) for e in complaint] == [(EventKind.REQUESTER_COMMENT, False)]
    assert "complaint" in load_workspace(workspace).evaluate(ticket, now).categories
    assert len(reply) == 1 and not reply[0].by_deskplan
    assert first_reply_at(ticket) == reply[0].at
    # deskplan's own status note is still deskplan's: internal, by its user, with its marker.
    assert [(e.kind, e.author) for e in own] == [(EventKind.INTERNAL_NOTE, api_user(site))]


# --- 4. keys and markers nobody outside the installation can compute ------------------------------

def test_a_dry_run_on_a_new_workspace_shows_the_keys_the_first_real_run_writes(site, tmp_path):
    workspace = make_workspace(tmp_path / "ws", site, compact=True, secret=None)
    before = set(workspace.iterdir())
    shown = [w.key for w in planned_writes(workspace)]
    # The dry-run worked on a throw-away state; the installation's secret stays beside the state.
    assert set(workspace.iterdir()) - before == {workspace / "state.db.key"}
    assert stat.S_IMODE((workspace / "state.db.key").stat().st_mode) == 0o600
    written = []
    sync(workspace, on_write=written.append)
    assert shown and [w.key for w in written] == shown
    effects = site.effects()
    assert {m for _, m in effects.comments} | set(effects.tasks) == {key[:16] for key in shown}


def test_two_installations_plan_different_keys_for_the_same_writes(site, tmp_path):
    first = make_workspace(tmp_path / "first", site, compact=True, secret=None)
    second = make_workspace(tmp_path / "second", site, compact=True, secret=None)
    keys = [{(w.origin, w.ticket_key): w.key for w in planned_writes(ws)} for ws in (first, second)]
    assert keys[0].keys() == keys[1].keys()
    assert not set(keys[0].values()) & set(keys[1].values())
