"""Groups and organizations: lists (cursor or offset pagination, in id order) and show.

The same objects the ticket exports side-load on `include=groups,organizations`.
"""

from __future__ import annotations

from functools import partial

from deskplan_sandbox.server import Request, Response
from deskplan_sandbox.zendesk.errors import record_not_found
from deskplan_sandbox.zendesk.paging import cursor_body, offset_body, page_request
from deskplan_sandbox.zendesk.site import Site, api

ORDER = "id"                     # the order recorded in node-zendesk's organizations cursor
SINGULAR = {"groups": "group", "organizations": "organization"}


def register(sim: Site) -> None:
    for kind in SINGULAR:
        sim.router.add("GET", api(kind), partial(list_named, sim, kind))
        sim.router.add("GET", api(rf"{kind}/(?P<id>\d+)"), partial(show_named, sim, kind))


def list_named(sim: Site, kind: str, request: Request) -> Response:
    page = page_request(request, ORDER)
    if page.cursor:
        docs, more = sim.store.named_after(kind, page.after[0] if page.after else 0, page.size)
        return Response(200, cursor_body(kind, docs, [(int(doc["id"]),) for doc in docs], more, order=ORDER,
                                         base_url=sim.base_url(), path=request.path, params=[], size=page.size))
    everything, _ = sim.store.named_after(kind, 0, 1 << 62)
    first = (page.page - 1) * page.size
    return Response(200, offset_body(kind, everything[first:first + page.size], len(everything), page,
                                     base_url=sim.base_url(), path=request.path, params=[]))


def show_named(sim: Site, kind: str, request: Request) -> Response:
    doc = sim.store.named(kind, int(request.params["id"]))
    return Response(200, {SINGULAR[kind]: doc}) if doc is not None else record_not_found()
