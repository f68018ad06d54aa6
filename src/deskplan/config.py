"""deskplan.toml: which helpdesks to talk to, and where state lives (README, "deskplan.toml").

Tokens never live in the file: each source names the environment variable that holds
its token, and the value is read only when a connection is opened.
"""

from __future__ import annotations

import calendar
import dataclasses
import difflib
import ipaddress
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from deskplan.errors import ConfigError, InvalidFiles, Problem
from deskplan.model import Status

CONFIG_NAME = "deskplan.toml"


class SourceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["zendesk", "jira"]
    url: str
    email: str
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    status_map: dict[str, Status] = {}      # helpdesk status name -> canonical status
    service_desk: str | None = None         # JSM service desk id
    projects: tuple[str, ...] = ()          # Jira project keys to pull
    tasks_project: str | None = None        # Jira: project for improvement tasks (default: the ticket's)
    tasks_issue_type: str = "Task"          # Jira: issue type for improvement tasks
    tasks_group: str | None = None          # Zendesk: group id for improvement tasks
    # Jira: whose rating comments to fetch (one request per rating; the field holds only the score)
    rating_comments: Literal["none", "bad", "all"] = "bad"

    @field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("a helpdesk that is not on this machine must be reached over https://")
        return url.rstrip("/")

    @field_validator("email")
    @classmethod
    def _latin1_email(cls, email: str) -> str:
        if not _latin1(email):
            raise ValueError("the login is sent as HTTP basic auth, in Latin-1: this one has characters it cannot hold")
        return email

    def credentials_hint(self) -> str:
        """What to check when the helpdesk refuses the credentials: the variable and the account,
        never the token."""
        return (f"check ${self.token_env} (the token_env of source {self.name!r}): it must hold an API token of "
                f"{self.email} on {self.url}")

    def token(self, environ: Mapping[str, str] = os.environ) -> str:
        value = environ.get(self.token_env, "")
        if not value:
            raise ConfigError(
                f"source {self.name!r}: the environment variable {self.token_env} (its token_env) is not set"
            )
        if not _latin1(value):
            # Never the token itself, nor the character at fault: the message ends up in cron mail.
            raise ConfigError(
                f"source {self.name!r}: the environment variable {self.token_env} (its token_env) holds characters "
                "an API token cannot have (it is sent as HTTP basic auth, in Latin-1): is it the right value?"
            )
        return value


class StateConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = ".deskplan/state.db"


