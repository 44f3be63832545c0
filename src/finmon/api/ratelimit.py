"""Token-bucket rate limits per client and route: in memory, or in Redis when configured.

A bucket holds up to ``burst`` tokens and refills at ``rate`` per second; a
request takes one token or is refused with the seconds until one is back
(the 429's ``Retry-After``). In memory is exact for one process; with several
workers or hosts the buckets live in Redis, updated by one Lua script so a
check-and-take is atomic. Time comes from the injected clock in both, so a
test (or a simulation) decides when tokens come back.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Protocol

from finmon.core.clock import Clock

_LUA = """
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RateLimiter(Protocol):
    def take(self, key: str, rate: float, burst: int) -> float:
        """Take one token: 0.0 when allowed, else the seconds to wait."""
        ...


class MemoryRateLimiter:
    """Buckets in a dict, guarded by a lock; for one process."""

    def __init__(self, clock: Clock, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def take(self, key: str, rate: float, burst: int) -> float:
        now = self._clock.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + max(0.0, now - at) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            if len(self._buckets) >= self._max_keys and key not in self._buckets:
                self._buckets.clear()  # bounded memory: a flood of keys resets, never grows
            self._buckets[key] = (tokens, now)
        return wait


class RedisRateLimiter:
    """Buckets in Redis hashes (``<prefix><key>``), shared by every worker."""

    def __init__(self, client: Any, clock: Clock, prefix: str = "finmon:rl:") -> None:
        self._client = client
        self._clock = clock
        self._prefix = prefix
        self._script = client.register_script(_LUA)

    def take(self, key: str, rate: float, burst: int) -> float:
        now = self._clock.now().timestamp()
        wait = self._script(keys=[self._prefix + key], args=[rate, burst, f"{now:.6f}"])
        return float(wait)


def retry_after(wait: float) -> int:
    """Whole seconds for the ``Retry-After`` header: at least 1."""
    return max(1, math.ceil(wait))


__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "retry_after"]
