"""Templates in rule files (task titles and bodies, comment overrides), sandboxed.

Rule owners write `{{ ticket.key }}`; they can never run code: templates render in jinja2's
SandboxedEnvironment (no access to Python internals) with StrictUndefined. Names and ticket
attributes are checked when the rules load, so a typo is a FILE:LINE:COL problem rather
than a broken task at 3 a.m.; what cannot be checked then (a custom field the ticket lacks)
fails at render time with a TemplateRenderError naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from deskplan.errors import DeskplanError
from deskplan.model import Ticket
from deskplan.rules.suggest import suggest

TICKET_KEYS = (
    "ref", "source", "id", "key", "url", "subject", "description", "status", "priority", "type",
    "channel", "tags", "group", "organization", "requester", "assignee", "requester_name", "assignee_name",
    "created_at", "updated_at", "solved_at", "satisfaction", "custom",
)
SATISFACTION_KEYS = ("score", "comment", "at")

TASK_NAMES = frozenset({"ticket", "rule", "measure", "plan"})
"""What a task title or body may use: the ticket, the rule ({id, description}), the rule's
measure ({id, title, owner}, or none) and the plan ({id, title})."""

COMMENT_NAMES = frozenset({"ticket", "rule", "plan", "measures", "clocks"})
"""What a status-comment override may use: besides ticket, rule and plan, `measures` (a list of
{id, title, owner}) and `clocks` (the SLA clocks the write-back passes in)."""


class TemplateProblem(ValueError):
    """A template that cannot work; the message is what the rule owner reads."""


class TemplateRenderError(DeskplanError):
    """A template failed while rendering for one ticket (e.g. a missing custom field)."""


def make_environment() -> SandboxedEnvironment:
    """One environment per loaded workspace (it caches compiled templates)."""
    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        finalize=lambda value: "" if value is None else value,   # an empty group reads as nothing
    )


@dataclass(frozen=True)
class RuleTemplate:
    """A checked template of one rule."""

    source: str
    rule_id: str
    template: Template

    def render(self, context: Mapping[str, Any]) -> str:
        try:
            return self.template.render(context)
        except TemplateError as exc:
            raise TemplateRenderError(f"rule {self.rule_id}: template {self.source!r}: {exc}") from None


def compile_template(env: SandboxedEnvironment, source: str, rule_id: str, names: Iterable[str]) -> RuleTemplate:
    """Parse and check a template. Raises TemplateProblem for a syntax error, an unknown name
    or an unknown ticket attribute."""
    allowed = frozenset(names)
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        where = f" (line {exc.lineno} of the template)" if "\n" in source else ""
        raise TemplateProblem(f"template syntax: {exc.message}{where}") from None
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
    if unknown:
        name = unknown[0]
        raise TemplateProblem(f"unknown name {name!r} in template{suggest(name, sorted(allowed))}; "
                              f"available: {', '.join(sorted(allowed))}")
    for attr in _ticket_attributes(tree):
        if attr not in TICKET_KEYS:
            raise TemplateProblem(f"ticket has no {attr!r}{suggest(attr, TICKET_KEYS)}; "
                                  f"it has: {', '.join(TICKET_KEYS)}")
    return RuleTemplate(source, rule_id, env.from_string(tree))


def _ticket_attributes(tree: nodes.Template) -> Iterable[str]:
    """`ticket.X` and `ticket['X']` directly on the ticket (what deeper is unknowable here)."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if not isinstance(node, nodes.Getattr | nodes.Getitem):     # what find_all found; typed as any node
            continue
        if isinstance(node.node, nodes.Name) and node.node.name == "ticket":
            if isinstance(node, nodes.Getattr):
                yield node.attr
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                yield node.arg.value


def ticket_context(ticket: Ticket) -> dict[str, Any]:
    """The ticket as templates see it: plain values (enums as their names, times as datetimes)."""
    sat = ticket.satisfaction
    return {
        "ref": ticket.ref,
        "source": ticket.source,
        "id": ticket.id,
        "key": ticket.key,
        "url": ticket.url,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status.value,
        "priority": ticket.priority.value if ticket.priority else None,
        "type": ticket.type,
        "channel": ticket.channel,
        "tags": list(ticket.tags),
        "group": ticket.group,
        "organization": ticket.organization,
        "requester": ticket.requester,
        "assignee": ticket.assignee,
        "requester_name": ticket.requester_name,
        "assignee_name": ticket.assignee_name,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "solved_at": ticket.solved_at,
        "satisfaction": {"score": sat.score.value, "comment": sat.comment, "at": sat.at} if sat else None,
        "custom": dict(ticket.custom),
    }
