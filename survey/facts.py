"""How a submitted answer set is flattened for roll-ups. Pure: no database.

One place decides which rows a submission counts, so the response service, the bulk import
and the benchmarks that bulk-load data all write the same facts.
"""
from survey import engine


def fact_pairs(defn: engine.Definition, org_kind: str, answers: dict) -> list[tuple[str, str]]:
    """(item, option) per applicable item ('' when left unanswered) and one per mark of a marks item.

    Items the branching skips give no row, so "not applicable" is the absence of a row.
    """
    pairs = []
    for item_id in engine.applicable_items(defn, org_kind, answers):
        value = answers.get(item_id)
        options = (value if isinstance(value, list) else [value or ""]) or [""]
        pairs.extend((item_id, option) for option in options)
    return pairs


def fired_rules(risk) -> list[dict]:
    """The rules that raised a risk level, as stored on a version: [{id, level, label}]."""
    return [{"id": r.id, "level": r.level, "label": r.label} for r in risk.fired]
