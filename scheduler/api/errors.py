"""One error shape for the whole API: {"error": {"code", "message", "field"?}}.

Domain errors keep their own code and message; malformed requests say which field is wrong.
The handlers are installed on the whole app by `scheduler.app.errors`, which also answers
browsers with pages.
"""

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from scheduler.core.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    NotFound,
    NotSignedIn,
    RuleViolation,
    Throttled,
)

STATUS = {
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
    NotSignedIn: 401,
    NotAllowed: 403,
    Throttled: 429,
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


async def invalid_request(_request: Request, error: Exception) -> Response:
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


async def http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return JSONResponse(
        error_body(f"http_{error.status_code}", str(error.detail)),
        status_code=error.status_code,
        headers=error.headers,
    )
