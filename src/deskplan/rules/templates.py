"""Templates in rule files (task titles and bodies, comment overrides), sandboxed and bounded.

Rule owners write `{{ ticket.key }}`; they can never run code: templates render in jinja2's
sandbox (no access to Python internals) with StrictUndefined, and within limits on the text
they build, the time they take, how far they loop and how deep they recurse
(template_limits.py). Names and ticket attributes are checked when the rules load, and every
template is rendered once for a sample ticket, so that a typo or a template that would run
away is a FILE:LINE:COL problem rather than a broken task at 3 a.m.; what cannot be checked
then (a custom field the ticket lacks) fails at render time with a TemplateRenderError naming
the rule, for that ticket only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError

from deskplan.errors import DeskplanError
from deskplan.model import EventKind, Priority, Satisfaction, Score, Status, Ticket, TimelineEvent
from deskplan.rules.suggest import suggest
from deskplan.rules.template_limits import (
    MAX_TEMPLATE_DEPTH,
    BoundedEnvironment,
    TemplateLimitError,
    render_bounded,
)

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


def make_environment() -> BoundedEnvironment:
    """One environment per loaded workspace (it caches compiled templates)."""
    return BoundedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def _shown(source: str, limit: int = 80) -> str:
    """A template as an error message quotes it: its start, if it is long."""
    return source if len(source) <= limit else source[:limit] + "…"


@dataclass(frozen=True)
class RuleTemplate:
    """A checked template of one rule."""

    source: str
    rule_id: str
    template: Template

    def render(self, context: Mapping[str, Any]) -> str:
        """The text for one ticket. Whatever goes wrong (a missing custom field, a limit) is a
        TemplateRenderError naming the rule: it fails this ticket, not the run."""
        try:
            return self.render_unchecked(context)
        except Exception as exc:            # a template's every failure is the template's, not deskplan's
            raise TemplateRenderError(f"rule {self.rule_id}: template {_shown(self.source)!r}: {exc}") from None

    def render_unchecked(self, context: Mapping[str, Any]) -> str:
        """The text, within the limits (template_limits.py); errors as the template raised them."""
        return render_bounded(self.template.generate(context))


def compile_template(env: BoundedEnvironment, source: str, rule_id: str, names: Iterable[str]) -> RuleTemplate:
    """Parse and check a template. Raises TemplateProblem for a syntax error, an unknown name,
    an unknown ticket attribute, or a template nested too deeply to compile."""
    allowed = frozenset(names)
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        where = f" (line {exc.lineno} of the template)" if "\n" in source else ""
        raise TemplateProblem(f"template syntax: {exc.message}{where}") from None
    except TemplateLimitError as exc:
        raise TemplateProblem(str(exc)) from None
    except RecursionError:
        raise TemplateProblem(f"the template nests too deeply (brackets in brackets?); "
                              f"at most {MAX_TEMPLATE_DEPTH} levels") from None
    except Exception as exc:           # the lexer's own errors, e.g. a number too long to read
        raise TemplateProblem(f"the template cannot be read: {exc}") from None
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
    if unknown:
        name = unknown[0]
        raise TemplateProblem(f"unknown name {name!r} in template{suggest(name, sorted(allowed))}; "
                              f"available: {', '.join(sorted(allowed))}")
    for attr in _ticket_attributes(tree):
        if attr not in TICKET_KEYS:
            raise TemplateProblem(f"ticket has no {attr!r}{suggest(attr, TICKET_KEYS)}; "
                                  f"it has: {', '.join(TICKET_KEYS)}")
    try:
        template = env.from_string(tree)
    except SyntaxError as exc:          # Python's own limits on the compiled code: 20 nested loops
        raise TemplateProblem(f"the template nests too deeply to compile ({exc.msg})") from None
    except RecursionError:
        raise TemplateProblem(f"the template nests too deeply to compile; "
                              f"at most {MAX_TEMPLATE_DEPTH} levels") from None
    return RuleTemplate(source, rule_id, template)


def sample_problem(template: RuleTemplate, names: Iterable[str], rule: Mapping[str, Any]) -> str | None:
    """What stops `template` when it renders for the sample ticket, if that is a limit or the
    sandbox: those stop it for every ticket. Other failures (a custom field the sample lacks,
    a branch the sample takes and real tickets do not) are left to the tickets themselves."""
    context = {name: value for name, value in sample_context(rule).items() if name in frozenset(names)}
    try:
        template.render_unchecked(context)
    except (TemplateLimitError, SecurityError) as exc:
        return f"for a sample ticket, the template stops: {exc}"
    except Exception:
        return None
    return None


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


# --- the sample ticket templates are rendered for when the rules load ------------------------

class _SampleCustom(dict[str, Any]):
    """The sample's custom fields: any name a template asks for has a value, so that a template
    is rendered past `ticket.custom.<name>` to whatever follows it."""

    def __missing__(self, key: str) -> str:
        return f"sample {key} 示例"


_AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

SAMPLE_TICKET = Ticket(
    source="sample",
    id="10001",
    key="SD-1001",
    url="https://example.com/tickets/10001",
    subject="Order #A-1001 never arrived / 订单 A-1001 未送达",
    description=("I ordered a blender on 20 February and it has not arrived.\n"
                 "我在 2 月 20 日订购了一台搅拌机，至今未收到。请尽快处理。"),
    status=Status.OPEN,
    status_raw="Waiting for support",
    priority=Priority.URGENT,
    type="incident",
    channel="email",
    tags=("vip", "delivery", "投诉"),
    group="Customer service 客服部",
    organization="Example Trading 示例贸易",
    requester="5b10a2844c20165700ede21g",
    assignee="5b10ac8d82e05b22cc7d4ef5",
    requester_name="Li Wei 李伟",
    assignee_name="Sam Taylor",
    created_at=_AT,
    updated_at=_AT.replace(hour=11),
    solved_at=_AT.replace(hour=12),
    satisfaction=Satisfaction(score=Score.BAD, comment="Nobody called me back. 没有人给我回电话。",
                              at=_AT.replace(hour=13)),
    custom={"request_type": "Make a complaint", "order_id": "A-1001"},
    timeline=(
        TimelineEvent(at=_AT, kind=EventKind.STATUS, status=Status.NEW),
        TimelineEvent(at=_AT.replace(hour=10), kind=EventKind.PUBLIC_REPLY, author="5b10ac8d82e05b22cc7d4ef5",
                      body="We are looking into it. 我们正在处理。"),
    ),
)
"""A ticket with every field set, in English and Chinese: what each template renders for
when the rules load."""


def sample_context(rule: Mapping[str, Any]) -> dict[str, Any]:
    """Everything a task or comment template may use, for the sample ticket and `rule`."""
    ticket = ticket_context(SAMPLE_TICKET)
    ticket["custom"] = _SampleCustom(ticket["custom"])
    measure = {"id": "M1", "title": "24-hour support rota / 24 小时值班", "owner": "customer service"}
    clock = {"kind": "first_reply", "state": "breached", "target": "30m", "due": "2026-03-02 10:00",
             "elapsed": "2h", "remaining": "0m", "overdue": "1h 30m", "paused": False,
             "calendar": "support-hours", "rule_id": str(rule.get("id", ""))}
    return {
        "ticket": ticket,
        "rule": {"id": str(rule.get("id", "")), "description": str(rule.get("description", ""))},
        "measure": measure,
        "plan": {"id": "sample-plan", "title": "Service improvement plan / 服务改进计划"},
        "measures": [measure],
        "clocks": [clock, {**clock, "kind": "resolution", "state": "running", "overdue": "0m"}],
    }
