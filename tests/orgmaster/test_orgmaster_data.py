"""The bundled master survey/data/organizations.csv."""

import csv
import re
from collections import Counter

import pytest

from survey.orgmaster import (
    DESIGNATED_CITIES,
    DESIGNATED_CITY_CODES,
    MASTER_CSV,
    MASTER_HEADER,
    check_digit,
    display_name,
    index_by_display_name,
    load_master,
)


@pytest.fixture(scope="module")
def rows():
    with MASTER_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def master():
    return load_master()


def test_file_is_plain_utf8_with_our_header():
    raw = MASTER_CSV.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").splitlines()[0] == ",".join(MASTER_HEADER)


def test_every_row_has_a_six_digit_code_with_a_correct_check_digit(rows):
    for row in rows:
        code = row["code"]
        assert re.fullmatch(r"\d{6}", code), row
        assert check_digit(code[:5]) == code[5], row
        assert row["prefecture_code"] == code[:2], row


def test_counts_match_the_ministry_list(master):
    kinds = Counter(r.kind for r in master)
    assert len(master) == 1788
    assert kinds["prefecture"] == 47
    assert len(master) - kinds["prefecture"] == 1741
    assert kinds["designated_city"] == 20
    assert kinds["special_ward"] == 23
    assert kinds["designated_city"] + kinds["city"] == 792
    assert kinds["town"] == 743
    assert kinds["village"] == 183


def test_prefectures_are_01_to_47(master):
    prefectures = [r for r in master if r.kind == "prefecture"]
    assert [r.prefecture_code for r in prefectures] == [f"{n:02d}" for n in range(1, 48)]
    assert all(r.name == r.prefecture_name for r in prefectures)


def test_designated_cities_are_the_twenty(master):
    designated = {r.code: r.name for r in master if r.kind == "designated_city"}
    assert set(designated) == DESIGNATED_CITY_CODES
    assert designated == DESIGNATED_CITIES
    assert all(check_digit(code[:5]) == code[5] for code in DESIGNATED_CITY_CODES)


def test_special_wards_are_tokyo_131xx(master):
    wards = [r for r in master if r.kind == "special_ward"]
    assert all(r.code.startswith("131") and r.name.endswith("区") for r in wards)


def test_no_ward_of_a_designated_city_and_no_county_in_names(master):
    for r in master:
        assert not re.fullmatch(r".+市.+区", r.name), r
        assert not re.fullmatch(r".+郡.+[町村]", r.name), r  # 上郡町 is a real name: 郡 at the end is kept


def test_display_names_are_unique_and_follow_the_survey_rule(master):
    index = index_by_display_name(master)
    assert len(index) == len(master)
    assert index["14神奈川県相模原市"].code == "141500"
    assert index["13東京都"].kind == "prefecture"
    assert index["01北海道南幌町"].code == "014231"  # 空知郡南幌町
    assert index["28兵庫県上郡町"].kind == "town"


def test_kana_is_full_width_katakana(master):
    for r in master:
        assert re.fullmatch(r"[ァ-ヴー]+", r.kana), r
    assert {r.code: r.kana for r in master}["011002"] == "サッポロシ"


def test_display_name_example_from_the_spec(master):
    by_code = {r.code: r for r in master}
    assert display_name(by_code["141500"]) == "14神奈川県相模原市"
    assert display_name(by_code["130001"]) == "13東京都"
