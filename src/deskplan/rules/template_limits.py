"""The bounds on a rule template: how much text it builds, how long it runs, how far it loops
and recurses (README, "rules/*.yaml": limits).

The sandbox (jinja2's) keeps a template away from Python; this module keeps it from hanging or
exhausting memory. Every step that can build something passes through one of a few points, and
each point checks the clock and what it is about to build:

- every arithmetic operator (`intercepted_binops`: `call_binop`), which also keeps jinja2 from
  computing `9 ** (9 ** 9)` while it compiles: an intercepted operator is never constant-folded;
- every call (`call`): methods, macros (counted, for recursion), `range`, `loop(...)`;
- every filter (each is wrapped, and takes the render context, so none runs at compile time);
- every piece of output, literal text included (`finalize`, and the parse step turns literal
  text into expressions so that it passes there too), even into a `{% set %}` block or a macro;
- every loop iteration (the parse step wraps the iterable of each `for`);
- `~` (the parse step turns it into a bounded join).

What a step would build is predicted before it is built where one step can multiply (`*`,
`**`, `%`, `str.format`, `replace`, `join`, `indent`, widths and counts); everything built is
then measured and added up. Nothing here uses signals or threads: the deadline is read at the
same points, so a template stops within one step of it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from string import Formatter
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.exceptions import TemplateRuntimeError
from jinja2.runtime import Context, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Namespace
from jinja2.visitor import NodeTransformer

# --- the limits ------------------------------------------------------------------------------

MAX_TEXT_CHARS = 100_000
"""The largest text (or list, counted in items) a template may build, and the longest text it
may render. A helpdesk takes far less in one field (Jira: 32,767 characters in a text field;
Zendesk: 64 KB in a comment), so no working template needs more, and a ticket's whole
description still fits; a runaway template stops at a few hundred KB."""

MAX_RENDER_CHARS = 2_000_000
"""All that one rendering builds, added up: every operator's, call's and filter's result and
every piece of output, in characters and items. Twenty times the largest text: room for a
template that reworks a ticket's longest text several times, while repeating allowed steps in a
loop cannot take more than some 10 MB."""

MAX_INTEGER_DIGITS = 1_000
"""The most digits a number built by a template may have. A count, an amount or an id has a
few dozen at most; `9 ** (9 ** 9)` would have 370 million, and Python cannot even print one of
more than 4,300."""

MAX_ITERATIONS = 10_000
"""Loop iterations in one rendering, every loop counted, and the most numbers `range()` makes.
A ticket's lists (tags, measures, SLA clocks, a custom field's values) hold tens of items, so
a real template loops a few hundred times at most; loops nested over `range()` stop here."""

MAX_CALL_DEPTH = 32
"""How deep macros may call macros (and `loop(...)` recurse). A recursive macro walks data a
few levels deep; each level costs about eight Python frames, so 32 stays well inside Python's
recursion limit and the problem is reported as this limit, not as a RecursionError."""

MAX_TEMPLATE_DEPTH = 40
"""How deeply a template may nest: tags in tags, and operators, filters and brackets in an
expression. Titles and comments nest a handful of levels. jinja2 parses each level of brackets
with some fifteen Python frames and compiles each level into nested Python code, which Python
refuses past 200 nested brackets (and 20 nested loops); 40 stays inside both, so a template is
either within it or reported at its position, never a RecursionError."""

MAX_RENDER_SECONDS = 1.0
"""How long one rendering may take. A real template renders in well under a millisecond, so a
second is a thousand times that; and it bounds what one bad template costs a sync per ticket."""

MAX_INTEGER_BITS = int(MAX_INTEGER_DIGITS * 3.3220) + 1      # log2(10) bits a digit
_JSON_INDENT = 16                                              # tojson(indent=...) at most


class TemplateLimitError(TemplateRuntimeError):
    """A template went past one of the limits above; the message says which, in the rule
    owner's words."""


# --- one rendering's budget ------------------------------------------------------------------

