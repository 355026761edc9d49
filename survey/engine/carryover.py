"""Next round: what changed between two survey versions, and carrying answers across them.

Items and options are matched by id and code, never by position or text. `definition_diff`
says which items were added, removed or changed (their text, notes or options); the web form
marks changed items 変更あり. `carry_answers` turns a previous round's answers into answers of
the new version: an answer to a removed item or option is dropped and the officer told why, a
new item starts empty, and what the new branching skips is cleared. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages
from .branching import clear_inapplicable
from .definition import Definition, Item, Option


@dataclass(frozen=True)
class ItemChange:
    """How one item present in both versions changed (only items that did are listed)."""

    item: str
    text_changed: bool
    options_added: tuple[str, ...] = ()
    options_removed: tuple[str, ...] = ()
    options_reworded: tuple[str, ...] = ()
    kind_changed: bool = False

    @property
    def options_changed(self) -> bool:
        return bool(self.options_added or self.options_removed or self.options_reworded)


@dataclass(frozen=True)
class DefinitionDiff:
    """Items of `new` not in `old` (added), of `old` not in `new` (removed), and changed items."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[ItemChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def change_of(self, item_id: str) -> ItemChange | None:
        return next((c for c in self.changed if c.item == item_id), None)

    @property
    def changed_ids(self) -> frozenset[str]:
        return frozenset(c.item for c in self.changed)


@dataclass(frozen=True)
class CarryNotice:
    """One thing the officer should know about the carried answers (`key`: the answers key)."""

    key: str
    code: str
    message: str


@dataclass(frozen=True)
class Carried:
    answers: dict
    notices: tuple[CarryNotice, ...]


def _option_wording(option: Option) -> tuple:
    return option.text, option.sheet_text, option.note


def _item_change(old: Item, new: Item) -> ItemChange | None:
    old_options, new_options = {o.code: o for o in old.options}, {o.code: o for o in new.options}
    change = ItemChange(
        item=new.id,
        text_changed=(old.text, old.sheet_text, old.notes) != (new.text, new.sheet_text, new.notes),
        options_added=tuple(c for c in new_options if c not in old_options),
        options_removed=tuple(c for c in old_options if c not in new_options),
        options_reworded=tuple(c for c, o in new_options.items()
                               if c in old_options and _option_wording(old_options[c]) != _option_wording(o)),
        kind_changed=old.kind != new.kind,
    )
    return change if change.text_changed or change.options_changed or change.kind_changed else None


def definition_diff(old: Definition, new: Definition) -> DefinitionDiff:
    """What changed from `old` to `new`, item by item (matched by item id, options by code)."""
    old_ids = {i.id for i in old.items}
    new_ids = {i.id for i in new.items}
    changes = [_item_change(old.item(i.id), i) for i in new.items if i.id in old_ids]
    return DefinitionDiff(
        added=tuple(i.id for i in new.items if i.id not in old_ids),
        removed=tuple(i.id for i in old.items if i.id not in new_ids),
        changed=tuple(c for c in changes if c is not None),
    )


def _shown(item: Item, value) -> str:
    codes = value if isinstance(value, list) else [value]
    return "、".join(item.option(c).display if item.option(c) else str(c) for c in codes)


def _carry_item(old: Item, new: Item | None, value, notices: list[CarryNotice]):
    """The value of one item in the new version (None: dropped, with a notice)."""
    if new is None:
        notices.append(CarryNotice(old.id, "item_removed", messages.CARRY_ITEM_REMOVED.format(
            label=old.label, value=_shown(old, value))))
        return None
    if new.kind != old.kind:
        notices.append(CarryNotice(old.id, "kind_changed", messages.CARRY_KIND_CHANGED.format(
            label=old.label, value=_shown(old, value))))
        return None
    codes = value if isinstance(value, list) else [value]
    kept = [c for c in codes if c in new.codes]
    for code in codes:
        if code not in new.codes:
            option = old.option(code)
            notices.append(CarryNotice(old.id, "option_removed", messages.CARRY_OPTION_REMOVED.format(
                label=old.label, option=option.display if option else code)))
    if not kept:
        return None
    return kept if new.kind == "marks" else kept[0]


def carry_answers(old: Definition, new: Definition, org_kind: str, answers: dict) -> Carried:
    """`answers` (canonical, of `old`) as answers of `new`, with a notice per answer not carried.

    Matched by item id and option code; a follow-up is carried when `new` has a follow-up of the
    same item, label and kind. Items added in `new` stay unanswered. Then whatever `new`'s
    branching skips is cleared (a notice each), so the result is a valid draft of `new`.
    """
    carried: dict = {}
    notices: list[CarryNotice] = []
    new_items = {i.id: i for i in new.items}
    for old_item in old.items:
        if old_item.id in answers:
            value = _carry_item(old_item, new_items.get(old_item.id), answers[old_item.id], notices)
            if value is not None:
                carried[old_item.id] = value
        for f in old_item.followups:
            if f.key not in answers:
                continue
            same = new.followups.get(f.key)
            if same is not None and same.kind == f.kind and old_item.id in carried:
                carried[f.key] = answers[f.key]
            elif same is None or same.kind != f.kind:
                notices.append(CarryNotice(f.key, "followup_removed", messages.CARRY_FOLLOWUP_REMOVED.format(
                    label=old_item.label, followup=f.label)))
    kept, cleared = clear_inapplicable(new, org_kind, carried)
    for key in cleared:
        if key in new_items:  # a cleared follow-up goes with its item; one notice is enough
            notices.append(CarryNotice(key, "not_applicable", messages.CARRY_NOT_APPLICABLE.format(
                label=new_items[key].label)))
    return Carried(answers=kept, notices=tuple(notices))
