"""Fixtures for the pure engine tests: the real survey definition and helpers to answer it."""

from __future__ import annotations

import pytest

from survey.engine import DEFINITIONS_DIR, applicable_items, load_definition

DEFINITION_FILE = DEFINITIONS_DIR / "linkage-2023.1.toml"

VALID_RESPONDENT = {
    "制度等": "職業転換給付金制度（訓練手当）関係事務",
    "組織区分": "市区町村",
    "組織名": "14神奈川県相模原市",
    "担当部署名": "福祉部 生活福祉課",
    "回答責任者役職": "生活福祉課長",
    "回答責任者氏名": "相模 太郎",
    "連絡先氏名": "原 花子",
    "電話番号": "042-754-1111（内線1234）",
    "メールアドレス": "seikatsu@city.sagamihara.kanagawa.jp",
}


@pytest.fixture(scope="session")
def defn():
    return load_definition(DEFINITION_FILE)


@pytest.fixture(scope="session")
def complete(defn):
    """complete(org_kind, choices, filler="1") -> answers; see `complete_answers`."""
    return lambda org_kind, choices, filler="1": complete_answers(defn, org_kind, choices, filler)


@pytest.fixture
def respondent():
    return dict(VALID_RESPONDENT)


def complete_answers(defn, org_kind: str, choices: dict, filler: str = "1") -> dict:
    """Answers that take the path given by `choices` and answer every other applicable item
    with option `filler` (first mark for marks items), plus the follow-ups that need text."""
    answers = dict(choices)
    while True:
        missing = [i for i in applicable_items(defn, org_kind, answers) if i not in answers]
        if not missing:
            break
        for item_id in missing:
            item = defn.item(item_id)
            code = filler if filler in item.codes else item.codes[0]
            answers[item_id] = [code] if item.kind == "marks" else code
    for key, f in defn.followups.items():
        value = answers.get(f.item)
        if f.item in applicable_items(defn, org_kind, answers) and value in f.when:
            answers[key] = "2024-03" if f.kind == "month" else "概要のテキスト"
    return answers
