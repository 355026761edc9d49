"""Only role admin reaches /manage/; ministry staff and officers get 403, anonymous users log in first."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _urls(user_pk):
    return [
        reverse("manage_users"), reverse("manage_user_invite"), reverse("manage_users_import"),
        reverse("manage_audit"), reverse("manage_user_detail", args=[user_pk]),
        reverse("manage_user_deactivate", args=[user_pk]), reverse("manage_user_reactivate", args=[user_pk]),
        reverse("manage_user_end_sessions", args=[user_pk]),
        reverse("manage_user_resend_invitation", args=[user_pk]),
    ]


@pytest.mark.parametrize("who", ["ministry", "kanagawa", "sagamihara"])
def test_everyone_but_administrators_is_refused(client, cast, login_as, who):
    login_as(client, cast[who])
    victim = cast["yokohama"]
    for url in [*_urls(victim.pk), reverse("manage_users_import_confirm")]:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 405), f"{method.upper()} {url} -> {response.status_code}"
    victim.refresh_from_db()
    assert victim.is_active


def test_anonymous_users_are_sent_to_login(client, cast):
    for url in _urls(cast["yokohama"].pk):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_administrator_reaches_every_page(client, cast, login_as):
    login_as(client, cast["admin"])
    for url in _urls(cast["yokohama"].pk):
        assert client.get(url).status_code == 200, url
    assert client.get("/manage/").url == reverse("manage_users")


def test_unknown_user_is_404(client, admin_user, login_as):
    login_as(client, admin_user)
    assert client.get(reverse("manage_user_detail", args=[999999])).status_code == 404
