"""One error shape for the whole API: {"error": {"code", "message", "field"?}}.

Domain errors keep their own code and message; malformed requests say which field is wrong.
Pages get the same status codes; a page asked for without a session redirects to sign-in.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from scheduler.api.outbox_metrics import BOOKING_CONFLICTS
from scheduler.core.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    RuleViolation,
    Throttled,
)
from scheduler.web.rendering import page

STATUS = {
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
    NotSignedIn: 401,
    NotAllowed: 403,
    Throttled: 429,
}


TITLES = {
    NotFound: "Not found",
    Conflict: "Someone got there first",
    NotSignedIn: "Please sign in",
    NotAllowed: "Not for your role",
    Throttled: "Too many attempts",
}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def status_of(error: DomainError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 422)


async def _domain_error(request: Request, error: Exception) -> Response:
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


async def _invalid_request(_request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    return JSONResponse(
        error_body(
            "invalid_request",
            str(first.get("msg", "The request is not valid.")),
            ".".join(location) or None,
        ),
        status_code=422,
    )


async def _http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return JSONResponse(
        error_body(f"http_{error.status_code}", str(error.detail)),
        status_code=error.status_code,
        headers=error.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
