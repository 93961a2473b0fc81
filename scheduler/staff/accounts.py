"""Staff accounts: creating them, signing in (throttled), browser sessions and API tokens.

Secrets handed out (passwords, session keys, API tokens) are random and shown once; the database
keeps an argon2 hash of a password and a SHA-256 of session keys and tokens, so a copy of the
database lets nobody sign in.
"""

import hashlib
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from scheduler.core import audit, db
from scheduler.core.errors import NotSignedIn, RuleViolation, Throttled, not_found
from scheduler.models import ApiToken, CalendarFeed, LoginAttempt, LoginSession, Role, User
from scheduler.scheduling.rules import get_practitioner

PASSWORDS = PasswordHasher()
SESSION_LIFETIME = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
SIGN_IN_LOCK = 4  # advisory lock namespace; placement uses 1 to 3


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str
    api_token: str


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_key: str
    csrf_token: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(
    session: Session, *, name: str, role: Role, now: datetime, practitioner_id: int | None = None
) -> NewUser:
    """A new account with a random password and one API token, both returned in clear once."""
    name = name.strip()
    if not name:
        raise RuleViolation("A user needs a name.", field="name", code="name_missing")
    if session.exec(select(User).where(User.name == name)).first():
        raise RuleViolation(f"There is already a user {name!r}.", field="name", code="name_taken")
    if (role == Role.PRACTITIONER) != (practitioner_id is not None):
        raise RuleViolation(
            "A practitioner's account is tied to a practitioner record, and only theirs.",
            field="practitioner_id",
            code="practitioner_link",
        )
    if practitioner_id is not None:
        get_practitioner(session, practitioner_id)
    password = secrets.token_urlsafe(12)
    user = User(
        name=name,
        role=role,
        practitioner_id=practitioner_id,
        password_hash=PASSWORDS.hash(password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    return NewUser(user=user, password=password, api_token=issue_api_token(session, user, now=now))


def issue_api_token(session: Session, user: User, *, now: datetime) -> str:
    token = f"tp_{secrets.token_urlsafe(32)}"
    session.add(ApiToken(user_id=user.id or 0, token_hash=digest(token), created_at=now))
    session.flush()
    return token


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < 10:
        raise RuleViolation(
            "A password needs at least 10 characters.", field="password", code="weak_password"
        )
    user.password_hash = PASSWORDS.hash(password)
    session.add(user)
    session.flush()


def set_user_active(
    session: Session, *, user_id: int, active: bool, by: User, now: datetime
) -> User:
    """Let an account sign in again, or stop it: its browser sessions end at once and its API
    tokens stop working (they are checked against `active`). Nobody switches themselves off."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id, field="user_id")
    if user.id == by.id and not active:
        raise RuleViolation(
            "You cannot switch off your own account.", field="user_id", code="own_account"
        )
    user.active = active
    session.add(user)
    if not active:  # their sessions end, and their phone's calendar stops showing patients
        session.execute(delete(LoginSession).where(col(LoginSession.user_id) == user_id))
        if user.practitioner_id is not None:
            session.execute(
                delete(CalendarFeed).where(
                    col(CalendarFeed.practitioner_id) == user.practitioner_id
                )
            )
    session.flush()
    audit.record(
        session,
        actor=audit.staff(by),
        action="user.activated" if active else "user.deactivated",
        subject=f"user:{user_id}",
        now=now,
    )
    return user


def sign_in(
    session: Session,
    *,
    name: str,
    password: str,
    ip: str,
    now: datetime,
    previous_key: str | None = None,
) -> SignedIn:
    """A fresh browser session for the right password. The session the browser had before, if
    any, ends here (rotation), so a key planted before sign-in is worthless after it."""
    # One sign-in per account at a time, so parallel guesses cannot all pass the count below
    # (PostgreSQL; SQLite's write session is already one at a time).
    db.lock_schedule(session, keys=[(SIGN_IN_LOCK, zlib.crc32(name.encode()) & 0x7FFFFFFF)])
    _refuse_if_throttled(session, name=name, ip=ip, now=now)
    user = session.exec(select(User).where(User.name == name, col(User.active))).first()
    matched = _password_matches(user, password)
    if user is None or not matched:
        session.add(LoginAttempt(account=name, ip=ip, at=now))
        session.flush()
        raise NotSignedIn("Wrong user name or password.", field="password", code="bad_login")
    if previous_key:
        sign_out(session, previous_key)
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            key_hash=digest(key),
            user_id=user.id or 0,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return SignedIn(user=user, session_key=key, csrf_token=csrf)


def _password_matches(user: User | None, password: str) -> bool:
    try:
        return PASSWORDS.verify(user.password_hash if user else _unknown_account_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _unknown_account_hash() -> str:
    """Checked when the account does not exist, so a miss costs as much time as a hit."""
    return PASSWORDS.hash(secrets.token_urlsafe(16))


def _refuse_if_throttled(session: Session, *, name: str, ip: str, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    recent = select(func.count()).select_from(LoginAttempt).where(col(LoginAttempt.at) >= since)
    by_account = session.exec(recent.where(LoginAttempt.account == name)).one()
    by_address = session.exec(recent.where(LoginAttempt.ip == ip)).one()
    if by_account >= FAILURES_PER_ACCOUNT or by_address >= FAILURES_PER_ADDRESS:
        raise Throttled(
            "Too many failed sign-ins. Wait 15 minutes and try again.", code="login_throttled"
        )


def sign_out(session: Session, key: str) -> None:
    session.execute(delete(LoginSession).where(col(LoginSession.key_hash) == digest(key)))


def session_user(session: Session, *, key: str, now: datetime) -> tuple[User, str] | None:
    """The active user behind a browser session key and the session's CSRF token, if valid."""
    row = session.exec(
        select(User, LoginSession)
        .join(LoginSession, col(LoginSession.user_id) == User.id)
        .where(
            LoginSession.key_hash == digest(key),
            col(LoginSession.expires_at) > now,
            col(User.active),
        )
    ).first()
    return (row[0], row[1].csrf_token) if row else None


def token_user(session: Session, token: str) -> User | None:
    """The active user an API token belongs to, if the token is real."""
    return session.exec(
        select(User)
        .join(ApiToken, col(ApiToken.user_id) == User.id)
        .where(ApiToken.token_hash == digest(token), col(User.active))
    ).first()
