"""The one place that decides a request's client address (audit rows, rate limits, django-axes).

The address comes from the deployment's configuration, never from the client:

- by default it is REMOTE_ADDR, and X-Forwarded-For is ignored (anyone can send that header);
- behind proxies the operator sets TRUSTED_PROXY_COUNT (how many proxies stand in front of the
  application) and/or TRUSTED_PROXIES (their addresses or networks). The address is then the
  right-most hop that is not a trusted proxy: each trusted proxy appends the address it received
  the request from, so everything left of that hop was written by the client and is never read.

A hop that is not a plain IP address (a port, a zone id, garbage, an over-long header) stops the
walk: the last address that a trusted proxy vouched for is used instead, and nothing fails.
"""
import ipaddress
from functools import lru_cache

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOP_CHARS = 45  # the longest textual IPv6 address (with an embedded IPv4 part)


def client_ip(request) -> str | None:
    """The client's address in canonical form, or None when REMOTE_ADDR is not an address."""
    if request is None:
        return None
    candidate = _parse(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if (count or networks) else []
    for position, hop in enumerate(reversed(hops), start=1):
        if candidate is None or not (position <= count or any(candidate in net for net in networks)):
            break
        forwarded = _parse(hop)
        if forwarded is None:
            break
        candidate = forwarded
    return str(candidate) if candidate is not None else None


def client_ip_for_limits(request) -> str | None:
    """The address rate limits and lock-outs count (AXES_CLIENT_IP_CALLABLE): `client_ip`, with an
    IPv6 address widened to its /64, since one subscriber is given a whole /64 and could
    otherwise change address at every attempt."""
    ip = client_ip(request)
    if ip is None or ":" not in ip:
        return ip
    return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)


def _parse(text: str) -> IPAddress | None:
    text = text.strip()
    if not text or len(text) > MAX_HOP_CHARS:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if getattr(address, "scope_id", None):  # fe80::1%eth0 names an interface of the sender
        return None
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
