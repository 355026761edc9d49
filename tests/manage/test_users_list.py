"""The users list: filter by role, organisation, state, and search."""
import pytest

pytestmark = pytest.mark.django_db


def _emails(client, **params):
    page = client.get("/manage/users/", params).context["page"]
    return {u.email for u in page}


def test_all_users_are_listed(client, cast, login_as):
    login_as(client, cast["admin"])
    assert _emails(client) == {u.email for u in cast.values()}


def test_filter_by_role(client, cast, login_as):
    login_as(client, cast["admin"])
    assert _emails(client, role="ministry") == {cast["ministry"].email}


def test_filter_by_organisation_code_or_name(client, cast, login_as):
    login_as(client, cast["admin"])
    assert _emails(client, organization="141500") == {cast["sagamihara"].email}
    assert _emails(client, organization="神奈川") == {cast[k].email for k in ("kanagawa", "sagamihara", "yokohama")}


def test_search_by_name_or_email(client, cast, login_as):
    login_as(client, cast["admin"])
    assert _emails(client, q="横浜") == {cast["yokohama"].email}
    assert _emails(client, q="metro.tokyo") == {cast["tokyo"].email}


def test_filter_by_state(client, cast, login_as):
    cast["chiyoda"].is_active = False
    cast["chiyoda"].save()
    cast["tokyo"].set_unusable_password()
    cast["tokyo"].save()
    login_as(client, cast["admin"])
    assert _emails(client, status="inactive") == {cast["chiyoda"].email}
    assert _emails(client, status="invited") == {cast["tokyo"].email}


def test_filters_have_labels(client, admin_user, login_as):
    login_as(client, admin_user)
    html = client.get("/manage/users/").content.decode()
    for field in ("q", "role", "organization", "status"):
        assert f'for="id_{field}"' in html
