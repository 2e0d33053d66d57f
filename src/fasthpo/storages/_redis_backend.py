"""The records of a journal in Redis, under the keys of Optuna's ``JournalRedisBackend``.

``<prefix>:log_number`` holds the number of the last record (``-1`` when empty) and
``<prefix>:log:<i>`` the JSON of record ``i``. A record group is appended by one Lua
script, so its records get consecutive numbers atomically and no reader sees a number
whose record is missing.
"""

from __future__ import annotations

import time

__all__ = ["RedisBackend"]

_APPEND = """
local first = redis.call('incrby', KEYS[1], #ARGV) - #ARGV + 1
for i = 1, #ARGV do
    redis.call('set', KEYS[2] .. (first + i - 1), ARGV[i])
end
return first
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
        try:
            self._redis = redis.Redis.from_url(url)
            self._redis.setnx(self._key("log_number"), -1)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise ConnectionError(f"Cannot reach the Redis server at {url!r}: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"Bad Redis URL {url!r}: {exc}") from None
        self._append_script = self._redis.register_script(_APPEND)

    @property
    def location(self) -> str:
        return f"{self.url!r} (prefix {self.prefix!r})"

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def check_writable(self) -> None:
        """Redis refuses writes itself (read-only replica, ACL) with its own error."""

    def reopen(self) -> None:
        """redis-py reconnects in a forked child by itself."""

    def size(self) -> int:
        return int(self._redis.get(self._key("log_number")) or -1) + 1

    def read_lines(self) -> list[bytes]:
        last = self.size()
        lines: list[bytes] = []
        start = self.line
        while start < last:
            stop = min(start + _BATCH, last)
            batch = self._redis.mget([self._key(f"log:{i}") for i in range(start, stop)])
            for i, value in enumerate(batch):
                while value is None:  # an Optuna worker on a cluster: counter before record
                    time.sleep(0.01)
                    value = self._redis.get(self._key(f"log:{start + i}"))
                lines.append(value)
            start = stop
        self.line = last
        return lines

    def append(self, data: bytes) -> None:
        self._append_script(keys=[self._key("log_number"), self._key("log:")], args=data.split(b"\n")[:-1])
