"""Patients' personal links: an id and its signature, so a link opens one thing, for no login,
and cannot be guessed or altered into another.

A link carries no expiry of its own; what it opens decides whether it still works (a visit's link
stops at the visit's start, an offer's when the offer closes, an intake link after 14 days or its
use), so a moved visit keeps its link.
The key is made per database by its migration; every process reads the same one.
"""

import base64
import hashlib
import hmac

from sqlalchemy import ScalarSelect
from sqlmodel import Session, col, select

from scheduler.models import SigningKey

VISIT = "visit"
OFFER = "offer"
INTAKE = "intake"
INTAKE_FORM = "intake-form"  # the intake page's own hidden field: the form came from our page
PATHS = {VISIT: "v", OFFER: "w", INTAKE: "i"}
SIGNATURE_BYTES = 12  # 96 bits: 16 characters in the link
KEY_ROW = 1  # the one row of `signing_key`


def signing_key(session: Session) -> str:
    return session.get_one(SigningKey, KEY_ROW).key


def signing_key_subquery() -> ScalarSelect[str]:
    """The key as a subquery, for a statement that reads it along with what it links to."""
    return select(SigningKey.key).where(col(SigningKey.id) == KEY_ROW).scalar_subquery()


def sign(key: str, purpose: str, subject_id: int) -> str:
    """The link's last part: the id, a dot and the signature."""
    message = f"{purpose}:{subject_id}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return f"{subject_id}.{base64.urlsafe_b64encode(digest).decode()}"


def verify(key: str, purpose: str, token: str) -> int | None:
    """The id the token was signed for, or None when it was not signed by us for `purpose`."""
    subject, _, _ = token.partition(".")
    if not subject.isdigit() or len(subject) > 18:
        return None
    expected = sign(key, purpose, int(subject))
    return int(subject) if hmac.compare_digest(expected.encode(), token.encode()) else None


def link(public_url: str, key: str, purpose: str, subject_id: int) -> str:
    return f"{public_url.rstrip('/')}/{PATHS[purpose]}/{sign(key, purpose, subject_id)}"
