"""/healthz answers without the database; /readyz checks database, Redis, a worker, storage, disk."""
import json
import os

import pytest

from config import health
from tests.infra.requirements import require


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_with_every_service_up(client, db, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.READY_MIN_FREE_DISK_MB = 1
    response = client.get("/readyz")
    body = response.json()
    assert set(body["checks"]) >= {"database", "storage", "disk_private", "disk_tmp"}
    if os.environ.get("REDIS_URL"):
        assert "redis" in body["checks"]
    assert response.status_code == 200, body
    assert body == {"status": "ok", "checks": {name: "OK" for name in body["checks"]}}


def test_readyz_answer_names_no_host_or_port(client, db, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    text = client.get("/readyz").content.decode()
    assert "127.0.0.1" not in text and "port" not in text


def test_readyz_fails_when_free_disk_is_below_the_threshold(client, db, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.READY_MIN_FREE_DISK_MB = 10**9  # a petabyte
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "below" in body["checks"]["disk_private"]


def test_readyz_fails_when_the_private_storage_is_not_writable(client, db, settings, tmp_path):
    if os.geteuid() == 0:
        settings.PRIVATE_STORAGE_ROOT = "/proc/chosa-not-writable"  # even root cannot write there
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        settings.PRIVATE_STORAGE_ROOT = tmp_path / "ro"
    settings.READY_MIN_FREE_DISK_MB = 0
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] != "OK"


def test_readyz_fails_without_a_worker_when_tasks_go_to_workers(client, db, settings, tmp_path):
    require("redis")
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/readyz")  # no worker runs in this test
    assert response.status_code == 503
    assert "worker" in json.loads(response.content)["checks"]
    assert response.json()["checks"]["worker"] != "OK"


@pytest.mark.worker
def test_readyz_sees_a_running_worker(real_celery, client, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.READY_MIN_FREE_DISK_MB = 1
    response = client.get("/readyz")
    assert response.json()["checks"]["worker"] == "OK"
    assert response.status_code == 200, response.json()


def test_free_disk_check_walks_up_to_an_existing_folder(tmp_path):
    check = health.FreeDisk(path=str(tmp_path / "not" / "yet"), min_bytes=1)
    check.run()  # no exception
