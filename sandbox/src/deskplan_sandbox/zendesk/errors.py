"""Zendesk's error answers, with the bodies recorded from real accounts."""

from __future__ import annotations

from typing import Any

from deskplan_sandbox.server import Response, retry_after_header


class ApiError(Exception):
    """Raised by handlers; the app answers with `response`."""

    def __init__(self, response: Response):
        super().__init__(f"{response.status}")
        self.response = response


def record_not_found() -> Response:
    return Response(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid_endpoint() -> Response:
    return Response(404, {"error": "InvalidEndpoint", "description": "Not found"})


def unauthorized() -> Response:
    return Response(401, {"error": "Couldn't authenticate you"})


def forbidden() -> Response:
    # The nested body Zendesk answers a user who may not do this with (reported in zenpy issue 336).
    return Response(403, {"error": {"title": "Forbidden",
                                    "message": "You do not have access to this page. Please contact the account "
                                               "owner of this help desk for further help."}})


def record_invalid(details: dict[str, list[dict[str, Any]]]) -> Response:
    return Response(422, {"error": "RecordInvalid", "description": "Record validation errors", "details": details})


def invalid_value(description: str) -> Response:
    return Response(422, {"error": "InvalidValue", "description": description})


def too_recent_start_time() -> Response:
    # Not among the recordings: the body as Zendesk's API clients quote it (e.g. treasure-data's
    # embulk-input-zendesk, which reads it as "no records yet"). The wording predates the
    # one-minute hold-back; the simulator refuses a start_time inside that minute.
    return invalid_value("Too recent start_time. Use a start_time older than 5 minutes")


def invalid_pagination(description: str) -> Response:
    return Response(400, {"error": "InvalidPaginationParameter", "description": description})


def too_many_values(parameter: str, maximum: int = 100) -> Response:
    return Response(400, {"error": "TooManyValues",
                          "description": f"Parameter {parameter} cannot specify more than {maximum} values",
                          "max_count": maximum})


def conflict() -> Response:
    # Zendesk documents the safe-update 409 but no recording shows its body; this one follows the classic
    # `{error, description}` shape.
    return Response(409, {"error": "UpdateConflict",
                          "description": "Safe Update prevented the update due to outdated ticket data. "
                                         "Please fetch the latest ticket data and try again."})


def idempotency_mismatch() -> Response:
    # Unverified body: Zendesk documents the refusal, not its exact text.
    return Response(400, {"error": "IdempotentRequestError",
                          "description": "Idempotency-Key was already used with a different request body"})


TICKET_UPDATES_LIMITED = "Rate limit for ticket updates exceeded, please wait before updating this ticket again"


def ticket_updates_limited(wait: float, headers: dict[str, str]) -> Response:
    """The 429 of too many updates to one ticket: plain text (`text/html`), not the JSON of the
    export limit, as Zendesk's "Best practices for avoiding rate limiting" shows it (its example
    response: Content-Type text/html; charset=utf-8, Content-Length 85, Retry-After 93;
    https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/best-practices-for-avoiding-rate-limiting/)."""
    return Response(429, TICKET_UPDATES_LIMITED, {"Retry-After": retry_after_header(wait),
                                                  "Content-Type": "text/html; charset=utf-8", **headers})


def rate_limited(wait: float, description: str, headers: dict[str, str] | None = None) -> Response:
    return Response(429, {"error": "APIRateLimitExceeded", "description": description},
                    {"Retry-After": retry_after_header(wait), **(headers or {})})
