"""Dashboards of a round: status, results, cross-tabulation, follow-up texts and risk.

Each view resolves the round through survey.access (404 for a round the user has no part in),
the scope through `survey.access.dashboard_scope` (403 for municipal officers, 404 for another
prefecture), then calls grouped selectors: the number of queries does not grow with the
number of responses.

Results, cross-tab, texts and risk also show a snapshot's frozen figures with ?snapshot=<id>:
they read an aggregation.source.FigureSource, as the exports do, so the figures are the
snapshot workbook's; the status dashboard is about live progress and always counts live.
"""
import csv
from functools import cached_property
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from aggregation import selectors
from aggregation.compare import GROUPINGS, comparable_rounds, compare_by, compare_items, round_chosen
from aggregation.csvexport import guard
from aggregation.models import Snapshot
from aggregation.source import REVIEW_OF_STATE, STATE_CHOICES, FigureSource, snapshot_chosen
from aggregation.timeline import first_submissions_per_day, timeline
from survey import engine
from survey.access import dashboard_scope, reviews_in, round_get_for_user
from survey.audit import Action, audit
from survey.models import AnswerFact, Organization, OrgKind, Response, RoundTarget
from survey.selectors import STATE_LABELS, STATUS_NOT_STARTED, non_submitters
from survey.services.scheduled_reminders import offsets_of, step_dates

PAGE_SIZE = 50


def _dashboard(request, round_id: int):
    """(round, scope, facts, responses, targets) the user may see, narrowed by ?prefecture=&kind=."""
    rnd = round_get_for_user(request.user, round_id)
    scope = dashboard_scope(
        request.user, prefecture=request.GET.get("prefecture", ""), kind=request.GET.get("kind", "")
    )
    facts = scope.facts(AnswerFact.objects.filter(round=rnd))
    responses = scope.responses(Response.objects.filter(round=rnd))
    targets = scope.targets(RoundTarget.objects.filter(round=rnd))
    return rnd, scope, facts, responses, targets


def _source(request, round_id: int) -> tuple[FigureSource, list[Snapshot]]:
    """The figures a page shows (?snapshot=<id> of this round, else live; 404 for any other
    value) in the user's scope, and the round's snapshots for the picker."""
    rnd, scope, *_ = _dashboard(request, round_id)
    state = request.GET.get("state", "")
    state = state if state in REVIEW_OF_STATE else ""  # an unknown state is ignored, as an unknown type
    source = FigureSource(rnd, snapshot_chosen(rnd, request.GET.get("snapshot", "")), scope, state=state)
    return source, list(Snapshot.objects.filter(round=rnd))


def _figures_context(request, source: FigureSource, snapshots: list[Snapshot], page: str) -> dict:
    context = _base_context(request, source.round, source.scope, source.responses(), page,
                            live=not source.is_frozen)
    return context | {"snapshot": source.snapshot, "snapshots": snapshots, "state": source.state,
                      "state_choices": STATE_CHOICES}


def _base_context(request, rnd, scope, responses, page: str, *, live: bool = True) -> dict:
    return {
        "round": rnd, "scope": scope, "defn": rnd.survey.engine, "active": page,
        "as_of": selectors.latest_submission(responses) if live else None, "now": timezone.now(),
        "kinds": OrgKind.choices, "prefectures": _prefecture_choices(rnd, scope),
    }


def _prefecture_choices(rnd, scope) -> list[tuple[str, str]]:
    """Prefectures the user may choose: the master's prefecture rows (47 at most)."""
    qs = Organization.objects.filter(kind=OrgKind.PREFECTURE)
    if scope.locked:
        qs = qs.filter(prefecture_code=scope.prefecture)
    return list(qs.values_list("prefecture_code", "prefecture_name").order_by("prefecture_code"))


