"""Column helpers shared by the tables, so every backend stores the same things the same way."""

from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from scheduler.core.db import UTCDateTime


def enum_column(enum: type[StrEnum]) -> Any:
    """A VARCHAR holding the enum's value (no native PostgreSQL type to migrate)."""
    return sa.Enum(
        enum,
        native_enum=False,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
    )


def instant(*, nullable: bool = False, index: bool = False) -> Any:
    """An aware UTC datetime column."""
    return Field(
        default=None if nullable else ...,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
    )


def json_list() -> Any:
    return Field(default_factory=list, sa_type=sa.JSON)
