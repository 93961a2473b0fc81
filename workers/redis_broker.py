"""Kombu's Redis transport, with fewer round trips to Redis on the worker's consumer thread.

With late acknowledgement every task costs two pieces of bookkeeping in Redis: when the worker
takes the task it is added to the unacknowledged set, and when the worker acknowledges it, it is
removed again. Both run on the worker's one consumer thread, which also takes every next task,
while the worker's threads wait for one. So:

- A channel keeps one command client for as long as its connection pool lives; kombu built a
  fresh one for every call, which cost more CPU than the round trip itself. A client is safe to
  share between threads: each command borrows a connection from the pool and returns it.
- An acknowledgement frees the worker's slot at once, but goes to Redis with the next task the
  channel takes (a worker takes its next task right after it acknowledges one), or from a
  worker's event loop within ACKNOWLEDGE_SECONDS when none comes, or before the channel closes
  or recovers. A worker that dies in between leaves those tasks in the unacknowledged set:
  after the visibility timeout they come back and find their rows already claimed, as any task
  handed out twice does (one that had failed and was set to retry may make its next attempt
  early).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from kombu.transport import redis, virtual

ACKNOWLEDGE_SECONDS = 1.0


class QoS(redis.QoS):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._acknowledged: list[str] = []  # delivery tags acknowledged here, not yet in Redis
        self._acknowledged_lock = threading.Lock()

    def ack(self, delivery_tag: str) -> None:
        with self._acknowledged_lock:
            self._acknowledged.append(delivery_tag)
        # The slot is free now; Redis hears of it with the channel's next pipeline.
        virtual.QoS.ack(self, delivery_tag)  # type: ignore[no-untyped-call]

    @contextmanager
    def pipe_or_acquire(self, pipe: Any = None, client: Any = None) -> Iterator[Any]:
        """Every pipeline of this channel's own also removes the acknowledged tasks; if it
        fails, they wait for the next one."""
        with super().pipe_or_acquire(pipe, client) as acquired:
            tags = self._take_acknowledged() if acquired is not pipe else []
            if tags:
                acquired.zrem(self.unacked_index_key, *tags).hdel(self.unacked_key, *tags)
            try:
                yield acquired
            except BaseException:
                with self._acknowledged_lock:
                    self._acknowledged[:0] = tags
                raise

    def send_acknowledged(self) -> None:
        if self._acknowledged:
            with self.pipe_or_acquire() as pipe:
                pipe.execute()

    def restore_unacked(self, client: Any = None) -> None:
        """Kombu puts back every task taken and not yet forgotten, acknowledged ones included:
        their entries must be gone from Redis first."""
        self.send_acknowledged()
        super().restore_unacked(client)  # type: ignore[no-untyped-call]

    def _take_acknowledged(self) -> list[str]:
        with self._acknowledged_lock:
            tags, self._acknowledged = self._acknowledged, []
        return tags


class Channel(redis.Channel):
    QoS = QoS
    _commands: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client is not None:
            yield client
            return
        pool = self.pool  # replaced when the channel reconnects, or after a fork
        if self._commands is None or self._commands.connection_pool is not pool:
            self._commands = self._create_client()  # type: ignore[no-untyped-call]
        yield self._commands

    def close(self) -> None:
        try:
            if not self.closed and self._qos is not None:
                with suppress(*self.connection.connection_errors):  # they come back, as above
                    self._qos.send_acknowledged()
        finally:
            super().close()  # type: ignore[no-untyped-call]


class Transport(redis.Transport):
    Channel = Channel
    _acknowledging: Any = None  # the event loop's timer entry

    def register_with_event_loop(self, connection: Any, loop: Any) -> None:
        super().register_with_event_loop(connection, loop)  # type: ignore[no-untyped-call]
        if self._acknowledging is not None:  # registered again after a reconnect
            self._acknowledging.cancel()
        self._acknowledging = loop.call_repeatedly(ACKNOWLEDGE_SECONDS, self._send_acknowledged)

    def _send_acknowledged(self) -> None:
        for channel in self.channels:
            if channel._qos is not None:
                channel._qos.send_acknowledged()
