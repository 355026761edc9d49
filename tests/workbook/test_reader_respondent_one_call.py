"""The reader normalises a sheet's respondent fields in one engine call (issue 10, point 7): the
same values, errors and warnings, on the same cells, as one call per label did, for values typed
well, badly and damaged, and for labels the definition does not spell so (one call per label then)."""
import pytest

from survey import engine
from survey.workbook import reader
from survey.workbook.extract import Extraction, RawCell

from .answer_sheet_helpers import DEFN


def _per_label(ex: Extraction, defn, report) -> dict[str, str]:
    """The reader's code before the change, kept here as the reference."""
    found: dict[str, str] = {}
    ministry = {f.label for f in defn.respondent_fields if f.filled_by == "ministry"}
    for label, raw in ex.respondent.items():
        if label in ministry:
            continue
        values, issues = engine.normalise_respondent(defn, {label: raw.value})
        found.update(values)
        for issue in issues:
            report.engine_issue(issue, raw.cell, raw.value)
    return {f.label: found[f.label] for f in defn.respondent_fields if f.label in found}


WELL = {"組織区分": "市区町村", "組織名": "横浜市", "担当部署名": "福祉局", "回答責任者役職": "課長",
        "回答責任者氏名": "山田太郎", "連絡先氏名": "佐藤花子", "電話番号": "045-123-4567",
        "メールアドレス": "a@example.jp"}

CASES = {
    "typed well": WELL,
    "in another order, with the ministry's fields": {"電話番号": "045-123-4567", "制度等": "違う制度", "属性": "x",
                                                    **{k: v for k, v in reversed(WELL.items()) if k != "電話番号"}},
    "an alias and widths": {**WELL, "組織区分": "市町村", "メールアドレス": "ａ＠ｅｘａｍｐｌｅ．ｊｐ",
                            "電話番号": "０４５（１２３）４５６７", "組織名": "　横浜市　"},
    "a choice that matches nothing": {**WELL, "組織区分": "町内会"},
    "numbers where text goes": {**WELL, "電話番号": 451234567, "組織名": 12, "担当部署名": 1.5,
                                "組織区分": 3, "回答責任者氏名": True},
    "a phone as a float": {**WELL, "電話番号": 451234567.0},
    "empty and blank": {**WELL, "組織名": None, "担当部署名": "", "連絡先氏名": "   ", "組織区分": "　"},
    "long text": {**WELL, "回答責任者役職": "長" * 400},
    "nothing": {},
    "a label the definition spells otherwise": {**WELL, "組織名 ": "川崎市", "ＥＭＡＩＬ": "x"},
    "an unknown label": {**WELL, "備考": "なし"},
}


@pytest.mark.parametrize("case", CASES)
def test_one_call_per_sheet_gives_what_one_call_per_label_gave(case):
    respondent = {label: RawCell(f"C{n}", value) for n, (label, value) in enumerate(CASES[case].items(), start=3)}
    ex = Extraction(sheet="回答", respondent=respondent, respondent_cells={k: r.cell for k, r in respondent.items()})
    before, after = reader._Report(ex.sheet), reader._Report(ex.sheet)
    expected = _per_label(ex, DEFN, before)
    got = reader._respondent(ex, DEFN, after)
    assert got == expected and list(got) == list(expected)
    assert after.errors == before.errors and after.warnings == before.warnings
