"""The reader pool's read-ahead: a thread keeps the workers reading while the caller saves."""
from __future__ import annotations

import threading

import pytest

from survey.workbook import SheetReaderPool, write_answer_sheet
from survey.workbook.isolation import _read_ahead
from tests.workbook.answer_sheet_helpers import DEFN, SAGAMIHARA, org_kind_of, read, resolve_org, sample


def test_items_come_in_order_and_the_thread_ends():
    assert list(_read_ahead(iter(range(500)), 7)) == list(range(500))
    assert not any(t.name == "sheet-reader-ahead" for t in threading.enumerate())


def test_the_sources_error_reaches_the_consumer():
    def source():
        yield 1
        raise ValueError("broken")

    got = []
    with pytest.raises(ValueError, match="broken"):
        for item in _read_ahead(source(), 3):
            got.append(item)
    assert got == [1]


def test_a_consumer_that_stops_early_stops_the_thread_and_closes_the_source():
    closed = threading.Event()

    def source():
        try:
            yield from range(10_000)
        finally:
            closed.set()

    reader = _read_ahead(source(), 5)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert closed.is_set()
    assert not any(t.name == "sheet-reader-ahead" for t in threading.enumerate())


def test_a_pool_reading_ahead_gives_what_a_pool_reading_in_step_gives():
    sheets = []
    for seed in range(6):
        answers, respondent = sample(seed=seed)
        sheets.append((f"{seed}.xlsx", write_answer_sheet(DEFN, context=SAGAMIHARA, answers=answers,
                                                          respondent=respondent)))
    sheets.insert(3, ("broken.xlsx", b"PK\x03\x04 not a zip"))
    with SheetReaderPool(2) as pool:
        ahead = list(pool.read_many(sheets, DEFN, resolve_org=resolve_org, org_kind_of=org_kind_of, ahead=4))
    assert [name for name, _ in ahead] == [name for name, _ in sheets]
    for (name, data), (_, result) in zip(sheets, ahead, strict=True):
        expected = read(data, name)
        assert (result.ok, result.answers, result.respondent, result.sha256) == (
            expected.ok, expected.answers, expected.respondent, expected.sha256)
        assert [e.code for e in result.errors] == [e.code for e in expected.errors]
