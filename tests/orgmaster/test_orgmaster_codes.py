"""Check digits, code validity and 組織名 (display names)."""

import pytest

from survey.orgmaster import OrgRecord, check_digit, display_name, is_valid_code


@pytest.mark.parametrize(
    "code6",
    [
        "010006",  # 北海道
        "011002",  # 札幌市
        "130001",  # 東京都
        "131016",  # 千代田区
        "140007",  # 神奈川県
        "141003",  # 横浜市
        "141500",  # 相模原市
        "141305",  # 川崎市
        "012131",  # 苫小牧市: remainder 0 gives 1
        "012050",  # 室蘭市: remainder 1 gives 0
        "473821",  # 与那国町
    ],
)
def test_check_digit_matches_real_codes(code6):
    assert check_digit(code6[:5]) == code6[5]
    assert is_valid_code(code6)


@pytest.mark.parametrize("bad", ["1410", "141000", "14a00", "", "１４１５０"])
def test_check_digit_rejects_anything_but_five_ascii_digits(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


@pytest.mark.parametrize(
    "code6",
    [
        "141501",  # wrong check digit
        "14150",  # five digits
        "1415000",  # seven digits
        "14150a",
        "１４１５００",  # full-width digits
        "000000",  # no prefecture 00
        "480002",  # no prefecture 48 (check digit correct)
        None,
    ],
)
def test_is_valid_code_rejects(code6):
    assert not is_valid_code(code6)


def _rec(code, pref, name, kind):
    return OrgRecord(code=code, prefecture_code=code[:2], prefecture_name=pref, name=name, kana="", kind=kind)


def test_display_name_of_designated_city():
    assert display_name(_rec("141500", "神奈川県", "相模原市", "designated_city")) == "14神奈川県相模原市"


def test_display_name_of_prefecture_is_code_and_prefecture_only():
    assert display_name(_rec("130001", "東京都", "東京都", "prefecture")) == "13東京都"


def test_display_name_of_town_in_a_county_has_no_county():
    # 南幌町 is in 空知郡; the survey's 組織名 leaves the county out.
    assert display_name(_rec("014231", "北海道", "南幌町", "town")) == "01北海道南幌町"


def test_org_kind_is_coarse():
    assert _rec("130001", "東京都", "東京都", "prefecture").engine_kind == "prefecture"
    assert _rec("131016", "東京都", "千代田区", "special_ward").engine_kind == "municipality"
