"""Who uses the clinic's system: staff accounts, their sessions and tokens, and the audit log."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler.models.columns import enum_column, instant


class Role(StrEnum):
    ADMIN = "admin"
    FRONT_DESK = "front_desk"
    PRACTITIONER = "practitioner"


class User(SQLModel, table=True):
    """A member of staff; a practitioner's account is tied to their practitioner record."""

    __tablename__ = "user_account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: Role = Field(sa_type=enum_column(Role))
    practitioner_id: int | None = Field(default=None, foreign_key="practitioner.id")
    password_hash: str
    active: bool = True
    created_at: datetime = instant()


class ApiToken(SQLModel, table=True):
    """A bearer token for an integration; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(unique=True)
    created_at: datetime = instant()


class LoginSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random key; only its SHA-256 is stored."""

    __tablename__ = "login_session"
    key_hash: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str
    created_at: datetime = instant()
    expires_at: datetime = instant()


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, counted per account and per address to slow down guessing."""

    __tablename__ = "login_attempt"
    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(index=True)
    ip: str = Field(index=True)
    at: datetime = instant(index=True)


class AuditEntry(SQLModel, table=True):
    """Who did what to which record. Append-only: the database refuses updates and deletes."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = instant(index=True)
    actor: str = Field(description="user:<id> <name>, patient:<id> or system")
    action: str = Field(description="visit.booked, intake.viewed, template.changed, ...")
    subject: str = Field(index=True, description="visit:12, patient:5, template:reminder, ...")
    detail: str = ""


class CalendarFeed(SQLModel, table=True):
    """A practitioner's private calendar address. The token is the only key, so it is kept in
    clear to be shown again on their day sheet; issuing a new one retires the old address."""

    __tablename__ = "calendar_feed"
    practitioner_id: int = Field(primary_key=True, foreign_key="practitioner.id")
    token: str = Field(unique=True)
    created_at: datetime = instant()
