from django.conf import settings
from django.utils.functional import SimpleLazyObject

from survey.access import Abilities, abilities, prefecture_of
from survey.middleware import session_seconds_left


def portal(request):
    """Values every page needs: the portal's name, what the user may do (`can`, from
    survey.access: templates never read a role), and for a signed-in user the session's clock
    (read by static/js/session-timeout.js to warn before the idle timeout)."""
    # A signed-in user who still owes the second factor sees no menu: nothing else is reachable.
    context = {"PORTAL_NAME": "調査回答ポータル", "two_factor_step": getattr(request, "two_factor_step", None)}
    user = getattr(request, "user", None)
    context["can"] = abilities(user) if user is not None else Abilities()
    if user is not None and user.is_authenticated:
        context["session_seconds_left"] = session_seconds_left(request)
        context["session_warning_seconds"] = settings.SESSION_WARNING_SECONDS
        if prefecture_of(user):
            # The menu's dashboards and reminders: the open round nearest its deadline (the home
            # lists the others). Fetched only when the menu is drawn.
            context["nav_round"] = SimpleLazyObject(lambda: _nav_round(user))
    return context


def _nav_round(user):
    from survey.selectors import menu_round

    return menu_round(user)
