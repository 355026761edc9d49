"""Accounts created and activated at the same moment stay apart.

From a real incident: people who registered at the same time got the same ID and saw each
other's data. Here 200 invited officers activate their accounts at once, each in its own
thread with its own browser (django.test.Client); then each looks at its account page.
Identifiers come only from the database, so every thread must end up with its own account
and session and see only its own organisation and address.

PostgreSQL only (scripts/test): SQLite serialises all writers, so it could not show a race.
"""
import re
import threading
import uuid

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client

from survey.models import Organization, Role, User
from survey.services.accounts import activation_path, user_invite
from tests.infra.requirements import require

N = 200
PASSWORD = "a-brand-new-passphrase-42"
TOKEN = re.compile(r"knr[0-9a-f]{12}")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(transactional_db):
    require("postgres")  # SQLite serialises writers, so no race shows


def _slots() -> int:
    """Connections the threads may hold at once: all N when the server allows it."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = cursor.fetchone()[0]
    return max(10, min(N, limit - used - 10))


def _all_at_once(work, items):
    """Run work(item) in one thread per item, released together by a barrier.

    Returns (results, errors) in item order; every thread closes its own database connection.
    """
    barrier, gate = threading.Barrier(len(items)), threading.BoundedSemaphore(_slots())
    results, errors = [None] * len(items), []

    def run(index, item):
        try:
            barrier.wait(timeout=120)
            with gate:
                try:
                    results[index] = work(item)
                finally:
                    connections.close_all()
        except BaseException as exc:  # reported by the test, with the item
            errors.append((item, exc))

    threads = [threading.Thread(target=run, args=(i, item)) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "threads still running after 300 s"
    return results, errors


def _canary_organisations(n):
    tokens = [f"knr{uuid.uuid4().hex[:12]}" for _ in range(n)]
    orgs = Organization.objects.bulk_create([
        Organization(code=f"99{i:04d}", prefecture_code="99", prefecture_name="検証県", name=f"検証町{token}",
                     kind="town") for i, token in enumerate(tokens)])
    return list(zip(tokens, orgs, strict=True))


def _activate_and_look(item):
    token, path = item
    browser = Client()
    form_url = browser.get(path, follow=True).redirect_chain[-1][0]
    response = browser.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    page = browser.get("/accounts/profile/").content.decode()
    session = browser.session
    return {"token": token, "pk": session.get(SESSION_KEY), "key": session.session_key, "page": page}


def test_200_simultaneous_activations_give_200_separate_accounts(admin_user):
    invited = {}
    for token, org in _canary_organisations(N):
        user = user_invite(email=f"{token}@example.jp", name=f"担当{token}", role=Role.OFFICER,
                           organization=org, acting_user=admin_user)
        invited[token] = user
    items = [(token, activation_path(user)) for token, user in invited.items()]

    results, errors = _all_at_once(_activate_and_look, items)

    assert errors == []
    assert len({r["pk"] for r in results}) == N
    assert len({r["key"] for r in results}) == N
    for r in results:
        own = invited[r["token"]]
        assert r["pk"] == str(own.pk)
        assert own.organization.display_name in r["page"] and own.email in r["page"]
        assert set(TOKEN.findall(r["page"])) == {r["token"]}, "another account's canary is on the page"
    assert User.objects.filter(email__startswith="knr").exclude(password__startswith="!").count() == N


def test_200_simultaneous_invitations_give_200_distinct_accounts(orgs, admin_user):
    emails = [f"officer{i:03d}.{uuid.uuid4().hex[:6]}@example.jp" for i in range(N)]

    def invite(email):
        return user_invite(email=email, name="同時 招待", role=Role.OFFICER, organization=orgs["141500"],
                           acting_user=admin_user).pk

    pks, errors = _all_at_once(invite, emails)
    assert errors == []
    assert len(set(pks)) == N
    assert dict(User.objects.filter(email__in=emails).values_list("email", "pk")) == dict(zip(emails, pks, strict=True))


def test_simultaneous_invitations_of_one_address_create_exactly_one_account(orgs, admin_user):
    def invite(case):
        email = "same.person@example.jp" if case % 2 else "Same.Person@Example.JP"
        return user_invite(email=email, name="同一 人物", role=Role.OFFICER, organization=orgs["141500"],
                           acting_user=admin_user).pk

    pks, errors = _all_at_once(invite, list(range(50)))
    assert User.objects.filter(email__iexact="same.person@example.jp").count() == 1
    assert len([pk for pk in pks if pk is not None]) == 1
    assert len(errors) == 49
    for _, exc in errors:
        assert isinstance(exc, ValidationError), repr(exc)
        assert exc.error_dict["email"][0].code == "email_taken"
