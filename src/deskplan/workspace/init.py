"""`deskplan init DIR`: write the example workspace, never over an existing file.

The files are package data (example/), plus `deskplan.schema.json` generated from the
installed models, which the YAML files' `$schema` modelines point at.

`deskplan init` dates the example plan around today (`dated_plan`), so that a first sync
runs against a plan under way rather than one that ended: it began on the first day of the
month before this one and runs six months, its goals' deadlines, milestones and every other
date of the plan (outside `calendars`, whose dates are days off) keep their place in it.
Only those values change; the file's comments and layout stay as written.

`deskplan init --lang zh-CN` writes the Chinese twin (example_zh/): the same plan, rules and
rule tests with the same ids, its titles, descriptions, owners and comments in Chinese, and
plan.yaml `language: zh-CN`.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Any

from deskplan.errors import ConfigError
from deskplan.i18n import DEFAULT_LANGUAGE, Lang, translator
from deskplan.rules.schema import build_schema
from deskplan.rules.yamledit import Edit, edit_scalars
from deskplan.rules.yamlload import Path_, load_yaml_text

EXAMPLE = "example"
EXAMPLES = {"en": EXAMPLE, "zh-CN": "example_zh"}     # plan.yaml `language` -> the example written
SCHEMA_FILE = "deskplan.schema.json"
PLAN = PurePosixPath("plan.yaml")
UNDATED = frozenset({"calendars"})      # holidays and extra workdays are real days, not the plan's


def example_files(today: date | None = None, language: str = DEFAULT_LANGUAGE) -> dict[PurePosixPath, str]:
    """Relative path -> text of every file init writes, the example in `language`; with `today`,
    the plan dated around it."""
    lang = translator(language)
    out = {path: item.read_text(encoding="utf-8") for path, item in _walk(files(__package__) / EXAMPLES[lang.code])}
    if today is not None:
        out[PLAN] = dated_plan(out[PLAN], today, lang)
    out[PurePosixPath(SCHEMA_FILE)] = json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
    return dict(sorted(out.items()))


def _walk(folder: Traversable, prefix: PurePosixPath = PurePosixPath()) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for item in folder.iterdir():
        if item.name.startswith((".", "__")):
            continue
        if item.is_dir():
            yield from _walk(item, prefix / item.name)
        else:
            yield prefix / item.name, item


def dated_plan(text: str, today: date, lang: Lang | None = None) -> str:
    """The example plan.yaml moved so that it began on the first day of the month before
    `today`'s: each date keeps its month within the plan and its place in the month (the
    plan's first day, a month's last day, or the same day of the month); the plan's id and
    title name its new months."""
    lang = lang or translator(DEFAULT_LANGUAGE)
    data = load_yaml_text(text, str(PLAN)).data
    old_start: date = data["plan"]["start"]
    new_start = _add_months(today.replace(day=1), -1)
    edits = [Edit(path, _moved(day, old_start, new_start).isoformat()) for path, day in _dates(data)]
    end = _moved(data["plan"]["end"], old_start, new_start)
    edits += [
        Edit(("plan", "id"), f"sip-{new_start:%Y-%m}"),
        Edit(("plan", "title"), lang._("Customer service improvement plan, {start} to {end}",
                                       start=lang.month(new_start, year=True), end=lang.month(end, year=True))),
    ]
    return edit_scalars(text, edits, str(PLAN))


def _dates(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, date]]:
    if isinstance(data, date):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if not (path == () and key in UNDATED):
                yield from _dates(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _dates(value, (*path, index))


def _moved(day: date, old_start: date, new_start: date) -> date:
    if day == old_start:
        return new_start
    month = _add_months(new_start, (day.year - old_start.year) * 12 + day.month - old_start.month)
    last = calendar.monthrange(month.year, month.month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return month.replace(day=last)
    return month.replace(day=min(day.day, last))


def _add_months(first: date, months: int) -> date:
    """The first day of the month `months` after the one starting on `first`."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def init_workspace(target: Path, today: date | None = None, language: str = DEFAULT_LANGUAGE) -> list[Path]:
    """Write the example workspace in `language` into `target` (created if missing) and return
    the paths written; with `today`, its plan dated around it (`dated_plan`), else as packaged.
    Raises ConfigError, writing nothing, if any of the files already exists."""
    planned = {target / Path(rel): text for rel, text in example_files(today, language).items()}
    existing = [str(path) for path in planned if path.exists()]
    if existing:
        raise ConfigError(f"not overwriting existing files ({', '.join(existing)}); nothing was written")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:     # "x": never over a file made meanwhile
            out.write(text)
    return list(planned)
