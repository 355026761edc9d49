"""A round with KNOWN answers for the aggregation tests, saved through response_save.

`KNOWN` below is the truth the tests count from with plain Python (never with the selectors):
each organisation's answers, whether it submitted, and which applicable items were left
unanswered. The items that apply to an organisation are those it answered plus `unanswered`
(submitted answers are complete, so every applicable item is either answered or listed there).

A submission cannot leave an applicable item empty (the service refuses it), but the
aggregation must still count '' facts (e.g. from an import of an older definition), so
`unanswered` items are blanked in the facts table after the submission.
"""
import datetime as dt

import pytest
from django.utils import timezone

from tests.cast import CAST_ORGS, make_org

EXTRA_ORGS = {
    "142051": ("14", "神奈川県", "藤沢市", "フジサワシ", "city"),
    "132012": ("13", "東京都", "八王子市", "ハチオウジシ", "city"),
    "270008": ("27", "大阪府", "大阪府", "オオサカフ", "prefecture"),
}

SAGAMIHARA = {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "2", "6": ["1", "2"], "7-1": "1", "7-2": "1",
              "7-3": "1", "7-4": ["2", "3"], "8-1": "1", "8-1:概要": "複数職員で4情報を照合", "8-2": "1", "9": "1",
              "10": "2", "10:概要": "誤りを訂正し報告済み"}

# code -> (state, answers, unanswered items). state: submitted / draft / none (not started).
KNOWN = {
    "140007": ("submitted", {"1-2": "1", "2": "1", "3": "1", "4": "3", "5": "1", "10": "1"}, []),
    "141003": ("submitted", {"1-1": "1", "2": "3", "2:予定年月": "2024-03", "3": "2", "6": ["1"], "7-1": "1",
                             "7-2": "2", "9": "4", "10": "1"}, []),
    "141500": ("submitted", SAGAMIHARA, []),
    "142042": ("draft", {"1-1": "2"}, []),
    "142051": ("submitted", {"1-1": "2", "2": "4", "3": "1", "4": "1", "5": "2", "6": ["1", "2"], "7-1": "1",
                             "7-2": "1", "7-3": "1", "7-4": ["1", "3", "5"], "8-1": "1",
                             "8-1:概要": "照会文書を住所地に送付して確認", "8-2": "2", "9": "2", "10": "1"}, []),
    "130001": ("submitted", {"1-2": "2", "2": "2", "3": "1", "4": "2", "5": "2", "6": ["2"], "7-1": "2",
                             "7-2": "1", "7-3": "2", "8-1": "2", "9": "3", "10": "3",
                             "10:概要": "=HYPERLINK(\"http://x\") 紐付け誤りの事例"}, []),
    "131016": ("none", {}, []),
    "132012": ("submitted", {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "1", "10": "1"}, ["4"]),
    "270008": ("none", {}, []),
}
# The risk level each submitted organisation must get, by the spec's table (not by the engine).
EXPECTED_RISK = {"140007": "low", "141003": "high", "141500": "high", "142051": "critical",
                 "130001": "critical", "132012": "low"}
# A draft saved after the submission: must not change any figure.
LATER_DRAFT = {"141500": {**SAGAMIHARA, "10": "4", "10:概要": "下書きの変更"}}


def org_info(code):
    return {**CAST_ORGS, **EXTRA_ORGS}[code]


def respondent(org):
    return {"組織区分": org.section_label, "組織名": org.display_name, "担当部署名": "福祉課",
            "回答責任者役職": "課長", "回答責任者氏名": "回答 太郎", "連絡先氏名": "連絡 花子",
            "電話番号": "03-1234-5678", "メールアドレス": "contact@example.jp"}


def _make_org(code):
    from survey.models import Organization

    if code in CAST_ORGS:
        return make_org(code)
    pref, pref_name, name, kana, kind = EXTRA_ORGS[code]
    return Organization.objects.get_or_create(code=code, defaults=dict(
        prefecture_code=pref, prefecture_name=pref_name, name=name, kana=kana, kind=kind))[0]


def build_round(survey_version, *, title="集計テスト回", known=KNOWN, later=LATER_DRAFT):
    """A round over every organisation of `known`, answered as it says, through the service."""
    from survey.models import AnswerFact
    from survey.services.responses import response_save
    from survey.services.rounds import round_create

    orgs = {code: _make_org(code) for code in known}
    rnd = round_create(survey=survey_version, title=title, deadline=timezone.now() + dt.timedelta(days=10),
                       scheme="職業転換給付金制度（訓練手当）関係事務", organizations=list(orgs.values()))
    targets = {t.organization.code: t for t in rnd.targets.select_related("round__survey", "organization")}
    for code, (state, answers, unanswered) in known.items():
        if state == "none":
            continue
        target = targets[code]
        response_save(target=target, answers=answers, respondent=respondent(target.organization),
                      acting_user=None, submit=state == "submitted")
        if unanswered:
            AnswerFact.objects.filter(response__round=rnd, response__organization__code=code,
                                      item__in=unanswered).update(option="")
        if code in later:
            response_save(target=target, answers=later[code], respondent=respondent(target.organization),
                          acting_user=None)
    return rnd


@pytest.fixture
def agg_round(db, orgs, survey_version):
    """The round of KNOWN answers (the cast's organisations plus 藤沢市, 八王子市, 大阪府)."""
    return build_round(survey_version)


@pytest.fixture
def kamakura(db, orgs):
    """An officer of 鎌倉市 (a non-submitter), for the contacts list."""
    from survey.models import User

    return User.objects.create_user("officer@city.kamakura.example.jp", None, name="鎌倉 倉子",
                                    role="officer", organization=orgs["142042"])


def login(client, user):
    """Log in as the portal does (login time, and the second factor where owed)."""
    from tests.cast import signed_in

    return signed_in(client, user)
