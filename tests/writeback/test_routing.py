"""Tasks routed to their owners (plan.yaml `owners`) in both simulators: a Zendesk group by name
and an agent by email, a Jira assignee by email and a component by name; an owner the helpdesk
cannot place still gets the task, unassigned, and the run lists why (a warning, exit 0)."""

from __future__ import annotations

from .harness import Site, make_workspace, sync

AGENT = "olivia.brown4@support.example.com"        # an agent of the harness story (user 4)

OWNERS = f"""
owners:
  customer service:
    zendesk: {{group: Billing, assignee: {AGENT}}}
    jira: {{assignee: {AGENT.upper()}, component: Support}}
  marketing:
    zendesk: {{group: No Such Team}}
    jira: {{assignee: 000000:no-such-account, component: Roster}}
"""


def routed_workspace(tmp_path, site: Site):
    workspace = make_workspace(tmp_path / "ws", site, compact=True, cadence=True)
    with (workspace / "plan.yaml").open("a", encoding="utf-8") as plan:
        plan.write(OWNERS)
    return workspace


def test_zendesk_tasks_go_to_their_owner_s_group_and_agent(tmp_path, story):
    site = Site("zendesk", story)
    try:
        store = site.app.store
        groups, _ = store.named_after("groups", 0, 100)
        billing = next(g["id"] for g in groups if g["name"] == "Billing")
        olivia = store.user_id_by_email(AGENT)
        store.add_member(billing, olivia)       # Zendesk assigns a group's ticket only to an agent of the group
        (summary,) = sync(routed_workspace(tmp_path, site)).summaries
        tickets, _ = store.tickets_after(0, 10**9)
        tasks = {t["subject"]: (t["group_id"], t["assignee_id"]) for t in tickets if t["type"] == "task"}
        assert tasks["Weekly check: week 10 of 2026 (2 to 8 Mar 2026)"] == (billing, olivia)     # customer service
        assert tasks["Monthly review: February 2026"] == (None, None)                       # marketing: no such group
        assert tasks["Follow up on the rating of 7"] == (None, None)
        assert {route for subject, route in tasks.items() if subject.startswith("Goal first-reply-12h")} == {
            (billing, olivia)}
        assert summary.exit_code == 0 and summary.errors == []
        assert summary.warnings and all(w.endswith("written unassigned: no Zendesk group is named 'No Such Team'")
                                        for w in summary.warnings)
        assert "task review:monthly-review:2026-02 of marketing written unassigned: no Zendesk group is named " \
               "'No Such Team'" in summary.warnings
        # The groups are read once a run, the agent looked up once.
        requests = site.log.getvalue().splitlines()
        assert sum("GET /api/v2/groups" in line for line in requests) == 1
        assert sum("GET /api/v2/users/search" in line for line in requests) == 1
    finally:
        site.stop()


def test_jira_tasks_get_their_owner_s_assignee_and_component(tmp_path, story):
    site = Site("jira", story)
    try:
        site.app.store.projects["IMP"]["components"] = [{"id": "10100", "name": "Support"}]
        (summary,) = sync(routed_workspace(tmp_path, site)).summaries
        agent = next(u["accountId"] for u in site.app.store.users.values()
                     if str(u.get("emailAddress")).lower() == AGENT)
        tasks = {}
        for record in site.app.store.records():
            if "deskplan_task" in (record.fields.get("labels") or []):
                assignee = (record.fields.get("assignee") or {}).get("accountId")
                tasks[record.fields["summary"]] = (assignee, [c["name"] for c in record.fields.get("components") or []])
        assert tasks["Weekly check: week 10 of 2026 (2 to 8 Mar 2026)"] == (agent, ["Support"])
        # Jira refuses marketing's accountId and its component (not one of IMP's): the task is
        # written without them.
        assert tasks["Monthly review: February 2026"] == (None, [])
        assert tasks["Follow up on the rating of SUP-7"] == (None, [])
        assert summary.exit_code == 0 and summary.errors == []
        unrouted = sum(1 for route in tasks.values() if route == (None, []))
        assert unrouted >= 2 and len(summary.warnings) == unrouted        # one line a task
        assert summary.warnings[0] == (
            "task rule:bad-rating-follow-up of marketing written unassigned: Jira refused assignee and components: "
            "[jsm] POST /rest/api/3/issue -> 400: request rejected (invalid fields: assignee, components)")
        # Not offered to Jira again in the run: each later task of marketing's is created at once.
        assert ("task review:monthly-review:2026-02 of marketing written unassigned: Jira refused the assignee "
                "'000000:no-such-account' earlier in this run; Jira refused the component 'Roster' earlier in this "
                "run") in summary.warnings
        assert sum(" 400" in line for line in site.log.getvalue().splitlines() if "POST /rest/api/3/issue" in line) == 1
        requests = site.log.getvalue().splitlines()
        assert sum("GET /rest/api/3/user/search" in line for line in requests) == 1
    finally:
        site.stop()


def test_zendesk_writes_the_task_without_an_assignee_it_refuses_and_once(tmp_path, story):
    site = Site("zendesk", story)
    try:
        store = site.app.store
        groups, _ = store.named_after("groups", 0, 100)
        billing = next(g["id"] for g in groups if g["name"] == "Billing")
        store.remove_member(billing, store.user_id_by_email(AGENT))      # Olivia is not an agent of Billing
        workspace = routed_workspace(tmp_path, site)
        (summary,) = sync(workspace).summaries

        tickets, _ = store.tickets_after(0, 10**9)
        tasks = [t for t in tickets if t["type"] == "task"]
        routes = {t["subject"]: (t["group_id"], t["assignee_id"]) for t in tasks}
        # Customer service's tasks keep their group; only the refused assignee is left out.
        assert routes["Weekly check: week 10 of 2026 (2 to 8 Mar 2026)"] == (billing, None)
        assert {route for subject, route in routes.items() if subject.startswith("Goal first-reply-12h")} == {
            (billing, None)}
        assert summary.exit_code == 0 and summary.errors == []
        ours = [w for w in summary.warnings if " of customer service " in w]
        assert ours[0] == (
            "task goal:first-reply-12h:2025-09 of customer service written unassigned: Zendesk refused the assignee "
            f"'{AGENT}': [zd] POST /api/v2/tickets.json -> 422: request rejected (RecordInvalid: Record validation "
            "errors (invalid fields: assignee))")
        assert ours[1:] and all(w.endswith(f"written unassigned: Zendesk refused the assignee '{AGENT}' earlier "
                                           "in this run") for w in ours[1:])
        assert len(ours) == sum(1 for route in routes.values() if route == (billing, None))
        # One refused create in the run; every task created once.
        posts = [line for line in site.log.getvalue().splitlines() if "POST /api/v2/tickets" in line]
        assert sum(" 422" in line for line in posts) == 1
        assert sum(" 201" in line for line in posts) == len(tasks)
        assert len({t["external_id"] for t in tasks}) == len(tasks)

        # The next run finds every task and creates none.
        site.log.seek(0)
        site.log.truncate()
        (again,) = sync(workspace).summaries
        assert again.exit_code == 0 and again.errors == []
        assert not any("POST /api/v2/tickets" in line for line in site.log.getvalue().splitlines())
        later, _ = store.tickets_after(0, 10**9)
        assert sum(t["type"] == "task" for t in later) == len(tasks)
    finally:
        site.stop()
