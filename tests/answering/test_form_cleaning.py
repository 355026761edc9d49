"""The questionnaire form cleans its fields as Django's Form does, without making a BoundField each.

QuestionnaireForm._clean_fields reads each field's value from its widget (a disabled field keeps
its initial value) and cleans it: the cleaned data, the errors (messages and codes) and the
canonical answers must be those of Django's own Form._clean_fields, for input the portal never
produced too (unknown codes, over-long texts, a tampered disabled field, missing fields).
"""
from types import SimpleNamespace

import pytest
from django import forms
from django.http import QueryDict

from survey.forms.answering import QuestionnaireForm, form_data
from survey.forms.presenting import followup_name, item_name, respondent_name
from tests.responses.test_response_save import LONG, respondent

from .conftest import target_of

pytestmark = pytest.mark.django_db


class DjangosCleaning(QuestionnaireForm):
    _clean_fields = forms.Form._clean_fields


def bodies(target):
    defn = target.round.survey.engine
    org = target.organization
    full = form_data(target, SimpleNamespace(answers=LONG, respondent=respondent(org)), 3)
    yield "complete", full
    broken = full.copy()
    broken[item_name("1-1")] = "9"  # no such option
    broken.setlist(item_name("6"), ["1", "x"])
    broken[followup_name(defn, "8-1:概要")] = "長" * 5000  # over the field's max_length
    broken["base_revision"] = "-1"
    yield "invalid values", broken
    tampered = full.copy()
    ministry = next(f for f in defn.respondent_fields if f.filled_by == "ministry")
    tampered[respondent_name(defn, ministry.label)] = "書き換え"  # a disabled field: the initial value counts
    yield "tampered disabled field", tampered
    yield "nothing but the revision", QueryDict("base_revision=0")
    yield "empty", QueryDict("")


@pytest.mark.parametrize("case", ["complete", "invalid values", "tampered disabled field",
                                  "nothing but the revision", "empty"])
def test_the_form_cleans_as_djangos_form_does(round_, case):
    target = target_of(round_, "141500")
    data = dict(bodies(target))[case]
    ours, django = QuestionnaireForm(data, target=target), DjangosCleaning(data, target=target)
    assert ours.is_valid() == django.is_valid()
    assert ours.cleaned_data == django.cleaned_data
    assert ours.errors.get_json_data() == django.errors.get_json_data()
    assert (ours.answers, ours.respondent) == (django.answers, django.respondent)
    if case == "invalid values":
        assert {item_name("1-1"), item_name("6"), "base_revision"} <= set(ours.errors)
    if case == "complete":
        assert ours.is_valid() and ours.answers


def test_the_form_has_nothing_its_own_cleaning_would_skip(round_):
    """Django's cleaning also calls clean_<name> methods and hands a FileField its initial value;
    QuestionnaireForm._clean_fields does neither, so the form must have neither: a field added
    later with either fails here rather than being cleaned differently."""
    form = QuestionnaireForm(QueryDict(""), target=target_of(round_, "141500"))
    assert form.fields
    assert not [name for name in form.fields if hasattr(form, f"clean_{name}")]
    assert not [name for name, field in form.fields.items() if isinstance(field, forms.FileField)]
