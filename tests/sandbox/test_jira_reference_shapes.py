"""Jira simulator answers checked against Atlassian's references: the platform OpenAPI
(https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json, recorded in the contracts'
`jira/openapi/`) and the JSM OpenAPI
(https://developer.atlassian.com/cloud/jira/service-desk/swagger.v3.json): serverInfo, search
pages cut short before the last, CSAT feedback of issues loaded from fixtures, requestTypeId, and
the JSM 401."""

from __future__ import annotations

import copy
import io
import json

import jsonschema
import pytest
import requests

from deskplan_sandbox.jira import create_app
from deskplan_sandbox.jira.from_fixtures import FixtureError

from .jira_support import EMAIL, T0, TOKEN, app_for, served, ticket

FEEDBACK_HEADERS = {"X-ExperimentalApi": "opt-in"}


def platform_schema(contracts_dir, name: str) -> dict:
    spec = json.loads((contracts_dir / "jira/openapi/jira-platform-cloud-v3.openapi.json").read_text("utf-8"))
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}


def test_server_info_is_exactly_the_openapis_server_information(contracts_dir):
    """ServerInformation has `additionalProperties: false`; the OpenAPI's own example adds a
    `defaultLocale` its schema does not allow, which the simulator leaves out."""
    with served(app_for(ticket(1))) as (url, _session):
        info = requests.get(f"{url}/rest/api/3/serverInfo").json()
    jsonschema.validate(info, platform_schema(contracts_dir, "ServerInformation"))
    assert (info["deploymentType"], info["baseUrl"]) == ("Cloud", url)


def test_a_search_page_can_end_before_max_results_with_more_to_come(contracts_dir):
    """The OpenAPI's maxResults: "To manage page size, API may return fewer items per page where a
    large number of fields are requested"; the page still has a nextPageToken and isLast false."""
    app = app_for(*(ticket(n) for n in range(1, 8)))
    app.search_page_bytes = 1          # one issue a page, whatever maxResults says
    with served(app) as (url, session):
        body = {"jql": "project = SUP ORDER BY key ASC", "fields": ["*all"], "maxResults": 5}
        pages = [session.post(f"{url}/rest/api/3/search/jql", json=body).json()]
        while not pages[-1]["isLast"]:
            pages.append(session.post(f"{url}/rest/api/3/search/jql",
                                      json={**body, "nextPageToken": pages[-1]["nextPageToken"]}).json())
    assert [[i["key"] for i in p["issues"]] for p in pages] == [[f"SUP-{n}"] for n in range(1, 8)]
    for page in pages:
        jsonschema.validate({k: v for k, v in page.items() if k != "issues"},
                            platform_schema(contracts_dir, "SearchAndReconcileResults"))


def fixture_issue(contracts_dir, **extra) -> dict:
    """The recorded issue, moved into the simulator's service desk project SUP."""
    page = json.loads((contracts_dir / "jira/recorded/platform/airbyte-source-jira__v3_issues_search_page.json")
                      .read_text("utf-8"))
    issue = copy.deepcopy(page["issues"][0])
    issue.update(key="SUP-900", id="90900", **extra)
    issue["fields"]["project"] = {"id": "10000", "key": "SUP", "name": "Support", "projectTypeKey": "service_desk"}
    return issue


def site_with(tmp_path, *issues: dict):
    path = tmp_path / "jira.json"
    path.write_text(json.dumps({"issues": list(issues)}), encoding="utf-8")
    return create_app(email=EMAIL, token=TOKEN, fixtures=path, now=lambda: T0, log=io.StringIO())


def test_a_fixture_issue_serves_its_feedback_with_the_comment(contracts_dir, tmp_path):
    """GET /rest/servicedeskapi/request/{key}/feedback answers CSATFeedbackFullDTO,
    `{"type": "csat", "rating": 4, "comment": {"body": "Great work!"}}` in the JSM OpenAPI's example."""
    feedback = {"type": "csat", "rating": 2, "comment": {"body": "Nobody called back"}}
    with served(site_with(tmp_path, fixture_issue(contracts_dir, feedback=feedback))) as (url, session):
        answer = session.get(f"{url}/rest/servicedeskapi/request/SUP-900/feedback", headers=FEEDBACK_HEADERS)
        issue = session.get(f"{url}/rest/api/3/issue/SUP-900").json()
    assert (answer.status_code, answer.json()) == (200, feedback)
    assert "feedback" not in issue                      # the issue's own JSON stays as recorded


def test_without_feedback_the_satisfaction_fields_rating_is_served_and_without_either_404(contracts_dir, tmp_path):
    rated = fixture_issue(contracts_dir)
    rated["fields"]["customfield_10470"] = {"rating": 5}
    unrated = fixture_issue(contracts_dir)
    unrated.update(key="SUP-901", id="90901")
    with served(site_with(tmp_path, rated, unrated)) as (url, session):
        served_rating = session.get(f"{url}/rest/servicedeskapi/request/SUP-900/feedback", headers=FEEDBACK_HEADERS)
        none = session.get(f"{url}/rest/servicedeskapi/request/SUP-901/feedback", headers=FEEDBACK_HEADERS)
    assert served_rating.json() == {"type": "csat", "rating": 5}
    assert none.status_code == 404


@pytest.mark.parametrize("feedback", [{"rating": 9}, {"rating": 3, "comment": "not an object"}, "5"])
def test_feedback_that_the_api_could_not_have_answered_is_refused_naming_the_issue(contracts_dir, tmp_path, feedback):
    with pytest.raises(FixtureError, match="issue SUP-900: feedback must be"):
        site_with(tmp_path, fixture_issue(contracts_dir, feedback=feedback))


def test_a_request_without_a_request_type_has_no_request_type_id(contracts_dir, tmp_path):
    """CustomerRequestDTO.requestTypeId is a string in the JSM OpenAPI, not nullable: an issue with no
    request type leaves it out rather than sending null."""
    with served(site_with(tmp_path, fixture_issue(contracts_dir))) as (url, session):
        plain = session.get(f"{url}/rest/servicedeskapi/request/SUP-900").json()
    with served(app_for(ticket(1))) as (url, session):
        typed = session.get(f"{url}/rest/servicedeskapi/request/SUP-1").json()
    assert "requestTypeId" not in plain
    assert isinstance(typed["requestTypeId"], str)


def test_servicedeskapi_answers_bad_credentials_with_its_error_response():
    """The JSM OpenAPI documents every 401 of /rest/servicedeskapi as ErrorResponse
    {errorMessage, i18nErrorMessage} (additionalProperties: false), unlike the platform's edge answer."""
    with served(app_for(ticket(1))) as (url, _session):
        jsm = requests.get(f"{url}/rest/servicedeskapi/request/SUP-1", auth=(EMAIL, "wrong"))
        platform = requests.get(f"{url}/rest/api/3/issue/SUP-1", auth=(EMAIL, "wrong"))
    assert (jsm.status_code, jsm.json()) == (401, {"errorMessage": "Client must be authenticated to access this "
                                                                   "resource."})
    assert platform.json() == {"message": "Client must be authenticated to access this resource.", "status-code": 401}
