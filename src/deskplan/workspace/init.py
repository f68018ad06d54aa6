"""`deskplan init DIR`: write the example workspace, never over an existing file.

The files are package data (example/), plus `deskplan.schema.json` generated from the
installed models, which the YAML files' `$schema` modelines point at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from deskplan.errors import ConfigError
from deskplan.rules.schema import build_schema

EXAMPLE = "example"
SCHEMA_FILE = "deskplan.schema.json"


def example_files() -> dict[PurePosixPath, str]:
    """Relative path -> text of every file init writes."""
    out = {path: item.read_text(encoding="utf-8") for path, item in _walk(files(__package__) / EXAMPLE)}
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


def init_workspace(target: Path) -> list[Path]:
    """Write the example workspace into `target` (created if missing) and return the paths
    written. Raises ConfigError, writing nothing, if any of the files already exists."""
    planned = {target / Path(rel): text for rel, text in example_files().items()}
    existing = [str(path) for path in planned if path.exists()]
    if existing:
        raise ConfigError(f"not overwriting existing files ({', '.join(existing)}); nothing was written")
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as out:     # "x": never over a file made meanwhile
            out.write(text)
    return list(planned)
