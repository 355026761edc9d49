"""The definition file: content, verbatim texts, round trip, and structural checks."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import pytest

import survey.engine as engine
from survey.engine import (
    DEFINITIONS_DIR,
    DefinitionError,
    definition_from_dict,
    definition_to_dict,
    load_definition,
)
from tests.infra.requirements import SHARED_DIR, require

DEFINITION_FILE = DEFINITIONS_DIR / "linkage-2023.1.toml"

REPO = Path(__file__).resolve().parents[2]


def raw_definition() -> dict:
    with open(DEFINITION_FILE, "rb") as fh:
        return tomllib.load(fh)


def test_survey_identity(defn):
    assert (defn.code, defn.version) == ("mynumber-linkage", "2023.1")
    assert defn.title == "マイナンバー情報連携関係実態調査"
    assert defn.scheme == "職業転換給付金制度（訓練手当）関係事務"
    assert defn.respondent_field("制度等").default == defn.scheme


def test_items_are_in_sheet_order(defn):
    assert [i.id for i in defn.items] == [
        "1-1",
        "1-2",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7-1",
        "7-2",
        "7-3",
        "7-4",
        "8-1",
        "8-2",
        "9",
        "10",
    ]
    assert {i.id for i in defn.items if i.kind == "marks"} == {"6", "7-4"}


def test_respondent_fields_follow_the_plan(defn):
    assert [f.label for f in defn.respondent_fields] == [
        "制度等",
        "組織区分",
        "属性",
        "組織名",
        "担当部署名",
        "回答責任者役職",
        "回答責任者氏名",
        "連絡先氏名",
        "電話番号",
        "メールアドレス",
    ]
    assert {f.label for f in defn.respondent_fields if f.filled_by == "ministry"} == {"制度等", "属性"}
    assert defn.respondent_field("組織区分").choices == ("都道府県", "市区町村")
    assert defn.respondent_field("電話番号").kind == "phone"
    assert defn.respondent_field("メールアドレス").kind == "email"


def test_options_carry_codes_and_circled_digits(defn):
    q2 = defn.item("2")
    assert [(o.code, o.mark) for o in q2.options] == [("1", "①"), ("2", "②"), ("3", "③"), ("4", "④")]
    assert q2.option("3").display == "③定める予定である（ 年 月）。"


def test_branching_rules_are_as_in_the_survey(defn):
    gotos = {(i.id, o.code): o.goto for i in defn.items for o in i.options if o.goto}
    assert gotos == {
        ("3", "2"): "6",
        ("5", "1"): "10",
        ("7-2", "2"): "9",
        ("8-1", "2"): "9",
        ("8-1", "3"): "9",
    }
    only_if = {i.id: (i.only_if.item, i.only_if.any_of) for i in defn.items if i.only_if}
    assert only_if == {
        "7-3": ("7-2", ("1",)),
        "7-4": ("7-3", ("1",)),
        "8-1": ("7-2", ("1",)),
        "8-2": ("8-1", ("1",)),
    }
    assert defn.item("1-1").org_kinds == ("municipality",)
    assert defn.item("1-2").org_kinds == ("prefecture",)


def test_followups(defn):
    assert {k: (f.kind, f.when) for k, f in defn.followups.items()} == {
        "2:予定年月": ("month", ("3",)),
        "8-1:概要": ("text", ("1",)),
        "10:概要": ("text", ("2", "3", "4")),
    }
    assert defn.item("1-1").option("1").note.startswith("Q2以降は上記以外の者（住登外者等）")
    assert defn.item("1-2").option("1").note.startswith("Q2以降は上記以外の者")


def test_texts_are_verbatim_from_the_seed(defn):
    require("shared")  # ../shared beside the repository
    seed = next((SHARED_DIR / "seeds").glob("002_*.txt")).read_text(encoding="utf-8")
    sheet_spec = (SHARED_DIR / "spec" / "answer-sheet.md").read_text(encoding="utf-8")
    texts = [g.text for g in defn.guidance] + [f"{f.label}\t{f.guidance}" for f in defn.respondent_fields]
    for item in defn.items:
        texts += [item.text, item.sheet_text, *item.notes]
        texts += [o.text for o in item.options] + [o.note for o in item.options if o.note]
        texts += [o.mark + o.sheet_text for o in item.options if o.sheet_text]
    assert [t for t in texts if t not in seed] == []
    prompts = [f.prompt for f in defn.followups.values()]
    assert [p for p in prompts if p not in seed and p.split(" ")[0] not in sheet_spec] == []


def test_round_trip_through_dict_and_json(defn):
    data = definition_to_dict(defn)
    assert definition_from_dict(data) == defn
    assert definition_from_dict(json.loads(json.dumps(data, ensure_ascii=False))) == defn
    assert definition_to_dict(definition_from_dict(data)) == data


def test_no_item_number_in_engine_code():
    """All rules live in the TOML file: no item id is quoted anywhere in the engine."""
    ids = "|".join(re.escape(i["id"]) for i in raw_definition()["items"])
    quoted = re.compile(rf"[\"']Q?({ids})[\"']")
    for path in Path(engine.__file__).parent.glob("*.py"):
        assert quoted.findall(path.read_text(encoding="utf-8")) == [], path.name


def broken(mutate) -> list[str]:
    data = copy.deepcopy(raw_definition())
    mutate(data)
    with pytest.raises(DefinitionError) as exc:
        definition_from_dict(data)
    return exc.value.problems


def item_of(data: dict, item_id: str) -> dict:
    return next(i for i in data["items"] if i["id"] == item_id)


def test_unknown_goto_target_is_refused():
    problems = broken(lambda d: item_of(d, "3")["options"][1].update(goto="99"))
    assert problems == ["item 3 option 2: goto target '99' is not an item"]


def test_backwards_goto_is_refused():
    problems = broken(lambda d: item_of(d, "5")["options"][0].update(goto="3"))
    assert problems == ["item 5 option 1: goto '3' goes backwards"]


def test_duplicate_item_id_is_refused():
    problems = broken(lambda d: item_of(d, "4").update(id="3"))
    assert "duplicate item id '3'" in problems


def test_typo_in_a_key_is_refused():
    problems = broken(lambda d: item_of(d, "7-4").update(only_iff=item_of(d, "7-4").pop("only_if")))
    assert problems == ["item #11: unknown key 'only_iff'"]


def test_only_if_must_look_back_at_a_one_choice_item():
    problems = broken(lambda d: item_of(d, "7-3").update(only_if={"item": "9", "any_of": ["1"]}))
    assert problems == ["item 7-3.only_if: must refer to an earlier item, not '9'"]
    problems = broken(lambda d: item_of(d, "7-1").update(only_if={"item": "6", "any_of": ["1"]}))
    assert problems == ["item 7-1.only_if: branching may only depend on a one-choice item"]


def test_every_problem_is_listed_at_once():
    def mutate(d):
        item_of(d, "3")["options"][1]["goto"] = "99"
        item_of(d, "2")["options"][2]["mark"] = "⑨"
        item_of(d, "2")["followups"][0]["when"] = ["7"]
        item_of(d, "6")["options"][0]["goto"] = "9"
        item_of(d, "1-1")["org_kinds"] = ["city"]
        d["risk_rules"][0]["level"] = "extreme"
        d["risk_rules"][1]["condition"] = {"item": "8-2", "marked_without": "2"}
        d["risk_rules"].append(dict(d["risk_rules"][2]))
        d["respondent_fields"][1]["kind"] = "dropdown"

    problems = broken(mutate)
    assert problems == [
        "item 1-1: unknown org kind 'city'",
        "item 2 option 3: mark '⑨' does not match its code",
        "item 2 follow-up 予定年月: unknown option '7'",
        "item 3 option 2: goto target '99' is not an item",
        "item 6 option 1: goto is only allowed on one-choice items",
        "respondent field 組織区分: unknown kind 'dropdown'",
        "respondent field 組織区分: is_org_kind needs a choice field whose choices are org kind labels",
        "duplicate risk rule 'multiple_match_left_to_officer'",
        "risk rule unreported_error_not_improved: unknown level 'extreme'",
        "risk rule links_unidentified_person: marked_without needs a marks item",
    ]


def test_option_codes_must_run_in_order():
    problems = broken(lambda d: item_of(d, "9")["options"][3].update(code="5", mark="⑤"))
    assert problems == [
        "item 9 option 5: codes must run 1..n in order, expected '4'",
        "risk rule no_record_no_second_check: unknown option '4' of item 9",
    ]


def test_load_definition_reads_the_file():
    assert load_definition(str(DEFINITION_FILE)) == load_definition(DEFINITION_FILE)


# --- guidance addressed to some organisations or to one channel ---------------------------------


def guidance_of(data: dict, guidance_id: str) -> dict:
    return next(g for g in data["guidance"] if g["id"] == guidance_id)


def test_guidance_marks_its_audience(defn):
    by_id = {g.id: g for g in defn.guidance}
    assert by_id["delegation"].shown_to("prefecture", "web")
    assert not by_id["delegation"].shown_to("municipality", "web")
    assert by_id["input_rules"].shown_to("municipality", "sheet")
    assert not by_id["input_rules"].shown_to("prefecture", "web")
    assert by_id["purpose"].shown_to("municipality", "web") and by_id["purpose"].shown_to("prefecture", "sheet")
    assert [g.id for g in defn.guidance if g.emphasis] == ["cautious_choice"]


def test_unmarked_guidance_keeps_its_dict_form(defn):
    assert guidance_of(engine.definition_to_dict(defn), "purpose").keys() == {"id", "place", "text"}


def test_guidance_for_an_unknown_audience_is_refused():
    problems = broken(lambda d: guidance_of(d, "delegation").update(org_kinds=["village"], channels=["fax"]))
    assert problems == ["guidance delegation: unknown org kind 'village'",
                        "guidance delegation: unknown channel 'fax' (expected one of ('web', 'sheet'))"]
