"""A job's recorded units of work live under result["entries"]; jobs stored before the rename
keep them under "files" and are still read (and, when resumed, carried over)."""
import pytest

from survey.jobs import ENTRIES_KEY, LEGACY_ENTRIES_KEY, JobContext, recorded_entries
from survey.models import Job

pytestmark = pytest.mark.django_db


def test_recorded_units_are_stored_under_entries():
    job = Job.objects.create(kind="sheet_import")
    ctx = JobContext(job)
    ctx.record("a.xlsx", {"status": "imported"})
    ctx.checkpoint()
    job.refresh_from_db()
    assert job.result[ENTRIES_KEY] == [{"key": "a.xlsx", "status": "imported"}]
    assert LEGACY_ENTRIES_KEY not in job.result
    assert recorded_entries(job.result) == job.result[ENTRIES_KEY]


def test_a_job_stored_under_the_old_key_is_read_and_resumed():
    job = Job.objects.create(kind="sheet_import", result={"files": [{"key": "a.xlsx", "status": "imported"}]})
    assert recorded_entries(job.result) == [{"key": "a.xlsx", "status": "imported"}]
    ctx = JobContext(job)
    assert ctx.is_done("a.xlsx") and not ctx.is_done("b.xlsx")
    ctx.record("b.xlsx", {"status": "imported"})
    ctx.checkpoint()
    job.refresh_from_db()
    assert [e["key"] for e in job.result[ENTRIES_KEY]] == ["a.xlsx", "b.xlsx"]
    assert LEGACY_ENTRIES_KEY not in job.result
    assert job.progress == 2


def test_no_entries_at_all_reads_as_empty():
    assert recorded_entries({}) == []
