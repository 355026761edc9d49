"""The questionnaire: drafts, server-side branching, validation, conflicts, delegation."""
import datetime as dt

import pytest
from django.utils import timezone

from survey.models import AuditLog, Response

from .conftest import (
    LONG_ANSWERS,
    RESPONDENT,
    SHORT_ANSWERS,
    detail_url,
    edit_url,
    login,
    questionnaire_post,
    save,
)

pytestmark = pytest.mark.django_db


def versions(round_, code="141500"):
    response = Response.objects.filter(round=round_, organization__code=code).first()
    return list(response.versions.order_by("number")) if response else []


def test_blank_form_is_prefilled_from_the_organisation(round_, sagamihara):
    response = login(sagamihara).get(edit_url(round_))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="14神奈川県相模原市"' in page
    assert '<option value="市区町村" selected>' in page
    assert 'value="職業転換給付金制度（訓練手当）関係事務" readonly' in page
    assert "より慎重な選択肢を選択するようお願いいたします" in page
    assert "情報未入力あり" in page and "未回答あり" in page
    assert 'id="questionnaire-rules"' in page


def test_questions_and_options_are_verbatim(round_, sagamihara):
    page = login(sagamihara).get(edit_url(round_)).content.decode()
    assert "各種申請において申請者よりマイナンバーの記載又は提示を求めているか。" in page
    assert '<span class="option-mark">②</span>求めていない。（Q6へ）' in page
    assert "Q2以降は上記以外の者（住登外者等）に対する調査としてご回答ください。" in page  # 1-1 ① note
    assert 'type="checkbox" name="q_6"' in page


def test_items_depending_on_unanswered_branching_start_hidden(round_, sagamihara):
    views = {v.item.id: v for v in login(sagamihara).get(edit_url(round_)).context["items"]}
    assert not views["3"].hidden and not views["10"].hidden
    assert views["4"].hidden and views["6"].hidden and views["1-2"].hidden


def test_draft_may_be_incomplete_and_each_save_is_a_version(round_, sagamihara):
    client = login(sagamihara)
    response = client.post(edit_url(round_), questionnaire_post(round_, "141500", {"3": "1"}, {}, 0))
    assert response.status_code == 302
    response = client.post(edit_url(round_), questionnaire_post(round_, "141500", {"3": "1", "4": "1"}, {}, 1))
    assert response.status_code == 302
    saved = versions(round_)
    assert [v.number for v in saved] == [1, 2]
    assert saved[0].answers == {"3": "1"} and saved[1].answers == {"3": "1", "4": "1"}
    assert all(v.status == "draft" for v in saved)
    assert AuditLog.objects.filter(action=AuditLog.Action.SAVE_DRAFT).count() == 2


def test_answers_to_skipped_items_are_cleared_and_reported(round_, sagamihara):
    client = login(sagamihara)
    posted = {"3": "2", "4": "1", "5": "2", "2": "1", "2:予定年月": "2024-03"}
    response = client.post(edit_url(round_), questionnaire_post(round_, "141500", posted, {}, 0), follow=True)
    saved = versions(round_)[-1]
    assert saved.answers == {"2": "1", "3": "2"}
    assert set(saved.cleared_items) == {"4", "5", "2:予定年月"}
    page = response.content.decode()
    assert "分岐により対象外となったため消去しました：" in page
    notice = page.split("分岐により対象外となったため消去しました：", 1)[1].split("<", 1)[0]
    assert set(notice.split("、")) == {"Q4", "Q5", "Q2 予定年月"}


def test_format_errors_are_shown_in_japanese_even_for_a_draft(round_, sagamihara):
    client = login(sagamihara)
    body = questionnaire_post(round_, "141500", {"2": "3", "2:予定年月": "来年"},
                              {**RESPONDENT, "メールアドレス": "not-an-address"}, 0)
    response = client.post(edit_url(round_), body)
    assert response.status_code == 400
    page = response.content.decode()
    assert "入力内容を確認してください" in page
    assert "は年月として読み取れません" in page
    assert "メールアドレスの形式ではありません" in page
    assert 'href="#id_q_2__1"' in page and 'href="#id_r_10"' in page
    assert 'aria-describedby="help_r_10 err_r_10"' in page
    assert versions(round_) == []


