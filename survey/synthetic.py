"""Synthetic but valid answer sets, for the demo, tests and benchmarks. Pure: no database.

Answers are made by asking the engine which items apply and answering them one by one, so
whatever the definition says, the result follows its branching.
"""
import random

from survey import engine

_DEPARTMENTS = ["総務課", "福祉政策課", "雇用対策課", "市民課", "情報政策課", "産業労働課"]
_TITLES = ["課長", "部長", "室長", "担当課長", "参事"]
_FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
_GIVEN = ["一郎", "花子", "健", "美咲", "翔太", "陽子", "大輔", "由美"]


def _followup_value(followup, rng: random.Random) -> str:
    if followup.kind == "month":
        return f"{rng.randint(2024, 2026)}-{rng.randint(1, 12):02d}"
    return rng.choice(["複数職員で住所を含む4情報を照合し、記録を残している。", "担当者が確認簿に記録している。"])


def random_answers(defn: engine.Definition, org_kind: str, rng: random.Random, *, complete: bool = True) -> dict:
    """A valid answer set: every applicable item answered (or a random prefix when not complete)."""
    answers: dict = {}
    while True:
        todo = [i for i in engine.applicable_items(defn, org_kind, answers) if i not in answers]
        if not todo or (not complete and rng.random() < 0.15):
            return answers
        item = defn.item(todo[0])
        if item.kind == "marks":
            codes = sorted(rng.sample(list(item.codes), k=rng.randint(1, len(item.codes))), key=int)
            answers[item.id] = codes
            chosen = set(codes)
        else:
            code = rng.choice(item.codes)
            answers[item.id] = code
            chosen = {code}
        for followup in item.followups:
            if chosen & set(followup.when):
                answers[followup.key] = _followup_value(followup, rng)


def random_respondent(display_name: str, section_label: str, rng: random.Random, *, domain: str) -> dict:
    """Respondent fields filled the way an officer would."""
    family = rng.choice(_FAMILY)
    return {
        "組織区分": section_label,
        "組織名": display_name,
        "担当部署名": rng.choice(_DEPARTMENTS),
        "回答責任者役職": rng.choice(_TITLES),
        "回答責任者氏名": f"{family} {rng.choice(_GIVEN)}",
        "連絡先氏名": f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}",
        "電話番号": f"0{rng.randint(11, 99)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        "メールアドレス": f"mynumber@{domain}",
    }
