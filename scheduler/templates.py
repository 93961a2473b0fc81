"""The words patients receive: built-in texts the clinic may replace, rendered and measured.

A text names the clinic, a time and what to do; never a condition, medication, diagnosis or
anything from the intake. Only the placeholders below exist, so a template cannot reach further.
"""

import string
from dataclasses import dataclass

from sqlmodel import Session, select

from scheduler.errors import RuleViolation
from scheduler.models import MessageTemplate
from scheduler.sms_text import Measure, measure

PLACEHOLDERS = ("clinic", "phone", "first_name", "day", "time")

# name -> (text, most segments allowed)
BUILT_IN: dict[str, tuple[str, int]] = {
    "confirmation": (
        "{clinic}: booked for {day} at {time}. Reply C to confirm, STOP to opt out. "
        "Questions: {phone}",
        1,
    ),
    "reminder": ("{clinic}: see you {day} at {time}. Reply C to confirm or call {phone}.", 1),
    "reminder_needling": (
        "{clinic}: see you {day} at {time}. Please wear loose clothing. Reply C to confirm or "
        "call {phone}.",
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
    "cancellation_notice": (
        "{clinic}: your visit on {day} at {time} is cancelled. To book again call {phone}.",
        1,
    ),
    "reschedule_notice": (
        "{clinic}: your visit has moved to {day} at {time}. Reply C to confirm or call {phone}.",
        1,
    ),
    "reply_confirmed": ("{clinic}: thank you, see you {day} at {time}.", 1),
    "reply_help": (
        "{clinic}: visit reminders and aftercare texts. For help call {phone}. Reply STOP to "
        "opt out, START to opt back in.",
        1,
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
    "reply_received": ("{clinic}: thank you, the front desk will get back to you.", 1),
}


@dataclass(frozen=True)
class Rendered:
    text: str
    measure: Measure
    budget: int

    @property
    def within_budget(self) -> bool:
        return self.measure.segments <= self.budget


def template_text(session: Session, name: str) -> str:
    """The clinic's own wording when it has one, else the built-in text."""
    own = session.exec(select(MessageTemplate).where(MessageTemplate.name == name)).first()
    return own.body if own else BUILT_IN[name][0]


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
    used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise RuleViolation(
            f"Unknown placeholder(s) {', '.join(unknown)}; use {', '.join(PLACEHOLDERS)}.",
            field="body",
            code="unknown_placeholder",
        )
