"""The view decorators of access: login, then one decision of `survey.access`.

Every view that is only for some roles says so with one of these, so that the rule is read in
one place (`survey.access`) and a view never tests a role itself.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from survey import access


def role_required(decision: Callable[..., bool], message: str = ""):
    """Login required, then `decision(user)` (a function of survey.access) or 403 with `message`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not decision(request.user):
                raise PermissionDenied(message) if message else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


admin_required = role_required(access.can_manage_accounts, "この画面は管理者のみが利用できます。")
"""Administrators' pages; ministry staff and officers get 403 (anonymous users go to login)."""

ministry_required = role_required(access.can_publish_rounds, "調査回の管理は省庁職員のみ行えます。")
"""Publishing rounds: ministry staff and administrators."""


def target_for_user(*, for_write: bool = False):
    """Turn the URL's `round_id` and `org_code` into the `target` the user may read (or write).

    Through survey.access.target_get_for_user: 404 for an organisation the user may not see,
    403 for one they may read but not write.
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, round_id: int, org_code: str, **kwargs):
            target = access.target_get_for_user(request.user, round_id, org_code, for_write=for_write)
            return view(request, *args, target=target, **kwargs)

        return wrapper

    return decorator
