"""The frame every Clinic settings page shares: the admin section, its tab, and a refused
change's reason with the status that goes with it."""

from typing import Any

from fastapi import Request
from starlette.responses import Response

from scheduler.api.errors import status_of
from scheduler.core.errors import DomainError
from scheduler.web.rendering import page


def admin_page(
    request: Request, template: str, *, tab: str, error: DomainError | None = None, **context: Any
) -> Response:
    return page(
        request,
        template,
        status_of(error) if error else 200,
        section="admin",
        tab=tab,
        error=error,
        **context,
    )
