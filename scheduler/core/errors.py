"""Domain errors: each names the problem in the clinic's words and carries a stable code.

The edges map the three families to their own vocabulary (HTTP 404 / 409 / 422, CLI exit codes).
"""

from dataclasses import dataclass


@dataclass
class DomainError(Exception):
    message: str
    field: str | None = None
    code: str = "invalid"

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The thing asked for does not exist."""


class Conflict(DomainError):
    """The request was valid but the schedule changed under it: try another time."""


class RuleViolation(DomainError):
    """The request breaks a clinical or scheduling rule and cannot succeed as given."""


def not_found(what: str, key: object, *, field: str | None = None) -> NotFound:
    return NotFound(f"No {what} {key!r}.", field=field, code=f"unknown_{what.replace(' ', '_')}")


class NotSignedIn(DomainError):
    """No valid session or API token came with the request."""


class NotAllowed(DomainError):
    """The signed-in user's role or relationship does not give access to this."""


class Throttled(DomainError):
    """Too many attempts in a short time; try again later."""
