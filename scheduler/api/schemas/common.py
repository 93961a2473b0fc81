"""Field types every schema shares, and the one error body."""

import re
from collections.abc import Callable
from datetime import date, time
from typing import Annotated, Any

from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
)

# The databases' integer keys are 32-bit: a larger id is simply unknown, and a 422 says so.
MAX_ID = 2**31 - 1
YEARS = (1900, 2200)


def _plain_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("text must be valid Unicode") from error
    return value


def _sensible_year(value: Any) -> Any:
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"the year must be between {YEARS[0]} and {YEARS[1]}")
    return value


def _written(example: str, pattern: str = ".*") -> Callable[[Any], Any]:
    """Dates and times only as text (no 0 for 1970-01-01), checked against `pattern`."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            raise ValueError(f"write it like {example}")
        if not isinstance(value, str | date | time):
            raise ValueError(f"write it as text, like {example}")
        return value

    return check


def _wall_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a wall-clock time has no offset; the location's time zone applies")
    return value


# Bodies take JSON numbers only ("1" and 1.5 are refused); query and path text is parsed.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Field(max_length=200), AfterValidator(_plain_text)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_text)]
LongText = Annotated[str, Field(max_length=2000), AfterValidator(_plain_text)]
Day = Annotated[
    date,
    BeforeValidator(_written("2026-11-24", r"\d{4}-\d\d-\d\d")),
    AfterValidator(_sensible_year),
]
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_written("2026-11-24T09:00:00-05:00")),
    AfterValidator(_sensible_year),
    Field(description="ISO 8601 with an offset, e.g. 2026-11-24T09:00:00-05:00"),
]
# Documented as a pattern: JSON Schema's "time" format is RFC 3339's, which demands an offset.
WALL_TIME = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
WallTime = Annotated[
    time,
    BeforeValidator(_written("09:00", WALL_TIME)),
    AfterValidator(_wall_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{WALL_TIME}$",
            "description": "HH:MM, local wall-clock time",
            "examples": ["09:00"],
        }
    ),
]
Weekday = Annotated[int, Strict(), Field(ge=0, le=6, description="0 = Monday")]


class Public(BaseModel):
    """A response body read straight off table rows or core dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class Change(BaseModel):
    """A request body; unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller sent, for XUpdate bodies."""
        return self.model_dump(exclude_unset=True)


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "The body could not be read"),
        (401, "Not signed in"),
        (403, "Not allowed for this role or record"),
        (404, "Not found"),
        (409, "Conflicts with the schedule as it is now"),
        (422, "Invalid input, or breaks a clinical or scheduling rule"),
    )
}
