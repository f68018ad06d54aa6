"""Jira Service Management simulator (`deskplan sandbox --kind jira`).

Serves Jira Cloud REST v3 (and v2, for clients such as pycontribs `jira`) plus the JSM
`servicedeskapi` subset deskplan uses, with Atlassian's shapes, pagination, errors and rate-limit
headers. Written from Atlassian's Jira Cloud platform and Jira Service Management REST API
references and from payloads recorded on real Jira Cloud sites, which its contract tests compare
it with.

Site defaults (see `catalog.py`, `from_scenario.py`, `sla.py`):
- time zone of the API user (JQL dates, REST datetimes): America/Los_Angeles (`time_zone=`);
- projects SUP (service desk "1") and IMP (business, for improvement tasks);
- custom fields (discover them by `schema.custom`): Request Type customfield_10410,
  Organizations customfield_10402, Time to first response customfield_10461, Time to
  resolution customfield_10462, Satisfaction customfield_10470, Satisfaction date
  customfield_10471, Team (single select) customfield_10480;
- create: `update.issuelinks` add operations link the new issue in the same request; set
  `app.create_screen_links = False` to refuse them as a site without "Linked Issues" on its
  create screen does (400 naming `issuelinks`);
- rate limits: per account unlimited unless `rate_limit` > 0 (requests per `rate_window` seconds);
  Jira Cloud's burst and per-issue write limits with `burst_limit` > 0 (`limits.py`); each 429
  carries Retry-After, X-RateLimit-Reset (`yyyy-MM-ddTHH:mmZ`) and RateLimit-Reason;
- search: `search_lag` seconds for changes to reach the results (`search.SearchLag`);
  `app.search_page_bytes` > 0 ends pages early, before the last, past that much JSON;
- scenario mapping (from_scenario.py): new -> Open, open -> In Progress, waiting_customer ->
  Waiting for customer, on_hold -> Pending, solved -> Resolved, closed -> Closed; priorities
  low/normal/high/urgent -> Low/Medium/High/Highest; SLAs (sla.py) on a 24/7 calendar, paused in
  Waiting for customer.

Tests drive time through `app.store` (`touch`, `update_issue`, `add_comment`, `set_feedback`,
`delete_issue`) and read `app.writes` for every write request received.
"""

from deskplan_sandbox.jira.app import JiraSimulator, WriteRecord, create_app

__all__ = ["JiraSimulator", "WriteRecord", "create_app"]
