"""Comparing a new code list with the stored master."""

from dataclasses import replace

from survey.orgmaster import OrgRecord, diff_master, load_master


def _rec(code, name, kana, kind, pref="神奈川県"):
    return OrgRecord(
        code=code, prefecture_code=code[:2], prefecture_name=pref, name=name, kana=kana, kind=kind
    )


SAGAMIHARA = _rec("141500", "相模原市", "サガミハラシ", "designated_city")
YOKOSUKA = _rec("142018", "横須賀市", "ヨコスカシ", "city")
MANAZURU = _rec("143839", "真鶴町", "マナツルマチ", "town")
FUJINO = _rec("144291", "藤野町", "フジノマチ", "town")  # merged into 相模原市 in 2007


def test_identical_lists_change_nothing():
    existing = {r.code: r for r in (SAGAMIHARA, YOKOSUKA)}
    diff = diff_master(existing, [YOKOSUKA, SAGAMIHARA])
    assert (diff.added, diff.renamed, diff.retired, diff.unchanged_count) == ([], [], [], 2)
    assert not diff.has_changes


def test_added_renamed_and_retired():
    existing = {r.code: r for r in (SAGAMIHARA, MANAZURU, FUJINO)}
    manazuru_new_kana = replace(MANAZURU, kana="マナヅルマチ")
    diff = diff_master(existing, [SAGAMIHARA, manazuru_new_kana, YOKOSUKA])
    assert diff.added == [YOKOSUKA]
    assert diff.renamed == [(MANAZURU, manazuru_new_kana)]
    assert diff.retired == [FUJINO]  # in the master, gone from the list: merged away
    assert diff.unchanged_count == 1
    assert diff.has_changes


def test_a_change_of_kind_counts_as_renamed():
    became_designated = replace(YOKOSUKA, kind="designated_city")
    diff = diff_master({YOKOSUKA.code: YOKOSUKA}, [became_designated])
    assert diff.renamed == [(YOKOSUKA, became_designated)]


def test_results_are_in_code_order():
    diff = diff_master({}, [YOKOSUKA, SAGAMIHARA, MANAZURU])
    assert [r.code for r in diff.added] == ["141500", "142018", "143839"]


def test_bundled_master_against_itself():
    master = load_master()
    diff = diff_master({r.code: r for r in master}, master)
    assert diff.unchanged_count == 1788
    assert not diff.has_changes
