"""The export job through the real Celery worker (committed data, another process)."""
import io
import time

import openpyxl
import pytest

from aggregation.services import EXPORT_KIND, export_start, snapshot_create, snapshot_verify
from survey.models import Job
from survey.storage import private_delete, private_read
from tests.aggregation.conftest import KNOWN, build_round
from tests.cast import ministry, orgs, survey_version  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.worker]


def wait_for(job: Job, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job.pk} still {job.status} after {seconds}s: {job.messages}")


def test_the_worker_builds_the_workbook_from_a_snapshot(real_celery, survey_version, ministry):  # noqa: F811
    rnd = build_round(survey_version, title="ワーカー集計")
    snapshot = snapshot_create(round=rnd, acting_user=ministry, label="締切")  # outside a transaction: REPEATABLE READ
    assert snapshot_verify(snapshot).ok
    job = wait_for(export_start(round=rnd, acting_user=ministry, snapshot=snapshot))
    try:
        assert job.kind == EXPORT_KIND and job.status == Job.Status.DONE, job.messages
        assert job.attempts == 1 and job.progress == job.total == len(KNOWN)
        assert job.result["figures"]["verified"] is True
        book = openpyxl.load_workbook(io.BytesIO(private_read(job.result_path)))
        codes = [r[0] for r in book["回答一覧"].iter_rows(min_row=2, values_only=True)]
        assert codes == sorted(KNOWN)
    finally:
        private_delete(job.result_path)
