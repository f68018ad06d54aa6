"""The subset of JQL the simulator understands, with Jira's own answers to mistakes.

Supported: `AND`, `OR`, `NOT`, parentheses; `=`, `!=`, `>`, `>=`, `<`, `<=`, `~`, `IN`, `NOT IN`,
`IS [NOT] EMPTY`; fields project, key/issuekey/id, updated, created, resolved, labels, status,
statusCategory, priority, issuetype, resolution, assignee, reporter, creator, summary, text;
`ORDER BY` on updated, created, resolved, key, id, priority, status, project (≤ 7 fields).

Date literals follow Jira: quoted `yyyy/MM/dd HH:mm`, `yyyy-MM-dd HH:mm`, `yyyy/MM/dd`,
`yyyy-MM-dd` read in the *searching user's* time zone at minute precision; an unquoted number is
epoch milliseconds; periods such as `-5d` or `"-4w 2d"` count from now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deskplan_sandbox.jira.adf import adf_to_text
from deskplan_sandbox.jira.catalog import CATEGORIES, PRIORITIES, status_by_id, status_by_name
from deskplan_sandbox.jira.dates import parse_jira_datetime, to_ms
from deskplan_sandbox.jira.store import IssueRecord, IssueStore

OPERATORS = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"
DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
DATE_HELP = ("Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
             "or a period format e.g. '-5d', '4w 2d'.")
DATE_FIELDS = {"updated": "updated", "updateddate": "updated", "created": "created", "createddate": "created",
               "resolved": "resolutiondate", "resolutiondate": "resolutiondate"}
FIELDS = set(DATE_FIELDS) | {"project", "key", "issuekey", "id", "labels", "status", "statuscategory", "priority",
                             "issuetype", "type", "resolution", "assignee", "reporter", "creator", "summary",
                             "text"}
SORTABLE = {"updated", "updateddate", "created", "createddate", "resolved", "resolutiondate", "key", "issuekey",
            "id", "priority", "status", "project"}
MAX_ORDER_FIELDS = 7
_PERIOD = re.compile(r"^([+-]?)((?:\d+[wdhm]\s*)+)$")
_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|!~|>=|<=|=|>|<|~)"""
                    r"""|(?P<punct>[(),])|(?P<word>[^\s"'(),=!<>~]+))""")


class JqlError(ValueError):
    """A query Jira would refuse with 400; `str()` is Jira's message."""


@dataclass(frozen=True)
class Token:
    kind: str          # string | op | punct | word | eof
    text: str
    position: int      # 1-based character

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool
    function: str | None = None


