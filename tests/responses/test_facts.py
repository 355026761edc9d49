"""The flattened rows a submission counts (pure; no database)."""
from survey import engine
from survey.facts import fact_pairs, fired_rules

DEFN = engine.load_definition(engine.DEFINITIONS_DIR / "linkage-2023.1.toml")


def test_short_path_gives_one_row_per_applicable_item_and_one_per_mark():
    answers = {"1-1": "2", "2": "1", "3": "2", "6": ["1", "2"], "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
    assert fact_pairs(DEFN, "municipality", answers) == [
        ("1-1", "2"), ("2", "1"), ("3", "2"), ("6", "1"), ("6", "2"), ("7-1", "1"), ("7-2", "2"),
        ("9", "1"), ("10", "1"),
    ]


def test_an_applicable_item_left_unanswered_is_a_row_with_no_option():
    answers = {"1-2": "2", "2": "1", "3": "2", "7-1": "1", "7-2": "2", "9": "1", "10": "1"}
    pairs = fact_pairs(DEFN, "prefecture", answers)
    assert ("6", "") in pairs
    assert not any(item in {"1-1", "4", "5", "7-3"} for item, _ in pairs)


def test_fired_rules_are_stored_with_id_level_and_label():
    risk = engine.classify_risk(DEFN, {"1-1": "2", "2": "1", "3": "1", "4": "1", "5": "1", "10": "4"}, "municipality")
    rules = fired_rules(risk)
    assert rules and all(set(r) == {"id", "level", "label"} for r in rules)
    assert rules[0]["level"] == "critical"
