"""Errors answered as the caller wants them: a page with the same status for a browser, the
API's one JSON shape for everyone else, and a page asked for without a session sends the
browser to sign in."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from scheduler.api.errors import error_body, http_error, invalid_request, status_of, wants_page
from scheduler.api.outbox_metrics import BOOKING_CONFLICTS
from scheduler.core.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    Throttled,
)
from scheduler.web.rendering import page

TITLES = {
    NotFound: "Not found",
    Conflict: "Someone got there first",
    NotSignedIn: "Please sign in",
    NotAllowed: "Not for your role",
    Throttled: "Too many attempts",
}


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    if isinstance(error, Conflict):
        BOOKING_CONFLICTS.inc()
    if isinstance(error, NotSignedIn) and wants_page(request) and request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if wants_page(request):
        return page(
            request,
            "error.html",
            status_of(error),
            title=TITLES.get(type(error), "That cannot be done"),
            message=error.message,
        )
    return JSONResponse(
        error_body(error.code, error.message, error.field), status_code=status_of(error)
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
