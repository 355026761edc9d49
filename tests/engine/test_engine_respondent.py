"""Respondent information: normalisation of typed values and the field rules."""

from __future__ import annotations

import pytest

from survey.engine import normalise_respondent, validate


def field_issues(defn, respondent, complete=False):
    return [
        (i.code, i.field, i.severity)
        for i in validate(defn, "municipality", {}, respondent, complete=complete)
    ]


def test_a_valid_respondent_has_no_issue(defn, respondent):
    normalised, issues = normalise_respondent(defn, respondent)
    assert issues == [] and normalised == {**respondent, "電話番号": "042-754-1111(内線1234)"}
    assert validate(defn, "municipality", {}, respondent, complete=False) == []


def test_complete_requires_every_field_the_respondent_fills(defn):
    issues = validate(defn, "municipality", {}, {}, complete=True)
    required = [i.field for i in issues if i.code == "respondent_required"]
    assert required == [
        "組織区分",
        "組織名",
        "担当部署名",
        "回答責任者役職",
        "回答責任者氏名",
        "連絡先氏名",
        "電話番号",
        "メールアドレス",
    ]
    assert issues[0].message == "組織区分を選択してください（都道府県・市区町村）。"
    assert issues[1].message == "組織名を入力してください。"


def test_draft_does_not_require_fields(defn):
    assert validate(defn, "municipality", {}, {"組織名": "13東京都"}, complete=False) == []


@pytest.mark.parametrize(
    "raw,expected,warned",
    [
        ("市区町村", "市区町村", False),
        ("市町村", "市区町村", True),
        ("都道府県 ", "都道府県", False),
        ("都 道 府 県", "都道府県", True),
    ],
)
def test_org_kind_choice(defn, raw, expected, warned):
    respondent, issues = normalise_respondent(defn, {"組織区分": raw})
    assert respondent == {"組織区分": expected}
    assert [i.code for i in issues] == (["normalised"] if warned else [])


def test_org_kind_must_agree_with_the_organisation(defn):
    issues = validate(defn, "municipality", {}, {"組織区分": "都道府県"}, complete=False)
    assert [(i.code, i.message) for i in issues] == [
        (
            "org_kind_mismatch",
            "組織区分：「都道府県」となっていますが、この組織は市区町村です。市区町村を選んでください。",
        )
    ]
    assert validate(defn, "prefecture", {}, {"組織区分": "都道府県"}, complete=False) == []


def test_unknown_choice_is_an_error(defn):
    respondent, issues = normalise_respondent(defn, {"組織区分": "政令市"})
    assert respondent == {}
    assert [(i.code, i.message) for i in issues] == [
        ("invalid_choice", "組織区分：「政令市」は選択肢にありません。都道府県・市区町村から選んでください。")
    ]
    assert [c for c, *_ in field_issues(defn, {"組織区分": "政令市"})] == ["invalid_choice"]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("14神奈川県相模原市", "14神奈川県相模原市"),
        ("14 神奈川県 相模原市", "14神奈川県相模原市"),
        ("１４神奈川県相模原市", "14神奈川県相模原市"),
        ("13東京都", "13東京都"),
        ("01北海道札幌市", "01北海道札幌市"),
        ("26京都府京都市", "26京都府京都市"),
    ],
)
def test_org_name_drops_spaces_and_widths(defn, raw, expected):
    respondent, _ = normalise_respondent(defn, {"組織名": raw})
    assert respondent == {"組織名": expected}
    assert field_issues(defn, respondent) == []


@pytest.mark.parametrize("raw", ["神奈川県相模原市", "14相模原市", "48神奈川県", "4神奈川県"])
def test_org_name_must_start_with_code_and_prefecture(defn, raw):
    assert field_issues(defn, {"組織名": raw}) == [("invalid_org_name", "組織名", "error")]


@pytest.mark.parametrize(
    "title",
    [
        "生活福祉課長",
        "課長",
        "福祉部長",
        "危機管理室長",
        "福祉事務所長",
        "次長",
        "参事",
        "担当課長",
        "市長",
        "審議監",
        "課長級",
    ],
)
def test_section_chief_or_above_titles_pass(defn, title):
    assert field_issues(defn, {"回答責任者役職": title}) == []


