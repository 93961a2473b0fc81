"""The workers' Redis transport: kombu's, with one command client per channel and
acknowledgements that travel with the next round trip."""

import time
from pathlib import Path

import redis
from kombu.asynchronous import Hub
from kombu.transport import filesystem

from workers import redis_broker
from workers.celery_app import make_app

UNACKED = "unacked"  # kombu's hash of messages taken and not yet acknowledged


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


def test_a_message_taken_and_acknowledged_leaves_nothing_to_hand_out_again(
    redis_url: str,
) -> None:
    inspect = redis.Redis.from_url(redis_url)
    with make_app(redis_url).connection_for_write() as connection:
        queue = connection.SimpleQueue("acknowledged")
        queue.put({"message_id": 1})
        taken = queue.get(timeout=5)
        held = inspect.hlen(UNACKED)
        taken.ack()
        queue.close()

    assert taken.payload == {"message_id": 1}
    assert (held, inspect.hlen(UNACKED)) == (1, 0)


def test_an_acknowledgement_goes_to_redis_with_the_next_task_taken(redis_url: str) -> None:
    inspect = redis.Redis.from_url(redis_url)
    with make_app(redis_url).connection_for_write() as connection:
        queue = connection.SimpleQueue("in-turn")
        queue.put({"message_id": 1})
        queue.put({"message_id": 2})
        first = queue.get(timeout=5)
        first.ack()
        after_ack = set(inspect.hkeys(UNACKED))
        second = queue.get(timeout=5)
        after_next = set(inspect.hkeys(UNACKED))
        second.ack()
        queue.close()

    assert after_ack == {first.delivery_tag.encode()}  # no round trip of its own
    assert after_next == {second.delivery_tag.encode()}
    assert inspect.hlen(UNACKED) == 0  # the last one went when the channel closed


def test_with_no_next_task_the_event_loop_sends_the_acknowledgement(redis_url: str) -> None:
    inspect = redis.Redis.from_url(redis_url)
    hub = Hub()  # type: ignore[no-untyped-call]
    with make_app(redis_url).connection_for_write() as connection:
        queue = connection.SimpleQueue("idle")
        queue.put({"message_id": 1})
        taken = queue.get(timeout=5)
        connection.transport.register_with_event_loop(connection.connection, hub)
        taken.ack()
        held = inspect.hlen(UNACKED)
        time.sleep(redis_broker.ACKNOWLEDGE_SECONDS + 0.2)
        hub.fire_timers(max_timers=100)  # type: ignore[no-untyped-call]
        sent = inspect.hlen(UNACKED)
        queue.close()
    hub.close()  # type: ignore[no-untyped-call]

    assert (held, sent) == (1, 0)


def test_other_brokers_keep_kombus_own_transport(tmp_path: Path) -> None:
    app = make_app(f"filesystem://{tmp_path}")

    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, filesystem.Transport)
