"""Write the texts a schedule change causes, in the same transaction as the change.

The outbox rows are the only truth about what will be sent: the dispatcher and the workers only
move rows along. A change of plan is a change of rows (pending ones cancelled, new ones added),
never a message to the queue, so nothing already queued can go out for a visit that moved.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from scheduler.clinic.catalogue import resolve_location
from scheduler.core.policy import Policy
from scheduler.core.wallclock import clinic_zone
from scheduler.messaging import intake_texts
from scheduler.messaging.planning import PlannedMessage, after_visit, before_visit, within_window
from scheduler.messaging.send_window import send_window
from scheduler.models import (
    PENDING,
    Appointment,
    Message,
    MessageStatus,
    Patient,
    Service,
    ServiceKind,
    Visit,
    WaitlistOffer,
)

SENT_OR_MAYBE = (
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.UNKNOWN,
)


def on_booked(session: Session, *, visit: Visit, now: datetime, policy: Policy) -> None:
    """A confirmation after the grace period, then the reminders; the intake form's texts when
    the visit needs an intake the patient has not given."""
    planned = _before_visit(session, visit, now=now, policy=policy, send_at=None)
    planned += _intake(session, visit, now=now, policy=policy, first_at=planned[0].send_at)
    _add(session, visit, planned, now=now, policy=policy)


def on_moved(session: Session, *, visit: Visit, now: datetime, policy: Policy) -> None:
    """Old texts are withdrawn. A confirmation still in its grace period simply becomes the
    confirmation of the new time (one text, not two); otherwise the patient gets a notice. One
    a worker claimed while this waited to withdraw it has gone, so a notice follows it."""
    confirmation_due = _withdraw(session, visit, now=now, reason="visit moved").get("confirmation")
    planned = _before_visit(session, visit, now=now, policy=policy, send_at=confirmation_due)
    if confirmation_due is None:
        notice = planned[0]
        planned[0] = PlannedMessage(
            "reschedule_notice", "reschedule_notice", notice.send_at, notice.not_after
        )
    planned += _intake(
        session, visit, now=now, policy=policy, first_at=planned[0].send_at, again=True
    )
    _add(session, visit, planned, now=now, policy=policy)


def on_restored(session: Session, *, visit: Visit, now: datetime, policy: Policy) -> None:
    """A cancellation undone. A notice not yet gone is withdrawn and the patient hears nothing
    new but the reminders (and the confirmation, if it had not gone either); one that went is
    followed by a text saying the visit is booked again."""
    _withdraw(session, visit, now=now, reason="cancellation undone")
    heard = _kinds_sent(session, visit)
    planned = _before_visit(session, visit, now=now, policy=policy, send_at=None)
    first = planned.pop(0)
    if "cancellation_notice" in heard:
        planned.insert(
            0, PlannedMessage("restored_notice", "restored_notice", first.send_at, first.not_after)
        )
    elif "confirmation" not in heard and "reschedule_notice" not in heard:
        planned.insert(0, first)
    planned += _intake(session, visit, now=now, policy=policy, first_at=first.send_at, again=True)
    _add(session, visit, planned, now=now, policy=policy)


def _intake(
    session: Session,
    visit: Visit,
    *,
    now: datetime,
    policy: Policy,
    first_at: datetime,
    again: bool = False,
) -> list[PlannedMessage]:
    """The intake texts the visit needs; planned `again` (after a move or an undo), the request
    only if it had not gone already."""
    start, kinds = _visit_facts(session, visit)
    return intake_texts.for_visit(
        session,
        visit=visit,
        start=start,
        kinds=kinds,
        now=now,
        policy=policy,
        first_at=first_at,
        request=not (again and intake_texts.request_sent(session, visit=visit)),
    )


def _before_visit(
    session: Session, visit: Visit, *, now: datetime, policy: Policy, send_at: datetime | None
) -> list[PlannedMessage]:
    """The first text at `send_at` (when a withdrawn one would have gone), else after the
    grace."""
    start, kinds = _visit_facts(session, visit)
    return before_visit(
        now=now,
        start=start,
        needling=ServiceKind.DRY_NEEDLING in kinds,
        policy=policy,
        send_at=send_at or now + policy.confirmation_grace,
    )


def on_cancelled(session: Session, *, visit: Visit, now: datetime, policy: Policy) -> None:
    """Pending texts are withdrawn; a notice goes out only if the patient heard of the visit.

    Withdrawn first: a worker claiming one of them at this instant holds it until its claim is
    committed, and what it claimed counts as heard (PostgreSQL reads again after the wait)."""
    _withdraw(session, visit, now=now, reason="visit cancelled")
    if _any_sent(session, visit):
        start, _ = _visit_facts(session, visit)
        notice = PlannedMessage("cancellation_notice", "cancellation_notice", now, start)
        _add(session, visit, [notice], now=now, policy=policy)


def on_completed(session: Session, *, visit: Visit, now: datetime, policy: Policy) -> None:
    """Reminders still pending are moot; aftercare follows."""
    _withdraw(session, visit, now=now, reason="visit completed")
    start, kinds = _visit_facts(session, visit)
    zone = clinic_zone(resolve_location(session, visit.location_id).time_zone)
    planned = after_visit(completed_at=now, visit_start=start, kinds=kinds, zone=zone)
    _add(session, visit, planned, now=now, policy=policy)


def on_ended_without_care(session: Session, *, visit: Visit, now: datetime) -> None:
    """A no-show: nothing more to say before the visit, and no aftercare."""
    _withdraw(session, visit, now=now, reason=f"visit {visit.status.value.replace('_', ' ')}")


def on_offered(
    session: Session, *, offer: WaitlistOffer, patient: Patient, words: str, now: datetime
) -> None:
    """An offer of a freed time goes out at once, worded when offered: it concerns no visit
    yet, and it is worth nothing once the offer expires."""
    session.add(
        Message(
            idempotency_key=_offer_key(offer.id or 0),
            patient_id=patient.id or 0,
            kind="waitlist_offer",
            template="waitlist_offer",
            to_phone=patient.phone,
            body=words,
            send_at=now,
            not_after=offer.expires_at,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()


def withdraw_offer_texts(
    session: Session, *, offer_ids: Sequence[int], now: datetime, reason: str
) -> None:
    session.execute(
        update(Message)
        .where(
            col(Message.idempotency_key).in_([_offer_key(i) for i in offer_ids]),
            col(Message.status).in_(PENDING),
        )
        .values(status=MessageStatus.CANCELLED, reason=reason, updated_at=now)
    )


def _offer_key(offer_id: int) -> str:
    return f"offer:{offer_id}"


def _visit_facts(session: Session, visit: Visit) -> tuple[datetime, set[ServiceKind]]:
    rows = session.exec(
        select(Appointment.starts_at, Service.kind)
        .join(Service, col(Service.id) == Appointment.service_id)
        .where(Appointment.visit_id == visit.id)
    ).all()
    return min(start for start, _ in rows), {ServiceKind(kind) for _, kind in rows}


def _add(
    session: Session,
    visit: Visit,
    planned: Sequence[PlannedMessage],
    *,
    now: datetime,
    policy: Policy,
) -> None:
    """Insert rows, each moved into the send window or skipped when that is past its deadline."""
    patient = session.get_one(Patient, visit.patient_id)
    zone = clinic_zone(resolve_location(session, visit.location_id).time_zone)
    window = send_window(session, policy)
    for message in planned:
        send_at = within_window(message.send_at, zone=zone, window=window)
        too_late = send_at > message.not_after
        session.add(
            Message(
                idempotency_key=f"visit:{visit.id}:{message.kind}:v{visit.version}",
                visit_id=visit.id,
                visit_version=visit.version,
                patient_id=patient.id or 0,
                kind=message.kind,
                template=message.template,
                intake_link_id=message.intake_link_id,
                to_phone=patient.phone,
                send_at=send_at,
                not_after=message.not_after,
                status=MessageStatus.SKIPPED if too_late else MessageStatus.SCHEDULED,
                reason="outside the send window until after its deadline" if too_late else None,
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()


def _any_sent(session: Session, visit: Visit) -> bool:
    return bool(_kinds_sent(session, visit))


def _kinds_sent(session: Session, visit: Visit) -> set[str]:
    """The kinds of the visit's texts that went out, or may have."""
    query = select(Message.kind).where(
        Message.visit_id == visit.id, col(Message.status).in_(SENT_OR_MAYBE)
    )
    return set(session.exec(query.distinct()))


def _withdraw(session: Session, visit: Visit, *, now: datetime, reason: str) -> dict[str, datetime]:
    """Cancels the visit's pending texts; returns when each kind withdrawn was due. A row a
    worker is claiming is waited for (PostgreSQL) and left alone once claimed."""
    withdrawn = session.execute(
        update(Message)
        .where(col(Message.visit_id) == visit.id, col(Message.status).in_(PENDING))
        .values(status=MessageStatus.CANCELLED, reason=reason, updated_at=now)
        .returning(col(Message.kind), col(Message.send_at))
    )
    return {row.kind: row.send_at for row in withdrawn}
