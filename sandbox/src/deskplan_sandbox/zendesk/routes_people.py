"""Users (show, show_many, me) and satisfaction ratings."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any

from deskplan_sandbox.server import Request, Response
from deskplan_sandbox.zendesk.errors import ApiError, forbidden, record_invalid, record_not_found, too_many_values
from deskplan_sandbox.zendesk.paging import cursor_body, int_param, offset_body, page_request
from deskplan_sandbox.zendesk.site import Site, api

MAX_IDS = 100
RATINGS_ORDER = {"updated": "updated_at,id", "created": "created_at,id"}


def register(sim: Site) -> None:
    sim.router.add("GET", api("users/me"), partial(me, sim))
    sim.router.add("GET", api("users/show_many"), partial(show_many_users, sim))
    sim.router.add("GET", api(r"users/(?P<id>\d+)"), partial(show_user, sim))
    sim.router.add("GET", api("satisfaction_ratings"), partial(list_ratings, sim))
    sim.router.add("GET", api(r"satisfaction_ratings/(?P<id>\d+)"), partial(show_rating, sim))
    sim.router.add("POST", api(r"tickets/(?P<id>\d+)/satisfaction_rating"), partial(create_rating, sim))


def anonymous_user(request: Request) -> dict[str, Any]:
    """What /users/me answers to bad or missing credentials: HTTP 200 and this (recorded)."""
    pair = request.basic_auth()
    email = pair[0].split("/")[0] if pair and "@" in pair[0] else None
    token = hashlib.sha256(request.headers.get("authorization", "").encode()).hexdigest()
    return {"id": None, "url": None, "name": "Anonymous user", "email": email, "created_at": None,
            "updated_at": None, "time_zone": "America/New_York", "iana_time_zone": "America/New_York",
            "phone": None, "shared_phone_number": None, "photo": None, "locale_id": 1, "locale": "en-US",
            "organization_id": None, "role": "end-user", "verified": False, "authenticity_token": token}


def me(sim: Site, request: Request) -> Response:
    if not sim.credentials_ok(request):
        return Response(200, {"user": anonymous_user(request)})
    return Response(200, {"user": sim.store.user(sim.api_user_id)})


def show_user(sim: Site, request: Request) -> Response:
    user = sim.store.user(int(request.params["id"]))
    return Response(200, {"user": user}) if user is not None else record_not_found()


def id_list(request: Request) -> list[int]:
    raw = [part for part in (request.arg("ids") or "").split(",") if part.strip()]
    if len(raw) > MAX_IDS:
        raise ApiError(too_many_values("ids", MAX_IDS))
    try:
        return [int(part) for part in raw]
    except ValueError:
        raise ApiError(record_not_found()) from None


def show_many_users(sim: Site, request: Request) -> Response:
    users = [u for u in (sim.store.user(uid) for uid in id_list(request)) if u is not None]
    return Response(200, {"users": users, "next_page": None, "previous_page": None, "count": len(users)})


def show_rating(sim: Site, request: Request) -> Response:
    rating = sim.store.rating(int(request.params["id"]))
    return Response(200, {"satisfaction_rating": rating}) if rating is not None else record_not_found()


def score_filter(score: str | None) -> Callable[[dict[str, Any]], bool]:
    """The `score` filter of `GET /satisfaction_ratings` (Zendesk's Satisfaction Ratings reference): a score
    (`offered`, `unoffered`, `good`, `bad`, or `received` for good or bad), optionally `_with_comment` or
    `_without_comment`."""
    if not score:
        return lambda doc: True
    base, _, comment = score.partition("_with")
    wanted = {"received": ("good", "bad")}.get(base, (base,))
    def accept(doc: dict[str, Any]) -> bool:
        if doc.get("score") not in wanted:
            return False
        has_comment = bool(doc.get("comment"))
        if comment == "_comment":
            return has_comment
        if comment == "out_comment":
            return not has_comment
        return True
    return accept


def create_rating(sim: Site, request: Request) -> Response:
    """`POST /tickets/{id}/satisfaction_rating`: the requester's answer to the survey, creating the
    ticket's rating or updating it (an offered one keeps its creation time). Only the ticket's
    requester, only "good" or "bad" (else 422), only on a ticket solved now or before (Zendesk's
    Satisfaction Ratings reference, "Create a Satisfaction Rating"); answers 200 and the rating."""
    ticket_id = int(request.params["id"])
    ticket = sim.store.ticket(ticket_id)
    if ticket is None:
        return record_not_found()
    if sim.acting_user(request) != ticket.get("requester_id"):
        return forbidden()
    try:
        body = request.json()
    except ValueError:
        body = None
    wanted = body.get("satisfaction_rating") if isinstance(body, dict) else None
    if not isinstance(wanted, dict):
        raise ApiError(Response(400, {"error": "ParameterMissing",
                                      "description": "param is missing or the value is empty: satisfaction_rating"}))
    score, comment = wanted.get("score"), wanted.get("comment")
    if score not in ("good", "bad"):
        return record_invalid({"score": [{"description": "Score: is not valid", "error": "InvalidValue"}]})
    if ticket.get("status") == "closed":
        return record_invalid({"status": [{"description": "Status: closed prevents ticket update"}]})
    if not sim.store.was_solved(ticket_id):
        # Zendesk says where a rating may be given ("a solved ticket, or ... a ticket that was previously
        # solved and then reopened": https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/#create-a-satisfaction-rating),
        # but neither that page nor its OpenAPI file (CreateTicketSatisfactionRating: a 200 alone) gives
        # the refusal's status or wording: this is the validation shape of its other 422s, unverified.
        return record_invalid({"base": [{"description": "Ticket: has not been solved", "error": "InvalidValue"}]})
    rating = sim.store.rate(ticket_id, score, comment if isinstance(comment, str) and comment else None)
    return Response(200, {"satisfaction_rating": rating})


def list_ratings(sim: Site, request: Request) -> Response:
    """Ratings in the order of the time `start_time`/`end_time` filter on: the creation (the survey's
    offer) or the last change, as `sim.ratings_start_time` reads the reference's "time of the oldest
    satisfaction rating"; `score` filters on the current value."""
    by = sim.ratings_start_time
    page = page_request(request, RATINGS_ORDER[by], width=2)
    start = int_param(request, "start_time")
    end = int_param(request, "end_time")
    accept = score_filter(request.arg("score"))
    until = end if end is not None else 1 << 62
    floor = (start - 1, 1 << 62) if start is not None else (-(1 << 62), 0)
    params = [(k, request.arg(k)) for k in ("score", "start_time", "end_time") if request.arg(k) is not None]
    if page.cursor:
        after = page.after if page.after is not None and page.after > floor else floor
        chosen, more = sim.store.ratings_after(after, page.size, until, accept, by=by)
        body = cursor_body("satisfaction_ratings", [doc for _, doc in chosen], [key for key, _ in chosen], more,
                           order=RATINGS_ORDER[by], base_url=sim.base_url(), path=request.path, params=params,
                           size=page.size)
        return Response(200, body)
    everything, _ = sim.store.ratings_after(floor, 1 << 62, until, accept, by=by)
    first = (page.page - 1) * page.size
    items = [doc for _, doc in everything[first:first + page.size]]
    return Response(200, offset_body("satisfaction_ratings", items, len(everything), page,
                                     base_url=sim.base_url(), path=request.path, params=params))
