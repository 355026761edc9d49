"""Helpers of the review tests: a submitted response of 相模原市 and the answers it was made from."""
import pytest

from tests.answering.conftest import LONG_ANSWERS, RESPONDENT, SHORT_ANSWERS, login, save, target_of  # noqa: F401
from tests.cast import *  # noqa: F403


@pytest.fixture
def submitted(round_, sagamihara):
    """相模原市's response, submitted once (提出済)."""
    return save(round_, "141500", sagamihara, LONG_ANSWERS, submit=True).version.response


@pytest.fixture
def target(round_, submitted):
    return target_of(round_, "141500")
