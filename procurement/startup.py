"""What a server process does once it has loaded, before it serves."""

import gc

from django.urls import get_resolver

_settled = False


def settle_heap() -> None:
    """Move everything loaded so far out of the garbage collector's sight.

    The modules, views, URL patterns, serializers and settings loaded at
    startup live as long as the process, yet every full (generation 2)
    collection walks them all again: a pause of tens of milliseconds that
    stalls every request in flight, and the register's p99 latency was made
    of such pauses. ``gc.freeze()`` leaves them out of every later
    collection (the Python documentation's advice for long-lived servers);
    what requests allocate is collected as before. Measured with
    ``bench/register.py``: p99 at 8 clients 124 → 55 ms (bench/README.md).
    Once per process (the tests start many lifespans in one)."""
    global _settled
    if _settled:
        return
    _settled = True
    get_resolver().url_patterns  # import every view now, not on the first request
    gc.collect()
    gc.freeze()
