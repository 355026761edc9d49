"""Dashboards of a round: status, results, cross-tabulation, follow-up texts and risk.

Each view resolves the round through survey.access (404 for a round the user has no part in),
the scope through `selectors.dashboard_scope` (403 for municipal officers, 404 for another
prefecture), then calls grouped selectors: the number of queries does not grow with the
number of responses. Live figures only; snapshots reuse the same selectors with their facts.
"""
import csv
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from aggregation import selectors
from aggregation.csvexport import guard
from survey.access import round_get_for_user
from survey.audit import Action, audit
from survey.models import AnswerFact, Organization, OrgKind, Response, RoundTarget

PAGE_SIZE = 50


def _dashboard(request, round_id: int):
    """(round, scope, facts, responses, targets) the user may see, narrowed by ?prefecture=&kind=."""
    rnd = round_get_for_user(request.user, round_id)
    scope = selectors.dashboard_scope(
        request.user, prefecture=request.GET.get("prefecture", ""), kind=request.GET.get("kind", "")
    )
    facts = scope.facts(AnswerFact.objects.filter(round=rnd))
    responses = scope.responses(Response.objects.filter(round=rnd))
    targets = scope.targets(RoundTarget.objects.filter(round=rnd))
    return rnd, scope, facts, responses, targets


def _base_context(request, rnd, scope, responses, page: str) -> dict:
    return {
        "round": rnd, "scope": scope, "defn": rnd.survey.engine, "active": page,
        "as_of": selectors.latest_submission(responses), "now": timezone.now(),
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
    """Targets, submitted, draft and not started; by prefecture (map) and type; non-submitters."""
    rnd, scope, _, responses, targets = _dashboard(request, round_id)
    figures = selectors.status_figures(targets=targets, responses=responses)
    non_submitters = selectors.non_submitters(targets=targets, responses=responses)
    context = _base_context(request, rnd, scope, responses, "status") | {
        "total": figures.total,
        "by_prefecture": figures.by_prefecture,
        "by_kind": figures.by_kind,
        "page": _page(request, non_submitters, count=figures.total.targets - figures.total.submitted),
    }
    return render(request, "aggregation/status.html", context)


@login_required
def results(request, round_id: int):
    """Counts and shares per option of every item, with charts; filters prefecture / type."""
    rnd, scope, facts, responses, _ = _dashboard(request, round_id)
    submitted = selectors.submitted_count(responses)
    context = _base_context(request, rnd, scope, responses, "results") | {
        "submitted": submitted,
        "summaries": selectors.item_summaries(rnd.survey.engine, facts, submitted=submitted),
    }
    return render(request, "aggregation/results.html", context)


@login_required
def crosstab(request, round_id: int):
    """Cross-tabulation of two items chosen with ?a=&b=."""
    rnd, scope, facts, responses, _ = _dashboard(request, round_id)
    defn = rnd.survey.engine
    ids = [i.id for i in defn.items]
    a, b = request.GET.get("a", ids[0]), request.GET.get("b", ids[1])
    if a not in ids or b not in ids:
        raise Http404
    context = _base_context(request, rnd, scope, responses, "crosstab") | {
        "a": a, "b": b, "table": selectors.crosstab(defn, facts, a=a, b=b),
    }
    return render(request, "aggregation/crosstab.html", context)


@login_required
def texts(request, round_id: int):
    """Free-text and month follow-ups, one row per organisation, paginated."""
    rnd, scope, facts, responses, _ = _dashboard(request, round_id)
    defn = rnd.survey.engine
    key = request.GET.get("key", "")
    if key and key not in defn.followups:
        raise Http404
    followups = [defn.followups[key]] if key else list(defn.followups.values())
    page = _page(request, selectors.followup_texts(defn, responses, facts=facts, key=key))
    for row in page.object_list:
        row["texts"] = [(f, row[f"t{i}"]) for i, f in enumerate(followups) if row[f"t{i}"]]
        row["kind_label"] = OrgKind(row["organization__kind"]).label
    context = _base_context(request, rnd, scope, responses, "texts") | {
        "key": key, "followups": defn.followups.values(), "page": page,
    }
    return render(request, "aggregation/texts.html", context)


@login_required
def risk(request, round_id: int):
    """Counts per risk level and the organisations at each level with the rules that fired."""
    rnd, scope, _, responses, _ = _dashboard(request, round_id)
    defn = rnd.survey.engine
    level = _risk_level(request, defn)
    counts = selectors.risk_counts(defn, responses)
    count = sum(c.count for c in counts if not level or c.level == level)
    page = _page(request, selectors.risk_rows(defn, responses, level=level), count=count)
    _decorate_risk_rows(page.object_list)
    context = _base_context(request, rnd, scope, responses, "risk") | {
        "counts": counts, "level": level, "page": page,
    }
    return render(request, "aggregation/risk.html", context)


def _risk_level(request, defn) -> str:
    level = request.GET.get("level", "")
    if level and level not in {lv.id for lv in defn.risk_levels}:
        raise Http404
    return level


def _decorate_risk_rows(rows) -> None:
    rules = selectors.risk_rules_of(row["id"] for row in rows)
    for row in rows:
        row["rules"] = rules.get(row["id"]) or []
        row["kind_label"] = OrgKind(row["organization__kind"]).label
        row["url"] = reverse("response_detail", kwargs={"round_id": row["round_id"],
                                                        "org_code": row["organization__code"]})


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
    """The organisations that have not submitted, with their officers, as CSV (audited)."""
    rnd, scope, _, responses, targets = _dashboard(request, round_id)
    rows = selectors.non_submitters(targets=targets, responses=responses)
    audit(Action.EXPORT, actor=request.user, request=request, target=f"round:{rnd.pk}/nonsubmitters",
          scope=scope.key)
    header = ["団体コード", "都道府県", "団体名", "団体区分", "状態", "担当者氏名", "担当者メールアドレス"]
    return _csv_response(f"nonsubmitters-round{rnd.pk}.csv", header, _non_submitter_lines(rows))


def _non_submitter_lines(rows):
    for target in rows.iterator(chunk_size=1000):
        org = target.organization
        state = "下書き" if target.resp_status else "未着手"
        names = "、".join(u.name for u in org.contacts)
        emails = "、".join(u.email for u in org.contacts)
        yield [org.code, org.prefecture_name, org.name, org.get_kind_display(), state, names, emails]


@login_required
def risk_csv(request, round_id: int):
    """The organisations per risk level with the rules that fired, as CSV (audited)."""
    rnd, scope, _, responses, _ = _dashboard(request, round_id)
    defn = rnd.survey.engine
    level = _risk_level(request, defn)
    labels = {lv.id: lv.label for lv in defn.risk_levels}
    audit(Action.EXPORT, actor=request.user, request=request, target=f"round:{rnd.pk}/risk",
          scope=scope.key, level=level)
    header = ["団体コード", "都道府県", "団体名", "団体区分", "リスク区分", "該当ルール", "提出日時"]
    rows = selectors.risk_rows(defn, responses, level=level).annotate(
        rules=F("submitted_version__risk_rules")).iterator(chunk_size=2000)
    lines = (
        [r["organization__code"], r["organization__prefecture_name"], r["organization__name"],
         OrgKind(r["organization__kind"]).label, labels.get(r["risk_level"], r["risk_level"]),
         " / ".join(rule["label"] for rule in r["rules"] or []),
         timezone.localtime(r["submitted_at"]).strftime("%Y-%m-%d %H:%M") if r["submitted_at"] else ""]
        for r in rows
    )
    return _csv_response(f"risk-round{rnd.pk}.csv", header, lines)
