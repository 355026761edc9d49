"""Showing the survey: answers read-only, labels of answers keys, and the page script's rules.

Pure functions of the definition and canonical values; the form lives in survey.forms.answering.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from survey import engine

CLEARED_NOTICE = "次の回答は、分岐により対象外となったため消去しました：{labels}"
UNDO_LABEL = "元に戻す"
UNDONE_NOTICE = "元に戻しました。消去した回答と、その前の選択を復元しました。"


# HTML names are derived from the definition, never typed by hand: q_<item>, q_<item>__<n>
# for the n-th follow-up of an item, r_<n> for the n-th respondent field.


def item_name(item_id: str) -> str:
    return f"q_{item_id}"


def followup_name(defn: engine.Definition, key: str) -> str:
    f = defn.followups[key]
    index = [x.key for x in defn.item(f.item).followups].index(key) + 1
    return f"q_{f.item}__{index}"


def respondent_name(defn: engine.Definition, label: str) -> str:
    index = [f.label for f in defn.respondent_fields].index(label) + 1
    return f"r_{index}"


def key_labels(defn: engine.Definition, keys) -> list[str]:
    """Human labels of answers keys: "Q4", "Q2 予定年月"."""
    out = []
    for key in keys:
        if key in defn.followups:
            f = defn.followups[key]
            out.append(f"{defn.item(f.item).label} {f.label}")
        else:
            try:
                out.append(defn.item(key).label)
            except KeyError:
                out.append(key)
    return out


def cleared_message(defn: engine.Definition, cleared) -> str:
    return CLEARED_NOTICE.format(labels="、".join(key_labels(defn, cleared))) if cleared else ""


def describe_followup(followup: engine.FollowUp, value) -> str:
    """A follow-up's answer as shown: a month in both calendars (2025年3月（令和7年3月）), text as typed."""
    return engine.month_display(value) if value and followup.kind == "month" else value


def describe_value(defn: engine.Definition, key: str, value) -> str:
    """An answer as text, for tables of changes: "②求めていない。（Q6へ）"."""
    if value in (None, "", []):
        return "（未回答）"
    if key in defn.followups:
        return str(describe_followup(defn.followups[key], value))
    try:
        item = defn.item(key)
    except KeyError:
        return str(value)
    codes = value if isinstance(value, list) else [value]
    return "、".join(item.option(c).display if item.option(c) else str(c) for c in codes)


def intro_guidance(defn: engine.Definition, org_kind: str) -> list[tuple[engine.Guidance, bool]]:
    """(guidance, emphasised) shown above the web questionnaire to `org_kind`, emphasised first.

    Texts the definition addresses to other organisations or to the Excel sheet are left out.
    """
    shown = [g for g in defn.guidance if g.place == "intro" and g.shown_to(org_kind, "web")]
    return sorted(((g, g.emphasis) for g in shown), key=lambda pair: not pair[1])


# --- the data the page's script needs ----------------------------------------------------------


def branching_data(defn: engine.Definition, org_kind: str) -> dict:
    """The definition's branching rules as plain data for static/js/questionnaire.js.

    The script evaluates applicability the way engine.branching does, from these rules only.
    """
    def condition(c):
        return {"item": c.item, "any_of": list(c.any_of)} if c else None

    return {
        "org_kind": org_kind,
        "branching": sorted(defn.branching_ids),
        "items": [
            {
                "id": item.id, "label": item.label, "kind": item.kind, "name": item_name(item.id),
                "org_kinds": list(item.org_kinds), "only_if": condition(item.only_if),
                "options": [{"code": o.code, "goto": o.goto} for o in item.options],
                "followups": [
                    {"key": f.key, "label": f"{item.label} {f.label}", "when": list(f.when),
                     "required": f.required, "name": followup_name(defn, f.key)}
                    for f in item.followups
                ],
            }
            for item in defn.items
        ],
        "respondent": [
            respondent_name(defn, f.label) for f in defn.respondent_fields
            if f.required and f.filled_by == "respondent"
        ],
        "cleared_notice": CLEARED_NOTICE,
        "undo_label": UNDO_LABEL,
        "undone_notice": UNDONE_NOTICE,
    }


# --- read-only presentation ------------------------------------------------------------------


@dataclass
class AnswerRow:
    item: engine.Item
    state: str
    options: list[engine.Option]
    followups: list[tuple[engine.FollowUp, str]]
    mark: str = ""  # next round: 変更あり / 新しい項目 against the previous round's survey
    changes: list = field(default_factory=list)  # next round: forms.carryover.OwnChange of this item
    head: str = ""  # the table row's HTML (survey.forms.questionnaire_html.decorate_answer_rows)

    @property
    def not_applicable(self) -> bool:
        return self.state == engine.SKIPPED


def answer_rows(defn: engine.Definition, org_kind: str, answers: dict) -> list[AnswerRow]:
    """Every item with its answer, in survey order; skipped items are marked 対象外."""
    status = engine.item_status(defn, org_kind, answers)
    fstatus = engine.followup_status(defn, org_kind, answers, status)
    rows = []
    for item in defn.items:
        value = answers.get(item.id)
        codes = value if isinstance(value, list) else ([value] if value else [])
        options = [item.option(c) for c in codes if item.option(c)]
        followups = [(f, describe_followup(f, answers.get(f.key, ""))) for f in item.followups
                     if fstatus[f.key] != engine.SKIPPED]
        rows.append(AnswerRow(item=item, state=status[item.id], options=options, followups=followups))
    return rows


def respondent_rows(defn: engine.Definition, respondent: dict) -> list[tuple[str, str]]:
    return [(f.label, respondent.get(f.label, "")) for f in defn.respondent_fields]
