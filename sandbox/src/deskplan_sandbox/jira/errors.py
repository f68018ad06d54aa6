"""Error bodies exactly as Jira Cloud and JSM answer them (the error shapes of Atlassian's Jira Cloud
platform and Jira Service Management REST API references, and bodies seen from real sites).

The platform API answers with an ErrorCollection `{"errorMessages": [...], "errors": {...}}`;
`/rest/servicedeskapi` with `{"errorMessage": ..., "i18nErrorMessage": {...}}`.
"""

from __future__ import annotations

from deskplan_sandbox.server import Response

REMOVED_SEARCH_MESSAGE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
COMMENT_NOT_VALID = "Comment body is not valid!"


def error_collection(status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None) -> Response:
    return Response(status, {"errorMessages": list(messages or []), "errors": dict(errors or {})})


def removed_search() -> Response:
    return error_collection(410, [REMOVED_SEARCH_MESSAGE])


def issue_not_found() -> Response:
    return error_collection(404, [ISSUE_NOT_FOUND])


def unauthorized() -> Response:
    # Not an ErrorCollection: Atlassian's edge answers bad basic credentials in this shape.
    return Response(401, {"message": "Client must be authenticated to access this resource.", "status-code": 401})


def jsm_unauthorized() -> Response:
    # The JSM OpenAPI documents every 401 of /rest/servicedeskapi as its ErrorResponse
    # ({errorMessage, i18nErrorMessage}, no field required); its wording is not documented, so the
    # platform's is used, and no i18n key is made up.
    return Response(401, {"errorMessage": "Client must be authenticated to access this resource."})


def jsm_error(status: int, message: str, i18n_key: str) -> Response:
    return Response(status, {"errorMessage": message, "i18nErrorMessage": {"i18nKey": i18n_key, "parameters": []}})


def jsm_request_not_found() -> Response:
    return jsm_error(404, "The customer request does not exist or you do not have permission to see it.",
                     "sd.customer.request.not.found")


def jsm_experimental_required() -> Response:
    return jsm_error(
        412,
        "This API is experimental. Experimental APIs are not guaranteed to be stable within the preview period. "
        "You must set the header 'X-ExperimentalApi: opt-in' to opt into using this API.",
        "sd.api.experimental.optin.required",
    )


def dead_link() -> Response:
    """Unknown paths get Jira's HTML 404 page, not JSON."""
    html = ("<html><head><title>Oops, you&#39;ve found a dead link. - JIRA</title></head>"
            "<body>Oops, you've found a dead link.</body></html>")
    return Response(404, html.encode("utf-8"), {"Content-Type": "text/html;charset=UTF-8"})