def test_unknown_option_is_refused(round_, sagamihara):
    body = questionnaire_post(round_, "141500", {}, {}, 0)
    body["q_3"] = ["9"]
    response = login(sagamihara).post(edit_url(round_), body)
    assert response.status_code == 400
    assert "正しく選択してください" in response.content.decode()


def test_to_confirm_reports_every_missing_answer_at_once(round_, sagamihara):
    response = login(sagamihara).post(edit_url(round_),
                                      questionnaire_post(round_, "141500", {"3": "1"}, {}, 0, "to_confirm"))
    assert response.status_code == 400
    page = response.content.decode()
    for text in ("担当部署名を入力してください。", "Q1-1：未回答です。", "Q2：未回答です。", "Q4：未回答です。",
                 "Q10：未回答です。"):
        assert text in page
    assert "下書きとして保存しました" in page
    assert len(versions(round_)) == 1  # the input is kept as a draft
    assert 'name="base_revision" value="1"' in page


def test_to_confirm_with_complete_answers_goes_to_confirmation(round_, sagamihara):
    response = login(sagamihara).post(edit_url(round_),
                                      questionnaire_post(round_, "141500", LONG_ANSWERS, RESPONDENT, 0, "to_confirm"))
    assert response.status_code == 302
    assert response["Location"].endswith("/confirm/")


def test_title_below_section_chief_is_only_a_warning(round_, sagamihara):
    body = questionnaire_post(round_, "141500", SHORT_ANSWERS, {**RESPONDENT, "回答責任者役職": "主任"}, 0)
    response = login(sagamihara).post(edit_url(round_), body, follow=True)
    assert versions(round_)[-1].respondent["回答責任者役職"] == "主任"
    assert "回答責任者は課長級以上の方としてください" in response.content.decode()


def test_conflict_keeps_the_second_users_input_and_overwrites_nothing(round_, sagamihara):
    first, second = login(sagamihara), login(sagamihara)
    assert first.get(edit_url(round_)).status_code == 200
    assert second.get(edit_url(round_)).status_code == 200
    first.post(edit_url(round_), questionnaire_post(round_, "141500", {"3": "1", "4": "2"}, RESPONDENT, 0))
    mine = {"3": "2", "6": ["1"]}
    response = second.post(edit_url(round_), questionnaire_post(round_, "141500", mine, RESPONDENT, 0))
    assert response.status_code == 409
    page = response.content.decode()
    assert "この回答は他の利用者によって更新されています" in page
    assert "相模原 市郎" in page
    rows = {row["label"]: row for row in response.context["conflict"]["rows"]}
    assert rows["Q4"]["theirs"].startswith("②確認していない")
    assert rows["Q4"]["yours"] == "（未回答）"
    assert rows["Q3"]["theirs"] == "①求めている。"
    assert rows["Q3"]["yours"] == "②求めていない。（Q6へ）"
    # nothing overwritten, the input is still in the form, re-based on the saved version
    assert [v.answers for v in versions(round_)] == [{"3": "1", "4": "2"}]
    assert 'name="q_3" id="id_q_3_1" value="2" checked' in page
    assert 'name="base_revision" value="1"' in page
    # saving again from the re-based form goes through
    again = second.post(edit_url(round_), questionnaire_post(round_, "141500", mine, RESPONDENT, 1))
    assert again.status_code == 302
    assert versions(round_)[-1].answers == {"3": "2", "6": ["1"]}


def test_other_municipality_cannot_edit(round_, yokohama):
    assert login(yokohama).get(edit_url(round_)).status_code == 404


@pytest.mark.parametrize("who", ["ministry", "kanagawa"])
def test_readers_who_may_not_write_get_403(round_, cast, who):
    client = login(cast[who])
    assert client.get(edit_url(round_)).status_code == 403
    assert client.post(edit_url(round_), questionnaire_post(round_, "141500", SHORT_ANSWERS, RESPONDENT, 0)).status_code == 403
    assert versions(round_) == []


