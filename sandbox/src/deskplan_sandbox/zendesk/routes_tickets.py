"""Tickets: list (with `external_id`), show, show_many, create, update, delete; and each
ticket's comments, audits and metrics."""

from __future__ import annotations

from functools import partial
from typing import Any

from deskplan_sandbox.server import Request, Response
from deskplan_sandbox.zendesk.errors import ApiError, record_not_found
from deskplan_sandbox.zendesk.paging import cursor_body, offset_body, page_request, paginate_list
from deskplan_sandbox.zendesk.render import ticket_url
from deskplan_sandbox.zendesk.routes_people import id_list
from deskplan_sandbox.zendesk.site import Site, api

TICKETS_ORDER = "nice_id"
COMMENTS_ORDER = "created_at,id"


def register(sim: Site) -> None:
    sim.router.add("GET", api("tickets"), partial(list_tickets, sim))
    sim.router.add("POST", api("tickets"), partial(create_ticket, sim))
    sim.router.add("GET", api("tickets/show_many"), partial(show_many_tickets, sim))
    sim.router.add("GET", api(r"tickets/(?P<id>\d+)"), partial(show_ticket, sim))
    sim.router.add("PUT", api(r"tickets/(?P<id>\d+)"), partial(update_ticket, sim))
    sim.router.add("DELETE", api(r"tickets/(?P<id>\d+)"), partial(delete_ticket, sim))
    sim.router.add("GET", api(r"tickets/(?P<id>\d+)/comments"), partial(list_comments, sim))
    sim.router.add("GET", api(r"tickets/(?P<id>\d+)/audits"), partial(list_audits, sim))
    sim.router.add("GET", api(r"tickets/(?P<id>\d+)/metrics"), partial(show_metrics, sim))


def _ticket_id(request: Request) -> int:
    return int(request.params["id"])


def _ticket_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise ApiError(Response(400, {"error": "InvalidJSON",
                                      "description": "The request body is not valid JSON"})) from None
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, dict):
        raise ApiError(Response(400, {"error": "ParameterMissing",
                                      "description": "param is missing or the value is empty: ticket"}))
    return ticket


def _warn(response: Response, action: str, ignored: tuple[str, ...]) -> Response:
    # Zendesk drops unknown body keys and says so in a header instead of refusing the request.
    if ignored:
        keys = ", ".join(f'"{k}"' for k in ignored)
        response.headers["x-zendesk-api-warn"] = (
            f'{{:allowed_parameters=>{{:controller=>"tickets", :action=>"{action}", '
            f':unpermitted_keys=>[{keys}], :invalid_values=>[]}}}}')
    return response


def list_tickets(sim: Site, request: Request) -> Response:
    """`GET /tickets` (archived and deleted tickets left out), or `?external_id=` look-ups."""
    page = page_request(request, TICKETS_ORDER)
    external_id = request.arg("external_id")
    params = [("external_id", external_id)] if external_id is not None else []
    if page.cursor:
        after = page.after[0] if page.after else 0
        tickets, more = sim.store.tickets_after(after, page.size, external_id)
        body = cursor_body("tickets", tickets, [(t["id"],) for t in tickets], more, order=TICKETS_ORDER,
                           base_url=sim.base_url(), path=request.path, params=params, size=page.size)
    else:
        first = (page.page - 1) * page.size
        tickets, _ = sim.store.tickets_after(0, first + page.size, external_id)
        tickets = tickets[first:]
        # Like Zendesk's, the count is approximate: archived and deleted tickets are not subtracted.
        body = offset_body("tickets", tickets, sim.store.ticket_count(external_id), page,
                           base_url=sim.base_url(), path=request.path, params=params)
    if "metric_sets" in (request.arg("include") or ""):
        body["metric_sets"] = [sim.store.metric_set(int(t["id"])) for t in tickets]
    return Response(200, body)


def show_ticket(sim: Site, request: Request) -> Response:
    ticket = sim.store.ticket(_ticket_id(request))
    return Response(200, {"ticket": ticket}) if ticket is not None else record_not_found()


def show_many_tickets(sim: Site, request: Request) -> Response:
    tickets = [t for t in (sim.store.ticket(tid) for tid in id_list(request)) if t is not None]
    return Response(200, {"tickets": tickets, "next_page": None, "previous_page": None, "count": len(tickets)})


def create_ticket(sim: Site, request: Request) -> Response:
    return sim.idempotency.handle(request, partial(_create, sim))


def _create(sim: Site, request: Request) -> Response:
    result = sim.store.create_ticket(_ticket_body(request), author_id=sim.api_user_id)
    # Recorded (2024): the create answer carries generated_timestamp 0; exports show the real one.
    ticket = {**result.ticket, "generated_timestamp": 0}
    response = Response(201, {"ticket": ticket, "audit": result.audit},
                        {"Location": ticket_url(sim.base_url(), int(ticket["id"]))})
    return _warn(response, "create", result.ignored)


def update_ticket(sim: Site, request: Request) -> Response:
    ticket_id = _ticket_id(request)
    if sim.store.ticket(ticket_id) is None:
        return record_not_found()
    refused, buckets = sim.ticket_update_gate(ticket_id)
    if refused is not None:
        return refused
    result = sim.store.update_ticket(ticket_id, _ticket_body(request), author_id=sim.api_user_id)
    body: dict[str, Any] = {"ticket": result.ticket}
    if result.audit is not None:
        body["audit"] = result.audit
    response = Response(200, body, buckets)
    return _warn(response, "update", result.ignored)


def delete_ticket(sim: Site, request: Request) -> Response:
    sim.store.delete_ticket(_ticket_id(request))
    return Response(204, None)


def list_comments(sim: Site, request: Request) -> Response:
    comments = sim.store.comments(_ticket_id(request))
    if comments is None:
        return record_not_found()
    if request.arg("sort_order") == "desc" or request.arg("sort") == "-created_at":
        comments = list(reversed(comments))
    params = [(k, request.arg(k)) for k in ("include_inline_images", "sort", "sort_order")
              if request.arg(k) is not None]
    return Response(200, paginate_list(request, "comments", comments, order=COMMENTS_ORDER,
                                       base_url=sim.base_url(), params=params))


def list_audits(sim: Site, request: Request) -> Response:
    audits = sim.store.audits(_ticket_id(request))
    if audits is None:
        return record_not_found()
    return Response(200, paginate_list(request, "audits", audits, order=COMMENTS_ORDER, base_url=sim.base_url()))


def show_metrics(sim: Site, request: Request) -> Response:
    metrics = sim.store.metric_set(_ticket_id(request))
    return Response(200, {"ticket_metric": metrics}) if metrics is not None else record_not_found()
