"""Fields the ministry fills (制度等, 属性) belong to the round: engine.ministry_values."""
import pytest

from survey import engine

DEFN = engine.load_definition(engine.DEFINITIONS_DIR / "linkage-2023.1.toml")
SCHEME = "職業転換給付金制度（訓練手当）関係事務"
ROUND = {"制度等": SCHEME, "属性": ""}


def _read(**written):
    values, issues = engine.ministry_values(DEFN, written, ROUND)
    return values, {(i.field, i.code, i.severity) for i in issues}


def test_the_rounds_value_as_written_is_silent():
    assert _read(制度等=SCHEME) == ({"制度等": SCHEME}, set())
    assert _read(制度等="職業転換給付金制度 (訓練手当) 関係事務")[1] == set()  # widths and spaces only


def test_blank_takes_the_rounds_value_with_a_warning():
    assert _read() == ({"制度等": SCHEME}, {("制度等", "ministry_field_filled", "warning")})


@pytest.mark.parametrize("written", ["職業転換給付金制度関係事務", "職業転換給付金制度", "職業転換給付金制度（訓練手当）",
                                     "訓練手当関係事務", "職業転換給付金"])
def test_other_wording_of_the_same_scheme_takes_the_rounds_value_with_a_warning(written):
    assert _read(制度等=written) == ({"制度等": SCHEME}, {("制度等", "ministry_field_reworded", "warning")})


@pytest.mark.parametrize("written", ["雇用保険制度関係事務", "児童手当関係事務", "雇用保険制度（訓練手当）"])
def test_another_scheme_is_an_error(written):
    assert _read(制度等=written)[1] == {("制度等", "ministry_field_mismatch", "error")}


def test_text_in_a_field_the_round_leaves_blank_is_ignored_with_a_warning():
    values, issues = _read(制度等=SCHEME, 属性="訓練手当受給者")
    assert values == {"制度等": SCHEME} and issues == {("属性", "ministry_field_ignored", "warning")}


def test_the_rule_follows_the_definition_not_field_names():
    """A round that sets 属性 holds a copy to it the same way as 制度等."""
    values, issues = engine.ministry_values(DEFN, {"制度等": SCHEME, "属性": "求職者情報"},
                                            {"制度等": SCHEME, "属性": "訓練手当受給者情報"})
    assert values["属性"] == "訓練手当受給者情報"
    assert {(i.field, i.code) for i in issues} == {("属性", "ministry_field_mismatch")}
