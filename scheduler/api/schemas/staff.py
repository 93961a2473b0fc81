"""What admins and the front desk keep an eye on: the audit log, texts' wording, the inbox."""

from datetime import datetime
from typing import Annotated

from pydantic import Field

from scheduler.api.schemas.common import Change, LongText, Public
from scheduler.messaging import log
from scheduler.messaging.templates import TemplateState


class AuditEntryPublic(Public):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


class TemplateUpdate(Change):
    body: Annotated[LongText, Field(min_length=1)]


class TemplatePublic(Public):
    name: str
    body: str
    custom: bool = Field(description="The clinic's own wording rather than the built-in text")
    preview: str = Field(description="Rendered with the clinic's details and long names")
    encoding: str = Field(description="GSM-7 or UCS-2")
    segments: int
    budget: int = Field(description="Most segments the text may take")


class InboxEntry(Public):
    id: int
    received_at: datetime
    from_phone: str
    patient_id: int | None
    patient_name: str | None
    visit_id: int | None
    body: str
    meaning: str
    soreness: int | None


def template_public(state: TemplateState) -> TemplatePublic:
    return TemplatePublic(
        name=state.name,
        body=state.text,
        custom=state.custom,
        preview=state.preview.text,
        encoding=state.preview.measure.encoding,
        segments=state.preview.measure.segments,
        budget=state.preview.budget,
    )


def inbox_entry(entry: log.InboxEntry) -> InboxEntry:
    return InboxEntry.model_validate(
        entry.reply.model_dump() | {"patient_name": entry.patient_name}
    )