class Budget:
    """What one rendering may still spend: time, characters, iterations, call depth."""

    __slots__ = ("deadline", "built", "iterations", "depth")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS
        self.built = 0
        self.iterations = 0
        self.depth = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"rendering took longer than {MAX_RENDER_SECONDS:g} s")

    def iterate(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise TemplateLimitError(f"loops ran more than {MAX_ITERATIONS:,} times")
        self.tick()

    def charge(self, value: Any, what: str) -> Any:
        """`value`, once it is known to be within the limits; counted as built."""
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INTEGER_BITS:
            raise TemplateLimitError(f"{what} makes a number of more than {MAX_INTEGER_DIGITS:,} digits")
        size = measure(value, MAX_TEXT_CHARS)
        if size > MAX_TEXT_CHARS:
            raise TemplateLimitError(f"{what} makes {_amount(size)}; at most {MAX_TEXT_CHARS:,}")
        self.built += size
        if self.built > MAX_RENDER_CHARS:
            raise TemplateLimitError(f"the template builds more than {MAX_RENDER_CHARS:,} characters and items "
                                     "in all (repeated work in a loop?)")
        return value


_BUDGET: ContextVar[Budget | None] = ContextVar("deskplan_template_budget", default=None)


def budget() -> Budget:
    """The budget of the rendering under way (a fresh one outside `render_bounded`, so that a
    template rendered some other way is still bounded step by step)."""
    return _BUDGET.get() or Budget()


def render_bounded(stream: Iterator[str]) -> str:
    """Join a template's output stream under a fresh budget, stopping as soon as the output
    passes MAX_TEXT_CHARS (the stream is closed, so nothing more is computed)."""
    token = _BUDGET.set(Budget())
    chunks: list[str] = []
    size = 0
    try:
        for chunk in stream:
            size += len(chunk)
            if size > MAX_TEXT_CHARS:
                raise TemplateLimitError(f"the text is longer than {MAX_TEXT_CHARS:,} characters")
            chunks.append(chunk)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        _BUDGET.reset(token)
    return "".join(chunks)


# --- sizes -----------------------------------------------------------------------------------

def measure(value: Any, limit: int) -> int:
    """Characters and items in `value`, nested lists and mappings counted whole (each time they
    are referred to: that is what printing or joining them would make); counting stops past
    `limit`. Iterative, so deep nesting costs no recursion."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, Namespace):
            attrs = object.__getattribute__(item, "_Namespace__attrs")
            total += len(attrs)
            stack.extend(attrs.values())
        elif isinstance(item, Cycler):
            total += len(item.items)
            stack.extend(item.items)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 1
        if total > limit:
            return total
    return total


def _text_size(value: Any) -> int:
    """About how many characters `str(value)` has, found without making it."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    if isinstance(value, float):
        return 400          # the widest float printed whole (1e308 as %f)
    if isinstance(value, Undefined):
        return 0            # printing it fails, as it should, in the step itself
    if isinstance(value, Mapping | list | tuple | set | frozenset | Namespace | Cycler):
        # Each item counted once stands for its quotes and comma; escapes can make the text
        # longer still, which the measure of the result then catches (at a few times the limit).
        return measure(value, MAX_TEXT_CHARS) + 16
    return len(str(value))


def _amount(size: int) -> str:
    return f"more than {MAX_TEXT_CHARS:,} characters or items" if size > MAX_TEXT_CHARS else f"{size:,}"


def _expect(predicted: int, what: str) -> None:
    if predicted > MAX_TEXT_CHARS:
        raise TemplateLimitError(f"{what} would make {predicted:,} characters or items; at most {MAX_TEXT_CHARS:,}")


def _count(value: Any, limit: int, what: str) -> None:
    """A width, count or precision given to a filter or method: at most `limit`."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
        shown = f"{value:,}" if value.bit_length() < 64 else "a number of more than 18 digits"
        bound = f"more than {limit:,}" if value > 0 else f"less than -{limit:,}"
        raise TemplateLimitError(f"{what}: {shown} is {bound}")


def _number(digits: str) -> int:
    """A width or precision written in a format string (long runs of digits count as huge)."""
    return int(digits) if len(digits) <= 9 else 10 ** 9


# --- predictions for the steps that multiply -------------------------------------------------

def _binop_size(op: str, left: Any, right: Any) -> None:
    """Refuse `left op right` before computing it when it would go past a limit."""
    sequences = (str, bytes, list, tuple)
    if op == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(times, int) and times > 0:
                _expect(measure(seq, MAX_TEXT_CHARS + 1) * times, "`*`")
        if isinstance(left, int) and isinstance(right, int) and \
                left.bit_length() + right.bit_length() > MAX_INTEGER_BITS:
            raise TemplateLimitError(f"`*` makes a number of more than {MAX_INTEGER_DIGITS:,} digits")
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 and \
                (left.bit_length() - 1) * right > MAX_INTEGER_BITS:
            digits = int((left.bit_length() - 1) * right * 0.30103)
            raise TemplateLimitError(f"`**` makes a number of about {digits:,} digits; "
                                     f"at most {MAX_INTEGER_DIGITS:,}")
    elif op == "+":
        if isinstance(left, sequences) and isinstance(right, sequences):
            _expect(measure(left, MAX_TEXT_CHARS + 1) + measure(right, MAX_TEXT_CHARS + 1), "`+`")
    elif op == "%" and isinstance(left, str):
        _expect(printf_size(left, right), "`%`")


_PRINTF = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?[hlL]?(?P<conv>.)",
                     re.DOTALL)


def printf_size(fmt: str, args: Any) -> int:
    """At most how many characters `fmt % args` has."""
    mapping = args if isinstance(args, Mapping) else None
    positional = iter(args if isinstance(args, tuple) else (args,))
    total = len(fmt)
    for match in _PRINTF.finditer(fmt):
        for part in (match["width"], match["prec"]):
            if part == "*":
                star = next(positional, 0)
                total += abs(star) if isinstance(star, int) else 0
            elif part:
                total += _number(part)
        if match["conv"] == "%":
            continue
        if match["key"] is not None and mapping is not None:
            value = mapping.get(match["key"], "")
        else:
            value = next(positional, "")
        total += _text_size(value) * (10 if match["conv"] in "ra" else 1)
    return total


def format_size(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """At most how many characters `fmt.format(*args, **kwargs)` has."""
    total = 0
    auto = 0
    largest = max((abs(v) for v in (*args, *kwargs.values()) if isinstance(v, int)), default=0)
    for literal, field_name, spec, conversion in Formatter().parse(fmt):
        total += len(literal)
        if field_name is None:
            continue
        name = re.match(r"[^.\[]*", field_name).group()      # type: ignore[union-attr]  # always matches
        if name == "":
            value = args[auto] if auto < len(args) else ""
            auto += 1
        elif name.isdigit():
            index = _number(name)
            value = args[index] if index < len(args) else ""
        else:
            value = kwargs.get(name, "")
        total += _text_size(value) * (10 if conversion in ("r", "a") else 1)
        if spec:
            total += sum(_number(d) for d in re.findall(r"\d+", spec)) + (largest if "{" in spec else 0)
    return total


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _replace_size(text: str, old: Any, new: Any, count: Any = -1) -> int:
    old, new = _text(old), _text(new)
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(0, len(new) - len(old))


def _join_size(separator: str, items: list[Any]) -> int:
    return sum(_text_size(item) for item in items) + max(0, len(items) - 1) * len(separator)


# --- filters ---------------------------------------------------------------------------------

def _predict_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                    newline: str) -> tuple[Any, tuple[Any, ...]]:
    """Check a filter's arguments against the limits before it runs; returns the value and
    arguments to run it on (an iterable it had to read is passed on as a list)."""
    what = f"`{name}`"

    def arg(position: int, key: str, default: Any = None) -> Any:
        return args[position] if len(args) > position else kwargs.get(key, default)

    if name in ("center", "indent"):
        _count(arg(0, "width"), MAX_TEXT_CHARS, f"{what} width")
    if name in ("batch", "slice"):
        _count(arg(0, "linecount" if name == "batch" else "slices"), MAX_ITERATIONS, f"{what} count")
    if name == "round":
        _count(arg(0, "precision"), MAX_INTEGER_DIGITS, f"{what} precision")
    if name == "tojson":
        indent = arg(0, "indent")
        _count(len(indent) if isinstance(indent, str) else indent, _JSON_INDENT, f"{what} indent")
    if name == "replace":
        _expect(_replace_size(_text(value), arg(0, "old", ""), arg(1, "new", ""), arg(2, "count", -1)), what)
    elif name == "join":
        items = list(value)
        _expect(_join_size(_text(arg(0, "d", "")), items), what)
        value = items
    elif name == "format":
        _expect(printf_size(_text(value), kwargs or args), what)
    elif name == "indent":
        text, width = _text(value), arg(0, "width", 4)
        step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        _expect(len(text) + (text.count("\n") + 1) * max(step, 0), what)
    elif name == "wordwrap":
        text, width = _text(value), arg(0, "width", 79)
        wrap = arg(2, "wrapstring") or newline
        lines = 2 * len(text) // max(width if isinstance(width, int) else 1, 1) + text.count("\n") + 2
        _expect(len(text) + lines * len(_text(wrap)), what)
    elif name == "urlize":
        text = _text(value)
        extra = len(_text(arg(2, "target") or "")) + len(_text(arg(3, "rel") or ""))
        _expect(len(text) + (text.count(".") + text.count("@") + 1) * extra, what)
    return value, args


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` bounded: the clock read, its input and arguments checked, its result measured.
    Takes the render context, so jinja2 never runs it at compile time."""
    passes = getattr(getattr(func, "jinja_pass_arg", None), "name", None)
    what = f"the filter `{name}`"

    @pass_context
    def guarded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        spend = budget()
        spend.tick()
        if not isinstance(value, str) and measure(value, MAX_TEXT_CHARS) > MAX_TEXT_CHARS:
            raise TemplateLimitError(f"{what} is given a value of more than {MAX_TEXT_CHARS:,} characters or items")
        value, args = _predict_filter(name, value, args, kwargs, context.environment.newline_sequence)
        if passes == "context":
            result = func(context, value, *args, **kwargs)
        elif passes == "eval_context":
            result = func(context.eval_ctx, value, *args, **kwargs)
        elif passes == "environment":
            result = func(context.environment, value, *args, **kwargs)
        else:
            result = func(value, *args, **kwargs)
        return spend.charge(result, what)

    return guarded


LOOP_FILTER = "deskplan:loop"       # names the template syntax cannot spell: only the parse step adds them
CONCAT_FILTER = "deskplan:concat"


def _bounded_iteration(iterable: Iterable[Any]) -> Iterator[Any]:
    spend = budget()
    for item in iterable:
        spend.iterate()
        yield item


@pass_context
def _loop_filter(context: Context, iterable: Any) -> Any:
    if isinstance(iterable, Undefined):
        return iterable                 # iterating it fails (StrictUndefined), as without the wrapper
    return _bounded_iteration(iterable)


@pass_context
def _concat_filter(context: Context, parts: list[Any]) -> str:
    spend = budget()
    spend.tick()
    _expect(sum(_text_size(p) for p in parts), "`~`")
    joined: str = spend.charge("".join(_text(p) for p in parts), "`~`")
    return joined


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """Every piece of output: nothing for None (an empty group reads as nothing), and counted."""
    if value is None:
        return ""
    spend = budget()
    spend.tick()
    if _text_size(value) > MAX_TEXT_CHARS:
        raise TemplateLimitError(f"the template outputs a value of more than {MAX_TEXT_CHARS:,} characters")
    text = value if isinstance(value, str) else str(value)
    return spend.charge(text, "the output")


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_ITERATIONS + 1
    if count > MAX_ITERATIONS:
        raise TemplateLimitError(f"range() of more than {MAX_ITERATIONS:,} numbers")
    return numbers


# --- the parse step --------------------------------------------------------------------------

class _Bound(NodeTransformer):
    """Routes the steps jinja2 compiles inline through the checkpoints: each `for` iterates
    through LOOP_FILTER, each `~` is CONCAT_FILTER, and literal text is output as a constant
    expression, so that it passes `finalize` (and counts) like any other output."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)            # (it changes the node in place)
        node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.List(list(node.nodes), lineno=node.lineno)
        return nodes.Filter(parts, CONCAT_FILTER, [], [], None, None, lineno=node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        node.nodes = [nodes.Const(child.data, lineno=child.lineno) if isinstance(child, nodes.TemplateData) else child
                      for child in node.nodes]
        return node


def template_depth(tree: nodes.Node) -> int:
    """How deeply the syntax tree nests (iteratively: a deep tree costs no recursion here)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest


# --- the environment -------------------------------------------------------------------------

_STR_WIDTHS = frozenset({"center", "ljust", "rjust", "zfill"})


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """jinja2's sandbox, immutable (a template cannot grow a list in place), with every
    operator, call, filter, loop and output passing a checkpoint of the rendering's budget."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, **options: Any):
        super().__init__(finalize=_finalize, optimized=False, **options)
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self.filters[LOOP_FILTER] = _loop_filter
        self.filters[CONCAT_FILTER] = _concat_filter
        self.globals["range"] = _bounded_range
        del self.globals["lipsum"]          # makes pages of text from a count: nothing a rule needs

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        depth = template_depth(tree)
        if depth > MAX_TEMPLATE_DEPTH:
            raise TemplateLimitError(f"the template nests {depth} levels deep (tags, operators, filters and "
                                     f"brackets); at most {MAX_TEMPLATE_DEPTH}")
        _Bound().visit(tree)                # (in place)
        tree.set_environment(self)
        return tree

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        spend = budget()
        spend.tick()
        _binop_size(operator, left, right)
        return spend.charge(self.binop_table[operator](left, right), f"`{operator}`")

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        spend = budget()
        spend.tick()
        if obj is _bounded_range:
            return spend.charge(_bounded_range(*args), "range()")
        if isinstance(obj, LoopContext) and args:        # a recursive loop's `loop(children)`
            args = (_bounded_iteration(args[0]), *args[1:])
        else:
            args = _predict_call(obj, args, kwargs)
        if spend.depth >= MAX_CALL_DEPTH:
            raise TemplateLimitError(f"macros call each other more than {MAX_CALL_DEPTH} deep "
                                     "(a macro that calls itself without end?)")
        spend.depth += 1
        try:
            result = super().call(context, obj, *args, **kwargs)
        finally:
            spend.depth -= 1
        return spend.charge(result, f"calling {getattr(obj, '__name__', 'a function')}()")


def _predict_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Check a method call on text that can multiply it (`'x'.center(10**9)`,
    `s.replace('a', s)`, `'{0}{0}'.format(s)`) before it runs; returns the arguments to run it
    with (an iterable `join` had to read is passed on as a list)."""
    inner = getattr(obj, "__wrapped__", obj)            # the sandbox wraps str.format
    receiver = getattr(inner, "__self__", None)
    if not isinstance(receiver, str):
        return args
    name = getattr(inner, "__name__", "")
    what = f"`.{name}()`"
    if name in _STR_WIDTHS:
        for value in (*args, *kwargs.values()):
            _count(value, MAX_TEXT_CHARS, f"{what} width")
    elif name == "expandtabs":
        size = next(iter((*args, *kwargs.values())), 8)
        _expect(len(receiver) + receiver.count("\t") * (size if isinstance(size, int) else 0), what)
    elif name == "replace":
        _expect(_replace_size(receiver, *args[:3]) if len(args) >= 2 else len(receiver), what)
    elif name == "join" and args:
        items = list(args[0])
        _expect(_join_size(receiver, items), what)
        return (items, *args[1:])
    elif name == "format":
        _expect(format_size(receiver, args, kwargs), what)
    elif name == "format_map" and args and isinstance(args[0], Mapping):
        _expect(format_size(receiver, (), args[0]), what)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _expect(len(receiver) * max(longest, 1), what)
    return args
