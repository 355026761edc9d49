"""Small helpers that read settings from the environment and fail loudly on a bad value."""
import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    """Return the boolean value of `name`; raise ImproperlyConfigured on anything else."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    """Return the integer value of `name`; raise ImproperlyConfigured on anything else.

    With `minimum`, a smaller value is refused as well.
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list from `name`."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def envstr(name: str, default: str | None = None) -> str:
    """Return `name`, or `default`; without a default the variable is required."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set")
        return default
    return raw


def envnetworks(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list of IP addresses or networks (CIDR) from `name`.

    Each entry is checked and returned in canonical network form ("10.0.0.1" -> "10.0.0.1/32");
    anything that is not an address or a network raises ImproperlyConfigured.
    """
    networks = []
    for entry in envlist(name, default):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks (e.g. 10.0.0.0/8), got {entry!r}") from None
    return networks
