"""Zendesk's three ways of paging, with cursors in the formats the recordings show.

* Incremental cursor exports: `after_cursor` is base64 of `"<generated_timestamp>.0||<id>|"`
  and is present even at the end of the stream.
* Cursor pagination on lists (`page[size]`, `page[after]`): cursors are base64 JSON
  `{"o": order, "v": base64(b"i" + int64 little-endian ...)}`; `meta.has_more` decides,
  and `links.next` stays filled on the last page, as recorded.
* Offset pagination (`page`, `per_page`): `next_page`, `previous_page`, `count`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from deskplan_sandbox.server import Request
from deskplan_sandbox.zendesk.errors import ApiError, invalid_pagination

MAX_PAGE_SIZE = 100
MAX_EXPORT_PAGE = 1000
_EXPORT_CURSOR = re.compile(r"^(\d+)\.0\|\|(\d+)\|$")


def link(base_url: str, path: str, params: list[tuple[str, Any]]) -> str:
    query = urlencode([(k, v) for k, v in params if v is not None])
    return f"{base_url}{path}?{query}" if query else f"{base_url}{path}"


# --- incremental exports ---------------------------------------------------------------

def encode_export_cursor(key: tuple[int, int]) -> str:
    return base64.b64encode(f"{key[0]}.0||{key[1]}|".encode()).decode()


def decode_export_cursor(cursor: str) -> tuple[int, int]:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(invalid_pagination("cursor is not valid")) from None
    match = _EXPORT_CURSOR.match(text)
    if not match:
        raise ApiError(invalid_pagination("cursor is not valid"))
    return int(match.group(1)), int(match.group(2))


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.arg(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(invalid_pagination(f"{name} is not valid")) from None


def export_page_size(request: Request) -> int:
    size = int_param(request, "per_page", MAX_EXPORT_PAGE)
    assert size is not None
    if size < 1:
        raise ApiError(invalid_pagination("per_page must be greater than 0"))
    if size > MAX_EXPORT_PAGE:
        raise ApiError(invalid_pagination(f"per_page cannot be greater than {MAX_EXPORT_PAGE}"))
    return size


# --- cursor pagination on lists ----------------------------------------------------------

def encode_page_cursor(order: str, key: tuple[int, ...]) -> str:
    value = base64.b64encode(b"i" + struct.pack(f"<{len(key)}q", *key)).decode()
    return base64.b64encode(json.dumps({"o": order, "v": value}, separators=(",", ":")).encode()).decode()


def decode_page_cursor(cursor: str, order: str, width: int) -> tuple[int, ...]:
    try:
        outer = json.loads(base64.b64decode(cursor, validate=True))
        raw = base64.b64decode(outer["v"], validate=True)
        if outer.get("o") != order or raw[:1] != b"i" or len(raw) != 1 + 8 * width:
            raise ValueError(cursor)
        return struct.unpack(f"<{width}q", raw[1:])
    except (ValueError, KeyError, TypeError, binascii.Error, struct.error):
        raise ApiError(invalid_pagination("page[after] is not valid")) from None


@dataclass(frozen=True)
class PageRequest:
    """How the client asked to page: cursor (`page[size]`/`page[after]`) or offset (`page`/`per_page`)."""

    cursor: bool
    size: int
    after: tuple[int, ...] | None = None
    page: int = 1


def page_request(request: Request, order: str, width: int = 1, default_size: int = 100) -> PageRequest:
    size_arg, after_arg = request.arg("page[size]"), request.arg("page[after]")
    if size_arg is not None or after_arg is not None:
        try:
            size = int(size_arg) if size_arg not in (None, "") else default_size
        except ValueError:
            raise ApiError(invalid_pagination("page[size] is not valid")) from None
        if size > MAX_PAGE_SIZE:
            raise ApiError(invalid_pagination(f"page[size] cannot be greater than {MAX_PAGE_SIZE}"))
        if size < 1:
            raise ApiError(invalid_pagination("page[size] must be greater than 0"))
        after = decode_page_cursor(after_arg, order, width) if after_arg else None
        return PageRequest(cursor=True, size=size, after=after)
    page = int_param(request, "page", 1) or 1
    per_page = int_param(request, "per_page", default_size) or default_size
    if per_page > MAX_PAGE_SIZE:
        per_page = MAX_PAGE_SIZE                      # offset pagination caps silently
    if page < 1:
        raise ApiError(invalid_pagination("page is not valid"))
    return PageRequest(cursor=False, size=per_page, page=page)


def cursor_body(name: str, items: list[Any], keys: list[tuple[int, ...]], has_more: bool, *, order: str,
                base_url: str, path: str, params: list[tuple[str, Any]], size: int) -> dict[str, Any]:
    """`{name: items, meta, links}`; on an empty page everything is null, as recorded."""
    if not items:
        return {name: [], "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
                "links": {"prev": None, "next": None}}
    after, before = encode_page_cursor(order, keys[-1]), encode_page_cursor(order, keys[0])
    return {
        name: items,
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": before},
        "links": {
            "prev": link(base_url, path, params + [("page[before]", before), ("page[size]", size)]),
            "next": link(base_url, path, params + [("page[after]", after), ("page[size]", size)]),
        },
    }


def offset_body(name: str, items: list[Any], total: int, page: PageRequest, *, base_url: str, path: str,
                params: list[tuple[str, Any]]) -> dict[str, Any]:
    last_page = max((total + page.size - 1) // page.size, 1)
    extra = [("per_page", page.size)] if page.size != MAX_PAGE_SIZE else []
    kept = params + extra
    return {
        name: items,
        "next_page": link(base_url, path, kept + [("page", page.page + 1)]) if page.page < last_page else None,
        "previous_page": link(base_url, path, kept + [("page", page.page - 1)]) if page.page > 1 else None,
        "count": total,
    }


def paginate_list(request: Request, name: str, items: list[Any], *, order: str, base_url: str,
                  params: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    """Pages a short in-memory list (a ticket's comments or audits); the cursor key is the position."""
    page = page_request(request, order)
    params = params or []
    path = request.path
    if page.cursor:
        start = (page.after[0] + 1) if page.after else 0
        chosen = items[start:start + page.size]
        keys: list[tuple[int, ...]] = [(start + i,) for i in range(len(chosen))]
        return cursor_body(name, chosen, keys, start + page.size < len(items), order=order,
                           base_url=base_url, path=path, params=params, size=page.size)
    start = (page.page - 1) * page.size
    return offset_body(name, items[start:start + page.size], len(items), page,
                       base_url=base_url, path=path, params=params)
