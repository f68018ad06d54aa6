"""Finding the site's JSM custom fields by schema type."""

from __future__ import annotations

import json

from deskplan.adapters.jira.fields import SYSTEM_FIELDS, JsmFields, discover


def field(fid, name, custom, customid=None, type_="any"):
    schema = {"type": type_, "custom": custom}
    if customid is not None:
        schema["customId"] = customid
    return {"id": fid, "key": fid, "name": name, "custom": True, "schema": schema}


SITE = [
    {"id": "summary", "name": "Summary", "custom": False, "schema": {"system": "summary", "type": "string"}},
    # The recorded definition of an SLA field (as quoted in the demisto/content README).
    {"clauseNames": ["cf[10071]", "Time to resolution"], "custom": True, "id": "customfield_10071",
     "key": "customfield_10071", "name": "Time to resolution", "navigable": True, "orderable": True,
     "schema": {"custom": "com.atlassian.servicedesk:sd-sla-field", "customId": 10071,
                "type": "sd-servicelevelagreement"},
     "searchable": True, "untranslatedName": "Time to resolution"},
    field("customfield_10070", "首次响应时间", "com.atlassian.servicedesk:sd-sla-field", 10070),
    field("customfield_10010", "Request Type", "com.atlassian.servicedesk:vp-origin", 10010, "sd-customerrequesttype"),
    field("customfield_10045", "Satisfaction", "com.atlassian.servicedesk:sd-request-feedback", 10045, "sd-feedback"),
    field("customfield_10046", "Satisfaction date", "com.atlassian.servicedesk:sd-request-feedback-date", 10046,
          "datetime"),
    field("customfield_10002", "Organizations", "com.atlassian.servicedesk:sd-customer-organizations", 10002, "array"),
    field("customfield_10001", "Team", "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team", 10001,
          "team"),
    field("customfield_10900", "Story points", "com.pyxis.greenhopper.jira:jsw-story-points", 10900, "number"),
]


def test_jsm_fields_are_found_by_schema_type_not_by_name_or_id():
    found = discover(SITE)
    assert found == JsmFields(
        request_type="customfield_10010",
        feedback="customfield_10045",
        feedback_date="customfield_10046",
        organizations="customfield_10002",
        team="customfield_10001",
        sla=(("customfield_10070", "首次响应时间"), ("customfield_10071", "Time to resolution")),
    )
    assert found.requested() == [
        *SYSTEM_FIELDS, "customfield_10010", "customfield_10045", "customfield_10046", "customfield_10002",
        "customfield_10001", "customfield_10070", "customfield_10071",
    ]
    assert "*all" not in found.requested()


def test_two_fields_of_one_kind_pick_the_lowest_custom_id_whatever_the_order():
    catalog = [
        field("customfield_20300", "Customer Request Type", "com.atlassian.servicedesk:vp-origin", 20300),
        field("customfield_10010", "Request Type", "com.atlassian.servicedesk:vp-origin", 10010),
    ]
    assert discover(catalog).request_type == "customfield_10010"
    assert discover(list(reversed(catalog))).request_type == "customfield_10010"


def test_a_site_without_jsm_fields(contracts_dir):
    catalog = json.loads((contracts_dir / "jira/spec-examples/platform/getFields__200.json").read_text())
    found = discover(catalog)
    assert found == JsmFields()
    assert found.requested() == list(SYSTEM_FIELDS)


def test_field_ids_survive_the_record_round_trip():
    found = discover(SITE)
    assert JsmFields.from_json(json.loads(json.dumps(found.to_json()))) == found
    assert JsmFields.from_json(None) == JsmFields()


def test_a_single_select_called_team_is_the_team_field_when_there_is_no_team_type_field():
    select = "com.atlassian.jira.plugin.system.customfieldtypes:select"
    catalog = [field("customfield_10480", "Team", select, 10480, "option"),
               field("customfield_10481", "Region", select, 10481, "option")]
    assert discover(catalog).team == "customfield_10480"
    team_type = field("customfield_10001", "Team", "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
                      10001, "team")
    assert discover([*catalog, team_type]).team == "customfield_10001"
    assert discover([field("customfield_10481", "Region", select, 10481, "option")]).team is None
