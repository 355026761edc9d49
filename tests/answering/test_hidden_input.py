"""The answering pages' hidden base_revision (questionnaire_html.hidden_input_html) is what
`{{ form.base_revision }}` drew through Django's widget templates, in every state of the form."""
import pytest
from django.http import QueryDict

from survey.forms.answering import SubmitForm
from survey.forms.questionnaire_html import hidden_input_html


@pytest.mark.parametrize("form", [
    SubmitForm(initial={"base_revision": 3}),  # the confirm page
    SubmitForm(initial={"base_revision": 0}),
    SubmitForm({"base_revision": "12"}),  # posted
    SubmitForm({"base_revision": ""}),  # posted without it: no value attribute
    SubmitForm({"base_revision": "-1"}),  # an error on the field
    SubmitForm({"base_revision": '"><script>'}),  # escaped
    SubmitForm(QueryDict("base_revision=5&base_revision=6")),
    SubmitForm(),
], ids=["initial", "zero", "posted", "empty", "invalid", "hostile", "twice", "unbound"])
def test_hidden_input_is_drawn_as_django_draws_it(form):
    form.is_bound and form.is_valid()
    assert str(hidden_input_html(form["base_revision"])) == str(form["base_revision"])
