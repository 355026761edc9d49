"""組織名 as people write it, matched against the bundled master of 1,788 organisations."""

import pytest

from survey.orgmaster import OrgNameIndex, OrgRecord, fold_name, load_master

INDEX = OrgNameIndex(load_master())


@pytest.mark.parametrize("written, code, display", [
    ("47沖縄県八重山郡与那国町", "473821", "47沖縄県与那国町"),  # the county (郡) written
    ("14 神奈川県　相模原市", "141500", "14神奈川県相模原市"),  # half- and full-width spaces
    ("１４神奈川県相模原市", "141500", "14神奈川県相模原市"),  # full-width digits
    ("神奈川県相模原市", "141500", "14神奈川県相模原市"),  # no prefecture code
    ("13神奈川県相模原市", "141500", "14神奈川県相模原市"),  # a wrong prefecture code
    ("相模原市", "141500", "14神奈川県相模原市"),  # the name alone, when only one has it
    ("08茨城県龍ヶ崎市", "082082", "08茨城県龍ケ崎市"),  # ヶ for the master's ケ
    ("14神奈川県茅ケ崎市", "142077", "14神奈川県茅ヶ崎市"),  # ケ for the master's ヶ
    ("39高知県檮原町", "394050", "39高知県梼原町"),  # 異体字
    ("13東京都桧原村", "133078", "13東京都檜原村"),
    ("13府中市", "132063", "13東京都府中市"),  # the code tells the prefecture
    ("広島県府中市", "342084", "34広島県府中市"),
    ("東京都", "130001", "13東京都"),  # a prefecture without its code
    ("29奈良県大和郡山市", "292036", "29奈良県大和郡山市"),  # 郡 inside a city's name is no county
    ("07福島県郡山市", "072036", "07福島県郡山市"),
    ("26京都府京都市", "261009", "26京都府京都市"),
])
def test_one_organisation_fits(written, code, display):
    match = INDEX.match(written)
    assert (match.code, match.display) == (code, display)
    assert match.exact is (written == display)
    assert not match.ambiguous


def test_several_fit_names_every_candidate():
    match = INDEX.match("府中市")
    assert match.code is None and match.ambiguous
    assert match.candidates == ("13東京都府中市", "34広島県府中市")


def test_a_wrong_prefecture_code_does_not_choose_between_namesakes():
    match = INDEX.match("14府中市")
    assert match.code is None and match.ambiguous
    assert match.candidates == ("13東京都府中市", "34広島県府中市")


def test_no_match_in_the_prefecture_suggests_the_namesakes_elsewhere():
    match = INDEX.match("14神奈川県府中市")
    assert match.code is None and not match.ambiguous
    assert match.candidates == ("13東京都府中市", "34広島県府中市")


def test_unknown_name_and_blank():
    unknown = INDEX.match("14神奈川県存在しない市")
    assert (unknown.code, unknown.candidates, unknown.ambiguous) == (None, (), False)
    assert INDEX.match("").code is None and INDEX.match(None).candidates == ()


def test_wrong_code_is_noted_for_the_warning():
    assert INDEX.match("13神奈川県相模原市").notes == ("都道府県コード「13」を「14」に訂正",)


def test_an_active_organisation_wins_over_a_retired_namesake():
    records = [OrgRecord("140007", "14", "神奈川県", "神奈川県", "", "prefecture"),
               OrgRecord("141500", "14", "神奈川県", "相模原市", "", "designated_city"),
               OrgRecord("143600", "14", "神奈川県", "相模原市", "", "city")]
    index = OrgNameIndex(records, inactive={"143600"})
    assert index.match("14神奈川県相模原市").code == "141500"
    assert index.match("相模原市").code == "141500"


def test_folding_never_merges_two_organisations_of_one_prefecture():
    keys = [(r.prefecture_code, fold_name(r.name)) for r in load_master()]
    assert len(keys) == len(set(keys))
