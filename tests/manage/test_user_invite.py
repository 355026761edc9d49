"""Inviting one user from the administrators' pages."""
import pytest
from django.core import mail

from survey.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user, login_as):
    return login_as(client, admin_user)


def test_invite_creates_the_account_and_mails_the_link(admin, orgs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/manage/users/invite/", {
            "email": "new@example.jp", "name": "新人", "role": "officer", "organization_code": "１４１５００"})
    user = User.objects.get(email="new@example.jp")
    assert response.url == f"/manage/users/{user.pk}/"
    assert user.organization == orgs["141500"] and not user.has_usable_password()
    assert "/accounts/activate/" in mail.outbox[0].body


def test_errors_are_shown_next_to_the_fields(admin, orgs, sagamihara):
    body = admin.post("/manage/users/invite/", {
        "email": sagamihara.email, "name": "重複", "role": "officer", "organization_code": "141500"}
    ).content.decode()
    assert "このメールアドレスはすでに登録されています。" in body
    body = admin.post("/manage/users/invite/", {
        "email": "x@example.jp", "name": "誰か", "role": "officer", "organization_code": "999999"}
    ).content.decode()
    assert "団体コード「999999」は団体マスタにありません。" in body
    body = admin.post("/manage/users/invite/", {
        "email": "y@example.jp", "name": "誰か", "role": "officer", "organization_code": ""}).content.decode()
    assert "団体担当者には所属団体が必要です。" in body
    assert not User.objects.filter(email__in=["x@example.jp", "y@example.jp"]).exists()
