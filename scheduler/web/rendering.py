"""The Jinja2 environment every page renders with, and the filters its templates share."""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A full page; the signed-in caller and the CSRF token reach every template."""
    caller = getattr(request.state, "caller", None)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {"caller": caller, "csrf_token": caller.csrf_token if caller else "", **context},
        status_code=status_code,
    )


def wants_fragment(request: Request) -> bool:
    """An HTMX request asking for part of a page to swap in, not a whole page."""
    return request.headers.get("HX-Request") == "true"


def clock(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def short_day(day: date | datetime, zone: ZoneInfo | None = None) -> str:
    if isinstance(day, datetime):
        day = day.astimezone(zone).date() if zone else day.date()
    return f"{day:%a} {day.day} {day:%b}"


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def words(value: object) -> str:
    """An enum value or a flag as the clinic says it: needle_phobia_or_fainting -> needle
    phobia or fainting."""
    return str(getattr(value, "value", value)).replace("_", " ").replace("-", " ")


def minutes_between(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def phone(number: str) -> str:
    """An E.164 number as people write it: +1 212-555-0101."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper()


@dataclass(frozen=True)
class Block:
    """A paragraph of a text an admin wrote: its heading line, if it has one, its lines, and
    its "- " lines as a list."""

    heading: str | None
    lines: list[str]
    items: list[str]


def blocks(text: str) -> list[Block]:
    """Plain text as paragraphs (split at blank lines). A paragraph's first line is its heading
    when more lines follow and it is no list item and ends in no punctuation."""
    found = []
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        titled = len(lines) > 1 and lines[0][-1] not in ".:;!?" and not lines[0].startswith("- ")
        heading = lines.pop(0) if titled else None
        items = [line[2:] for line in lines if line.startswith("- ")]
        found.append(Block(heading, [line for line in lines if not line.startswith("- ")], items))
    return found


TEMPLATES.env.filters.update(
    blocks=blocks,
    clock=clock,
    short_day=short_day,
    long_day=long_day,
    words=words,
    initials=initials,
    minutes_between=minutes_between,
    phone=phone,
)
