"""Kombu's Redis transport, keeping one command client per channel instead of one per call.

With late acknowledgement every task costs two bookkeeping round trips to Redis: one when the
worker takes it (it is added to the unacknowledged set) and one when the worker acknowledges it.
Kombu builds a fresh client object for each of them, which costs more CPU than the round trip
itself. A client is safe to share between threads (each command borrows a connection from the
pool and returns it), so a channel keeps one for as long as its connection pool lives.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
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


class Transport(redis.Transport):
    Channel = Channel
