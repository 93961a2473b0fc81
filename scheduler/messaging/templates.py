"""The words patients receive: built-in texts the clinic may replace, rendered and measured.

A text names the clinic, a time and what to do; never a condition, medication, diagnosis or
anything from the intake. Only the placeholders below exist, so a template cannot reach further.
"""

import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect
from sqlmodel import Session, col, select

from scheduler.core import audit
from scheduler.core.errors import RuleViolation
from scheduler.messaging.sms_text import Measure, measure
from scheduler.models import Location, MessageTemplate

PLACEHOLDERS = ("clinic", "phone", "first_name", "day", "time", "link")
WIDE_CHARACTERS = (
    " It has characters outside GSM-7 (emoji, curly quotes, some accents), so it is sent as "
    "UCS-2, where each text message holds fewer characters."
)

# name -> (text, most segments allowed)
BUILT_IN: dict[str, tuple[str, int]] = {
    "confirmation": (
        "{clinic}: booked for {day} at {time}. Reply C to confirm, STOP to opt out. "
        "Questions: {phone}",
        1,
    ),
    # Reminders carry the visit's own link instead of the clinic's number: both do not fit in
    # one segment, and the link's page shows the number.
    "reminder": (
        "{clinic}: see you {day} at {time}. Reply C to confirm. To change: {link}",
        1,
    ),
    "reminder_needling": (
        "{clinic}: {day} {time}. Wear loose clothing. Reply C to confirm. {link}",
        1,
    ),
    "aftercare_needling": (
        "Thank you for visiting {clinic} today. Keep the treated muscles moving and stretch "
        "gently. Soreness for a day or two is normal, and small bruises may appear and fade. "
        "Any concern, call us on {phone}.",
        2,
    ),
    "aftercare_massage": (
        "Thank you for visiting {clinic} today. Drink some water and take it easy. Questions? "
        "Call {phone}.",
        1,
    ),
    "aftercare_exercise": (
        "Thank you for training with {clinic} today. Keep doing your exercises at home. "
        "Questions? Call {phone}.",
        1,
    ),
    "aftercare_checkin": (
        "{clinic}: how sore is the treated area today, 0-10? Reply with a number.",
        1,
    ),
    "aftercare_followup": (
        "{clinic}: we hope you are moving more freely. If anything still worries you, or to "
        "book again, call us on {phone}.",
        1,
    ),
    # The intake form's link, for a visit that needs one; never a word about health.
    "intake_request": ("{clinic}: please fill in our short form before your visit: {link}", 1),
    "intake_reminder": (
        "{clinic}: before your visit {day} {time}, please fill in our form: {link}",
        1,
    ),
    "cancellation_notice": (
        "{clinic}: your visit on {day} at {time} is cancelled. To book again call {phone}.",
        1,
    ),
    "restored_notice": (
        "{clinic}: your visit on {day} at {time} is booked again after all. {link}",
        1,
    ),
    "reschedule_notice": (
        "{clinic}: your visit moved to {day} at {time}. Reply C to confirm. {link}",
        1,
    ),
    "reply_confirmed": ("{clinic}: thank you, see you {day} at {time}.", 1),
    # CANCEL is an opt-out word, so HELP says how to cancel a visit instead.
    "reply_help": (
        "{clinic}: visit reminders and aftercare texts. To cancel or move a visit, use the link "
        "in your reminder or call {phone}. Reply STOP to end texts, START to get them again.",
        2,
    ),
    "reply_start": ("{clinic}: you will get our texts again. Reply STOP to opt out.", 1),
    "reply_urgent": (
        "{clinic}: please call us now on {phone}. If it is severe or you cannot reach us, call "
        "emergency services.",
        1,
    ),
    "reply_soreness": ("{clinic}: thank you, we have noted it. Keep moving gently.", 1),
    "reply_soreness_high": (
        "{clinic}: thank you. Your practitioner will be told; call us on {phone} if it gets worse.",
        1,
    ),
    # At most once a day to a patient whose reply waits in the inbox.
    "reply_received": ("{clinic}: thank you, the front desk will get back to you.", 1),
    "waitlist_offer": (
        "{clinic}: a time for the visit you asked for has opened up: {day} at {time}. Reply YES "
        "to take it, or tap {link} - first come, first served. Questions: {phone}",
        2,
    ),
    "waitlist_booked": (
        "{clinic}: it is yours. You are booked for {day} at {time}. See you then!",
        1,
    ),
    "waitlist_taken": (
        "{clinic}: sorry, that time has been taken. You are still on our waitlist and we will "
        "text you when another opens.",
        1,
    ),
}


