"""The SMS gateways: the real twilio client, over real HTTP, against the local Twilio double."""

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.processes import free_port
from tests.twilio_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    Double,
    Receiver,
    callback_receiver,
    callback_receiver_server,
    twilio_double,
    twilio_double_server,
    twilio_settings,
)
from workers.sms import (
    ConsoleGateway,
    SmsError,
    TwilioGateway,
    gateway_from_settings,
    mask_phone,
)

# Fixtures, imported so that pytest finds them here.
__all__ = ["callback_receiver", "callback_receiver_server", "twilio_double", "twilio_double_server"]

PATIENT = "+12125550101"


def gateway(double: Double, receiver: Receiver | None = None) -> TwilioGateway:
    public_url = receiver.url if receiver else "http://127.0.0.1:9"
    return TwilioGateway(twilio_settings(double.url, public_url))


def send_error(double: Double, *, to: str = PATIENT) -> SmsError:
    with pytest.raises(SmsError) as caught:
        gateway(double).send(to=to, body="See you tomorrow at 10:00.", message_id=1)
    return caught.value


def test_it_sends_through_the_real_client(twilio_double: Double) -> None:
    accepted = gateway(twilio_double).send(to=PATIENT, body="See you at 10:00.", message_id=42)

    assert accepted.sid.startswith("SM") and len(accepted.sid) == 34
    assert accepted.status == "queued"
    [recorded] = twilio_double.messages()
    assert recorded["sid"] == accepted.sid
    form = recorded["form"]
    assert (form["To"], form["From"], form["Body"]) == (PATIENT, FROM_NUMBER, "See you at 10:00.")
    callback = urlsplit(form["StatusCallback"])
    assert callback.path == "/webhooks/twilio/status"
    assert parse_qs(callback.query) == {"message_id": ["42"]}


def test_it_reports_429_as_transient(twilio_double: Double) -> None:
    twilio_double.set_faults(fault="429", next=1)

    error = send_error(twilio_double)

    assert (error.status, error.code, error.transient) == (429, 20429, True)
    assert twilio_double.messages() == []


@pytest.mark.parametrize("status", ["500", "503"])
def test_it_reports_500_and_503_as_transient(twilio_double: Double, status: str) -> None:
    twilio_double.set_faults(fault=status, next=1)

    error = send_error(twilio_double)

    assert error.status == int(status)
    assert error.transient


def test_it_reports_invalid_number_as_permanent(twilio_double: Double) -> None:
    error = send_error(twilio_double, to="+15005550001")

    assert (error.status, error.code, error.permanent) == (400, 21211, True)
    assert "+15005550001" not in error.message


def test_it_reports_unsubscribed_as_permanent(twilio_double: Double) -> None:
    error = send_error(twilio_double, to="+15005550004")

    assert (error.code, error.permanent, error.ambiguous) == (21610, True, False)


def test_it_reports_a_read_timeout_as_ambiguous(twilio_double: Double) -> None:
    twilio_double.set_faults(fault="hang", next=1, hang_seconds=1.0)

    error = send_error(twilio_double)

    assert error.ambiguous and not error.permanent
    assert len(twilio_double.messages()) == 1


def test_it_reports_accept_then_reset_as_ambiguous_and_the_double_kept_the_message(
    twilio_double: Double,
) -> None:
    twilio_double.set_faults(fault="reset", next=1)

    error = send_error(twilio_double)

    assert error.ambiguous
    assert "ConnectionError" in error.message
    assert [m["form"]["To"] for m in twilio_double.messages()] == [PATIENT]
    assert twilio_double.requests()["by_status"] == {"reset": 1}


def test_it_reports_connection_refused_as_transient() -> None:
    closed = TwilioGateway(twilio_settings(f"http://127.0.0.1:{free_port()}", "http://x"))

    with pytest.raises(SmsError) as caught:
        closed.send(to=PATIENT, body="Hello", message_id=1)

    assert caught.value.transient


def test_it_retries_nothing_itself(twilio_double: Double) -> None:
    twilio_double.set_faults(fault="503", next=2)

    send_error(twilio_double)

    assert twilio_double.requests()["total"] == 1