class _CountedPaginator(Paginator):
    """A paginator told its count (already known from a grouped query), to skip a COUNT(*)."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _page(request, qs, count: int | None = None):
    paginator = Paginator(qs, PAGE_SIZE) if count is None else _CountedPaginator(qs, PAGE_SIZE, count)
    return paginator.get_page(request.GET.get("page"))


@login_required
def status(request, round_id: int):
    """Targets, submitted, draft and not started; by prefecture (map) and type; those not done
    (未着手・下書き・差し戻し中)."""
    rnd, scope, _, responses, targets = _dashboard(request, round_id)
    figures = selectors.status_figures(targets=targets, responses=responses)
    missing = non_submitters(targets=targets, responses=responses)
    context = _base_context(request, rnd, scope, responses, "status") | {
        "total": figures.total,
        "target_split": _target_split(figures.by_kind),
        "by_prefecture": figures.by_prefecture,
        "by_kind": figures.by_kind,
        "page": _page(request, missing, count=figures.total.targets - figures.total.submitted + figures.total.returned),
        "chart": _timeline(rnd, responses, targets=figures.total.targets),
    }
    return render(request, "aggregation/status.html", context)


def _timeline(rnd, responses, *, targets: int):
    """Cumulative first submissions per day, with the deadline and the reminder steps marked."""
    local = timezone.localdate
    return timeline(counts=first_submissions_per_day(responses), start=local(rnd.opened_at or rnd.created_at),
                    deadline=local(rnd.deadline), today=local(), targets=targets,
                    reminders=[(days, local(when)) for days, when in step_dates(rnd, offsets_of(rnd))])


def _target_split(by_kind) -> dict[str, int]:
    """Targets that are prefectures and that are municipalities, so the total says what it counts."""
    prefectures = sum(row.targets for row in by_kind if row.key == OrgKind.PREFECTURE)
    return {"prefectures": prefectures, "municipalities": sum(row.targets for row in by_kind) - prefectures}


@login_required
def results(request, round_id: int):
    """Counts and shares per option of every item, with charts; filters prefecture / type."""
    source, snapshots = _source(request, round_id)
    submitted = source.counted().count()
    context = _figures_context(request, source, snapshots, "results") | {
        "submitted": submitted,
        "summaries": selectors.item_summaries(source.defn, source.facts(), submitted=submitted),
    }
    return render(request, "aggregation/results.html", context)


@login_required
def crosstab(request, round_id: int):
    """Cross-tabulation of two items chosen with ?a=&b=."""
    source, snapshots = _source(request, round_id)
    defn = source.defn
    ids = [i.id for i in defn.items]
    # By default the first pair one organisation can be asked together (engine's branching).
    first_a, first_b = engine.first_co_occurring_pair(defn) or (ids[0], ids[1])
    a, b = request.GET.get("a", first_a), request.GET.get("b", first_b)
    if a not in ids or b not in ids:
        raise Http404
    context = _figures_context(request, source, snapshots, "crosstab") | {
        "a": a, "b": b, "table": selectors.crosstab(defn, source.facts(), a=a, b=b),
        "never_together": not engine.items_co_occur(defn, a, b),
    }
    return render(request, "aggregation/crosstab.html", context)


@login_required
def texts(request, round_id: int):
    """Free-text and month follow-ups, one row per organisation, paginated."""
    source, snapshots = _source(request, round_id)
    defn = source.defn
    key = request.GET.get("key", "")
    if key and key not in defn.followups:
        raise Http404
    followups = [defn.followups[key]] if key else list(defn.followups.values())
    page = _page(request, source.followup_texts(key))
    for row in page.object_list:
        row["texts"] = [(f, engine.month_display(row[f"t{i}"]) if f.kind == "month" else row[f"t{i}"])
                        for i, f in enumerate(followups) if row[f"t{i}"]]
        row["kind_label"] = OrgKind(row["organization__kind"]).label
    context = _figures_context(request, source, snapshots, "texts") | {
        "key": key, "followups": defn.followups.values(), "page": page,
    }
    return render(request, "aggregation/texts.html", context)


@login_required
def risk(request, round_id: int):
    """Counts per risk level and the organisations at each level with the rules that fired."""
    source, snapshots = _source(request, round_id)
    level = _risk_level(request, source.defn)
    counts = source.risk_counts()
    count = sum(c.count for c in counts if not level or c.level == level)
    page = _page(request, source.risk_listing(level), count=count)
    _decorate_risk_rows(page.object_list, frozen=source.is_frozen)
    _link_returns(request.user, source.defn, page.object_list)
    context = _figures_context(request, source, snapshots, "risk") | {
        "counts": counts, "level": level, "page": page,
    }
    return render(request, "aggregation/risk.html", context)


def _risk_level(request, defn) -> str:
    level = request.GET.get("level", "")
    if level and level not in {lv.id for lv in defn.risk_levels}:
        raise Http404
    return level


def _decorate_risk_rows(rows, *, frozen: bool) -> None:
    """Fired rules (of the counted version), type label and response link of the rows shown."""
    key = "version_id" if frozen else "id"
    rules = (selectors.version_rules_of if frozen else selectors.risk_rules_of)(row[key] for row in rows)
    for row in rows:
        row["rules"] = rules.get(row[key]) or []
        row["kind_label"] = OrgKind(row["organization__kind"]).label
        row["url"] = reverse("response_detail", kwargs={"round_id": row["round_id"],
                                                        "org_code": row["organization__code"]})


def _link_returns(user, defn, rows) -> None:
    """Each fired rule links straight to "return with comment" on the item it reads, for
    organisations the user reviews (survey.access.reviews_in)."""
    items = {rule.id: rule.condition.item for rule in defn.risk_rules}
    for row in rows:
        if not reviews_in(user, prefecture_code=row["prefecture_code"],
                          is_prefecture=row["organization__kind"] == OrgKind.PREFECTURE):
            continue
        review = reverse("response_review", kwargs={"round_id": row["round_id"],
                                                    "org_code": row["organization__code"]})
        for rule in row["rules"]:
            item = items.get(rule.get("id"))
            if item is not None:
                rule["return_url"] = f"{review}?{urlencode({'anchor': 'item:' + item})}#return-form"
                rule["item_label"] = defn.item(item).label


@login_required
def compare(request, round_id: int):
    """The round against another round of the same survey (?other=, default the one it was
    started from): shares and changes per item, and one item (?item=) per prefecture or type (?by=)."""
    rnd, scope, *_ = _dashboard(request, round_id)
    candidates = comparable_rounds(request.user, rnd)
    other = round_chosen(request.GET.get("other", ""), rnd, candidates)
    state = request.GET.get("state", "")
    state = state if state in REVIEW_OF_STATE else ""
    current = FigureSource(rnd, None, scope, state=state)  # live figures of both rounds, same scope and state
    context = _base_context(request, rnd, scope, current.responses(), "compare") | {
        "candidates": candidates, "other": other, "groupings": [("prefecture", "都道府県別"), ("kind", "団体区分別")],
        "state": state, "state_choices": STATE_CHOICES,
    }
    if other is not None:
        previous = FigureSource(other, None, scope, state=state)
        items = compare_items(current, previous)
        by = request.GET.get("by", "prefecture")
        item_id = request.GET.get("item", "") or items[0].item.id
        if by not in GROUPINGS or item_id not in {c.item.id for c in items}:
            raise Http404
        context |= {"items": items, "by": by, "item": next(c for c in items if c.item.id == item_id),
                    "groups": compare_by(current, previous, item_id=item_id, by=by),
                    "before_counted": previous.counted().count(), "after_counted": current.counted().count()}
    return render(request, "aggregation/compare.html", context)


# --- CSV downloads ---------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """UTF-8 with BOM (so Excel opens it in Japanese), streamed row by row, with the workbook
    CSV's formula guard on every cell (user text never runs as a formula in Excel)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow([guard(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename=\"{filename}\""
    return response


