"""One Redis connection pool per process for Django's cache.

Django keeps its cache objects per request context (``caches`` is
context-local, and under ASGI every request is a context of its own), and
``RedisCache`` gives each object a connection pool of its own: every request
that touched the cache opened a new TCP connection to Redis, used it once
and left it behind. On the anonymous register answered from the cache that
was one connection per request and 1.5 ms of server CPU of an answer's
1.6 ms (bench/README.md). ``SharedConnectionPool`` (the cache's
``pool_class``, procurement/settings.py) hands every cache object of the
process the same pool for the same address and options: redis-py's pools
are thread-safe and start afresh in a forked child.
"""

import os
import threading

import redis

_pools: dict[tuple[str, str], redis.ConnectionPool] = {}
_lock = threading.Lock()


def _forget_in_child() -> None:
    """A forked child makes its own pools (and must not inherit a held lock)."""
    global _lock
    _lock = threading.Lock()
    _pools.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url: str, **options) -> redis.ConnectionPool:
        key = (url, repr(sorted(options.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **options)
        return pool
