"""`Shape.unlocked_in` finds the first unlocked column of a row from the row's own unlocked
columns (kept per row): the same column as walking `cols` and asking each cell."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from survey.workbook.shape import Shape

cells = st.frozensets(st.tuples(st.integers(0, 6), st.integers(0, 12)), max_size=30)
spans = st.tuples(st.integers(0, 14), st.integers(0, 14), st.sampled_from([1, 2, -1]))


def _walked(unlocked, r, cols):
    return next((c for c in cols if (r, c) in unlocked), None) if unlocked else None


@given(cells, st.integers(0, 7), spans)
def test_the_first_unlocked_column_is_the_one_a_walk_of_the_columns_finds(unlocked, r, span):
    start, stop, step = span
    cols = range(start, stop, step)
    assert Shape(unlocked=unlocked).unlocked_in(r, cols) == _walked(unlocked, r, cols)


def test_a_sheet_that_names_no_unlocked_cells_leaves_the_choice_to_the_layout():
    assert Shape(unlocked=None).unlocked_in(0, range(0, 40)) is None
    assert Shape(unlocked=frozenset()).unlocked_in(0, range(0, 40)) is None
    assert Shape(unlocked=frozenset({(3, 5), (3, 2)})).unlocked_in(3, range(3, 40)) == 5
