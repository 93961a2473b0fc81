"""Text messages: the outbox of what we mean to send, what patients send us, and opt-outs."""

from datetime import datetime, time
from enum import StrEnum

from sqlmodel import Field, SQLModel

from scheduler.models.columns import enum_column, instant


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its send_at
    QUEUED = "queued"  # claimed by a dispatcher and handed to a worker
    SENDING = "sending"  # a worker is talking to the gateway right now
    SENT = "sent"  # the gateway accepted it
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # the visit changed; this text no longer applies
    SKIPPED = "skipped"  # not sent on purpose: opted out, quiet hours past its deadline, ...
    UNKNOWN = "unknown"  # the gateway may or may not have taken it; reconcile before resending


# Statuses a message can still leave by being sent.
PENDING = (MessageStatus.SCHEDULED, MessageStatus.QUEUED)


class Message(SQLModel, table=True):
    """One intended outbound text, written in the same transaction as the change that causes it.

    `idempotency_key` (visit, kind, visit version) makes writing it twice harmless;
    `provider_sid` is unique so one provider message is never recorded on two rows.
    """

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)
    visit_version: int | None = None
    intake_link_id: int | None = Field(
        default=None, foreign_key="intake_link.id", description="The link an intake text carries"
    )
    patient_id: int = Field(foreign_key="patient.id", index=True)
    kind: str = Field(description="confirmation, reminder_24h, aftercare, reply, ...")
    template: str
    to_phone: str
    body: str | None = Field(default=None, description="The text as rendered when it was sent")
    send_at: datetime = instant(index=True)
    not_after: datetime = instant()
    status: MessageStatus = Field(
        default=MessageStatus.SCHEDULED, sa_type=enum_column(MessageStatus), index=True
    )
    attempts: int = 0
    provider_sid: str | None = Field(default=None, unique=True)
    error_code: str | None = None
    reason: str | None = Field(default=None, description="Why it was skipped or cancelled")
    claimed_at: datetime | None = instant(nullable=True)
    # Set by the dispatcher when it found the text right to send and rendered its words: until
    # then (its deadline, or the close of the send window) a worker may claim it without
    # reading its world again. A text deferred after that forgets both, and is worded anew.
    cleared_until: datetime | None = instant(nullable=True)
    cleared_body: str | None = None
    sent_at: datetime | None = instant(nullable=True)
    created_at: datetime = instant()
    updated_at: datetime = instant()


class InboundMessage(SQLModel, table=True):
    """A text a patient sent us, stored once per provider message SID."""

    __tablename__ = "inbound_message"
    id: int | None = Field(default=None, primary_key=True)
    provider_sid: str = Field(unique=True)
    from_phone: str = Field(index=True)
    body: str
    received_at: datetime = instant(index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    meaning: str = Field(description="confirm, stop, start, help, soreness, urgent or other")
    soreness: int | None = None
    needs_attention: bool = False
    attention: str | None = Field(default=None, description="Why a person should read it")
    handled_at: datetime | None = instant(nullable=True)


class SmsOptOut(SQLModel, table=True):
    """A number that asked us to stop texting it; START removes the row."""

    __tablename__ = "sms_opt_out"
    phone: str = Field(primary_key=True)
    opted_out_at: datetime = instant()
    keyword: str


class MessageTemplate(SQLModel, table=True):
    """A clinic's own wording for a template; the built-in text applies where there is none."""

    __tablename__ = "message_template"
    name: str = Field(primary_key=True)
    body: str
    updated_at: datetime = instant()
    updated_by: str = ""


class SendWindow(SQLModel, table=True):
    """The hours texts may go out, as an admin set them; without a row the settings apply."""

    __tablename__ = "send_window"
    id: int = Field(default=1, primary_key=True)
    opens: time
    closes: time
    updated_at: datetime = instant()
    updated_by: str = ""
