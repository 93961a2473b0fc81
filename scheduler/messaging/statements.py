"""The SQL of sending a text: the statements every text runs, built once, and the two built per
call (settling a text, counting a patient's texts of the day).

Every text passes through here, so its statements are few. A cleared text costs its worker
two: the claim (CLAIM_CLEARED), which returns the stored words, and the record of the
provider's answer (RECORD_ACCEPTED). Any other text is read (READ) and claimed with the words
decided over what was read (CLAIM); a dispatcher's tick reads all its texts at once
(READ_QUEUED) and clears those that go (CLEAR). None of them needs a transaction around it, so
on PostgreSQL each commits on its own. What the claims check of the world is `send_rule`'s.
"""

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    update,
)
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from scheduler.core import signing
from scheduler.messaging.send_rule import (
    can_be_texted_in_sql,
    opted_out_in_sql,
    still_right_in_sql,
)
from scheduler.messaging.send_window import stored_hours
from scheduler.messaging.templates import own_wording
from scheduler.models import Appointment, Location, Message, MessageStatus, Patient, Visit
from scheduler.models.columns import UTCDateTime

# An answer to the patient's own text: it goes out at any hour and never counts against the
# daily limit.
ANSWER = "reply"
COUNTED = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)
# A row whose clearing no longer stands (deferred, settled, or claimed again by a dispatcher)
# forgets both its halves, so its next clearing or claim decides and words it anew.
FORGET_CLEARING: dict[str, Any] = {"cleared_until": None, "cleared_body": None}
# The fields of `sending.Queued` that the message row holds itself.
MESSAGE_FIELDS = (
    "id",
    "kind",
    "template",
    "to_phone",
    "patient_id",
    "not_after",
    "visit_id",
    "visit_version",
    "intake_link_id",
    "body",
)
T = TypeVar("T")


def _world() -> list[Mapped[Any] | ColumnElement[Any]]:
    """The message's own fields and what the re-checks and the words need from other tables."""
    visit_id, patient_id = _outer("visit_id"), _outer("patient_id")
    location_id = func.coalesce(
        _lookup(col(Visit.location_id), visit_id), select(func.min(Location.id)).scalar_subquery()
    )
    first_part = select(Appointment.starts_at).where(col(Appointment.visit_id) == visit_id)
    return [
        *(col(getattr(Message, name)) for name in MESSAGE_FIELDS),
        _lookup(col(Visit.status), visit_id).label("visit_status"),
        _lookup(col(Visit.version), visit_id).label("visit_version_now"),
        first_part.order_by(col(Appointment.position)).limit(1).label("visit_start"),
        _lookup(col(Patient.name), patient_id).label("patient_name"),
        _lookup(col(Patient.sms_consent), patient_id).label("sms_consent"),
        opted_out_in_sql().label("number_opted_out"),
        _lookup(col(Location.name), location_id).label("clinic"),
        _lookup(col(Location.phone), location_id).label("clinic_phone"),
        _lookup(col(Location.time_zone), location_id).label("time_zone"),
        own_wording(_outer("template")).label("own_template"),
        *stored_hours(),
        signing.signing_key_subquery().label("signing_key"),
    ]


def _outer(name: str) -> ColumnElement[Any]:
    """A column of the message being read, named so that subqueries refer to the outer row at any
    depth: SQLAlchemy correlates a subquery only with the statement directly around it, so the
    clinic's location, looked up through the visit, would otherwise read every message."""
    return literal_column(f"{Message.__tablename__}.{name}")


def _lookup(column: Mapped[T], primary_key: Mapped[Any] | ColumnElement[Any]) -> ScalarSelect[T]:
    """`column` of the row of its table whose id is `primary_key`."""
    table = column.class_  # type: ignore[attr-defined]
    return select(column).where(table.id == primary_key).scalar_subquery()


