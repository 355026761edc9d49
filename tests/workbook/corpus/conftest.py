"""The corpus is written once per test session, into a temporary folder."""
import pytest

from .build import write_corpus


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """Case id -> (path, Built) for every case of cases.CASES."""
    return write_corpus(tmp_path_factory.mktemp("corpus"))
