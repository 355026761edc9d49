"""A round where some of the cast have not submitted, and the truth the reminder tests count from.

STATES is the story, written out by hand (never computed with the code under test):
神奈川県 and 東京都 have not started, 相模原市 has a draft, 横浜市 submitted, 鎌倉市 (no
officer account) and 千代田区 have not started. 相模原市 also has a deactivated officer and 横浜市
a second officer (横浜 submitted, so neither of them is e-mailed).
"""

import pytest
from django.test import Client

from tests.aggregation.conftest import SAGAMIHARA, respondent
from tests.cast import *  # noqa: F403

# code -> (state, e-mail addresses of the active officers)
STATES = {
    "140007": ("not_started", ["officer@pref.kanagawa.example.jp"]),
    "141003": ("submitted", ["officer@city.yokohama.example.jp", "second@city.yokohama.example.jp"]),
    "141500": ("draft", ["officer@city.sagamihara.example.jp"]),
    "142042": ("not_started", []),
    "130001": ("not_started", ["officer@metro.tokyo.example.jp"]),
    "131016": ("not_started", ["officer@city.chiyoda.example.jp"]),
}
INACTIVE = "retired@city.sagamihara.example.jp"


def expected_recipients(codes, *, states=("not_started", "draft")) -> dict[str, list[str]]:
    """org code -> addresses, for the reachable non-submitters among `codes`."""
    return {code: STATES[code][1] for code in codes if STATES[code][0] in states and STATES[code][1]}


def login(user) -> Client:
    from tests.cast import signed_in

    return signed_in(Client(), user)


@pytest.fixture
def reminder_round(round_, cast, orgs):
    """round_ answered as STATES says, with the extra officers."""
    from survey.models import User
    from survey.services.responses import response_save

    User.objects.create_user(INACTIVE, None, name="退職 済子", role="officer", organization=orgs["141500"],
                             is_active=False)
    User.objects.create_user("second@city.yokohama.example.jp", None, name="横浜 二郎", role="officer",
                             organization=orgs["141003"])
    targets = {t.organization.code: t for t in round_.targets.select_related("round__survey", "organization")}
    response_save(target=targets["141500"], answers={"1-1": "2"}, respondent=respondent(orgs["141500"]),
                  acting_user=None)
    response_save(target=targets["141003"], answers=SAGAMIHARA, respondent=respondent(orgs["141003"]),
                  acting_user=None, submit=True)
    return round_
