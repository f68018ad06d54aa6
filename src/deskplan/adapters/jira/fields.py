"""Which custom fields hold JSM data on this site.

Custom field ids differ per site (`customfield_10010` on one, `customfield_10204` on
another) and names are translatable, so fields are found by their `schema.custom` type
in the site's field catalog (`GET /rest/api/3/field`), never by id or name. The one
exception is the team: sites without the Atlassian Team field commonly keep teams in a
single-select custom field called "Team", which is used when there is no Team-type field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REQUEST_TYPE = "com.atlassian.servicedesk:vp-origin"
SLA = "com.atlassian.servicedesk:sd-sla-field"
FEEDBACK = "com.atlassian.servicedesk:sd-request-feedback"
FEEDBACK_DATE = "com.atlassian.servicedesk:sd-request-feedback-date"
ORGANIZATIONS = "com.atlassian.servicedesk:sd-customer-organizations"
TEAM = "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"

# The system fields build() reads; custom ones are added per site.
SYSTEM_FIELDS = (
    "summary", "description", "status", "priority", "labels", "issuetype",
    "created", "updated", "resolutiondate", "reporter", "creator", "assignee", "components",
    "comment",
)


@dataclass(frozen=True)
class JsmFields:
    """The site's ids of the custom fields deskplan reads (None: the site has no such field)."""

    request_type: str | None = None
    feedback: str | None = None
    feedback_date: str | None = None
    organizations: str | None = None
    team: str | None = None
    sla: tuple[tuple[str, str], ...] = ()       # (field id, field name), one per SLA metric

    def requested(self) -> list[str]:
        """The `fields=` list for issue search: system fields plus the site's custom ones."""
        custom = [self.request_type, self.feedback, self.feedback_date, self.organizations, self.team]
        return [*SYSTEM_FIELDS, *(f for f in custom if f), *(fid for fid, _ in self.sla)]

    def to_json(self) -> dict[str, Any]:
        return {
            "request_type": self.request_type,
            "feedback": self.feedback,
            "feedback_date": self.feedback_date,
            "organizations": self.organizations,
            "team": self.team,
            "sla": [list(pair) for pair in self.sla],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> JsmFields:
        data = data or {}
        return cls(
            request_type=data.get("request_type"),
            feedback=data.get("feedback"),
            feedback_date=data.get("feedback_date"),
            organizations=data.get("organizations"),
            team=data.get("team"),
            sla=tuple((fid, name) for fid, name in data.get("sla", ())),
        )


def discover(catalog: Iterable[dict[str, Any]]) -> JsmFields:
    """Pick the JSM fields out of a `GET /rest/api/3/field` answer.

    When a site has two fields of one single-valued kind (a migrated site can), the
    lowest custom id wins, so the choice is stable from one sync to the next.
    """
    found: dict[str, str] = {}
    sla: list[tuple[str, str]] = []
    kinds = {
        REQUEST_TYPE: "request_type", FEEDBACK: "feedback", FEEDBACK_DATE: "feedback_date",
        ORGANIZATIONS: "organizations", TEAM: "team",
    }
    named_team: str | None = None
    for field in sorted(catalog, key=_custom_number):
        custom = (field.get("schema") or {}).get("custom")
        if custom == SLA:
            sla.append((field["id"], field.get("name") or field["id"]))
        elif custom in kinds:
            found.setdefault(kinds[custom], field["id"])
        elif custom == SELECT and named_team is None and _named_team(field):
            named_team = field["id"]
    if "team" not in found and named_team:
        found["team"] = named_team
    return JsmFields(**found, sla=tuple(sla))


def _named_team(field: dict[str, Any]) -> bool:
    names = {str(field.get(k) or "").strip().casefold() for k in ("name", "untranslatedName")}
    return "team" in names


def _custom_number(field: dict[str, Any]) -> tuple[int, str]:
    customid = (field.get("schema") or {}).get("customId")
    return (customid if isinstance(customid, int) else 1 << 62, str(field.get("id")))
