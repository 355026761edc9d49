"""{% url %} in every template is survey.templatetags.kept_urls: Django's output, each URL reversed once."""
from unittest import mock

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix

from survey.templatetags import kept_urls


def render(source, context=None):
    return engines["django"].from_string(source).render(context or {})


@pytest.fixture(autouse=True)
def _empty():
    kept_urls._KEPT.clear()
    yield
    kept_urls._KEPT.clear()
    set_script_prefix("/")


def test_the_tag_gives_what_reverse_gives():
    out = render("{% url 'home' %}|{% url 'response_detail' 7 code %}|{% url 'aggregation:status' round_id=3 %}"
                 "|{% url 'response_detail' 7 code as there %}[{{ there }}]", {"code": "141500"})
    assert out == "|".join([reverse("home"), reverse("response_detail", args=[7, "141500"]),
                            reverse("aggregation:status", kwargs={"round_id": 3}),
                            "[" + reverse("response_detail", args=[7, "141500"]) + "]"])


def test_a_url_is_reversed_once_then_kept():
    with mock.patch.object(kept_urls, "reverse", wraps=reverse) as reversing:
        for _ in range(3):
            render("{% url 'home' %}{% url 'response_detail' 7 '141500' %}")
        render("{% url 'response_detail' 8 '141500' %}")
    assert reversing.call_count == 3  # home, round 7, round 8


def test_arguments_other_than_str_and_int_are_reversed_each_time():
    class Code:
        def __init__(self, text):
            self.text = text

        def __str__(self):
            return self.text

    code = Code("141500")
    first = render("{% url 'response_detail' 7 code %}", {"code": code})
    code.text = "140007"
    assert render("{% url 'response_detail' 7 code %}", {"code": code}) != first
    assert kept_urls._KEPT == {}


def test_an_int_and_a_str_argument_are_kept_apart():
    assert render("{% url 'response_detail' 7 '141500' %}") == render("{% url 'response_detail' n '141500' %}",
                                                                     {"n": "7"})
    assert len(kept_urls._KEPT) == 2


def test_the_script_prefix_is_part_of_the_key():
    assert render("{% url 'home' %}") == "/"
    set_script_prefix("/portal/")
    assert render("{% url 'home' %}") == "/portal/"


def test_an_unknown_name_still_raises_and_as_var_gives_nothing():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")
    assert render("{% url 'no-such-page' as x %}[{{ x }}]") == "[]"


def test_the_url_is_escaped_as_django_escapes_it():
    source = "{% url 'response_detail' 7 code %}"
    expected = reverse("response_detail", args=[7, "a&b"])
    assert "&" in expected
    for _ in range(2):  # reversed, then kept
        assert render(source, {"code": "a&b"}) == expected.replace("&", "&amp;")
        assert render("{% autoescape off %}" + source + "{% endautoescape %}", {"code": "a&b"}) == expected


def test_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(kept_urls, "KEPT_MAX", 3)
    for n in range(10):
        render("{% url 'response_detail' n '141500' %}", {"n": n})
    assert 0 < len(kept_urls._KEPT) <= 3