@pytest.mark.parametrize("title", ["課長補佐", "係長", "主査", "主任", "課長代理", "担当"])
def test_titles_below_section_chief_are_a_warning(defn, title):
    issues = validate(defn, "municipality", {}, {"回答責任者役職": title}, complete=False)
    assert [(i.code, i.severity) for i in issues] == [("title_below_section_chief", "warning")]
    assert issues[0].message.startswith("回答責任者役職：回答責任者は課長級以上の方としてください")


@pytest.mark.parametrize(
    "phone",
    [
        "03-5253-1111",
        "0352531111",
        "045(123)4567",
        "045-123-4567 内線123",
        "03-5253-1111 (内線5785, 5792)",
        "03-5253-1111（内線5785）",
        "03-5253-1111 ext. 12",
        "090-1234-5678",
        "+81-3-5253-1111",
        "03 5253 1111",
        "042-754-1111 内線:1234",
    ],
)
def test_valid_phone_numbers(defn, phone):
    respondent, _ = normalise_respondent(defn, {"電話番号": phone})
    assert field_issues(defn, respondent) == []


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("０３－５２５３－１１１１", "03-5253-1111"),
        ("03ー5253ー1111", "03-5253-1111"),
        ("03−5253−1111（内線５７８５）", "03-5253-1111(内線5785)"),
    ],
)
def test_phone_widths_and_dashes_are_normalised_silently(defn, raw, expected):
    respondent, issues = normalise_respondent(defn, {"電話番号": raw})
    assert respondent == {"電話番号": expected}
    assert issues == []
    assert field_issues(defn, respondent) == []


def test_phone_typed_as_a_number_in_excel_gets_its_zero_back(defn):
    respondent, issues = normalise_respondent(defn, {"電話番号": 352531111.0})
    assert respondent == {"電話番号": "0352531111"} and [i.code for i in issues] == ["normalised"]


@pytest.mark.parametrize(
    "phone",
    [
        "5253-1111",
        "03-5253-111",
        "03-5253-11111-1",
        "電話",
        "03-5253-1111 担当",
        "+1-202-555-0100",
        "03-5253-1111-内線",
        "03(5253-1111",
    ],
)
def test_invalid_phone_numbers(defn, phone):
    issues = validate(defn, "municipality", {}, {"電話番号": phone}, complete=False)
    assert [i.code for i in issues] == ["invalid_phone"]
    assert issues[0].message.startswith(f"電話番号：「{phone}」は電話番号として読み取れません。")


@pytest.mark.parametrize(
    "email", ["taro@example.lg.jp", "a.b+c@city.sagamihara.kanagawa.jp", "x_y@ex-ample.com"]
)
def test_valid_email(defn, email):
    assert field_issues(defn, {"メールアドレス": email}) == []


@pytest.mark.parametrize(
    "email",
    [
        "taro",
        "taro@",
        "@example.jp",
        "taro@example",
        "ta ro@example.jp",
        "taro@@example.jp",
        "taro.@example.jp",
        ".taro@example.jp",
        "ta..ro@example.jp",
        "taro@-example.jp",
        "taro@example.j",
        "太郎@example.jp",
        "taro@example..jp",
    ],
)
def test_invalid_email(defn, email):
    assert field_issues(defn, {"メールアドレス": email}) == [("invalid_email", "メールアドレス", "error")]


def test_full_width_email_is_normalised_silently(defn):
    respondent, issues = normalise_respondent(defn, {"メールアドレス": "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"})
    assert respondent == {"メールアドレス": "taro@example.jp"}
    assert issues == []


def test_plain_text_is_trimmed_without_a_warning(defn):
    raw = {"担当部署名": "  福祉部　生活福祉課（ＤＸ推進） ", "連絡先氏名": ""}
    respondent, issues = normalise_respondent(defn, raw)
    assert respondent == {"担当部署名": "福祉部 生活福祉課（DX推進）"} and issues == []


def test_unknown_fields_are_errors(defn):
    respondent, issues = normalise_respondent(defn, {"FAX": "03-0000-0000"})
    assert respondent == {} and [i.code for i in issues] == ["unknown_field"]
    assert field_issues(defn, {"FAX": "x"}) == [("unknown_field", "FAX", "error")]
