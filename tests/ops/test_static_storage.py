"""The production static storage (config/staticfiles.py): whitenoise's hashed names, each URL made once."""
import json

import pytest

from config.staticfiles import StaticFilesStorage


@pytest.fixture
def storage(tmp_path, settings):
    settings.DEBUG = False
    manifest = {"paths": {"css/portal.css": "css/portal.0123abcd.css"}, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_a_static_url_is_the_manifests_hashed_name(storage):
    assert storage.url("css/portal.css") == "/static/css/portal.0123abcd.css"


def test_a_static_url_is_made_once_per_process(storage):
    first = storage.url("css/portal.css")
    storage.hashed_files["css/portal.css"] = "css/portal.changed.css"  # the manifest is read at start only
    assert storage.url("css/portal.css") is first


def test_a_file_missing_from_the_manifest_still_fails_loudly(storage):
    for _ in range(2):  # and is not remembered as found
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")

