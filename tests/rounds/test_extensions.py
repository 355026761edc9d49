"""Granting an extension: the ministry's form, confirmation and audit; who sees it."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from survey.models import AuditLog, RoundStatus
from survey.services.rounds import target_extend

from .conftest import REASON, login, target_of

pytestmark = pytest.mark.django_db


def _form_url(round_, code="141500"):
    return reverse("publish:target_extension", kwargs={"round_id": round_.pk, "org_code": code})


def _local(value):
    return f"{timezone.localtime(value):%Y-%m-%dT%H:%M}"


def test_ministry_extends_after_a_confirmation_page_and_it_is_audited(round_, ministry):
    new = round_.deadline + dt.timedelta(days=5)
    data = {"deadline": _local(new), "reason": "システム障害のため"}
    client = login(ministry)
    confirm = client.post(_form_url(round_), data)
    assert confirm.status_code == 200 and "回答期限の延長の確認" in confirm.content.decode()
    assert not target_of(round_, "141500").is_extended  # nothing changed before the confirmation
    done = client.post(_form_url(round_), {**data, "confirm": "yes"})
    assert done.status_code == 302
    target = target_of(round_, "141500")
    assert target.is_extended and target.extension_reason == "システム障害のため"
    assert target.extension_granted_by == ministry and target.extension_granted_at is not None
    assert _local(target.effective_deadline) == data["deadline"]
    row = AuditLog.objects.get(action=AuditLog.Action.ROUND_CHANGE, details__change="extension")
    assert row.actor == ministry and row.organization.code == "141500"
    assert row.details["reason"] == "システム障害のため" and row.details["previous"] == ""


def test_edit_from_the_confirmation_returns_to_the_form(round_, ministry):
    data = {"deadline": _local(round_.deadline + dt.timedelta(days=1)), "reason": "理由", "edit": "1"}
    page = login(ministry).post(_form_url(round_), data)
    assert "確認へ進む" in page.content.decode() and not target_of(round_, "141500").is_extended


@pytest.mark.parametrize("deadline_shift, reason, code", [
    (dt.timedelta(days=0), "理由", "not_later"), (-dt.timedelta(days=1), "理由", "not_later"),
    (dt.timedelta(days=1), "   ", "reason_required"),
])
def test_the_service_refuses_an_earlier_deadline_or_no_reason(round_, ministry, deadline_shift, reason, code):
    with pytest.raises(ValidationError) as exc:
        target_extend(target=target_of(round_, "141500"), deadline=round_.deadline + deadline_shift, reason=reason,
                      acting_user=ministry)
    assert exc.value.code == code
    assert not target_of(round_, "141500").is_extended


def test_the_form_refuses_an_earlier_deadline_with_a_message(round_, ministry):
    data = {"deadline": _local(round_.deadline - dt.timedelta(days=1)), "reason": "理由", "confirm": "yes"}
    page = login(ministry).post(_form_url(round_), data)
    assert page.status_code == 400
    assert "調査回の回答期限より後の日時" in page.content.decode()
    assert not target_of(round_, "141500").is_extended


def test_no_extension_once_finalised(round_, ministry):
    round_.status = RoundStatus.FINALISED
    round_.save()
    with pytest.raises(ValidationError):
        target_extend(target=target_of(round_, "141500"), deadline=round_.deadline + dt.timedelta(days=1),
                      reason="理由", acting_user=ministry)
    data = {"deadline": _local(round_.deadline + dt.timedelta(days=1)), "reason": "理由", "confirm": "yes"}
    page = login(ministry).post(_form_url(round_), data)
    assert 'data-testid="finalised"' in page.content.decode() and not target_of(round_, "141500").is_extended


def test_a_second_extension_replaces_the_first_and_records_it(past_deadline, ministry):
    first = target_of(past_deadline, "141500").extended_deadline
    target_extend(target=target_of(past_deadline, "141500"), deadline=first + dt.timedelta(days=3),
                  reason="再延長", acting_user=ministry)
    rows = AuditLog.objects.filter(details__change="extension").order_by("id")
    assert rows[1].details["previous"] == first.isoformat()


def test_the_list_finds_an_organisation_and_shows_extensions(past_deadline, ministry):
    url = reverse("publish:round_extensions", kwargs={"round_id": past_deadline.pk})
    page = login(ministry).get(url).content.decode()
    assert 'data-org="141500"' in page and REASON in page and 'data-org="141003"' not in page
    found = login(ministry).get(url, {"org": "相模原"})
    assert found["Location"] == _form_url(past_deadline)


@pytest.mark.parametrize("who", ["sagamihara", "kanagawa", "yokohama", "tokyo", "chiyoda", "admin"])
def test_only_the_ministry_grants_extensions(round_, cast, who):
    data = {"deadline": _local(round_.deadline + dt.timedelta(days=1)), "reason": "理由", "confirm": "yes"}
    response = login(cast[who]).post(_form_url(round_), data)
    if who == "admin":  # administrators share the ministry's round management
        assert response.status_code == 302
    else:
        assert response.status_code == 403
        assert not target_of(round_, "141500").is_extended


def _status_page(round_, user):
    return login(user).get(reverse("round_status", kwargs={"round_id": round_.pk})).content.decode()


def test_the_organisation_its_prefecture_and_the_ministry_see_the_extension(past_deadline, sagamihara, kanagawa,
                                                                             ministry):
    for user in (sagamihara, kanagawa, ministry):
        page = _status_page(past_deadline, user)
        assert 'data-testid="round-extensions"' in page and REASON in page, user


def test_another_municipality_or_prefecture_does_not_see_the_extension(past_deadline, yokohama, tokyo, chiyoda):
    for user in (yokohama, tokyo, chiyoda):
        page = _status_page(past_deadline, user)
        assert REASON not in page and 'data-org="141500"' not in page, user
    response = login(yokohama).get(reverse("response_detail", kwargs={"round_id": past_deadline.pk,
                                                                      "org_code": "141500"}))
    assert response.status_code == 404


def test_an_extension_withdrawn_with_a_reason_closes_the_organisation_again(past_deadline, ministry):
    url = reverse("publish:extension_withdraw", kwargs={"round_id": past_deadline.pk, "org_code": "141500"})
    page = login(ministry).get(url).content.decode()
    assert 'data-testid="withdraw-summary"' in page and target_of(past_deadline, "141500").is_extended
    refused = login(ministry).post(url, {"reason": " ", "confirm": "yes"})
    assert refused.status_code == 400 and target_of(past_deadline, "141500").is_extended
    assert login(ministry).post(url, {"reason": "誤って延長したため", "confirm": "yes"}).status_code == 302
    target = target_of(past_deadline, "141500")
    assert not target.is_extended and not target.accepts_answers
    row = AuditLog.objects.get(details__change="extension_withdrawn")
    assert row.details["reason"] == "誤って延長したため" and row.organization.code == "141500"