def test_it_posts_signed_status_callbacks(
    twilio_double: Double, callback_receiver: Receiver
) -> None:
    accepted = gateway(twilio_double, callback_receiver).send(
        to=PATIENT, body="Drink water today.", message_id=7
    )

    callbacks = callback_receiver.wait_for(2)

    assert [c.params["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    validator = RequestValidator(AUTH_TOKEN)
    for callback in callbacks:
        assert callback.url.endswith("/webhooks/twilio/status?message_id=7")
        assert callback.params["MessageSid"] == accepted.sid
        assert validator.validate(callback.url, callback.params, callback.signature)


def test_it_posts_the_outcome_a_rule_gives_a_number(
    twilio_double: Double, callback_receiver: Receiver
) -> None:
    twilio_double.set_faults(
        outcomes={"0199": {"status": "undelivered", "error_code": 30003}}, callback_delay_ms=1
    )
    gateway(twilio_double, callback_receiver).send(to="+12125550199", body="Hi", message_id=8)

    last = callback_receiver.wait_for(2)[-1].params

    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30003")


def test_it_lists_messages_sent_to_a_number_since_a_time(twilio_double: Double) -> None:
    sender = gateway(twilio_double)
    before = datetime.now(UTC) - timedelta(seconds=1)
    sender.send(to=PATIENT, body="First", message_id=1)
    sender.send(to="+12125550102", body="Someone else", message_id=2)
    sender.send(to=PATIENT, body="Second", message_id=3)

    recent = sender.sent_since(to=PATIENT, since=before)
    future = sender.sent_since(to=PATIENT, since=datetime.now(UTC) + timedelta(minutes=1))

    assert [r.body for r in recent] == ["Second", "First"]
    assert {r.to for r in recent} == {PATIENT}
    assert future == []


def test_it_counts_segments_like_twilio(twilio_double: Double) -> None:
    sender = gateway(twilio_double)
    sender.send(to=PATIENT, body="a" * 161, message_id=1)
    sender.send(to=PATIENT, body="ж" * 70, message_id=2)

    page = httpx.get(
        f"{twilio_double.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        auth=(ACCOUNT_SID, AUTH_TOKEN),
    ).json()

    assert [m["num_segments"] for m in page["messages"]] == ["1", "2"]


def test_it_can_post_callbacks_out_of_order(
    twilio_double: Double, callback_receiver: Receiver
) -> None:
    twilio_double.set_faults(callbacks="reverse", callback_delay_ms=1)
    gateway(twilio_double, callback_receiver).send(to=PATIENT, body="Hi", message_id=9)

    callbacks = callback_receiver.wait_for(2)

    assert [c.params["MessageStatus"] for c in callbacks] == ["delivered", "sent"]
    assert twilio_double.messages()[0]["status"] == "delivered"


def test_it_can_post_each_callback_twice(
    twilio_double: Double, callback_receiver: Receiver
) -> None:
    twilio_double.set_faults(callbacks="duplicate", callback_delay_ms=1)
    gateway(twilio_double, callback_receiver).send(to=PATIENT, body="Hi", message_id=9)

    callbacks = callback_receiver.wait_for(4)

    assert [c.params["MessageStatus"] for c in callbacks] == 2 * ["sent"] + 2 * ["delivered"]


def test_it_refuses_wrong_credentials(twilio_double: Double) -> None:
    settings = twilio_settings(twilio_double.url, "http://x", TWILIO_AUTH_TOKEN="wrong")

    with pytest.raises(SmsError) as caught:
        TwilioGateway(settings).send(to=PATIENT, body="Hi", message_id=1)

    assert (caught.value.status, caught.value.code, caught.value.permanent) == (401, 20003, True)


def test_it_sends_to_the_console_without_logging_the_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="workers.sms")

    accepted = ConsoleGateway().send(to=PATIENT, body="Your secret text", message_id=5)

    assert (accepted.sid, accepted.status) == ("console-5", "sent")
    assert "SMS to +1***0101: 16 chars" in caplog.text
    assert "Your secret text" not in caplog.text
    assert PATIENT not in caplog.text


def test_it_falls_back_to_the_console_loudly_without_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = twilio_settings("http://x", "http://x", TWILIO_AUTH_TOKEN=None)

    chosen = gateway_from_settings(settings)

    assert chosen.name == "console"
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_it_masks_numbers_to_country_code_and_last_four_digits() -> None:
    assert mask_phone("+12125550101") == "+1***0101"
    assert mask_phone("+61412345678") == "+61***5678"
    assert mask_phone("0101") == "***"
