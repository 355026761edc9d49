"""Login lock-outs with django-axes: per account+IP, and per IP across accounts.

axes records each wrong password (AccessAttempt rows, keyed by account, address and browser)
and refuses a login while its handler counts too many in the last LOGIN_LOCKOUT_MINUTES:

- LOGIN_FAILURE_LIMIT (axes' AXES_FAILURE_LIMIT) wrong passwords for one account from one
  address lock that pair only: the same officer signing in from another address is not
  affected, so an attacker cannot lock anyone out;
- LOGIN_FAILURE_LIMIT_PER_IP wrong passwords from one address, whatever the accounts, lock the
  address: one address cannot try passwords on many accounts.

axes compares the largest count of its AXES_LOCKOUT_PARAMETERS with one limit; PortalAxesHandler
gives the per-address count its own, higher limit (an office behind one NAT address must
survive several officers mistyping). The address comes from survey.client_ip
(AXES_CLIENT_IP_CALLABLE = client_ip_for_limits: an IPv6 address counts as its /64), the account
from `axes_username` (the lower-cased e-mail).
"""
import datetime as dt

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from survey.auth import normalise_email


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT: wrong passwords that lock one account from one address."""
    return settings.LOGIN_FAILURE_LIMIT


def cool_off(request=None) -> dt.timedelta:
    """AXES_COOLOFF_TIME: how long failures count, so how long a lock lasts."""
    return dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def axes_username(request, credentials) -> str:
    """The account axes counts against: the e-mail as the login compares it (AXES_USERNAME_CALLABLE).

    Cut to AccessAttempt.username's 255 characters; the login form refuses longer ones first.
    """
    if credentials:
        raw = credentials.get("username") or credentials.get("email") or ""
    else:
        raw = request.POST.get("username", "") if request is not None else ""
    return normalise_email(raw)[:255]


class PortalAxesHandler(AxesDatabaseHandler):
    """axes' database handler with a separate limit for the address across all accounts."""

    def get_failures(self, request, credentials=None) -> int:
        recent = AccessAttempt.objects.filter(ip_address=request.axes_ip_address,
                                              attempt_time__gte=get_cool_off_threshold(request))
        per_pair = _failures(recent.filter(username=get_client_username(request, credentials)))
        if _failures(recent) >= settings.LOGIN_FAILURE_LIMIT_PER_IP:
            return max(per_pair, settings.LOGIN_FAILURE_LIMIT)
        return per_pair


def _failures(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def locked_until(*, username: str, ip: str | None) -> dt.datetime | None:
    """When the lock on `username` from `ip` ends, or None when it is not locked.

    Failures leave the count a row at a time, oldest first, each LOGIN_LOCKOUT_MINUTES after
    its row's last failure; refusals while locked are not recorded, so the time does not move.
    """
    cool_off_time = cool_off()
    rows = list(AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=timezone.now() - cool_off_time)
                .order_by("-attempt_time").values_list("username", "failures_since_start", "attempt_time"))
    ends = [_lock_end([r for r in rows if r[0] == username], settings.LOGIN_FAILURE_LIMIT, cool_off_time),
            _lock_end(rows, settings.LOGIN_FAILURE_LIMIT_PER_IP, cool_off_time)]
    return max((end for end in ends if end is not None), default=None)


def _lock_end(rows_newest_first, limit: int, cool_off: dt.timedelta) -> dt.datetime | None:
    total = 0
    for _, failures, attempt_time in rows_newest_first:
        total += failures
        if total >= limit:  # locked while this row is still in the window
            return attempt_time + cool_off
    return None


def lockout_response(request, original_response, credentials=None):
    """AXES_LOCKOUT_CALLABLE: keep the page that says why (the login form), as 429."""
    from django.http import HttpResponse

    if original_response is None:
        return HttpResponse("ログインの失敗が続いたため、一時的にログインを停止しています。", status=429,
                            content_type="text/plain; charset=utf-8")
    original_response.status_code = 429
    return original_response


def lockouts_active() -> list[dict]:
    """The locks in force, newest first: account+address pairs and whole addresses."""
    since = timezone.now() - cool_off()
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    pairs = (recent.values("username", "ip_address")
             .annotate(failures=Sum("failures_since_start")).filter(failures__gte=settings.LOGIN_FAILURE_LIMIT))
    ips = (recent.values("ip_address").annotate(failures=Sum("failures_since_start"))
           .filter(failures__gte=settings.LOGIN_FAILURE_LIMIT_PER_IP))
    found = [{"username": None, **row} for row in ips] + list(pairs)
    for lock in found:
        lock["until"] = locked_until(username=lock["username"], ip=lock["ip_address"])
        ip = lock["ip_address"]
        lock["ip_label"] = f"{ip}/64" if ip and ":" in ip else ip  # IPv6 is counted by /64
    return sorted(found, key=lambda lock: lock["until"] or since, reverse=True)
