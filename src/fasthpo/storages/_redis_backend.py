"""The records of a journal in Redis, under the keys of Optuna's ``JournalRedisBackend``.

``<prefix>:log_number`` holds the number of the last record (``-1`` when empty) and
``<prefix>:log:<i>`` the JSON of record ``i``. Each exchange with the server is one
round trip, a Lua script run atomically by the server:

* an append gives its records consecutive numbers (so no reader sees a number whose
  record is missing) and returns the records other workers appended since this
  worker's last read, so that the replay after an append needs no further request;
* a read returns the number of the last record and the records after this worker's
  last read (up to a batch; a long journal is read in several).
"""

from __future__ import annotations

import os
import time
import weakref
from typing import Any

__all__ = ["RedisBackend"]

_OPEN_BACKENDS: weakref.WeakSet = weakref.WeakSet()


def _reconnect_after_fork() -> None:
    for backend in list(_OPEN_BACKENDS):
        backend.reopen()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reconnect_after_fork)

# KEYS: log_number, the "log:" prefix. ARGV: the first record not read yet, a batch size, the records
# (each ended by a newline: a JSON line holds none).
_APPEND = """
local records = {}
for record in string.gmatch(ARGV[3], '([^\\n]*)\\n') do
    records[#records + 1] = record
end
local n = #records
local first = redis.call('incrby', KEYS[1], n) - n + 1
for i = 1, n do
    redis.call('set', KEYS[2] .. (first + i - 1), records[i])
end
local from = tonumber(ARGV[1])
if first - from > tonumber(ARGV[2]) then
    return {first}
end
local keys = {}
for i = from, first - 1 do
    keys[#keys + 1] = KEYS[2] .. i
end
if #keys == 0 then
    return {first}
end
local out = redis.call('mget', unpack(keys))
table.insert(out, 1, first)
return out
"""
# KEYS: log_number, the "log:" prefix. ARGV: the first record not read yet, a batch size.
_READ = """
local last = tonumber(redis.call('get', KEYS[1]) or -1)
local from = tonumber(ARGV[1])
local stop = math.min(last, from + tonumber(ARGV[2]) - 1)
local keys = {}
for i = from, stop do
    keys[#keys + 1] = KEYS[2] .. i
end
if #keys == 0 then
    return {last}
end
local out = redis.call('mget', unpack(keys))
table.insert(out, 1, last)
return out
"""
_BATCH = 2000


class RedisBackend:
    """Appends to and incremental reads of the journal records kept in Redis."""

    def __init__(self, url: str, prefix: str = "") -> None:
        try:
            import redis
        except ImportError:
            raise ImportError("JournalRedisStorage needs redis-py: pip install redis (from a fasthpo checkout: pip install '.[redis]').") from None
        self.url = url
        self.prefix = prefix
        self.line = 0  # records read so far (the number of the next one to read)
        self._unread: list[bytes] = []  # records an append brought back, for the next read
        self._redis = None
        try:
            self._call(lambda client: client.setnx(self._key("log_number"), -1))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise ConnectionError(f"Cannot reach the Redis server at {url!r}: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"Bad Redis URL {url!r}: {exc}") from None
        self._keys = [self._key("log_number"), self._key("log:")]
        _OPEN_BACKENDS.add(self)

    def _call(self, request: Any) -> Any:
        """``request(client)`` on this backend's one connection (no pool: a pool's every call
        costs more than the rest of the call; the storage makes one request at a time,
        under its lock), connected first, or again when the server closed it, as a pool would."""
        import redis

        if self._redis is None:
            self._redis = redis.Redis.from_url(self.url, single_connection_client=True)
            self._append_script = self._redis.register_script(_APPEND)
            self._read_script = self._redis.register_script(_READ)
        connection = self._redis.connection
        try:
            if connection.can_read():  # data nobody asked for: the server closed it, or an error
                raise redis.exceptions.ConnectionError("the connection is not ready")
        except (redis.exceptions.ConnectionError, OSError):
            connection.disconnect()
            connection.connect()
        return request(self._redis)

    @property
    def location(self) -> str:
        return f"{self.url!r} (prefix {self.prefix!r})"

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def check_writable(self) -> None:
        """Redis refuses writes itself (read-only replica, ACL) with its own error."""

    def reopen(self) -> None:
        """A connection of its own at the next request (in a forked child: the parent's stays the parent's)."""
        self._redis = None

    def read_lines(self) -> list[bytes]:
        """The records appended since the last read (those an append brought back first)."""
        if self._unread:
            lines, self._unread = self._unread, []
            return lines
        lines: list[bytes] = []
        while True:
            last, *batch = self._call(lambda client: self._read_script(keys=self._keys, args=[self.line, _BATCH],
                                                                        client=client))
            lines.extend(self._complete(self.line, batch))
            self.line += len(batch)
            if self.line > int(last):
                return lines

    def append(self, data: bytes) -> None:
        """Append the records of ``data`` (one a line); the records others appended since
        the last read, then these, are what the next read returns."""
        records = data.split(b"\n")[:-1]
        first, *before = self._call(lambda client: self._append_script(keys=self._keys, args=[self.line, _BATCH, data],
                                                                        client=client))
        if self.line + len(before) == int(first):  # else too many to bring back: the next read fetches them
            self._unread += self._complete(self.line, before) + records
            self.line = int(first) + len(records)

    def _complete(self, start: int, batch: list) -> list[bytes]:
        """``batch``, records ``start`` on, with the records an Optuna worker had numbered
        but not yet written (on a Redis cluster its counter and record are two commands) waited for."""
        for i, value in enumerate(batch):
            while value is None:
                time.sleep(0.01)
                value = self._call(lambda client: client.get(self._key(f"log:{start + i}")))
            batch[i] = value
        return batch