@dataclass(frozen=True)
class Clause:
    field: str         # as written
    op: str            # = != > >= < <= ~ !~ IN NOT IN IS IS NOT
    values: tuple[Value, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str            # AND | OR
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    part: Any


@dataclass(frozen=True)
class Query:
    where: Any | None
    order: tuple[tuple[str, bool], ...]     # (field, descending)


# --- parsing ---------------------------------------------------------------------------------

def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(f"Error in the JQL Query: The character '{text[position]}' is a reserved JQL character. "
                           f"You must enclose it in a string or use the escape '\\u{ord(text[position]):04x}' instead. "
                           f"(line 1, character {position + 1})")
        kind = match.lastgroup or "word"
        start = match.start(kind) + 1
        tokens.append(Token(kind, match.group(kind), start))
        position = match.end()
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def is_word(self, *words: str) -> bool:
        return self.token.kind == "word" and self.token.upper in words

    def fail(self, expecting: str) -> JqlError:
        got = "EOF" if self.token.kind == "eof" else self.token.text
        return JqlError(f"Error in the JQL Query: Expecting {expecting} but got '{got}'. "
                        f"(line 1, character {self.token.position})")

    def query(self) -> Query:
        where = None
        if not self.is_word("ORDER") and self.token.kind != "eof":
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.is_word("ORDER"):
            self.take()
            if not self.is_word("BY"):
                raise self.fail("'by'")
            self.take()
            while True:
                if self.token.kind not in ("word", "string"):
                    raise self.fail("a field name")
                name = _unquote(self.take())
                descending = False
                if self.is_word("ASC", "DESC"):
                    descending = self.take().upper == "DESC"
                order.append((name, descending))
                if self.token.kind == "punct" and self.token.text == ",":
                    self.take()
                    continue
                break
        if self.token.kind != "eof":
            raise self.fail("either 'OR' or 'AND'" if where is not None else "a field name")
        return Query(where, tuple(order))

    def or_expr(self) -> Any:
        parts = [self.and_expr()]
        while self.is_word("OR"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("OR", tuple(parts))

    def and_expr(self) -> Any:
        parts = [self.not_expr()]
        while self.is_word("AND"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("AND", tuple(parts))

    def not_expr(self) -> Any:
        if self.is_word("NOT") or (self.token.kind == "op" and self.token.text == "!"):
            self.take()
            return Not(self.not_expr())
        if self.token.kind == "punct" and self.token.text == "(":
            self.take()
            inner = self.or_expr()
            if not (self.token.kind == "punct" and self.token.text == ")"):
                raise self.fail("')'")
            self.take()
            return inner
        return self.clause()

    def clause(self) -> Clause:
        if self.token.kind not in ("word", "string") or self.is_word("AND", "OR", "ORDER"):
            raise self.fail("a field name")
        field = _unquote(self.take())
        if self.token.kind == "op":
            op = self.take().text
            return Clause(field, op, (self.value(),))
        if self.is_word("IN"):
            self.take()
            return Clause(field, "IN", self.values())
        if self.is_word("NOT"):
            self.take()
            if not self.is_word("IN"):
                raise self.fail("'IN'")
            self.take()
            return Clause(field, "NOT IN", self.values())
        if self.is_word("IS"):
            self.take()
            op = "IS"
            if self.is_word("NOT"):
                self.take()
                op = "IS NOT"
            if not self.is_word("EMPTY", "NULL"):
                raise self.fail("'EMPTY'")
            self.take()
            return Clause(field, op, ())
        got = "EOF" if self.token.kind == "eof" else self.token.text
        raise JqlError(f"Error in the JQL Query: Expecting operator but got '{got}'. The valid operators are "
                       f"{OPERATORS}. (line 1, character {self.token.position})")

    def values(self) -> tuple[Value, ...]:
        if not (self.token.kind == "punct" and self.token.text == "("):
            raise self.fail("'('")
        self.take()
        values = [self.value()]
        while self.token.kind == "punct" and self.token.text == ",":
            self.take()
            values.append(self.value())
        if not (self.token.kind == "punct" and self.token.text == ")"):
            raise self.fail("')'")
        self.take()
        return tuple(values)

    def value(self) -> Value:
        token = self.token
        if token.kind == "string":
            self.take()
            return Value(_unquote(token), True)
        if token.kind == "word" and token.upper not in ("AND", "OR", "ORDER", "EMPTY", "NULL"):
            self.take()
            if self.token.kind == "punct" and self.token.text == "(":
                self.take()
                if not (self.token.kind == "punct" and self.token.text == ")"):
                    raise self.fail("')'")
                self.take()
                return Value(token.text, False, function=token.text.lower())
            return Value(token.text, False)
        got = "EOF" if token.kind == "eof" else token.text
        raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got '{got}'. "
                       f"You must surround '{got}' in quotation marks to use it as a value. "
                       f"(line 1, character {token.position})")


def _unquote(token: Token) -> str:
    if token.kind != "string":
        return token.text
    return re.sub(r"\\(.)", r"\1", token.text[1:-1])


def parse(text: str) -> Query:
    """Parse and check the shape of a query; values are checked by `compile_query`."""
    query = _Parser(text or "").query()
    for name, _ in query.order:
        if name.lower() not in SORTABLE:
            raise JqlError(f"Not able to sort using field '{name}'.")
    if len(query.order) > MAX_ORDER_FIELDS:
        raise JqlError(f"The ORDER BY clause can contain a maximum of {MAX_ORDER_FIELDS} fields.")
    return query


# --- evaluation ------------------------------------------------------------------------------

Predicate = Callable[[IssueRecord], bool]


@dataclass
class Context:
    store: IssueStore
    zone: ZoneInfo             # the searching user's time zone
    now: datetime
    myself: str                # accountId of currentUser()


def compile_query(query: Query, context: Context) -> Predicate:
    if query.where is None:
        return lambda record: True
    return _compile(query.where, context)


def _compile(node: Any, context: Context) -> Predicate:
    if isinstance(node, BoolOp):
        parts = [_compile(part, context) for part in node.parts]
        if node.op == "AND":
            return lambda record: all(part(record) for part in parts)
        return lambda record: any(part(record) for part in parts)
    if isinstance(node, Not):
        inner = _compile(node.part, context)
        return lambda record: not inner(record)
    return _clause(node, context)


def _clause(clause: Clause, context: Context) -> Predicate:
    name = clause.field.lower()
    if name not in FIELDS:
        raise JqlError(f"Field '{clause.field}' does not exist or you do not have permission to view it.")
    if name in DATE_FIELDS:
        return _date_clause(clause, DATE_FIELDS[name], context)
    if clause.op in ("IS", "IS NOT"):
        getter = _EMPTY_GETTERS.get(name)
        if getter is None:
            raise JqlError(f"The field '{clause.field}' does not support searching for EMPTY values.")
        empty = clause.op == "IS"
        return lambda record: getter(record) == empty
    if clause.op in ("~", "!~"):
        if name not in ("summary", "text"):
            raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' field.")
        needle = clause.values[0].text.lower().strip("*")
        found: Predicate = (lambda r: needle in (r.fields.get("summary") or "").lower()) if name == "summary" else (
            lambda r: needle in ((r.fields.get("summary") or "") + "\n"
                                 + adf_to_text(r.fields.get("description"))).lower())
        return found if clause.op == "~" else (lambda record: not found(record))
    if name in ("summary", "text"):
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' field.")
    if clause.op in (">", ">=", "<", "<=") and name not in ("key", "issuekey", "id", "priority"):
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' field.")
    matcher = _VALUE_MATCHERS[name](clause, context)
    if clause.op in ("=", "IN"):
        return matcher
    if clause.op in ("!=", "NOT IN"):
        return lambda record: not matcher(record)
    return _ordered_clause(clause, name, context)


def _labels(clause: Clause, context: Context) -> Predicate:
    wanted = {v.text for v in clause.values}
    return lambda record: bool(wanted & set(record.fields.get("labels") or []))


def _project(clause: Clause, context: Context) -> Predicate:
    keys = set()
    for value in clause.values:
        project = _find_project(context.store, value.text)
        if project is None:
            raise JqlError(f"The value '{value.text}' does not exist for the field '{clause.field}'.")
        keys.add(project["key"].upper())
    return lambda record: record.project_key.upper() in keys


def _find_project(store: IssueStore, text: str) -> dict[str, Any] | None:
    lowered = text.lower()
    for project in store.projects.values():
        if lowered in (project["key"].lower(), str(project.get("id")), str(project.get("name", "")).lower()):
            return project
    return None


def _issue_keys(clause: Clause, context: Context) -> Predicate:
    ids = set()
    for value in clause.values:
        record = context.store.get(value.text)
        if record is None:
            if _find_project(context.store, value.text.rsplit("-", 1)[0]) is None and not value.text.isdigit():
                raise JqlError(f"The issue key '{value.text}' for field '{clause.field}' is invalid.")
            raise JqlError(f"An issue with key '{value.text}' does not exist for field '{clause.field}'.")
        ids.add(record.id)
    return lambda record: record.id in ids


def _status(clause: Clause, context: Context) -> Predicate:
    ids = set()
    for value in clause.values:
        status = status_by_id(value.text) or status_by_name(value.text)
        if status is None:
            raise JqlError(f"The value '{value.text}' does not exist for the field '{clause.field}'.")
        ids.add(status.id)
    return lambda record: record.status.get("id") in ids


def _status_category(clause: Clause, context: Context) -> Predicate:
    keys = set()
    for value in clause.values:
        lowered = value.text.lower()
        key = next((k for k, c in CATEGORIES.items() if lowered in (k, c["name"].lower(), str(c["id"]))), None)
        if key is None:
            raise JqlError(f"The value '{value.text}' does not exist for the field '{clause.field}'.")
        keys.add(key)
    return lambda record: record.status_category() in keys


def _named(field_name: str, known: Callable[[str], bool]) -> Callable[[Clause, Context], Predicate]:
    def build(clause: Clause, context: Context) -> Predicate:
        wanted = set()
        for value in clause.values:
            if not known(value.text):
                raise JqlError(f"The value '{value.text}' does not exist for the field '{clause.field}'.")
            wanted.add(value.text.lower())

        def matches(record: IssueRecord) -> bool:
            current = record.fields.get(field_name) or {}
            return str(current.get("name", "")).lower() in wanted or str(current.get("id", "")).lower() in wanted
        return matches
    return build


def _resolution(clause: Clause, context: Context) -> Predicate:
    wanted = {v.text.lower() for v in clause.values}

    def matches(record: IssueRecord) -> bool:
        resolution = record.fields.get("resolution")
        if resolution is None:
            return "unresolved" in wanted
        return str(resolution.get("name", "")).lower() in wanted or str(resolution.get("id")) in wanted
    return matches


def _user(field_name: str) -> Callable[[Clause, Context], Predicate]:
    def build(clause: Clause, context: Context) -> Predicate:
        wanted = {context.myself if v.function == "currentuser" else v.text for v in clause.values}
        return lambda record: (record.fields.get(field_name) or {}).get("accountId") in wanted
    return build


def _priority_rank(record: IssueRecord) -> int | None:
    priority = record.fields.get("priority") or {}
    return next((i for i, (pid, name) in enumerate(PRIORITIES)
                 if pid == priority.get("id") or name == priority.get("name")), None)


def _ordered_clause(clause: Clause, name: str, context: Context) -> Predicate:
    """`>`/`<` on keys (same project, by number) and priorities (higher = more urgent)."""
    compare = _COMPARE[clause.op]
    value = clause.values[0].text
    if name == "priority":
        rank = next((i for i, (pid, pname) in enumerate(PRIORITIES) if value.lower() in (pid, pname.lower())), None)
        if rank is None:
            raise JqlError(f"The value '{value}' does not exist for the field '{clause.field}'.")
        # Highest has rank 0; "priority > Low" means more urgent than Low.
        return lambda record: (r := _priority_rank(record)) is not None and compare(-r, -rank)
    target = context.store.get(value)
    if target is None:
        raise JqlError(f"An issue with key '{value}' does not exist for field '{clause.field}'.")
    return lambda record: record.project_key == target.project_key and compare(record.number, target.number)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
}

_VALUE_MATCHERS: dict[str, Callable[[Clause, Context], Predicate]] = {
    "project": _project,
    "key": _issue_keys,
    "issuekey": _issue_keys,
    "id": _issue_keys,
    "labels": _labels,
    "status": _status,
    "statuscategory": _status_category,
    "priority": _named("priority", lambda v: any(v.lower() in (pid, name.lower()) for pid, name in PRIORITIES)),
    "issuetype": _named("issuetype", lambda v: True),
    "type": _named("issuetype", lambda v: True),
    "resolution": _resolution,
    "assignee": _user("assignee"),
    "reporter": _user("reporter"),
    "creator": _user("creator"),
}

_EMPTY_GETTERS: dict[str, Callable[[IssueRecord], bool]] = {
    "labels": lambda r: not r.fields.get("labels"),
    "assignee": lambda r: not r.fields.get("assignee"),
    "reporter": lambda r: not r.fields.get("reporter"),
    "creator": lambda r: not r.fields.get("creator"),
    "resolution": lambda r: not r.fields.get("resolution"),
    "priority": lambda r: not r.fields.get("priority"),
    "summary": lambda r: not r.fields.get("summary"),
}


# --- dates -----------------------------------------------------------------------------------

def date_value(value: Value, field: str, context: Context) -> int:
    """Epoch ms of a JQL date literal, as Jira reads it for the searching user."""
    text = value.text.strip()
    if value.function:
        if value.function == "now":
            return to_ms(context.now)
        if value.function == "startofday":
            local = context.now.astimezone(context.zone)
            return to_ms(local.replace(hour=0, minute=0, second=0, microsecond=0))
        raise JqlError(f"Unable to find JQL function '{value.text}()'.")
    if not value.quoted and re.fullmatch(r"-?\d+", text):
        return int(text)
    period = _PERIOD.match(text)
    if period:
        sign = -1 if period.group(1) == "-" else 1
        delta = timedelta()
        for amount, unit in re.findall(r"(\d+)([wdhm])", period.group(2)):
            delta += timedelta(**{{"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[unit]: int(amount)})
        return to_ms(context.now + sign * delta)
    for layout in DATE_FORMATS:
        try:
            naive = datetime.strptime(text, layout)
        except ValueError:
            continue
        return to_ms(naive.replace(tzinfo=context.zone))
    raise JqlError(f"Date value '{value.text}' for field '{field}' is invalid. {DATE_HELP}")


def _date_clause(clause: Clause, field: str, context: Context) -> Predicate:
    def moment(record: IssueRecord) -> int | None:
        if field == "updated":
            return record.updated_ms
        if field == "created":
            return record.created_ms
        raw = record.fields.get(field)
        return to_ms(parse_jira_datetime(raw)) if raw else None

    if clause.op in ("IS", "IS NOT"):
        empty = clause.op == "IS"
        return lambda record: (moment(record) is None) == empty
    if clause.op in ("~", "!~"):
        raise JqlError(f"The operator '{clause.op}' is not supported by the '{clause.field}' field.")
    bounds = [date_value(v, clause.field, context) for v in clause.values]
    if clause.op in ("IN", "NOT IN"):
        wanted = set(bounds)
        inside = clause.op == "IN"
        return lambda record: (moment(record) in wanted) == inside
    compare = _COMPARE[clause.op]
    bound = bounds[0]
    return lambda record: (m := moment(record)) is not None and compare(m, bound)


def updated_lower_bound(query: Query, context: Context) -> int | None:
    """A bound `updated >= X` that every match must meet (lets search skip older issues)."""
    node = query.where
    parts = node.parts if isinstance(node, BoolOp) and node.op == "AND" else (node,)
    bounds = []
    for part in parts:
        if isinstance(part, Clause) and DATE_FIELDS.get(part.field.lower()) == "updated" and part.op in (">=", ">"):
            bounds.append(date_value(part.values[0], part.field, context))
    return max(bounds) if bounds else None


def depends_on_now(query: Query) -> bool:
    """Whether the query's meaning moves with the clock (`-5d`, `now()`, `currentUser()` aside)."""
    def visit(node: Any) -> bool:
        if isinstance(node, BoolOp):
            return any(visit(part) for part in node.parts)
        if isinstance(node, Not):
            return visit(node.part)
        if isinstance(node, Clause) and node.field.lower() in DATE_FIELDS:
            return any(v.function or _PERIOD.match(v.text.strip()) for v in node.values)
        return False
    return query.where is not None and visit(query.where)


# --- ordering --------------------------------------------------------------------------------

def sort_key(order: tuple[tuple[str, bool], ...]) -> Callable[[IssueRecord], tuple[Any, ...]]:
    """A JSON-friendly, totally ordered key (ties broken by issue id) for keyset paging."""
    default = (("created", True),)
    parts = [(_SORT_VALUES[name.lower()], descending) for name, descending in (order or default)]

    def key(record: IssueRecord) -> tuple[Any, ...]:
        values = []
        for getter, descending in parts:
            values.append(_directed(getter(record), descending))
        values.append(int(record.id) if record.id.isdigit() else 0)
        return tuple(values)
    return key


def _directed(value: Any, descending: bool) -> Any:
    # Empty values sort last ascending and first descending; descending flips numbers and strings.
    if value is None:
        return [1] if not descending else [0]
    if isinstance(value, tuple):
        flipped = [_flip(v, descending) for v in value]
        return [0, *flipped] if not descending else [1, *flipped]
    return [0, _flip(value, descending)] if not descending else [1, _flip(value, descending)]


def _resolved_ms(record: IssueRecord) -> int | None:
    resolved = record.fields.get("resolutiondate")
    return to_ms(parse_jira_datetime(resolved)) if resolved else None


def _flip(value: Any, descending: bool) -> Any:
    if not descending:
        return value
    if isinstance(value, str):
        return [-ord(c) for c in value] + [1]
    return -value


_SORT_VALUES: dict[str, Callable[[IssueRecord], Any]] = {
    "updated": lambda r: r.updated_ms,
    "updateddate": lambda r: r.updated_ms,
    "created": lambda r: r.created_ms,
    "createddate": lambda r: r.created_ms,
    "resolved": lambda r: _resolved_ms(r),
    "resolutiondate": lambda r: _resolved_ms(r),
    "key": lambda r: (r.project_key, r.number),
    "issuekey": lambda r: (r.project_key, r.number),
    "id": lambda r: int(r.id) if r.id.isdigit() else 0,
    "priority": lambda r: _priority_rank(r),
    "status": lambda r: (r.status.get("name") or "").lower(),
    "project": lambda r: r.project_key,
}


def normalise_key(value: Any) -> Any:
    """JSON lists back into the tuples/lists `sort_key` builds (tokens carry keys as JSON)."""
    return tuple(value) if isinstance(value, list) else value