@dataclass(frozen=True)
class Rendered:
    text: str
    measure: Measure
    budget: int

    @property
    def within_budget(self) -> bool:
        return self.measure.segments <= self.budget


def own_wording(name: ColumnElement[str]) -> ScalarSelect[str]:
    """The clinic's own wording of the template called `name`, as a subquery: NULL when it has
    none. Read with each text rather than cached, so an edit applies to the next text sent."""
    return select(MessageTemplate.body).where(MessageTemplate.name == name).scalar_subquery()


def wording(name: str, own: str | None) -> str:
    """The clinic's own wording when it has one, else the built-in text."""
    return own if own is not None else BUILT_IN[name][0]


def render(name: str, text: str, values: dict[str, str]) -> Rendered:
    check_placeholders(name, text)
    return Rendered(
        text=text.format_map(values),
        measure=measure(text.format_map(values)),
        budget=BUILT_IN[name][1],
    )


def check_placeholders(name: str, text: str) -> None:
    if name not in BUILT_IN:
        raise RuleViolation(
            f"There is no template {name!r}.", field="name", code="unknown_template"
        )
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text)]
    except ValueError as error:  # a lone { or }
        raise RuleViolation(
            f"The text does not read as a template ({error}); write {{{{ and }}}} for braces.",
            field="body",
            code="malformed_template",
        ) from error
    used = {field for field, _, _ in fields if field is not None}
    if any(spec or conversion for field, spec, conversion in fields if field is not None):
        raise RuleViolation(
            "Placeholders take no format: write {time}, not {time:...} or {time!r}.",
            field="body",
            code="formatted_placeholder",
        )
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise RuleViolation(
            f"Unknown placeholder(s) {', '.join(unknown)}; use {', '.join(PLACEHOLDERS)}.",
            field="body",
            code="unknown_placeholder",
        )


# The longest values a text is likely to carry, besides the clinic's own name and number.
LONGEST_VALUES = {
    "first_name": "Maximiliana",
    "day": "Wed 30 Sep",
    "time": "12:45",
    "link": "https://book.example-clinic.com/v/1234567.AbCdEfGhIjKlMnOp",
}


@dataclass(frozen=True)
class TemplateState:
    name: str
    text: str
    custom: bool  # the clinic's own wording rather than the built-in text
    preview: Rendered


def template_states(session: Session) -> list[TemplateState]:
    """Every template with the text in use, rendered with the clinic's details."""
    own = {t.name: t.body for t in session.exec(select(MessageTemplate))}
    values = _preview_values(session)
    return [
        TemplateState(
            name, own.get(name, text), name in own, render(name, own.get(name, text), values)
        )
        for name, (text, _) in BUILT_IN.items()
    ]


def preview_template(session: Session, *, name: str, text: str) -> Rendered:
    """The text as a patient would get it, with the clinic's details and long names filled in;
    what `save_template` measures against the budget."""
    return render(name, text, _preview_values(session))


def save_template(
    session: Session, *, name: str, text: str, actor: str, now: datetime
) -> TemplateState:
    """Replace a template's wording. Refused when it uses an unknown placeholder or, with the
    clinic's details and long names filled in, takes more segments than its budget."""
    rendered = preview_template(session, name=name, text=text)
    if not rendered.within_budget:
        raise RuleViolation(
            f"With the longest names filled in, the text takes {rendered.measure.segments} text "
            f"messages; this one may take {rendered.budget}. Shorten it."
            + (WIDE_CHARACTERS if rendered.measure.encoding == "UCS-2" else ""),
            field="body",
            code="over_budget",
        )
    row = session.get(MessageTemplate, name) or MessageTemplate(
        name=name, body=text, updated_at=now
    )
    row.body, row.updated_at, row.updated_by = text, now, actor
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="template.changed", subject=f"template:{name}", now=now
    )
    return TemplateState(name, text, True, rendered)


def _preview_values(session: Session) -> dict[str, str]:
    location = session.exec(select(Location).order_by(col(Location.id))).first()
    clinic = {"clinic": location.name, "phone": location.phone} if location else {}
    return {"clinic": "Clinic", "phone": "+1 212 555 0100"} | clinic | LONGEST_VALUES
