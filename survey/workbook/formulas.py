"""The sheet's two indicator formulas, derived from the definition's branching.

Every formula is built as a small expression tree that renders to Excel text and can also be
evaluated in Python over the cells' texts (the tests check that evaluation against the
engine). Per-item applicability lives in hidden helper cells (1 / 0), so each formula stays
short: an item applies when its org kinds include the organisation's, its `only_if` holds on
an applicable source, and no earlier applicable item chose an option whose go-to jumps past it.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey.engine import Definition, Item

Values = dict[str, str]  # cell address -> text as typed ("" when empty)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _wide(code: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in code)


class Expr:
    def render(self) -> str:
        raise NotImplementedError

    def eval(self, values: Values) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Filled(Expr):
    """The cell holds something other than spaces."""

    ref: str

    def render(self) -> str:
        return f'TRIM({self.ref})<>""'

    def eval(self, values: Values) -> bool:
        return bool(values.get(self.ref, "").strip())


@dataclass(frozen=True)
class Chosen(Expr):
    """A one-choice cell names this option: starts with its circled digit or is its number."""

    ref: str
    mark: str
    code: str

    def render(self) -> str:
        r = f"TRIM({self.ref})"
        return (f"OR(LEFT({r},1)={_quote(self.mark)},{r}={_quote(self.code)},"
                f"{r}={_quote(_wide(self.code))})")

    def eval(self, values: Values) -> bool:
        text = values.get(self.ref, "").strip()
        return text[:1] == self.mark or text in (self.code, _wide(self.code))


@dataclass(frozen=True)
class Flag(Expr):
    """A helper cell holding 1 (item applies) or 0."""

    ref: str

    def render(self) -> str:
        return f"{self.ref}=1"

    def eval(self, values: Values) -> bool:
        return values.get(self.ref) == "1"


@dataclass(frozen=True)
class Not(Expr):
    term: Expr

    def render(self) -> str:
        return f"NOT({self.term.render()})"

    def eval(self, values: Values) -> bool:
        return not self.term.eval(values)


@dataclass(frozen=True)
class _Many(Expr):
    terms: tuple[Expr, ...]
    name = ""
    empty = True

    def render(self) -> str:
        if not self.terms:
            return "TRUE" if self.empty else "FALSE"
        if len(self.terms) == 1:
            return self.terms[0].render()
        return f"{self.name}(" + ",".join(t.render() for t in self.terms) + ")"


class And(_Many):
    name, empty = "AND", True

    def eval(self, values: Values) -> bool:
        return all(t.eval(values) for t in self.terms)


class Or(_Many):
    name, empty = "OR", False

    def eval(self, values: Values) -> bool:
        return any(t.eval(values) for t in self.terms)


@dataclass(frozen=True)
class Cells:
    """Where the writer put things: answer cell per item / follow-up key, mark cells per
    (item, code), helper cell per item, input cell per respondent field label."""

    answer: dict[str, str]
    marks: dict[tuple[str, str], str]
    helper: dict[str, str]
    respondent: dict[str, str]


def _answered(item: Item, cells: Cells) -> Expr:
    if item.kind == "marks":
        return Or(tuple(Filled(cells.marks[(item.id, o.code)]) for o in item.options))
    return Filled(cells.answer[item.id])


def _picked(defn: Definition, item_id: str, codes, cells: Cells) -> Expr:
    """The item's answer is one of `codes` (marks item: one of them is marked)."""
    item = defn.item(item_id)
    if item.kind == "marks":
        return Or(tuple(Filled(cells.marks[(item_id, c)]) for c in codes))
    return Or(tuple(Chosen(cells.answer[item_id], item.option(c).mark, c) for c in codes))


def applicability(defn: Definition, org_kind: str, item: Item, cells: Cells) -> Expr:
    """When `item` applies, in terms of the answer cells and earlier helper cells."""
    if item.org_kinds and org_kind not in item.org_kinds:
        return Or(())
    terms: list[Expr] = []
    if item.only_if:
        cond = item.only_if
        picked = _picked(defn, cond.item, cond.any_of, cells)
        if cond.marked_without is not None:
            src = defn.item(cond.item)
            picked = And((_answered(src, cells), Not(Filled(cells.marks[(cond.item, cond.marked_without)]))))
        terms += [Flag(cells.helper[cond.item]), picked]
    index = {i.id: n for n, i in enumerate(defn.items)}
    for earlier in defn.items[: index[item.id]]:
        for option in earlier.options:
            if option.goto and index[option.goto] > index[item.id]:
                jump = And((Flag(cells.helper[earlier.id]), _picked(defn, earlier.id, [option.code], cells)))
                terms.append(Not(jump))
    return And(tuple(terms))


def unanswered(defn: Definition, cells: Cells) -> Expr:
    """Some applicable item, or required follow-up of a chosen option, is empty."""
    terms: list[Expr] = []
    for item in defn.items:
        applies = Flag(cells.helper[item.id])
        terms.append(And((applies, Not(_answered(item, cells)))))
        for f in item.followups:
            if f.required and f.key in cells.answer:
                chosen = _picked(defn, item.id, f.when, cells)
                terms.append(And((applies, chosen, Not(Filled(cells.answer[f.key])))))
    return Or(tuple(terms))


def info_missing(defn: Definition, cells: Cells) -> Expr:
    """Some required field that the respondent fills is empty."""
    return Or(tuple(
        Not(Filled(cells.respondent[f.label]))
        for f in defn.respondent_fields
        if f.required and f.filled_by == "respondent"
    ))


def helper_values(defn: Definition, org_kind: str, cells: Cells, values: Values) -> Values:
    """`values` plus every helper cell's result ("1"/"0"), computed in survey order."""
    values = dict(values)
    for item in defn.items:
        expr = applicability(defn, org_kind, item, cells)
        values[cells.helper[item.id]] = "1" if expr.eval(values) else "0"
    return values
