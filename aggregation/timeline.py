"""Submissions over time (提出数の推移): first submissions per day and the chart's geometry.

The counts are grouped in the database (one query). The chart is drawn on the server as SVG
(templates/aggregation/_timeline.html) from the coordinates computed here; colours and strokes
come from classes in static/css/aggregation.css (no style attribute, no script, no library).
The table under the chart holds the same figures.

An organisation counts on the day of its first submission: a resubmission (after a return, or
a correction) moves nothing, so the curve never changes its past.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from survey.models import Response, ResponseStatus, ResponseVersion

WIDTH, HEIGHT = 720, 340
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 60, 48
X_LABELS = 7  # at most this many dates under the axis


def first_submissions_per_day(responses: QuerySet[Response]) -> dict[date, int]:
    """How many of `responses` were first submitted on each local (Asia/Tokyo) day."""
    first = (ResponseVersion.objects.filter(response=OuterRef("pk"), status=ResponseStatus.SUBMITTED)
             .order_by("created_at").values("created_at")[:1])
    rows = (responses.annotate(first=Subquery(first)).filter(first__isnull=False)
            .annotate(day=TruncDate("first", tzinfo=timezone.get_current_timezone()))
            .order_by().values_list("day").annotate(n=Count("id")))
    return dict(rows)


@dataclass(frozen=True)
class Point:
    day: date
    new: int
    cumulative: int
    x: float
    y: float


@dataclass(frozen=True)
class Marker:
    """A vertical line: the deadline or a reminder step."""

    kind: str  # deadline | reminder
    day: date
    label: str
    x: float
    label_y: float  # reminders' labels alternate between two rows, the deadline's above them


@dataclass(frozen=True)
class Tick:
    label: str
    at: float  # x for dates, y for counts


@dataclass
class Timeline:
    points: list[Point]
    markers: list[Marker]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    total: int
    top_value: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM
    rows: list[Point] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def timeline(*, counts: dict[date, int], start: date, deadline: date, today: date, targets: int,
             reminders: list[tuple[int, date]]) -> Timeline:
    """The chart of cumulative first submissions from `start` to the deadline (or the last submission,
    if later), plotted up to today; the deadline and the reminder days marked."""
    first_day = min([start, *counts])
    last_day = max([deadline, *counts])
    days = (last_day - first_day).days
    top_value = max(targets, sum(counts.values()), 1)

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * ((day - first_day).days / days if days else 0.5)

    def y(value: int) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top_value)

    points, cumulative = [], 0
    for n in range((min(today, last_day) - first_day).days + 1):
        day = first_day + timedelta(days=n)
        cumulative += counts.get(day, 0)
        points.append(Point(day, counts.get(day, 0), cumulative, round(x(day), 1), round(y(cumulative), 1)))
    shown = [(offset, day) for offset, day in reminders if first_day <= day <= last_day]
    markers = [Marker("reminder", day, f"督促 {offset}日前", round(x(day), 1), TOP - 8 - 16 * (n % 2))
               for n, (offset, day) in enumerate(shown)]
    markers.append(Marker("deadline", deadline, "回答期限", round(x(deadline), 1), TOP - 42))
    step = max(1, -(-days // (X_LABELS - 1))) if days else 1
    x_ticks = [Tick(f"{d.month}/{d.day}", round(x(d), 1))
               for d in (first_day + timedelta(days=n) for n in range(0, days + 1, step))]
    y_ticks = [Tick(str(round(top_value * k / 4)), round(y(round(top_value * k / 4)), 1)) for k in range(5)]
    return Timeline(points=points, markers=markers, x_ticks=x_ticks, y_ticks=y_ticks, total=cumulative,
                    top_value=top_value, rows=[p for p in points if p.new])
