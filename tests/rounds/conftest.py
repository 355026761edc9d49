"""Fixtures of the round lifecycle tests: a round whose deadline passed, 相模原市 extended."""
import datetime as dt

import pytest
from django.utils import timezone

from tests.answering.conftest import login, target_of  # noqa: F401
from tests.cast import *  # noqa: F403

REASON = "台風被害の対応のため"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def past_deadline(round_, ministry):
    """The round's deadline passed an hour ago; 相模原市 (141500) was given two more days, 横浜市 not."""
    from survey.services.rounds import target_extend

    round_.deadline = timezone.now() - dt.timedelta(hours=1)
    round_.save()
    target_extend(target=target_of(round_, "141500"), deadline=timezone.now() + dt.timedelta(days=2),
                  reason=REASON, acting_user=ministry)
    return round_
