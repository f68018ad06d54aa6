"""plan.yaml `owners`: every owner named must be listed (FILE:LINE:COL, did-you-mean), the
routes per source kind, and each cadence entry's source (`in`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskplan.errors import InvalidFiles
from deskplan.rules import load_workspace
from deskplan.rules.owners import cadence_sources, owner_route, routes_by_kind

PLAN = """\
plan: {id: sip, title: SIP, start: 2026-01-05, end: 2026-06-30}
goals:
  - {id: G1, metric: csat, target: 90%, by: 2026-03-31}
measures:
  - {id: M1, title: Rota, owner: customer service, goals: [G1]}
  - {id: M2, title: Campaign, owner: marketting, goals: [G1]}
milestones:
  - {id: P1, title: Phase one, start: 2026-01-05, end: 2026-02-28, owner: technolgy}
cadence:
  - {id: weekly, title: Weekly check, every: week, owner: customer service}
  - {id: monthly, title: Monthly review, every: month, owner: service manger, in: jsm}
owners:
  customer service:
    zendesk: {group: Support, assignee: lead@example.com}
    jira: {assignee: lead@example.com, component: Support}
  marketing: {zendesk: {group: Marketing}}
  technology: {jira: {assignee: 5b10ac8d82e05b22cc7d4ef5}}
  service manager: {}
"""

RULES = """\
rules:
  - id: follow-up
    when: {satisfaction: bad}
    then:
      task: {title: Call back, owner: marketing}
  - id: typo
    when: {satisfaction: bad}
    then:
      task: {title: Call back, owner: Marketing}
"""


def write(root: Path, plan: str, rules: str = "") -> None:
    (root / "plan.yaml").write_text(plan, encoding="utf-8")
    if rules:
        (root / "rules").mkdir(exist_ok=True)
        (root / "rules" / "a.yaml").write_text(rules, encoding="utf-8")


def problems(root: Path) -> list[str]:
    with pytest.raises(InvalidFiles) as caught:
        load_workspace(root)
    return [str(p).replace(f"{root}/", "") for p in caught.value.problems]


def test_every_owner_named_must_be_listed_at_its_position_with_the_close_match(tmp_path):
    write(tmp_path, PLAN, RULES)
    listed = "; `owners` lists: customer service, marketing, service manager, technology"
    assert problems(tmp_path) == [
        f"plan.yaml:6:38: measure M2: owner: owner 'marketting' is not listed in `owners` "
        f"(did you mean 'marketing'?){listed}",
        f"plan.yaml:8:75: milestone P1: owner: owner 'technolgy' is not listed in `owners` "
        f"(did you mean 'technology'?){listed}",
        f"plan.yaml:11:63: cadence monthly: owner: owner 'service manger' is not listed in `owners` "
        f"(did you mean 'service manager'?){listed}",
        f"rules/a.yaml:9:39: rule typo: then.task.owner: owner 'Marketing' is not listed in `owners` "
        f"(did you mean 'marketing'?){listed}",
    ]


def test_without_owners_an_owner_is_free_text(tmp_path):
    write(tmp_path, PLAN.split("owners:")[0], RULES)
    workspace = load_workspace(tmp_path)
    assert workspace.plan.owners is None
    assert owner_route(workspace.plan, "marketting", "zendesk") == ()


def fixed(plan: str) -> str:
    return (plan.replace("marketting", "marketing").replace("technolgy", "technology")
            .replace("service manger", "service manager"))


def test_routes_per_source_kind(tmp_path):
    write(tmp_path, fixed(PLAN))
    plan = load_workspace(tmp_path).plan
    assert owner_route(plan, "customer service", "zendesk") == (("group", "Support"), ("assignee", "lead@example.com"))
    assert owner_route(plan, "customer service", "jira") == (("assignee", "lead@example.com"), ("component", "Support"))
    assert owner_route(plan, "marketing", "jira") == ()
    # A goal task's owner is its measures' owners joined: the first listed one routes it.
    assert owner_route(plan, "nobody, technology", "jira") == (("assignee", "5b10ac8d82e05b22cc7d4ef5"),)
    # ... in the plan's language: joined by "、" in Chinese (i18n.py Lang.listed).
    assert owner_route(plan, "nobody、technology", "jira") == (("assignee", "5b10ac8d82e05b22cc7d4ef5"),)
    assert routes_by_kind(plan, "zendesk") == {
        "customer service": (("group", "Support"), ("assignee", "lead@example.com")),
        "marketing": (("group", "Marketing"),),
    }


def test_a_route_needs_something_to_route_to(tmp_path):
    write(tmp_path, fixed(PLAN).replace("marketing: {zendesk: {group: Marketing}}", "marketing: {zendesk: {}}"))
    assert problems(tmp_path) == [
        "plan.yaml:16:24: owners.marketing.zendesk: give a `group` (name) and/or an `assignee` (email)",
    ]


def test_cadence_sources_default_to_the_first_and_an_unknown_one_is_an_error_at_in(tmp_path):
    write(tmp_path, fixed(PLAN))
    plan = load_workspace(tmp_path).plan
    assert cadence_sources(plan, tmp_path, ["zendesk", "jsm"]) == {"weekly": "zendesk", "monthly": "jsm"}
    with pytest.raises(InvalidFiles) as caught:
        cadence_sources(plan, tmp_path, ["zendesk", "jira"])
    assert [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems] == [
        "plan.yaml:11:84: cadence monthly: in: unknown source 'jsm'; deskplan.toml has: zendesk, jira",
    ]


CONFIG = """
[[sources]]
name = "zendesk"
kind = "zendesk"
url = "https://example.zendesk.com"
email = "deskplan@example.com"
token_env = "ZENDESK_API_TOKEN"
"""


def test_check_reports_an_in_that_names_no_source(tmp_path):
    from deskplan.app.check import check_workspace

    write(tmp_path, fixed(PLAN))
    (tmp_path / "deskplan.toml").write_text(CONFIG, encoding="utf-8")
    with pytest.raises(InvalidFiles) as caught:
        check_workspace(tmp_path)
    assert [str(p).replace(f"{tmp_path}/", "") for p in caught.value.problems] == [
        "plan.yaml:11:84: cadence monthly: in: unknown source 'jsm'; deskplan.toml has: zendesk",
    ]


def test_the_json_schema_has_owners_and_in_as_written():
    from deskplan.rules.schema import build_schema

    defs = build_schema()["$defs"]
    cadence = defs["Cadence"]["properties"]
    assert "in" in cadence and "source" not in cadence
    assert cadence["in"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    owners = defs["PlanFile"]["properties"]["owners"]
    assert owners["anyOf"][0] == {"additionalProperties": {"$ref": "#/$defs/OwnerRoutes"}, "type": "object"}
    assert set(defs["OwnerRoutes"]["properties"]) == {"zendesk", "jira"}
    assert set(defs["ZendeskRoute"]["properties"]) == {"group", "assignee"}
    assert set(defs["JiraRoute"]["properties"]) == {"assignee", "component"}
    assert defs["JiraRoute"]["additionalProperties"] is False
