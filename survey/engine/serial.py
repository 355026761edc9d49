"""Dict (TOML / JSON) form of the definition, both ways.

Reading is strict about shape: an unknown or missing key is an error, so that a typo in the
TOML file (`only_iff`) is caught instead of silently changing the survey.
"""

from __future__ import annotations

from typing import Any

from .definition import (
    Condition,
    Definition,
    DefinitionError,
    FieldCheck,
    FollowUp,
    Guidance,
    Item,
    Option,
    OrgKind,
    RespondentField,
    RiskLevel,
    RiskRule,
)


def _keys(data: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    """Check that `data` is a table with exactly the allowed keys."""
    if not isinstance(data, dict):
        raise DefinitionError([f"{where}: expected a table, got {type(data).__name__}"])
    problems = [f"{where}: missing key {k!r}" for k in sorted(required - data.keys())]
    problems += [f"{where}: unknown key {k!r}" for k in sorted(data.keys() - required - optional)]
    if problems:
        raise DefinitionError(problems)
    return data


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise DefinitionError([f"{where}: expected a list of strings"])
    return tuple(value)


def _condition(data: Any, where: str) -> Condition:
    d = _keys(data, where, {"item"}, {"any_of", "marked_without"})
    return Condition(
        item=str(d["item"]),
        any_of=_strs(d.get("any_of", []), f"{where}.any_of"),
        marked_without=d.get("marked_without"),
    )


def _option(data: Any, where: str) -> Option:
    d = _keys(data, where, {"code", "mark", "text"}, {"sheet_text", "goto", "note"})
    return Option(**{k: (str(v) if k in ("code", "goto") else v) for k, v in d.items()})


def _followup(item_id: str, data: Any, where: str) -> FollowUp:
    d = _keys(data, where, {"label", "kind", "when", "prompt"}, {"required", "attachments", "max_length"})
    return FollowUp(item=item_id, **{**d, "when": _strs(d["when"], f"{where}.when")})


def _item(data: Any, where: str) -> Item:
    required = {"id", "label", "kind", "text", "sheet_text", "options"}
    d = _keys(data, where, required, {"org_kinds", "only_if", "followups", "notes"})
    item_id = str(d["id"])
    where = f"item {item_id}"
    return Item(
        id=item_id,
        label=d["label"],
        kind=d["kind"],
        text=d["text"],
        sheet_text=d["sheet_text"],
        options=tuple(_option(o, f"{where} option {n}") for n, o in enumerate(d["options"], 1)),
        org_kinds=_strs(d.get("org_kinds", []), f"{where}.org_kinds"),
        only_if=_condition(d["only_if"], f"{where}.only_if") if d.get("only_if") else None,
        followups=tuple(
            _followup(item_id, f, f"{where} follow-up {n}") for n, f in enumerate(d.get("followups", []), 1)
        ),
        notes=_strs(d.get("notes", []), f"{where}.notes"),
    )


def _check(data: Any, where: str) -> FieldCheck:
    d = _keys(data, where, {"kind", "code", "message"}, {"severity", "pattern", "keywords", "exclude"})
    return FieldCheck(
        **{
            **d,
            "keywords": _strs(d.get("keywords", []), where),
            "exclude": _strs(d.get("exclude", []), where),
        }
    )


def _respondent_field(data: Any, where: str) -> RespondentField:
    optional = {"guidance", "choices", "default", "aliases", "strip_spaces", "checks", "is_org_kind"}
    d = _keys(data, where, {"label", "kind", "filled_by", "required"}, optional)
    aliases = d.get("aliases", {})
    if not isinstance(aliases, dict):
        aliases = dict(aliases)  # to_dict writes pairs as a table; accept pairs too
    return RespondentField(
        **{
            **d,
            "choices": _strs(d.get("choices", []), f"{where}.choices"),
            "aliases": tuple((str(k), str(v)) for k, v in aliases.items()),
            "checks": tuple(_check(c, f"{where} check {n}") for n, c in enumerate(d.get("checks", []), 1)),
        }
    )


def _simple(cls, data: Any, where: str, required: set[str], optional: set[str] = frozenset()):
    return cls(**_keys(data, where, required, optional))


def _guidance(data: Any, where: str) -> Guidance:
    d = _keys(data, where, {"id", "place", "text"}, {"org_kinds", "channels", "emphasis"})
    if not isinstance(d.get("emphasis", False), bool):
        raise DefinitionError([f"{where}.emphasis: expected true or false"])
    return Guidance(
        id=d["id"], place=d["place"], text=d["text"],
        org_kinds=_strs(d.get("org_kinds", []), f"{where}.org_kinds"),
        channels=_strs(d.get("channels", []), f"{where}.channels"),
        emphasis=d.get("emphasis", False),
    )


def _guidance_dict(g: Guidance) -> dict[str, Any]:
    """Only the keys a text sets: unmarked guidance keeps the dict form (and digest) it had."""
    out: dict[str, Any] = {"id": g.id, "place": g.place, "text": g.text}
    if g.org_kinds:
        out["org_kinds"] = list(g.org_kinds)
    if g.channels:
        out["channels"] = list(g.channels)
    if g.emphasis:
        out["emphasis"] = True
    return out


def build_definition(data: dict[str, Any]) -> Definition:
    """Build a Definition from its dict form, without the semantic checks (loading.py adds them)."""
    d = _keys(
        data,
        "definition",
        {"survey", "org_kinds", "respondent_fields", "items", "risk_levels"},
        {"guidance", "risk_rules"},
    )
    s = _keys(
        d["survey"], "survey", {"code", "version", "title", "sheet_title", "scheme", "marks"}, {"deadline"}
    )
    return Definition(
        code=s["code"],
        version=str(s["version"]),
        title=s["title"],
        sheet_title=s["sheet_title"],
        scheme=s["scheme"],
        deadline=s.get("deadline"),
        marks=_strs(s["marks"], "survey.marks"),
        org_kinds=tuple(_simple(OrgKind, k, "org_kind", {"id", "label"}) for k in d["org_kinds"]),
        guidance=tuple(_guidance(g, f"guidance {n}") for n, g in enumerate(d.get("guidance", []), 1)),
        respondent_fields=tuple(
            _respondent_field(f, f"respondent field {n}") for n, f in enumerate(d["respondent_fields"], 1)
        ),
        items=tuple(_item(i, f"item #{n}") for n, i in enumerate(d["items"], 1)),
        risk_levels=tuple(
            _simple(RiskLevel, r, "risk level", {"id", "label", "rank"}) for r in d["risk_levels"]
        ),
        risk_rules=tuple(_risk_rule(r, f"risk rule {n}") for n, r in enumerate(d.get("risk_rules", []), 1)),
    )


def _risk_rule(data: Any, where: str) -> RiskRule:
    d = _keys(data, where, {"id", "level", "label", "condition"}, set())
    return RiskRule(**{**d, "condition": _condition(d["condition"], f"{where}.condition")})


def _condition_dict(c: Condition) -> dict[str, Any]:
    out: dict[str, Any] = {"item": c.item}
    if c.any_of:
        out["any_of"] = list(c.any_of)
    if c.marked_without is not None:
        out["marked_without"] = c.marked_without
    return out


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _item_dict(i: Item) -> dict[str, Any]:
    out = {
        "id": i.id,
        "label": i.label,
        "kind": i.kind,
        "text": i.text,
        "sheet_text": i.sheet_text,
        "options": [_drop_none(dict(o.__dict__)) for o in i.options],
        "org_kinds": list(i.org_kinds),
        "followups": [
            _drop_none({k: (list(v) if k == "when" else v) for k, v in f.__dict__.items() if k != "item"})
            for f in i.followups
        ],
        "notes": list(i.notes),
    }
    if i.only_if:
        out["only_if"] = _condition_dict(i.only_if)
    return out


def _field_dict(f: RespondentField) -> dict[str, Any]:
    checks = [
        _drop_none({**c.__dict__, "keywords": list(c.keywords), "exclude": list(c.exclude)}) for c in f.checks
    ]
    return _drop_none(
        {**f.__dict__, "choices": list(f.choices), "aliases": dict(f.aliases), "checks": checks}
    )


def definition_to_dict(defn: Definition) -> dict[str, Any]:
    """The plain dict form (JSON- and TOML-safe) of a definition."""
    return {
        "survey": _drop_none(
            {
                "code": defn.code,
                "version": defn.version,
                "title": defn.title,
                "sheet_title": defn.sheet_title,
                "scheme": defn.scheme,
                "deadline": defn.deadline,
                "marks": list(defn.marks),
            }
        ),
        "org_kinds": [dict(k.__dict__) for k in defn.org_kinds],
        "guidance": [_guidance_dict(g) for g in defn.guidance],
        "respondent_fields": [_field_dict(f) for f in defn.respondent_fields],
        "items": [_item_dict(i) for i in defn.items],
        "risk_levels": [dict(r.__dict__) for r in defn.risk_levels],
        "risk_rules": [
            {"id": r.id, "level": r.level, "label": r.label, "condition": _condition_dict(r.condition)}
            for r in defn.risk_rules
        ],
    }
