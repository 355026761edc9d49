"""The survey definition as frozen dataclasses, read from the versioned TOML file.

Only the types live here; `loading.definition_from_dict` reads the TOML shape (also what
`serial.definition_to_dict` writes and the database stores) and checks the structure (see
`structure.py`); a bad definition raises `DefinitionError` listing every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .memo import Memo

ITEM_KINDS = ("one", "marks")
FOLLOWUP_KINDS = ("month", "text")
FIELD_KINDS = ("choice", "text", "phone", "email")
FILLERS = ("ministry", "respondent")
CHECK_KINDS = ("pattern", "keywords_any")
SEVERITIES = ("error", "warning")


class DefinitionError(ValueError):
    """The definition itself is malformed; `problems` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("survey definition is invalid:\n- " + "\n- ".join(self.problems))


@dataclass(frozen=True)
class Condition:
    """`any_of`: the answer is (one item) or marks (marks item) one of the codes;
    `marked_without`: a marks item is answered and this code is not marked."""

    item: str
    any_of: tuple[str, ...] = ()
    marked_without: str | None = None


@dataclass(frozen=True)
class Option:
    code: str
    mark: str
    text: str
    sheet_text: str | None = None
    goto: str | None = None
    note: str | None = None

    @property
    def display(self) -> str:
        """The option as shown in lists and drop-downs: circled digit + text."""
        return f"{self.mark}{self.text}"


@dataclass(frozen=True)
class FollowUp:
    item: str
    label: str
    kind: str
    when: tuple[str, ...]
    prompt: str
    required: bool = True
    attachments: bool = False
    max_length: int | None = None

    @property
    def key(self) -> str:
        """The answers key of this follow-up, e.g. "2:予定年月"."""
        return f"{self.item}:{self.label}"


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    kind: str
    text: str
    sheet_text: str
    options: tuple[Option, ...]
    org_kinds: tuple[str, ...] = ()
    only_if: Condition | None = None
    followups: tuple[FollowUp, ...] = ()
    notes: tuple[str, ...] = ()

    @cached_property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    def option(self, code: str) -> Option | None:
        """The option with this code, or None."""
        try:
            return self._options_by_code.get(code)
        except TypeError:  # an unhashable value is no code
            return None

    @cached_property
    def _options_by_code(self) -> dict[str, Option]:
        return {o.code: o for o in reversed(self.options)}  # the first option wins a repeated code


@dataclass(frozen=True)
class FieldCheck:
    kind: str
    code: str
    message: str
    severity: str = "error"
    pattern: str | None = None
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class RespondentField:
    label: str
    kind: str
    filled_by: str
    required: bool
    guidance: str = ""
    choices: tuple[str, ...] = ()
    default: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    strip_spaces: bool = False
    is_org_kind: bool = False
    checks: tuple[FieldCheck, ...] = ()


@dataclass(frozen=True)
class OrgKind:
    id: str
    label: str


CHANNELS = ("web", "sheet")  # where a text is shown: the web form, the Excel answer sheet


@dataclass(frozen=True)
class Guidance:
    """A text for respondents. Empty `org_kinds` / `channels` mean every kind / everywhere;
    `emphasis` puts it first and marks it."""

    id: str
    place: str
    text: str
    org_kinds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    emphasis: bool = False

    def shown_to(self, org_kind: str, channel: str) -> bool:
        """True if this text is meant for `org_kind` answering through `channel`."""
        return (not self.org_kinds or org_kind in self.org_kinds) and (not self.channels or channel in self.channels)


@dataclass(frozen=True)
class RiskLevel:
    id: str
    label: str
    rank: int


@dataclass(frozen=True)
class RiskRule:
    id: str
    level: str
    label: str
    condition: Condition


@dataclass(frozen=True)
class Definition:
    code: str
    version: str
    title: str
    sheet_title: str
    scheme: str
    deadline: str | None
    marks: tuple[str, ...]
    org_kinds: tuple[OrgKind, ...]
    guidance: tuple[Guidance, ...]
    respondent_fields: tuple[RespondentField, ...]
    items: tuple[Item, ...]
    risk_levels: tuple[RiskLevel, ...]
    risk_rules: tuple[RiskRule, ...] = ()

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if there is none)."""
        return self._items_by_id[item_id]

    def respondent_field(self, label: str) -> RespondentField:
        """The respondent field with this label (KeyError if there is none)."""
        return self._fields_by_label[label]

    def org_kind_label(self, org_kind: str) -> str:
        return next(k.label for k in self.org_kinds if k.id == org_kind)

    def check_org_kind(self, org_kind: str) -> None:
        """Raise ValueError for an org kind the definition does not know."""
        if org_kind not in {k.id for k in self.org_kinds}:
            raise ValueError(f"unknown org_kind {org_kind!r}")

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def _fields_by_label(self) -> dict[str, RespondentField]:
        return {f.label: f for f in self.respondent_fields}

    @cached_property
    def followups(self) -> dict[str, FollowUp]:
        """Every follow-up by its answers key, in survey order."""
        return {f.key: f for i in self.items for f in i.followups}

    @cached_property
    def answer_keys(self) -> tuple[str, ...]:
        """Every answers key in survey order: the items, then the follow-ups."""
        return tuple(i.id for i in self.items) + tuple(self.followups)

    @cached_property
    def item_ids(self) -> frozenset[str]:
        """The ids of the items (not the follow-ups)."""
        return frozenset(self._items_by_id)

    @cached_property
    def _answer_key_set(self) -> frozenset[str]:
        return frozenset(self.answer_keys)

    def is_answer_key(self, key: str) -> bool:
        """An item id or a follow-up key of this definition."""
        return key in self._answer_key_set

    @cached_property
    def memo(self) -> Memo:
        """Results of pure engine functions over this definition (see `memo.py`)."""
        return Memo()

    @cached_property
    def branching_ids(self) -> frozenset[str]:
        """Items whose answer decides which later items apply."""
        gotos = {i.id for i in self.items if any(o.goto for o in i.options)}
        referenced = {i.only_if.item for i in self.items if i.only_if}
        return frozenset(gotos | referenced)