@login_required
def status_csv(request, round_id: int):
    """The organisations not done (未着手・下書き・差し戻し中), with their officers, as CSV (audited)."""
    rnd, scope, _, responses, targets = _dashboard(request, round_id)
    rows = non_submitters(targets=targets, responses=responses)
    audit(Action.EXPORT, actor=request.user, request=request, target=f"round:{rnd.pk}/nonsubmitters",
          scope=scope.key)
    header = ["団体コード", "都道府県", "団体名", "団体区分", "状態", "担当者氏名", "担当者メールアドレス"]
    return _csv_response(f"nonsubmitters-round{rnd.pk}.csv", header, _non_submitter_lines(rows))


def _non_submitter_lines(rows):
    for target in rows.iterator(chunk_size=1000):
        org = target.organization
        state = STATE_LABELS[target.resp_state or STATUS_NOT_STARTED]
        names = "、".join(u.name for u in org.contacts)
        emails = "、".join(u.email for u in org.contacts)
        yield [org.code, org.prefecture_name, org.name, org.get_kind_display(), state, names, emails]


@login_required
def risk_csv(request, round_id: int):
    """The organisations per risk level with the rules that fired, as CSV (audited)."""
    source, _ = _source(request, round_id)
    rnd, defn, snapshot = source.round, source.defn, source.snapshot
    level = _risk_level(request, defn)
    labels = {lv.id: lv.label for lv in defn.risk_levels}
    audit(Action.EXPORT, actor=request.user, request=request, target=f"round:{rnd.pk}/risk",
          scope=source.scope.key, level=level, snapshot=snapshot.pk if snapshot else None)
    header = ["団体コード", "都道府県", "団体名", "団体区分", "リスク区分", "該当ルール", "提出日時"]
    rows = source.risk_listing(level, with_rules=True).iterator(chunk_size=2000)
    lines = (
        [r["organization__code"], r["organization__prefecture_name"], r["organization__name"],
         OrgKind(r["organization__kind"]).label, labels.get(r["risk_level"], r["risk_level"]),
         " / ".join(rule["label"] for rule in r["rules"] or []),
         timezone.localtime(r["submitted_at"]).strftime("%Y-%m-%d %H:%M") if r["submitted_at"] else ""]
        for r in rows
    )
    frozen = f"-snapshot{snapshot.pk}" if snapshot else ""
    return _csv_response(f"risk-round{rnd.pk}{frozen}.csv", header, lines)
