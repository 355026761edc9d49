"""Passwords are hashed with Argon2id at OWASP's parameters; older hashes are upgraded at sign-in."""
import argon2
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from survey.models import User
from tests.cast import PASSWORD

pytestmark = pytest.mark.django_db

# The project's list (the test session swaps in a fast hasher; these tests need the real one).
PROJECT_HASHERS = ["survey.hashers.PortalArgon2PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def _params(encoded: str) -> argon2.Parameters:
    return argon2.extract_parameters(encoded.removeprefix("argon2"))


def test_the_project_hashes_with_argon2id_at_19_mib_2_passes_1_lane(settings):
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    params = _params(make_password(PASSWORD))
    assert params.type is argon2.Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)


def test_settings_name_the_tuned_hasher_first():
    from config.settings import base

    assert base.PASSWORD_HASHERS == PROJECT_HASHERS


def test_a_hash_with_django_default_parameters_is_upgraded_at_sign_in(settings, client, sagamihara, login_form):
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    User.objects.filter(pk=sagamihara.pk).update(password=old)
    assert _params(old).memory_cost == 102400  # Django's default: 100 MiB, 8 lanes

    response = login_form(client, sagamihara.email)

    assert response.status_code == 302
    stored = User.objects.get(pk=sagamihara.pk).password
    assert stored != old
    assert (_params(stored).memory_cost, _params(stored).time_cost, _params(stored).parallelism) == (19456, 2, 1)
    assert check_password(PASSWORD, stored)


def test_a_wrong_password_does_not_rewrite_the_old_hash(settings, client, sagamihara, login_form):
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    User.objects.filter(pk=sagamihara.pk).update(password=old)

    login_form(client, sagamihara.email, password="wrong-password-123")

    assert User.objects.get(pk=sagamihara.pk).password == old
