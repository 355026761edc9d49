"""The reader's lookups over the master and the round: built once per process for the same
master, and one upload fetches its own target, not the round's 1,788."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from survey.models import Organization, RoundTarget
from survey.services.sheets import common

pytestmark = pytest.mark.django_db


def test_the_name_index_is_kept_while_the_master_is_the_same_and_rebuilt_when_it_changes(round_, orgs):
    org = Organization.objects.order_by("code").first()
    first = common.org_lookups(round_)[0]
    assert common.org_lookups(round_)[0] is first
    assert first(org.display_name).code == org.code

    org.name = "改名後村"
    org.save()
    renamed = common.org_lookups(round_)[0]
    assert renamed is not first
    assert renamed(org.display_name).code == org.code


def test_one_lookup_fetches_one_target_and_a_second_one_the_rounds_targets(round_, orgs):
    a, b = RoundTarget.objects.filter(round=round_).select_related("organization").order_by("pk")[:2]
    b.attribute = "b の属性"
    b.save()
    fields = common.org_lookups(round_)[2]
    with CaptureQueriesContext(connection) as first:
        expected_a = fields(round_.pk, a.organization.code)
    assert len(first) == 1 and list(fields.targets[round_.pk]) == [a.organization.code]
    assert fields(round_.pk, b.organization.code)["属性"] == "b の属性"
    assert len(fields.targets[round_.pk]) == RoundTarget.objects.filter(round=round_).count() > 2
    assert fields(round_.pk, a.organization.code) == expected_a
    with CaptureQueriesContext(connection) as later:
        fields(round_.pk, b.organization.code)
    assert len(later) == 0
