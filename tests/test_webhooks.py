"""Twilio's webhooks over real HTTP: signatures, status callbacks, patients' replies."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, update
from sqlmodel import col, select
from twilio.request_validator import RequestValidator

from scheduler.api.deps import engine as engine_dependency
from scheduler.app.web_app import create_app
from scheduler.core import db
from scheduler.core.clock import utc_now
from scheduler.core.settings import Settings, get_settings
from scheduler.models import InboundMessage, Message, MessageStatus, SmsOptOut, Visit
from tests.factories import assessed_patient, book, make_clinic, next_weekday
from tests.reply_corpus import CORPUS
from tests.twilio_fixtures import served

TOKEN = "webhook-test-token"
PUBLIC_URL = "https://clinic.example.org"
ALEX = "+12125550101"


@dataclass
class App:
    client: httpx.Client
    engine: Engine
    visit_id: int
    web: FastAPI

    def post(
        self,
        path: str,
        form: dict[str, str],
        *,
        url: str | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        signed_url = url or f"{PUBLIC_URL}{path}"
        headers = {}
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(signed_url, form)
        if signature:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, data=form, headers=headers)

    def text(self, body: str, sid: str = "SM" + "1" * 32) -> httpx.Response:
        return self.post(
            "/webhooks/twilio/inbound", {"MessageSid": sid, "From": ALEX, "Body": body}
        )


@pytest.fixture
def app(engine: Engine) -> Iterator[App]:
    with db.booking_session(engine) as session, db.transaction(session):
        clinic = make_clinic(session)
        alex = assessed_patient(session, clinic)
        visit = book(session, alex, clinic.at(next_weekday(1), 10), "dry-needling-30")
    web = create_app()
    web.dependency_overrides[get_settings] = lambda: Settings(
        public_url=PUBLIC_URL, TWILIO_AUTH_TOKEN=TOKEN
    )
    web.dependency_overrides[engine_dependency] = lambda: engine
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning"))
    with served(server) as url, httpx.Client(base_url=url) as client:
        yield App(client=client, engine=engine, visit_id=visit.id or 0, web=web)


def messages(app: App, **where: object) -> list[Message]:
    with db.session(app.engine) as session:
        query = select(Message).filter_by(**where).order_by(col(Message.id))
        return list(session.exec(query))


def confirmation(app: App) -> Message:
    return messages(app, visit_id=app.visit_id, kind="confirmation")[0]


def being_sent(app: App) -> Message:
    """The confirmation as a worker leaves it while the provider has it."""
    with db.booking_session(app.engine) as session, db.transaction(session):
        session.execute(
            update(Message)
            .where(col(Message.id) == confirmation(app).id)
            .values(status=MessageStatus.SENDING)
        )
    return confirmation(app)


def status(app: App, message: Message, value: str, sid: str = "SM" + "a" * 32) -> httpx.Response:
    path = f"/webhooks/twilio/status?message_id={message.id}"
    return app.post(path, {"MessageSid": sid, "MessageStatus": value, "To": ALEX})


def test_it_accepts_a_correctly_signed_callback(app: App) -> None:
    response = status(app, being_sent(app), "sent")

    assert response.status_code == 204
    assert confirmation(app).status == MessageStatus.SENT


@pytest.mark.parametrize("forgery", ["changed parameter", "no signature", "wrong url"])
def test_it_refuses_a_forged_callback_and_changes_nothing(app: App, forgery: str) -> None:
    message = being_sent(app)
    path = f"/webhooks/twilio/status?message_id={message.id}"
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": ALEX}
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path}", form)
    if forgery == "changed parameter":
        response = app.post(path, form | {"MessageStatus": "failed"}, signature=signature)
    elif forgery == "no signature":
        response = app.post(path, form, signature="")
    else:
        response = app.post(path, form, url=f"https://elsewhere.example.org{path}")

    assert response.status_code == 403
    assert confirmation(app).status == MessageStatus.SENDING


def test_it_never_lets_a_late_sent_overwrite_delivered(app: App) -> None:
    message = being_sent(app)

    status(app, message, "delivered")
    status(app, message, "sent")
    status(app, message, "delivered")

    assert confirmation(app).status == MessageStatus.DELIVERED


def test_it_opts_a_number_out_on_stop_and_back_in_on_start(app: App) -> None:
    app.text("STOP", sid="SM" + "2" * 32)
    with db.session(app.engine) as session:
        assert session.get(SmsOptOut, ALEX) is not None

    app.text("start", sid="SM" + "3" * 32)

    with db.session(app.engine) as session:
        assert session.get(SmsOptOut, ALEX) is None
    assert [m.template for m in messages(app, kind="reply")] == ["reply_start"]


def test_it_confirms_the_next_visit_on_c_once_per_message(app: App) -> None:
    app.text("C")
    app.text("C")

    with db.session(app.engine) as session:
        visit = session.get_one(Visit, app.visit_id)
        replies = session.exec(select(InboundMessage)).all()
    assert visit.confirmed_at is not None
    assert len(replies) == 1
    assert [m.template for m in messages(app, kind="reply")] == ["reply_confirmed"]


def test_it_answers_help(app: App) -> None:
    app.text("help")

    assert [m.template for m in messages(app, kind="reply")] == ["reply_help"]


def test_it_answers_worrying_words_at_once_and_flags_the_visit(app: App) -> None:
    app.text("I feel dizzy and my chest hurts")

    [reply] = messages(app, kind="reply")
    assert reply.template == "reply_urgent"
    with db.session(app.engine) as session:
        visit = session.get_one(Visit, app.visit_id)
        assert visit.attention == "urgent: breathing or chest pain; fainting or dizziness"
        [inbound] = session.exec(select(InboundMessage)).all()
    assert inbound.needs_attention


def test_it_reads_replies_as_patients_write_them_through_signed_webhooks(app: App) -> None:
    """Every seventh reply of the corpus, each a text of its own."""
    sample = CORPUS[::7]
    for n, reply in enumerate(sample):
        assert app.text(reply.text, sid=f"SM{n:032d}").status_code == 200

    with db.session(app.engine) as session:
        meanings = {
            inbound.body: (inbound.meaning, inbound.needs_attention)
            for inbound in session.exec(select(InboundMessage))
        }
    expected = {reply.text: ("urgent" if reply.signs else "other", True) for reply in sample}
    assert meanings == expected
    urgent = [reply for reply in sample if reply.signs]
    assert len(messages(app, template="reply_urgent")) == len(urgent) >= 5


def test_it_opts_out_a_texted_cancel_and_puts_it_in_the_inbox(app: App) -> None:
    assert app.text("CANCEL").status_code == 200

    with db.session(app.engine) as session:
        assert session.get(SmsOptOut, ALEX) is not None
        [inbound] = session.exec(select(InboundMessage)).all()
    assert (inbound.meaning, inbound.needs_attention, inbound.visit_id) == (
        "stop",
        True,
        app.visit_id,
    )
    assert messages(app, kind="reply") == []


def test_it_stores_a_high_soreness_score_after_a_check_in(app: App) -> None:
    with db.booking_session(app.engine) as session, db.transaction(session):
        session.execute(
            update(Visit).where(col(Visit.id) == app.visit_id).values(status="completed")
        )
        checkin = confirmation(app)
        session.execute(
            update(Message)
            .where(col(Message.id) == checkin.id)
            .values(kind="aftercare_checkin", status="delivered", sent_at=checkin.send_at)
        )

    app.web.dependency_overrides[utc_now] = lambda: checkin.send_at + timedelta(hours=1)
    app.text("8")

    with db.session(app.engine) as session:
        visit = session.get_one(Visit, app.visit_id)
    assert (visit.soreness, visit.attention) == (8, "soreness 8/10")
    assert [m.template for m in messages(app, kind="reply")] == ["reply_soreness_high"]


def test_it_puts_anything_else_in_the_front_desk_inbox_and_says_so(app: App) -> None:
    app.text("Can I bring my daughter along?")

    with db.session(app.engine) as session:
        [inbound] = session.exec(select(InboundMessage)).all()
    assert (inbound.meaning, inbound.needs_attention) == ("other", True)
    assert [m.template for m in messages(app, kind="reply")] == ["reply_received"]
