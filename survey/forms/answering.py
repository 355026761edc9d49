"""The web questionnaire: form <-> canonical answers, and the small forms of the answering pages.

The form knows no question number: its fields come from the survey definition. Values are
turned into canonical answers by the engine (normalise_*); the save goes through
survey.services.responses.response_save, which re-checks branching and validity.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django import forms
from django.http import QueryDict

from survey import engine
from survey.forms.presenting import describe_value, followup_name, item_name, respondent_name
from survey.forms.questionnaire_html import CHOOSE_PROMPT
from survey.models import OrgKind, ResponseState, ResponseStatus, RoundTarget
from survey.selectors import STATUS_NOT_STARTED
from survey.services.responses import (
    ResponseConflict,
    ResponseInvalid,
    SaveOutcome,
    ministry_fields,
    response_save,
)


def initial_respondent(target: RoundTarget, saved: dict | None) -> dict[str, str]:
    """What the respondent block starts with: the saved values, else pre-filled from the master."""
    org = target.organization
    values = {"組織区分": org.section_label, "組織名": org.display_name}
    values.update(saved or {})
    values.update(ministry_fields(target))
    return values


# --- the form --------------------------------------------------------------------------------

# Keyed by the Definition object's id; the entry keeps the object so that the id stays its own.
_FIELDS: OrderedDict[int, tuple[engine.Definition, dict[str, forms.Field]]] = OrderedDict()
_FIELDS_KEPT = 16


def definition_fields(defn: engine.Definition) -> dict[str, forms.Field]:
    """The respondent, item and follow-up fields of the definition, in that order, built once per
    Definition object and shared by every form: they hold nothing of a request or a target (values
    and errors live on the form, and so do the respondent block's starting values: `form.initial`),
    and nothing changes them once built."""
    entry = _FIELDS.get(id(defn))
    if entry is not None and entry[0] is defn:
        return entry[1]
    fields = _respondent_fields(defn) | _item_fields(defn)
    _FIELDS[id(defn)] = (defn, fields)
    while len(_FIELDS) > _FIELDS_KEPT:
        _FIELDS.popitem(last=False)
    return fields


def _respondent_fields(defn: engine.Definition) -> dict[str, forms.Field]:
    fields = {}
    for f in defn.respondent_fields:
        ministry = f.filled_by == "ministry"
        if f.kind == "choice" and not ministry:
            field_ = forms.ChoiceField(choices=[("", CHOOSE_PROMPT)] + [(c, c) for c in f.choices])
        else:
            field_ = forms.CharField(max_length=300, strip=True)
        field_.required = False
        field_.disabled = ministry  # the ministry's values (form.initial), never taken from the request
        field_.label = f.label
        fields[respondent_name(defn, f.label)] = field_
    return fields


def _item_fields(defn: engine.Definition) -> dict[str, forms.Field]:
    fields = {}
    for item in defn.items:
        choices = [(o.code, o.display) for o in item.options]
        if item.kind == "marks":
            field_ = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple)
        else:
            field_ = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
        field_.required = False
        field_.label = item.label
        fields[item_name(item.id)] = field_
        for f in item.followups:
            limit = f.max_length or (20 if f.kind == "month" else 4000)
            widget = forms.Textarea(attrs={"rows": 4}) if f.kind == "text" else forms.TextInput
            fields[followup_name(defn, f.key)] = forms.CharField(
                required=False, max_length=limit, widget=widget, label=f"{item.label} {f.label}",
            )
    return fields


class QuestionnaireForm(forms.Form):
    """Every respondent field, item and follow-up of the definition, all optional here.

    Completeness is the engine's business (validate(complete=True) when submitting); the form
    only rejects values that cannot be read. After is_valid(), `answers` and `respondent` hold
    canonical values and `warnings` the engine's warnings.
    """

    base_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, data, *, target: RoundTarget, attached: frozenset[str] = frozenset(), **kwargs):
        super().__init__(data, **kwargs)
        self.target = target
        self.attached = attached  # follow-up keys with an attached file (they count as answered)
        self.defn = target.round.survey.engine
        self.org_kind = target.organization.engine_kind
        self.answers: dict = {}
        self.respondent: dict = {}
        self.warnings: list[engine.Issue] = []
        self.fields.update(definition_fields(self.defn))
        values = initial_respondent(target, None)
        self.initial.update({respondent_name(self.defn, f.label): values.get(f.label, "")
                             for f in self.defn.respondent_fields})

    # -- cleaning --

    def _clean_fields(self):
        """Django's Form._clean_fields without a BoundField per field, made only to be thrown away
        on a save (a POST answered by a redirect shows no field): each field's widget reads the
        value from the data (a disabled field keeps its initial value) and the field cleans it, as
        Field._clean_bound_field does. The form has no clean_<name> methods. 29 fields: ~0.1 ms
        less per validation (tests/answering/test_form_cleaning.py compares both)."""
        for name, field_ in self.fields.items():
            value = (self.get_initial_for_field(field_, name) if field_.disabled
                     else field_.widget.value_from_datadict(self.data, self.files, self.add_prefix(name)))
            try:
                self.cleaned_data[name] = field_.clean(value)
            except forms.ValidationError as e:
                self.add_error(name, e)

    def raw_answers(self) -> dict:
        """Answers as typed, keyed by answers key (what engine.normalise_answers reads)."""
        data = self.cleaned_data
        raw = {}
        for item in self.defn.items:
            raw[item.id] = data.get(item_name(item.id)) or None
            for f in item.followups:
                raw[f.key] = data.get(followup_name(self.defn, f.key)) or None
        return {k: v for k, v in raw.items() if v}

    def raw_respondent(self) -> dict:
        data = self.cleaned_data
        return {
            f.label: data.get(respondent_name(self.defn, f.label), "")
            for f in self.defn.respondent_fields
            if f.filled_by == "respondent"
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.answers, answer_issues = engine.normalise_answers(self.defn, self.raw_answers())
        self.respondent, respondent_issues = engine.normalise_respondent(self.defn, self.raw_respondent())
        # Format checks of what could be read, so that every error shows at once; answers to
        # skipped items are not errors here: saving clears them and says so.
        kept, _ = engine.clear_inapplicable(self.defn, self.org_kind, self.answers)
        draft_issues = engine.validate(self.defn, self.org_kind, kept,
                                       {**self.respondent, **ministry_fields(self.target)}, complete=False)
        self.add_issues(answer_issues + respondent_issues + draft_issues)
        return cleaned

    def field_for_issue(self, issue: engine.Issue) -> str | None:
        """The form field an engine issue belongs to (None: the form as a whole)."""
        if issue.field:
            try:
                return respondent_name(self.defn, issue.field)
            except ValueError:
                return None
        if issue.item in self.defn.followups:
            return followup_name(self.defn, issue.item)
        if issue.item and item_name(issue.item) in self.fields:
            return item_name(issue.item)
        return None

    def add_issues(self, issues: list[engine.Issue]) -> None:
        """Errors onto their fields (each once); warnings kept for display."""
        for issue in issues:
            if issue.severity != "error":
                self.warnings.append(issue)
                continue
            name = self.field_for_issue(issue)
            if name in self.errors and issue.message in self.errors[name]:
                continue
            self.add_error(name, forms.ValidationError(issue.message, code=issue.code))

    # -- actions --

    def save(self, *, submit: bool = False, acting_user, request=None) -> SaveOutcome | None:
        """Save as a new version; None (with errors on the form) when the engine refuses it.

        ResponseConflict propagates: the caller shows the changes and keeps this form.
        """
        try:
            outcome = response_save(
                target=self.target, answers=self.answers, respondent=self.respondent,
                acting_user=acting_user, submit=submit, base_revision=self.cleaned_data["base_revision"],
                request=request,
            )
        except ResponseInvalid as exc:
            self.add_issues(exc.issues)
            return None
        self.warnings += [w for w in outcome.warnings if w not in self.warnings]
        return outcome

    def rebased(self, revision: int) -> QuestionnaireForm:
        """The same input, now based on `revision` (after a conflict or a save)."""
        data = self.data.copy()
        data["base_revision"] = str(revision)
        form = QuestionnaireForm(data, target=self.target, attached=self.attached)
        form.is_valid()
        return form

    # -- presentation --

    def item_status(self) -> dict[str, str]:
        return engine.item_status(self.defn, self.org_kind, self.current_answers())

    def current_answers(self) -> dict:
        """Canonical answers as the page shows them now (what could be read of the input)."""
        if self.is_valid():
            return self.answers
        answers, _ = engine.normalise_answers(self.defn, self._raw_bound())
        return answers

    def current_respondent(self) -> dict:
        if self.is_valid():
            return {**self.respondent, **ministry_fields(self.target)}
        values = {f.label: self[respondent_name(self.defn, f.label)].value() or ""
                  for f in self.defn.respondent_fields}
        return {k: v for k, v in values.items() if v}

    def _raw_bound(self) -> dict:
        raw = {}
        for item in self.defn.items:
            name = item_name(item.id)
            raw[item.id] = self.data.getlist(name) if item.kind == "marks" else self.data.get(name)
            for f in item.followups:
                raw[f.key] = self.data.get(followup_name(self.defn, f.key))
        return {k: v for k, v in raw.items() if v}

    def indicators(self) -> dict[str, bool]:
        return engine.indicators(self.defn, self.org_kind, self.current_answers(), self.current_respondent(),
                                 attached=self.attached)

    def respondent_views(self) -> list[FieldView]:
        views = []
        for f in self.defn.respondent_fields:
            bf = self[respondent_name(self.defn, f.label)]
            views.append(FieldView(definition=f, bound=bf, readonly=f.filled_by == "ministry",
                                   value=bf.value() or ""))
        return views

    def item_views(self) -> list[ItemView]:
        status = self.item_status()
        answers = self.current_answers()
        fstatus = engine.followup_status(self.defn, self.org_kind, answers, status)
        views = []
        for item in self.defn.items:
            bf = self[item_name(item.id)]
            value = bf.value()
            chosen = [str(v) for v in value] if isinstance(value, list | tuple) else ([str(value)] if value else [])
            followups = [
                FollowupView(definition=f, bound=self[followup_name(self.defn, f.key)],
                             shown=fstatus[f.key] == engine.APPLICABLE)
                for f in item.followups
            ]
            views.append(ItemView(item=item, bound=bf, chosen=chosen, state=status[item.id], followups=followups))
        return views

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor id, message) for the error summary, in page order."""
        links = [("", str(e)) for e in self.non_field_errors()]
        for name in self.fields:
            for error in self.errors.get(name, []):
                links.append((self.anchor_for(name), error))
        return links

    def anchor_for(self, name: str) -> str:
        """The id of the first control of a field (radio groups: the first radio)."""
        field_ = self.fields[name]
        if isinstance(field_.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            return f"id_{name}_0"
        return f"id_{name}"


def form_data(target: RoundTarget, version, revision: int) -> QueryDict:
    """The form's input for a saved version (or the pre-filled blank form when None)."""
    defn = target.round.survey.engine
    answers = version.answers if version else {}
    data = QueryDict(mutable=True)
    data["base_revision"] = str(revision)
    for label, value in initial_respondent(target, version.respondent if version else None).items():
        data[respondent_name(defn, label)] = value
    for item in defn.items:
        value = answers.get(item.id)
        if isinstance(value, list):
            data.setlist(item_name(item.id), value)
        elif value:
            data[item_name(item.id)] = value
        for f in item.followups:
            if answers.get(f.key):  # a month as people type it (2024年3月); the form reads it back
                value = answers[f.key]
                data[followup_name(defn, f.key)] = engine.format_month(value) if f.kind == "month" else value
    return data


def conflict_rows(target: RoundTarget, conflict: ResponseConflict, answers: dict, respondent: dict) -> list[dict]:
    """The changes someone else saved meanwhile, beside what this user has typed.

    The keys come from the conflict; the values are described here from the saved version and
    the user's input, so the table reads the same whichever way the service orders a Change.
    """
    defn = target.round.survey.engine
    current = conflict.current
    rows = []
    for change in conflict.changes:
        if change.key in (f.label for f in defn.respondent_fields):
            theirs = current.respondent.get(change.key, "") or "（未入力）"
            yours = respondent.get(change.key, "") or "（未入力）"
        else:
            theirs = describe_value(defn, change.key, current.answers.get(change.key))
            yours = describe_value(defn, change.key, answers.get(change.key))
        rows.append({"label": change.label, "theirs": theirs, "yours": yours, "same": theirs == yours})
    return rows


@dataclass
class FieldView:
    definition: engine.RespondentField
    bound: forms.BoundField
    readonly: bool
    value: str
    head: str = ""  # the field's HTML (survey.forms.questionnaire_html.decorate_fields)
    tail: str = ""

    @property
    def required(self) -> bool:
        return self.definition.required and not self.readonly


@dataclass
class FollowupView:
    definition: engine.FollowUp
    bound: forms.BoundField
    shown: bool


@dataclass
class ItemView:
    item: engine.Item
    bound: forms.BoundField
    chosen: list[str]
    state: str
    followups: list[FollowupView] = field(default_factory=list)
    mark: str = ""  # next round: 変更あり / 新しい項目 (survey.forms.carryover.item_marks)
    head: str = ""  # the fieldset's HTML (survey.forms.questionnaire_html.decorate_items)
    tail: str = ""  # the rest of it, after the item's review threads

    @property
    def hidden(self) -> bool:
        return self.state != engine.APPLICABLE

    @property
    def options(self):
        """(option, input id, checked) for each option."""
        name = self.bound.html_name
        return [(o, f"id_{name}_{n}", o.code in self.chosen) for n, o in enumerate(self.item.options)]


def full_issues(target: RoundTarget, answers: dict, respondent: dict, attached=frozenset()) -> list[engine.Issue]:
    """Every error that would stop submission of these (saved, canonical) values (`attached`: see validate)."""
    defn = target.round.survey.engine
    kind = target.organization.engine_kind
    issues = engine.validate(defn, kind, answers, {**respondent, **ministry_fields(target)}, complete=True,
                             attached=attached)
    return [i for i in issues if i.severity == "error"]


# --- small forms ---------------------------------------------------------------------------


class SubmitForm(forms.Form):
    """提出する: carries the revision the confirmation page showed."""

    base_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class DelegationForm(forms.Form):
    """代理回答 on or off for one municipality."""

    delegated = forms.BooleanField(required=False, widget=forms.HiddenInput)


STATUS_CHOICES = [("", "すべて"), (STATUS_NOT_STARTED, "未着手"), (ResponseStatus.DRAFT, "下書き"),
                  (ResponseStatus.SUBMITTED, "提出済"), (ResponseState.RETURNED, "差し戻し中"),
                  (ResponseState.APPROVED, "承認済")]


class StatusFilterForm(forms.Form):
    """Filters of the round status list; only the prefecture filter depends on the user."""

    prefecture = forms.ChoiceField(label="都道府県", required=False)
    kind = forms.ChoiceField(label="団体区分", required=False,
                             choices=[("", "すべて")] + list(OrgKind.choices))
    status = forms.ChoiceField(label="回答状況", required=False, choices=STATUS_CHOICES)
    q = forms.CharField(label="団体名・団体コード", required=False, max_length=50)

    def __init__(self, data, *, user):
        super().__init__(data)
        from survey.access import organizations_visible_to, sees_whole_country

        prefectures = (organizations_visible_to(user).filter(kind=OrgKind.PREFECTURE)
                       .order_by("prefecture_code").values_list("prefecture_code", "prefecture_name"))
        self.fields["prefecture"].choices = [("", "すべて")] + list(prefectures)
        self.shows_prefecture = sees_whole_country(user)

    def values(self) -> dict[str, str]:
        """The filters for selectors.targets_with_status (invalid ones ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data.get(k) or "" for k in ("prefecture", "kind", "status", "q")}
