"""The status dashboard's chart of cumulative submissions per day: the plotted points are the
counts of the story below, counted here by hand; the deadline and reminder days are marked."""
import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from aggregation.timeline import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, timeline
from survey.models import ResponseStatus, ResponseVersion
from survey.services.responses import response_save
from tests.aggregation.conftest import KNOWN, login, respondent

pytestmark = pytest.mark.django_db

# Days before today on which each organisation of KNOWN first submitted (the story of this test).
FIRST_SUBMITTED = {"140007": 6, "141003": 6, "141500": 3, "142051": 3, "130001": 1, "132012": 0}


@pytest.fixture
def dated_round(agg_round):
    """agg_round, published 8 days ago, with the submissions moved to FIRST_SUBMITTED's days
    (noon, Asia/Tokyo), and 横浜市 resubmitting today (which must not count again)."""
    today = timezone.localdate()
    for code, days in FIRST_SUBMITTED.items():
        noon = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time(12)))
        ResponseVersion.objects.filter(response__round=agg_round, response__organization__code=code,
                                       status=ResponseStatus.SUBMITTED).update(created_at=noon)
    target = agg_round.targets.select_related("round__survey", "organization").get(organization__code="141003")
    response_save(target=target, answers=KNOWN["141003"][1], respondent=respondent(target.organization),
                  acting_user=None, submit=True)
    agg_round.opened_at = timezone.now() - dt.timedelta(days=8)
    agg_round.save()
    return agg_round


def expected_cumulative(today):
    """Cumulative first submissions for each day from 8 days ago to today, counted by hand."""
    return {today - dt.timedelta(days=d): sum(1 for days in FIRST_SUBMITTED.values() if days >= d)
            for d in range(8, -1, -1)}


def plotted(text) -> dict[dt.date, tuple[int, float]]:
    """day -> (cumulative count, height) of each point drawn in the page's SVG."""
    found = re.findall(r'<circle class="agg-timeline-point" cx="[\d.]+" cy="([\d.]+)" r="2.5" '
                       r'data-day="([\d-]+)" data-cumulative="(\d+)"', text)
    return {dt.date.fromisoformat(day): (int(cum), float(cy)) for cy, day, cum in found}


def test_the_plotted_points_are_the_cumulative_first_submissions(dated_round, client, ministry):
    text = login(client, ministry).get(reverse("aggregation:status", args=[dated_round.pk])).content.decode()
    points = plotted(text)
    today = timezone.localdate()
    assert {day: cum for day, (cum, _) in points.items()} == expected_cumulative(today)
    # The height of each point is its share of the targets (9 organisations), on the chart's scale.
    top, bottom = TOP, HEIGHT - BOTTOM
    for cum, cy in points.values():
        assert cy == pytest.approx(top + (bottom - top) * (1 - cum / len(KNOWN)), abs=0.1)
    assert 'data-testid="timeline-table"' in text and f"<td class=\"text-end\">{len(FIRST_SUBMITTED)}</td>" in text


def test_the_deadline_and_the_reminder_days_are_marked(dated_round, client, ministry):
    text = login(client, ministry).get(reverse("aggregation:status", args=[dated_round.pk])).content.decode()
    deadline = timezone.localdate(dated_round.deadline)
    assert re.findall(r'data-kind="deadline" data-day="([\d-]+)"', text) == [deadline.isoformat()]
    reminders = re.findall(r'data-kind="reminder" data-day="([\d-]+)"', text)
    assert sorted(reminders) == sorted(timezone.localdate(dated_round.deadline - dt.timedelta(days=d)).isoformat()
                                       for d in (7, 3, 1))
    assert "<title id=\"tl-title\">提出数の累計（日別）</title>" in text and 'aria-labelledby="tl-title tl-desc"' in text


def test_a_prefecture_officer_sees_its_prefecture_only(dated_round, client, kanagawa):
    text = login(client, kanagawa).get(reverse("aggregation:status", args=[dated_round.pk])).content.decode()
    today = timezone.localdate()
    in_kanagawa = {"140007": 6, "141003": 6, "141500": 3, "142051": 3}
    assert {day: cum for day, (cum, _) in plotted(text).items()} == {
        today - dt.timedelta(days=d): sum(1 for days in in_kanagawa.values() if days >= d) for d in range(8, -1, -1)}


def test_the_chart_has_no_style_attribute_or_script(dated_round, client, ministry):
    text = login(client, ministry).get(reverse("aggregation:status", args=[dated_round.pk])).content.decode()
    chart = text[text.index('data-testid="timeline"'):text.index("</svg>")]
    assert "style=" not in chart and "<script" not in chart


def test_the_geometry_spans_the_round_and_stops_at_today():
    start, today = dt.date(2026, 7, 1), dt.date(2026, 7, 5)
    chart = timeline(counts={dt.date(2026, 7, 2): 2, dt.date(2026, 7, 5): 1}, start=start,
                     deadline=dt.date(2026, 7, 11), today=today, targets=4, reminders=[(7, dt.date(2026, 7, 4))])
    assert [(p.day.day, p.cumulative) for p in chart.points] == [(1, 0), (2, 2), (3, 2), (4, 2), (5, 3)]
    assert chart.points[0].x == LEFT and chart.markers[-1].x == WIDTH - RIGHT  # deadline at the right edge
    assert chart.points[-1].y == pytest.approx(TOP + (HEIGHT - TOP - BOTTOM) * (1 - 3 / 4))
    assert [m.kind for m in chart.markers] == ["reminder", "deadline"]
    assert [r.day.day for r in chart.rows] == [2, 5]
