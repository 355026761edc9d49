"""Not collected by the suite (not test_*.py): tests/infra/test_requirements.py runs it alone."""
import pytest


def test_that_skips():
    pytest.skip("a probe that always skips")
