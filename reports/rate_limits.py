"""Limits on how often one person (an address, a client) may do something, in Django's cache.

A fixed window: the first use starts a period, and at most `count` uses are allowed until it
ends. Keys are hashed, so that no email address is written into a shared cache. With several
workers the cache must be shared (`REDIS_URL`) for a limit to hold across them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class RateLimit:
    """At most `count` uses per `seconds` for any one key."""

    name: str
    count: int
    seconds: int

    def use(self, key: str) -> bool:
        """Count one use for `key`; whether it is within the limit."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        cache_key = f"rate-limit:{self.name}:{digest}"
        cache.add(cache_key, 0, timeout=self.seconds)
        try:
            used = cache.incr(cache_key)
        except ValueError:  # the period ended between the two calls: this use starts the next
            cache.set(cache_key, 1, timeout=self.seconds)
            used = 1
        return used <= self.count
