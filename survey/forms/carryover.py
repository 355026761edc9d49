"""Showing a next round: what changed in the survey, and the officer's changes against last time.

Pure functions of two definitions and canonical values (survey.engine.carryover does the
matching); the views pass the rows to the templates.
"""
from __future__ import annotations

from dataclasses import dataclass

from survey import engine
from survey.forms.presenting import describe_value

CHANGED_MARK = "変更あり"
ADDED_MARK = "新しい項目"


@dataclass(frozen=True)
class DiffRow:
    label: str
    what: str


def diff_rows(old: engine.Definition, new: engine.Definition) -> list[DiffRow]:
    """What changed between two versions of the survey, in the new version's order, in Japanese."""
    diff = engine.definition_diff(old, new)
    rows = []
    for item in new.items:
        if item.id in diff.added:
            rows.append(DiffRow(item.label, "新しい項目"))
        elif (change := diff.change_of(item.id)) is not None:
            rows.append(DiffRow(item.label, "、".join(_what(old.item(item.id), change))))
    rows += [DiffRow(old.item(i).label, "削除された項目") for i in diff.removed]
    return rows


def _what(old_item: engine.Item, change: engine.ItemChange) -> list[str]:
    parts = []
    if change.kind_changed:
        parts.append("回答方法の変更")
    if change.text_changed:
        parts.append("設問文の変更")
    if change.options_reworded:
        parts.append("選択肢の文言の変更（" + "".join(old_item.option(c).mark for c in change.options_reworded) + "）")
    if change.options_removed:
        parts.append("選択肢の削除（" + "、".join(old_item.option(c).display for c in change.options_removed) + "）")
    if change.options_added:
        parts.append(f"選択肢の追加（{len(change.options_added)}件）")
    return parts


def item_marks(old: engine.Definition | None, new: engine.Definition) -> dict[str, str]:
    """{item id: 変更あり / 新しい項目} of the new version against the previous round's (none without one)."""
    if old is None:
        return {}
    diff = engine.definition_diff(old, new)
    return {**dict.fromkeys(diff.changed_ids, CHANGED_MARK), **dict.fromkeys(diff.added, ADDED_MARK)}


@dataclass(frozen=True)
class OwnChange:
    """One answer on the confirmation page against last time: `before` (previous round), `now`."""

    key: str
    label: str
    before: str
    now: str


def own_changes(old: engine.Definition, new: engine.Definition, before: dict, now: dict) -> dict[str, OwnChange]:
    """{answers key: change} for every answer of `now` that differs from the previous round's,
    matched by key; values read in their own version (an option as it was worded then)."""
    changes = {}
    for item in new.items:
        for key in (item.id, *(f.key for f in item.followups)):
            if before.get(key) == now.get(key):
                continue
            label = item.label if key == item.id else f"{item.label} {new.followups[key].label}"
            was = describe_value(old, key, before.get(key)) if _known(old, key) else "（前回なし）"
            changes[key] = OwnChange(key, label, was, describe_value(new, key, now.get(key)))
    return changes


def _known(defn: engine.Definition, key: str) -> bool:
    if key in defn.followups:
        return True
    return any(i.id == key for i in defn.items)


def decorate_rows(rows, marks: dict[str, str], changes: dict[str, OwnChange] | None = None) -> None:
    """Put each item's mark and its own changes (item and follow-ups) on its row (AnswerRow, ItemView)."""
    for row in rows:
        row.mark = marks.get(row.item.id, "")
        if changes is not None:
            keys = (row.item.id, *(f.key for f in row.item.followups))
            row.changes = [changes[k] for k in keys if k in changes]
