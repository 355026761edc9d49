"""Fixed-window counters in the cache, for mails the portal sends on request.

Password-reset and invitation mails are limited per address they go to and per client
address (settings.MAIL_RATE_LIMITS: name -> (count, seconds)). The counters live in the
"ratelimit" cache: Redis in production, so every gunicorn process shares them; process memory
without REDIS_URL (the developer's and the demo's default). A fixed window is enough here: at
most twice the limit can pass around a window's edge, and no lock is ever held for anyone.
"""
import datetime as dt
import hashlib
import time

from django.conf import settings
from django.core.cache import caches


def limit_hit(name: str, key: str | None) -> dt.datetime | None:
    """Count one use of limit `name` by `key`; when over the limit, return when it may be used again.

    A `key` of None (no client address known) is counted as one shared key.
    """
    count, seconds = settings.MAIL_RATE_LIMITS[name]
    window = int(time.time() // seconds)
    digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    cache_key = f"{name}:{digest}:{window}"
    cache = caches["ratelimit"]
    cache.add(cache_key, 0, timeout=seconds)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this is the first use of a new window
        cache.add(cache_key, 1, timeout=seconds)
        used = 1
    if used <= count:
        return None
    return dt.datetime.fromtimestamp((window + 1) * seconds, tz=dt.UTC)
