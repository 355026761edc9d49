"""Risk classification of a response and the two status indicators of the answer sheet."""

from __future__ import annotations

from dataclasses import dataclass, field

from .branching import APPLICABLE, PENDING, condition_holds, followup_status, item_status
from .definition import Definition
from .respondent import missing_fields


@dataclass(frozen=True)
class FiredRule:
    id: str
    level: str
    label: str


@dataclass(frozen=True)
class Risk:
    """The highest level among the fired rules (the lowest level when none fired)."""

    level: str
    level_label: str
    fired: list[FiredRule] = field(default_factory=list)


def classify_risk(defn: Definition, answers: dict, org_kind: str) -> Risk:
    """Apply the definition's risk rules to the answers of applicable items only."""
    status = item_status(defn, org_kind, answers)
    rank = {lv.id: lv.rank for lv in defn.risk_levels}
    fired = [
        FiredRule(r.id, r.level, r.label)
        for r in defn.risk_rules
        if status[r.condition.item] == APPLICABLE
        and condition_holds(defn, r.condition, answers.get(r.condition.item))
    ]
    fired.sort(key=lambda f: -rank[f.level])  # stable: definition order within a level
    lowest = min(defn.risk_levels, key=lambda lv: lv.rank)
    top = next((lv for lv in defn.risk_levels if fired and lv.id == fired[0].level), lowest)
    return Risk(top.id, top.label, fired)


def indicators(
    defn: Definition, org_kind: str, answers: dict, respondent: dict, *, attached=frozenset()
) -> dict[str, bool]:
    """The sheet's 情報未入力あり / 未回答あり flags.

    info_missing: a required field the respondent fills is empty (ministry fields are not
    counted). unanswered: an applicable item is unanswered, an item is still pending (its
    branching answer is missing), or a required follow-up of a chosen option is empty
    (a file in `attached` counts for follow-ups that take attachments).
    """
    status = item_status(defn, org_kind, answers)
    fstatus = followup_status(defn, org_kind, answers, status)
    open_items = any(s == PENDING or (s == APPLICABLE and not answers.get(i)) for i, s in status.items())
    open_followups = any(
        s == APPLICABLE
        and defn.followups[k].required
        and not answers.get(k)
        and not (defn.followups[k].attachments and k in attached)
        for k, s in fstatus.items()
    )
    return {
        "info_missing": bool(missing_fields(defn, respondent)),
        "unanswered": open_items or open_followups,
    }
