"""`deskplan schema`: one JSON Schema (draft 2020-12) for plan.yaml, rules/*.yaml and
rules/tests/*.yaml, generated from the pydantic models, so that editors validate and
complete while a process owner types (`# yaml-language-server: $schema=...`).

A file is told apart by its top-level key (`rules:`, `tests:`, else a plan), with
if/then/else rather than anyOf, so an editor reports the error of the right kind of file.
Conditions are recursive and checked by our own compiler; their schema is written here from
the same field and operator tables the compiler uses.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from deskplan.model import Ticket
from deskplan.rules.durations import EXAMPLES, PATTERN as DURATION_PATTERN
from deskplan.rules.fields import CUSTOM_PREFIX, FIELDS, KIND_OPERATORS, FieldSpec
from deskplan.rules.plan import CONDITION_MARK, Plan
from deskplan.rules.ruleset import RuleFile
from deskplan.rules.ruletests import RuleTestFile

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REF = "#/$defs/{model}"
ROOTS: dict[str, type[BaseModel]] = {"PlanFile": Plan, "RulesFile": RuleFile, "RuleTestsFile": RuleTestFile}


def build_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for name, model in ROOTS.items():
        defs[name] = _merge(defs, _generate(model))
    defs["Ticket"] = _merge(defs, _relaxed(_generate(Ticket)))
    defs["Condition"] = condition_schema()
    schema = {
        "$schema": DIALECT,
        "title": "deskplan plan, rule and rule-test files",
        "description": "plan.yaml, rules/*.yaml (top-level `rules:`) and rules/tests/*.yaml (top-level `tests:`)",
        "if": {"type": "object", "required": ["rules"]},
        "then": {"$ref": "#/$defs/RulesFile"},
        "else": {
            "if": {"type": "object", "required": ["tests"]},
            "then": {"$ref": "#/$defs/RuleTestsFile"},
            "else": {"$ref": "#/$defs/PlanFile"},
        },
        "$defs": defs,
    }
    _link(schema)
    return schema


def _generate(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(ref_template=REF)


def _merge(defs: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Move a generated schema's $defs into the shared ones; a name must mean one thing."""
    for name, definition in schema.pop("$defs", {}).items():
        if name in defs and defs[name] != definition:
            raise ValueError(f"two models generate different schemas under the name {name!r}")
        defs[name] = definition
    return schema


def _relaxed(ticket: dict[str, Any]) -> dict[str, Any]:
    """A test ticket: every field optional (the test runner fills in the rest)."""
    ticket = dict(ticket)
    ticket.pop("required", None)
    ticket["description"] = "canonical ticket fields; source, id, key, status and updated_at have defaults"
    return ticket


def _link(node: Any) -> None:
    """Replace the marked placeholders (see plan.ConditionData) and point test tickets at Ticket."""
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, dict) and value.get(CONDITION_MARK):
                node[key] = {"$ref": "#/$defs/Condition"}
            elif (key == "ticket" and isinstance(value, dict) and value.get("type") == "object"
                  and "properties" not in value):
                node[key] = {"$ref": "#/$defs/Ticket", **{k: v for k, v in value.items() if k == "description"}}
            else:
                _link(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict) and value.get(CONDITION_MARK):
                node[index] = {"$ref": "#/$defs/Condition"}
            else:
                _link(value)


# --- conditions -----------------------------------------------------------------------------

def condition_schema() -> dict[str, Any]:
    condition = {"$ref": "#/$defs/Condition"}
    properties: dict[str, Any] = {
        "all": {"type": "array", "minItems": 1, "items": condition, "description": "every condition holds"},
        "any": {"type": "array", "minItems": 1, "items": condition, "description": "at least one holds"},
        "not": {**condition, "description": "the condition does not hold"},
    }
    properties.update({name: _field_test(spec) for name, spec in FIELDS.items()})
    return {
        "type": "object",
        "minProperties": 1,
        "description": "all entries must hold: all/any/not, or FIELD: VALUE (eq) or FIELD: {OPERATOR: VALUE}",
        "properties": properties,
        "patternProperties": {
            f"^{CUSTOM_PREFIX.replace('.', '[.]')}.+$": _field_test(FieldSpec("custom", "any", lambda t: None)),
        },
        "additionalProperties": False,
    }


def _field_test(spec: FieldSpec) -> dict[str, Any]:
    operators = KIND_OPERATORS[spec.kind] + (("gt", "lt") if spec.ordered else ())
    ops = {op: _operand(spec, op) for op in operators}
    tests: dict[str, Any] = {
        "type": "object", "minProperties": 1, "properties": ops, "additionalProperties": False,
    }
    alternatives = [tests]
    if "eq" in ops:
        alternatives.insert(0, ops["eq"])
    out: dict[str, Any] = {"anyOf": alternatives}
    if spec.description:
        out["description"] = spec.description
    return out


def _operand(spec: FieldSpec, op: str) -> dict[str, Any]:
    single = _single(spec)
    if op in ("in", "not_in"):
        return {"type": "array", "minItems": 1, "items": single}
    if op == "matches":
        return {"type": "string", "description": "a regular expression (RE2 syntax, searched anywhere)"}
    if op == "exists":
        return {"type": "boolean"}
    if op == "older_than":
        return {"type": "string", "pattern": DURATION_PATTERN, "description": f"a duration such as {EXAMPLES}"}
    if op in ("gt", "lt") and spec.kind == "time":
        return {"type": "string", "format": "date-time"}
    return single


def _single(spec: FieldSpec) -> dict[str, Any]:
    if spec.choices:
        return {"enum": list(spec.choices)}
    if spec.kind == "any":
        return {"type": ["string", "number", "boolean"]}
    return {"type": ["string", "number"]}