def test_prefecture_answers_for_a_delegated_municipality(round_, kanagawa):
    target = round_.targets.get(organization__code="141500")
    target.delegated = True
    target.save()
    client = login(kanagawa)
    page = client.get(edit_url(round_)).content.decode()
    assert "相模原市の代理回答" in page
    response = client.post(edit_url(round_), questionnaire_post(round_, "141500", SHORT_ANSWERS, RESPONDENT, 0))
    assert response.status_code == 302
    version = versions(round_)[-1]
    assert version.created_by == kanagawa
    assert version.acting_organization.code == "140007"
    assert version.is_proxy
    assert AuditLog.objects.get(action=AuditLog.Action.SAVE_DRAFT).details["proxy"] is True


def test_after_deadline_the_form_is_closed(round_, sagamihara):
    round_.deadline = timezone.now() - dt.timedelta(minutes=1)
    round_.save()
    client = login(sagamihara)
    response = client.get(edit_url(round_))
    assert response.status_code == 302 and response["Location"] == detail_url(round_)
    client.post(edit_url(round_), questionnaire_post(round_, "141500", SHORT_ANSWERS, RESPONDENT, 0))
    assert versions(round_) == []


def test_saved_answers_come_back_into_the_form(round_, sagamihara):
    save(round_, "141500", sagamihara, LONG_ANSWERS)
    page = login(sagamihara).get(edit_url(round_)).content.decode()
    assert 'name="q_7-4" id="id_q_7-4_1" value="2" checked' in page
    assert 'value="2024年3月"' in page  # the stored 2024-03 as people type it
    assert "複数担当者で4情報を確認する。" in page
    assert 'name="base_revision" value="1"' in page


def test_edit_page_is_never_cached(round_, sagamihara):
    assert "no-store" in login(sagamihara).get(edit_url(round_))["Cache-Control"]


def test_municipality_is_not_shown_guidance_for_prefectures_or_excel(round_, sagamihara):
    page = login(sagamihara).get(edit_url(round_)).content.decode()
    assert "貴都道府県が条例等により" not in page  # addressed to prefectures
    assert "エクセルの入力規則に従って" not in page  # about the Excel sheet
    assert "紐付け実施機関として責任を持った回答" in page


def test_prefecture_is_shown_its_own_guidance_but_not_the_excel_one(round_, kanagawa):
    page = login(kanagawa).get(edit_url(round_, "140007")).content.decode()
    assert "貴都道府県が条例等により" in page
    assert "エクセルの入力規則に従って" not in page


def test_forms_of_one_definition_share_fields_but_not_input_or_errors(round_):
    from survey.forms.answering import QuestionnaireForm, form_data
    from survey.forms.presenting import item_name

    from .conftest import target_of

    target, name = target_of(round_, "141500"), item_name("3")
    unknown, chosen = form_data(target, None, 0), form_data(target, None, 0)
    unknown[name], chosen[name] = "9", "1"
    first, second = QuestionnaireForm(unknown, target=target), QuestionnaireForm(chosen, target=target)
    assert first.fields[name] is second.fields[name]  # built once for the survey version
    assert not first.is_valid() and second.is_valid()
    assert name in first.errors and name not in second.errors and second.cleaned_data[name] == "1"
    assert not QuestionnaireForm(form_data(target, None, 0), target=target).errors


def test_shared_fields_take_each_targets_own_ministry_values(round_):
    """The respondent fields are shared too; the values the ministry fills (disabled, never taken
    from the request) are each form's own."""
    from survey.forms.answering import QuestionnaireForm, form_data
    from survey.forms.presenting import respondent_name

    from .conftest import target_of

    one, other = target_of(round_, "141500"), target_of(round_, "140007")
    one.attribute, other.attribute = "情報照会機関", "情報提供機関"
    name = respondent_name(one.round.survey.engine, "属性")
    forms_ = []
    for target in (one, other):
        data = form_data(target, None, 0)
        data[name] = "送られた値"  # a disabled field: never taken from the request
        forms_.append(QuestionnaireForm(data, target=target))
    assert forms_[0].fields[name] is forms_[1].fields[name] and forms_[0].fields[name].disabled
    assert [form.errors for form in forms_ if not form.is_valid()] == []
    assert [form.cleaned_data[name] for form in forms_] == ["情報照会機関", "情報提供機関"]
    assert [form[name].value() for form in forms_] == ["情報照会機関", "情報提供機関"]