class WritebackConfig(BaseModel):
    """`[writeback]`: what write-back leaves alone.

    `since` is the go-live cut-off: improvement tasks are created only for what happened at
    or after it (a rule task's trigger, a goal window's close), so that a first sync against
    months of history does not flood the helpdesk with tasks about the past. Without it, the
    cut-off is the moment of the first sync that wrote back to the source (kept in the state).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: datetime | date | None = None    # a date (midnight in the plan calendar's zone) or an instant

    @field_validator("since", mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        # TOML has dates and offset date-times of its own; a quoted ISO text means the same.
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            parts = re.match(r"(\d{4})-(\d{2})-(\d{2})(?:$|[T ])", text)
            why = _not_a_day(*(int(g) for g in parts.groups())) if parts else None
            if why is not None:
                raise ValueError(f"{text[:10]} is not a date: {why}") from None
            raise ValueError(f"not a date or an ISO-8601 instant: {value!r}") from None

    @field_validator("since")
    @classmethod
    def _instant_has_offset(cls, value: datetime | date | None) -> datetime | date | None:
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise ValueError("an instant needs its offset (2026-04-01T09:00:00+08:00 or ...Z), or give a date")
        return value

    def since_at(self, zone: tzinfo) -> datetime | None:
        """The cut-off as an instant; a date starts at midnight in `zone` (the plan's calendar)."""
        if self.since is None or isinstance(self.since, datetime):
            return self.since
        return datetime.combine(self.since, time(), zone)


class Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: tuple[SourceConfig, ...] = ()
    state: StateConfig = StateConfig()
    writeback: WritebackConfig = WritebackConfig()
    # Where the file was read from; plan.yaml and rules/ are found beside it.
    workspace: Path = Path(".")

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        return self

    @property
    def state_path(self) -> Path:
        path = Path(self.state.path)
        return path if path.is_absolute() else self.workspace / path

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} in {CONFIG_NAME} (known: {known})")


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(path: Path) -> Config:
    """Read and validate deskplan.toml; every problem is reported as FILE:LINE:COL."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (run `deskplan init DIR` to write an example workspace)") from None
    except UnicodeDecodeError:
        raise InvalidFiles([Problem(str(path), 1, 1, "not UTF-8 text: save the file as UTF-8")]) from None
    except OSError as exc:          # a folder of that name, no permission
        raise InvalidFiles([Problem(str(path), 1, 1, f"cannot read: {exc.strerror or exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = _toml_error_position(str(exc))
        # TOML reads 2026-13-01 as the number 2026 and then stumbles: say it is a date that cannot be.
        problem = _impossible_date(text, line) or Problem(str(path), line, col, f"TOML syntax: {exc}")
        raise InvalidFiles([dataclasses.replace(problem, file=str(path))]) from None
    try:
        return Config.model_validate({**data, "workspace": path.parent})
    except ValidationError as exc:
        locator = _TomlLocator(text)
        errors = exc.errors()
        typos = {tuple(err["loc"]): _close_key(err["loc"]) for err in errors if err["type"] == "extra_forbidden"}
        meant = {(*loc[:-1], key) for loc, key in typos.items() if key is not None}
        problems = [
            Problem(str(path), *locator.find(err["loc"]), _describe(err, typos.get(tuple(err["loc"]))))
            for err in errors
            # A required key given with a typo is one problem, the typo, not two.
            if not (err["type"] == "missing" and tuple(err["loc"]) in meant)
        ]
        raise InvalidFiles(problems) from None


def setting_position(path: Path, loc: tuple[int | str, ...]) -> tuple[int, int]:
    """Where a setting (`("state", "path")`) is written in the deskplan.toml at `path`, as
    (line, column); (1, 1) when it is not written there (a default)."""
    try:
        return _TomlLocator(path.read_text(encoding="utf-8")).find(loc)
    except (OSError, UnicodeDecodeError):
        return 1, 1


def _describe(err: ErrorDetails, close: str | None = None) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        if close is not None:
            return f"{loc}: unknown key (did you mean {close!r}?)"
        return f"{loc}: unknown key; expected one of: {', '.join(_keys_at(err['loc'][:-1]))}"
    text = err["msg"].removeprefix("Value error, ")      # pydantic's prefix for a validator's ValueError
    return f"{loc}: {text}" if loc else text


def _keys_at(parent: tuple[int | str, ...]) -> list[str]:
    """The keys the table at `parent` (`("sources", 0)`, `("state",)`) takes, in the model's order."""
    model: type[BaseModel] = Config
    for step in parent:
        if isinstance(step, int):
            continue
        field = model.model_fields.get(str(step))
        annotation = field.annotation if field is not None else None
        # A table (`state: StateConfig`) or an array of tables (`sources: tuple[SourceConfig, ...]`).
        target = next((t for t in (annotation, *typing.get_args(annotation))
                       if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if target is None:
            return []
        model = target
    return [name for name in model.model_fields if name not in _INTERNAL_KEYS]


_INTERNAL_KEYS = frozenset({"workspace"})        # set by load_config, never written in the file


def _close_key(loc: tuple[int | str, ...]) -> str | None:
    close = difflib.get_close_matches(str(loc[-1]), _keys_at(loc[:-1]), n=1, cutoff=0.6)
    return close[0] if close else None


_DATE_VALUE = re.compile(r"^\s*([A-Za-z0-9_\"'.-]+)\s*=\s*(\d{4})-(\d{2})-(\d{2})(?=[T ]\d|\s*(?:#|$))")


def _impossible_date(text: str, line: int) -> Problem | None:
    """`since = 2026-13-01` on `line`: a problem at the value naming what cannot be (the file
    name is filled in by the caller); None when the line holds no such date."""
    lines = text.splitlines()
    match = _DATE_VALUE.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if match is None:
        return None
    value = f"{match.group(2)}-{match.group(3)}-{match.group(4)}"
    why = _not_a_day(*(int(g) for g in match.group(2, 3, 4)))
    if why is None:
        return None         # the date is fine: the syntax problem is elsewhere on the line
    key = match.group(1).strip(QUOTES)
    table = next((m.group(1) for above in reversed(lines[:line - 1])
                  if (m := re.match(r"\s*\[+\s*([^\]\s]+)\s*\]+", above))), "")
    return Problem("", line, match.start(2) + 1, f"{table + '.' if table else ''}{key}: {value} is not a date: {why}")


QUOTES = "\"'"


def _not_a_day(year: int, month: int, day: int) -> str | None:
    """Why year-month-day names no day (`there is no month 13 ...`), or None when it does."""
    if not 1 <= month <= 12:
        return f"there is no month {month} (months run 01 to 12)"
    days = calendar.monthrange(year or 2000, month)[1]
    if 1 <= day <= days:
        return None
    return f"{calendar.month_name[month]} {year} has {days} days" if day else "there is no day 0"


def _toml_error_position(message: str) -> tuple[int, int]:
    match = re.search(r"line (\d+), column (\d+)", message)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


class _TomlLocator:
    """Finds the line of a key in a simple TOML file, for error positions.

    tomllib keeps no positions; deskplan.toml is flat ([[sources]] tables with their
    [sources.status_map] sub-tables, [state], [writeback]), so scanning table headers and
    `key =` lines is enough. An item of a setting (`("sources", 1, "projects", 0)`, a list's
    first element; `("sources", 0, "status_map", "Pending")`, a key of a sub-table or of an
    inline table) is found on its line, else the setting's position stands for it.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def find(self, loc: tuple[int | str, ...]) -> tuple[int, int]:
        parts = list(loc)
        start, end = 0, len(self.lines)
        table = ""
        if parts and parts[0] == "sources":
            index = parts[1] if len(parts) > 1 and isinstance(parts[1], int) else 0
            headers = [i for i, line in enumerate(self.lines) if line.strip().startswith("[[sources]]")]
            if index < len(headers):
                start = headers[index]
                # The source's table runs to the next header that is not one of its sub-tables.
                later = [i for i, line in enumerate(self.lines) if i > start and line.strip().startswith("[")
                         and not line.strip().startswith("[sources.")]
                end = later[0] if later else len(self.lines)
                parts = parts[2:]
                table = "sources"
            else:
                parts = []
        elif parts and parts[0] in ("state", "writeback"):
            headers = [i for i, line in enumerate(self.lines) if line.strip() == f"[{parts[0]}]"]
            if headers:
                start = headers[0]
                parts = parts[1:]
        if parts:
            key = str(parts[0])
            subs = [i for i in range(start + 1, end) if self.lines[i].strip().startswith("[")]
            for i in range(start, subs[0] if subs else end):
                match = self._key(i, key)
                if match:
                    return self._item(i, match.end(), parts[1]) if len(parts) > 1 else (i + 1, match.start(1) + 1)
            sub = next((i for i in subs if self.lines[i].strip() == f"[{table}.{key}]"), None) if table else None
            if sub is not None:
                following = [i for i in subs if i > sub]
                for i in range(sub + 1, following[0] if following else end):
                    match = self._key(i, str(parts[1])) if len(parts) > 1 else None
                    if match:
                        return i + 1, match.start(1) + 1
                return sub + 1, 1
        return start + 1, 1

    def _key(self, i: int, key: str) -> re.Match[str] | None:
        return re.match(rf"\s*({re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*=", self.lines[i])

    def _item(self, i: int, after: int, item: int | str) -> tuple[int, int]:
        """(line, column) of a list's item-th string, or of an inline table's key, on line i."""
        line = self.lines[i]
        if isinstance(item, int):
            strings = list(re.finditer(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', line[after:]))
            if item < len(strings):
                return i + 1, after + strings[item].start() + 1
        else:
            match = re.search(rf"[{{,]\s*({re.escape(item)}|\"{re.escape(item)}\"|'{re.escape(item)}')\s*=",
                              line[after:])
            if match:
                return i + 1, after + match.start(1) + 1
        return i + 1, after + 1
