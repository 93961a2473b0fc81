"""The workers' Redis transport: kombu's, with one command client per channel and
acknowledgements that travel with the next round trip."""

import hashlib
import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from kombu.asynchronous import Hub
from kombu.transport import filesystem, virtual
from kombu.transport import redis as kombu_redis

from workers import redis_broker
from workers.celery_app import make_app

UNACKED = "unacked"  # kombu's hash of messages taken and not yet acknowledged
# The kombu code workers/redis_broker.py overrides or leans on, as it read in kombu 5.7.0 (the
# range pinned in pyproject.toml): a fingerprint of each one's source.
LEANED_ON: dict[str, tuple[Callable[..., Any], str]] = {
    "redis.QoS.ack": (kombu_redis.QoS.ack, "1bc15a4ddf541af6"),
    "redis.QoS.pipe_or_acquire": (kombu_redis.QoS.pipe_or_acquire, "ad7f549d96c81107"),
    "redis.QoS.restore_unacked": (kombu_redis.QoS.restore_unacked, "8954efef014d546e"),
    "redis.Channel.conn_or_acquire": (kombu_redis.Channel.conn_or_acquire, "25883caca6c4121e"),
    "redis.Channel._create_client": (kombu_redis.Channel._create_client, "dae92bc4075dafb9"),
    "redis.Channel.close": (kombu_redis.Channel.close, "101e9b9cdad44b88"),
    "redis.Transport.register_with_event_loop": (
        kombu_redis.Transport.register_with_event_loop,
        "4b835642e4a99425",
    ),
    "virtual.QoS.ack": (virtual.QoS.ack, "0714292b916fecb2"),
}


def test_the_kombu_code_it_overrides_is_the_code_it_was_written_against() -> None:
    """Fails when a kombu release changes what workers/redis_broker.py overrides: read the new
    code against it (or delete it and use kombu's transport as shipped) before moving the pin."""
    changed = [
        name
        for name, (code, fingerprint) in LEANED_ON.items()
        if hashlib.sha256(inspect.getsource(code).encode()).hexdigest()[:16] != fingerprint
    ]
    assert changed == []


def test_a_channel_keeps_one_client_until_its_connection_pool_is_replaced(redis_url: str) -> None:
    with make_app(redis_url).connection_for_write() as connection:
        channel = connection.default_channel
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as again:
            kept = first is again
        channel._disconnect_pools()  # as after a fork, or when the channel reconnects
        with channel.conn_or_acquire() as renewed:
            assert renewed.connection_pool is channel.pool

    assert isinstance(channel, redis_broker.Channel)
    assert kept
    assert renewed is not first


@contextmanager
def queue_of(redis_url: str, name: str, messages: int) -> Iterator[Any]:
    """A queue of the workers' transport holding `messages` messages, closed at the end."""
    with make_app(redis_url).connection_for_write() as connection:
        queue = connection.SimpleQueue(name)
        for message_id in range(1, messages + 1):
            queue.put({"message_id": message_id})
        yield queue
        queue.close()


def held(inspect: redis.Redis, *messages: Any) -> list[bool]:
    """Whether Redis still holds each message as taken and not acknowledged. Asked by tag: the
    test database also holds what other tests' killed workers left."""
    return [bool(inspect.hexists(UNACKED, message.delivery_tag)) for message in messages]


def test_a_message_taken_and_acknowledged_leaves_nothing_to_hand_out_again(
    redis_url: str,
) -> None:
    inspect = redis.Redis.from_url(redis_url)
    with queue_of(redis_url, "acknowledged", 1) as queue:
        taken = queue.get(timeout=5)
        while_taken = held(inspect, taken)
        taken.ack()

    assert taken.payload == {"message_id": 1}
    assert while_taken + held(inspect, taken) == [True, False]


def test_an_acknowledgement_goes_to_redis_with_the_next_task_taken(redis_url: str) -> None:
    inspect = redis.Redis.from_url(redis_url)
    with queue_of(redis_url, "in-turn", 2) as queue:
        first = queue.get(timeout=5)
        first.ack()
        after_ack = held(inspect, first)
        second = queue.get(timeout=5)
        after_next = held(inspect, first, second)
        second.ack()

    assert after_ack == [True]  # no round trip of its own
    assert after_next == [False, True]
    assert held(inspect, second) == [False]  # the last one went before the channel closed


def test_with_no_next_task_the_event_loop_sends_the_acknowledgement(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_broker, "ACKNOWLEDGE_SECONDS", 0.05)
    inspect = redis.Redis.from_url(redis_url)
    hub = Hub()  # type: ignore[no-untyped-call]
    with queue_of(redis_url, "idle", 1) as queue:
        taken = queue.get(timeout=5)
        transport = queue.channel.connection  # a virtual transport is its own connection
        transport.register_with_event_loop(transport, hub)
        taken.ack()
        before = held(inspect, taken)
        time.sleep(0.1)
        hub.fire_timers(max_timers=100)  # type: ignore[no-untyped-call]
        after = held(inspect, taken)
    hub.close()  # type: ignore[no-untyped-call]

    assert before + after == [True, False]


def test_recovering_a_channel_puts_back_only_what_was_not_acknowledged(redis_url: str) -> None:
    inspect = redis.Redis.from_url(redis_url)
    with queue_of(redis_url, "recovered", 2) as queue:
        first = queue.get(timeout=5)
        queue.get(timeout=5)
        first.ack()
        queue.consumer.recover(requeue=True)
        again = queue.get(timeout=5)
        again.ack()
        left = inspect.llen("recovered")

    assert (again.payload, left) == ({"message_id": 2}, 0)


def test_other_brokers_keep_kombus_own_transport(tmp_path: Path) -> None:
    app = make_app(f"filesystem://{tmp_path}")

    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, filesystem.Transport)