def _world_as_read() -> ColumnElement[bool]:
    """What a decision to send rested on is still so: the visit is in the state and at the
    version that was read, and the patient can still be texted.

    Not the rule again: the decision applied it to what was read, and an unchanged visit also
    keeps the words rendered from it (its times) right."""
    visit_as_read = exists().where(
        col(Visit.id) == col(Message.visit_id),
        col(Visit.status) == bindparam("visit_status"),
        col(Visit.version) == bindparam("visit_version_now"),
    )
    return and_(or_(col(Message.visit_id).is_(None), visit_as_read), can_be_texted_in_sql())


Settlement = tuple[MessageStatus, str, datetime | None]  # new status, reason, new send_at


def settle(message_id: int, settlement: Settlement, *, now: datetime) -> Update:
    """Settles the row only if it is still queued: otherwise another worker took it meanwhile."""
    status, reason, send_at = settlement
    moved = {"send_at": send_at} if send_at else {}
    return (
        update(Message)
        .where(col(Message.id) == message_id, _QUEUED)
        .values(status=status, reason=reason, updated_at=now, **moved, **FORGET_CLEARING)
    )


def texts_counted(
    *, patient_id: int, other_than: int, start: datetime, end: datetime
) -> SelectOfScalar[int]:
    """How many of the patient's texts claimed in [start, end), but `other_than`, count against
    the daily limit: those being sent or sent, and cleared ones still waiting for a worker."""
    cleared = and_(_QUEUED, col(Message.cleared_until).is_not(None))
    return (
        select(func.count())
        .select_from(Message)
        .where(
            Message.patient_id == patient_id,
            Message.kind != ANSWER,
            or_(col(Message.status).in_(COUNTED), cleared),
            col(Message.claimed_at) >= start,
            col(Message.claimed_at) < end,
            Message.id != other_than,
        )
    )


# The statements every text runs, built once; they take `message_id` and `now` or `words`/`sid`.
_THIS_ONE = col(Message.id) == bindparam("message_id")
_QUEUED = col(Message.status) == MessageStatus.QUEUED
_NOW = bindparam("now", type_=UTCDateTime())
_SENDING = col(Message.status) == MessageStatus.SENDING  # a callback may have moved it on
_CLAIMED = {"status": MessageStatus.SENDING, "attempts": Message.attempts + 1}
READ = select(*_world()).where(_THIS_ONE, _QUEUED)
READ_QUEUED = (
    select(*_world())
    .where(col(Message.id).in_(bindparam("message_ids", expanding=True)), _QUEUED)
    .order_by(col(Message.id))
)
CLEAR = (
    update(Message)
    .where(_THIS_ONE, _QUEUED)
    .values(cleared_body=bindparam("words"), updated_at=_NOW)
    .values(cleared_until=bindparam("until", type_=UTCDateTime()))
)
_CLEARED_WORDS = func.coalesce(col(Message.body), col(Message.cleared_body))
CLAIM_CLEARED = (
    update(Message)
    .where(_THIS_ONE, _QUEUED, col(Message.cleared_until) >= _NOW, _CLEARED_WORDS.is_not(None))
    .where(still_right_in_sql())
    .values(**_CLAIMED, claimed_at=_NOW, updated_at=_NOW)
    .values(body=_CLEARED_WORDS, cleared_body=None)  # what goes is what the row says went
    .returning(col(Message.to_phone), col(Message.body))
)
CLAIM = (
    update(Message)
    .where(_THIS_ONE, _QUEUED, _world_as_read())
    .values(**_CLAIMED, claimed_at=_NOW, updated_at=_NOW)
    .values(body=func.coalesce(col(Message.body), bindparam("words")), cleared_body=None)
    .returning(col(Message.to_phone), col(Message.body))
)
RECORD_ACCEPTED = (
    update(Message)
    .where(_THIS_ONE)
    .values(provider_sid=bindparam("sid"), sent_at=_NOW, updated_at=_NOW)
    .values(status=case((_SENDING, MessageStatus.SENT), else_=col(Message.status)))
)
