"""The questionnaire's item HTML and the answers table's rows kept per state
(questionnaire_html.Parts.memo) are the HTML made afresh for that state, whatever was kept before."""
import random
from types import SimpleNamespace

import pytest

from survey.forms import questionnaire_html as html
from survey.forms.answering import QuestionnaireForm, form_data
from survey.forms.presenting import answer_rows
from survey.synthetic import random_answers

from .conftest import LONG_ANSWERS, RESPONDENT, SHORT_ANSWERS, target_of

pytestmark = pytest.mark.django_db


def answer_sets(defn, kind):
    rng = random.Random(5)
    sets = [LONG_ANSWERS, SHORT_ANSWERS, {}, {"3": "2"}]
    sets += [random_answers(defn, kind, rng, complete=rng.random() < 0.5) for _ in range(40)]
    return sets + sets[:10]  # again: now from what was kept


def test_kept_item_html_is_the_html_of_its_state(round_):
    target = target_of(round_, "141500")
    defn = target.round.survey.engine
    html.definition_parts(defn).memo.clear()
    parts = html.definition_parts(defn).items
    kept_some = False
    for answers in answer_sets(defn, target.organization.engine_kind):
        form = QuestionnaireForm(form_data(target, SimpleNamespace(answers=answers, respondent=RESPONDENT), 1),
                                 target=target)
        views = form.item_views()
        for n, view in enumerate(views):
            view.mark = "変更あり" if n % 5 == 0 else ""
        html.decorate_items(views, defn)
        kept_some = kept_some or bool(html.definition_parts(defn).memo)
        for view in views:
            assert (view.head, view.tail) == html.item_html(view, parts[view.item.id], {})
    assert kept_some


def test_kept_answer_rows_are_the_rows_of_their_state(round_):
    target = target_of(round_, "141500")
    defn = target.round.survey.engine
    html.definition_parts(defn).memo.clear()
    parts = html.definition_parts(defn).rows
    for answers in answer_sets(defn, target.organization.engine_kind):
        rows = answer_rows(defn, target.organization.engine_kind, answers)
        html.decorate_answer_rows(rows, defn)
        for row in rows:
            assert row.head == html.answer_row_html(row, parts[row.item.id])


def test_the_memo_is_bounded(round_, monkeypatch):
    target = target_of(round_, "141500")
    defn = target.round.survey.engine
    monkeypatch.setattr(html, "MEMO_MAX", 5)
    for answers in answer_sets(defn, target.organization.engine_kind):
        html.decorate_answer_rows(answer_rows(defn, target.organization.engine_kind, answers), defn)
        assert len(html.definition_parts(defn).memo) <= 5
