"""A text whose send timed out is looked up at the provider, never resent blindly."""

from datetime import datetime, time, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.policy import Policy
from scheduler.models import Message, MessageStatus
from tests.factories import (
    CURRENT_TIME,
    NEW_YORK,
    PUBLIC_URL,
    assessed_patient,
    book,
    make_clinic,
    next_weekday,
)
from tests.twilio_fixtures import Double, twilio_double, twilio_double_server, twilio_settings
from workers.delivery import deliver
from workers.dispatch import claim_due
from workers.reconcile import reconcile_unknown
from workers.sms import TwilioGateway

__all__ = ["twilio_double", "twilio_double_server"]
TODAY = CURRENT_TIME.astimezone(NEW_YORK).date()
ALL_DAY = Policy(send_window=(time(0), time(23, 59)))


def send_confirmation(engine: Engine, gateway: TwilioGateway) -> datetime:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        alex = assessed_patient(session, clinic)
        book(session, alex, clinic.at(next_weekday(1), 10), "massage-30")
    [confirmation] = claim_due(engine, now=clinic.at(TODAY, 8))
    # Sent on the real clock, as the provider's records are: any time of day will do.
    deliver(
        engine, confirmation, gateway=gateway, clock=utc_now, policy=ALL_DAY, public_url=PUBLIC_URL
    )
    return utc_now()


def confirmation(engine: Engine) -> Message:
    with db.session(engine) as session:
        query = select(Message).where(Message.kind == "confirmation").order_by(col(Message.id))
        return session.exec(query).all()[-1]


def test_it_finds_a_timed_out_text_at_the_provider(engine: Engine, twilio_double: Double) -> None:
    twilio_double.set_faults(fault="hang", next=1, hang_seconds=1.0, callbacks="off")
    gateway = TwilioGateway(twilio_settings(twilio_double.url, "http://127.0.0.1:9"))
    due = send_confirmation(engine, gateway)
    assert confirmation(engine).status == MessageStatus.UNKNOWN

    found = reconcile_unknown(engine, gateway=gateway, now=due + timedelta(minutes=3))

    [at_double] = twilio_double.messages()
    assert found == (1, 0)
    assert (confirmation(engine).status, confirmation(engine).provider_sid) == (
        MessageStatus.SENT,
        at_double["sid"],
    )


def test_it_sends_again_only_what_the_provider_never_got(
    engine: Engine, twilio_double: Double
) -> None:
    twilio_double.set_faults(fault="hang", next=1, hang_seconds=1.0, callbacks="off")
    gateway = TwilioGateway(twilio_settings(twilio_double.url, "http://127.0.0.1:9"))
    due = send_confirmation(engine, gateway)
    twilio_double.control.post("/_double/reset").raise_for_status()  # as if it never arrived

    found = reconcile_unknown(engine, gateway=gateway, now=due + timedelta(minutes=3))

    assert found == (0, 1)
    assert confirmation(engine).status == MessageStatus.SCHEDULED
