"""The questionnaire pages' repeated HTML, from parts built once per survey version.

Rendering every item, option, follow-up and respondent field (the edit page) and every row of
the answers table (confirm, response and review pages) through the template engine on each
request was the largest CPU cost of those pages (bench/load/profile_requests.py). What depends
only on the definition (escaped texts, names, ids, notes, labels) is built here once per
Definition object: one per survey version in a process (survey.models.SurveyVersion.engine keeps
them). A request adds only what depends on it: checked, hidden, values, errors, 変更あり marks.
The templates keep what needs their context (review threads, attachment slots, review links).
tests/answering/test_rendered_pages.py holds the pages as the templates drew them.

Every text goes through format_html (conditional_escape), and the parts are put together only by
format_html and format_html_join, which leave an escaped part as it is and escape anything else:
nothing here is marked safe by hand (tests/security/test_csp.py). The texts below moved here from
the templates: this module is their one home.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

from survey import engine
from survey.forms.presenting import followup_name, item_name, respondent_name
from survey.models import VersionSource
from survey.templatetags.portal import jdatetime, state_badge

MONTH_HELP = "例：2024年3月、令和6年3月、2024/3"
MAX_LENGTH_HELP = "{max_length}文字以内。"
ATTACHMENTS_HELP = "概要はファイルで添付することもできます（下の「添付する」）。"
MARKS_HINT = format_html('<span class="d-block form-text mt-1">{}</span>', "該当するものをすべて選んでください。")
REQUIRED_MARK = format_html('<span class="required-mark">{}</span>', "必須")
MINISTRY_MARK = format_html('<span class="ministry-mark">{}</span>', "厚生労働省で入力")
CHOOSE_PROMPT = "選択してください"
NOT_APPLICABLE = format_html('<span class="status-badge status-not_started">{}</span>', "対象外")
PENDING = format_html('<span class="text-body-secondary">{}</span>', "（前の設問の回答により決まります）")
UNANSWERED = format_html('<span class="fw-bold text-danger">{}</span>', "未回答")
NOT_WRITTEN = format_html('<span class="text-danger fw-bold">{}</span>', "未記入")
ARIA_INVALID = format_html(' aria-invalid="{}"', "true")
OWN_CHANGE = ('<div class="own-change mt-2" data-testid="own-change-{}"><span class="own-change-mark">前回から変更</span>'
              '<ul class="list-unstyled mb-0">{}</ul></div>')
OWN_CHANGE_ROW = "<li>{} 前回：{}</li>"
# Per-request bits as escaped parts: format_html passes an escaped part through as it is, while a
# plain str (even "") goes through escape(), which cost as much as the rest of a page's items.
NOTHING = escape("")
IS_INVALID = escape(" is-invalid")
HAS_ERROR = escape(" has-error")
CHECKED = escape(" checked")
SELECTED = escape(" selected")
HIDDEN = escape(" hidden")
END_DIV = format_html("{}</div>", NOTHING)
END_FIELDSET = format_html("{}</fieldset>", NOTHING)
OPTION = '<div class="form-check"><input class="form-check-input{}{}{}{}'  # + the note's {}{}{} + </div>
SLOT_LABEL = "概要のファイルを添付する（任意・複数可）"
SLOT_HELP = ("{}、1ファイル{}まで。ファイルを添付すると、概要を記載しなくても提出できます。"
             "添付は回答の入力とは別に保存されます：入力中の内容は先に「下書き保存」してください。")


@dataclass(frozen=True)
class OptionParts:
    """One option's HTML around its per-request bits (is-invalid, checked, the note's hidden)."""

    code: str
    input_tail: str  # from type="…" up to value="…" (after the input's class list)
    label: str  # aria-describedby (with a note), the closing > and the label
    note_open: str  # the note's opening tag up to where hidden goes ("" without a note)
    note_rest: str


@dataclass(frozen=True)
class FollowupParts:
    key: str
    name: str
    kind: str
    opening: str  # up to where hidden goes
    label: str
    max_length: str
    described: str  # aria-describedby without errors
    help: str  # the help text's div
    attachments: bool


@dataclass(frozen=True)
class ItemParts:
    name: str
    item_id: str
    has_notes: bool
    legend_head: str
    legend_tail: str
    notes: str
    options: tuple[OptionParts, ...]
    options_html: str  # the format of the options' div: OPTION per option, then the note's {}{}{} if any
    followups: tuple[FollowupParts, ...]


@dataclass(frozen=True)
class FieldParts:
    """A respondent field's HTML around its value, errors and the is-invalid marks."""

    name: str
    kind: str  # readonly, choice or input
    label: str
    input_type: str  # input: text, email or tel
    autocomplete: str  # the attribute, or ""
    choices: tuple[tuple[str, str], ...]  # choice: (value, escaped <option value="…")
    help: str


@dataclass(frozen=True)
class RowParts:
    """An item's row of the answers table (confirm, response and review pages)."""

    label: str
    text: str  # the question's cell and the opening of the answer's cell
    options: dict[str, str]  # code: its <li>


@dataclass(frozen=True)
class Parts:
    items: dict[str, ItemParts]
    respondent: tuple[FieldParts, ...]
    rows: dict[str, RowParts]
    # The HTML of an item (or an answers-table row) without follow-ups, errors or own changes depends
    # only on its few states (hidden, mark, the options chosen): made once per state and kept here,
    # with the definition's other parts (at most MEMO_MAX entries, then emptied and filled again).
    memo: dict = field(default_factory=dict, compare=False, repr=False)


MEMO_MAX = 4096


def _remember(memo: dict, key, value):
    if len(memo) >= MEMO_MAX:
        memo.clear()
    memo[key] = value
    return value


# Keyed by the Definition object's id; the entry keeps the object so that the id stays its own.
_CACHE: OrderedDict[int, tuple[engine.Definition, Parts]] = OrderedDict()
_CACHE_SIZE = 16


def definition_parts(defn: engine.Definition) -> Parts:
    """The HTML parts of the definition, built once per Definition object (a few kept)."""
    entry = _CACHE.get(id(defn))
    if entry is not None and entry[0] is defn:
        return entry[1]
    parts = Parts(items={item.id: _item_parts(defn, item) for item in defn.items},
                  respondent=tuple(_field_parts(respondent_name(defn, f.label), f) for f in defn.respondent_fields),
                  rows={item.id: _row_parts(item) for item in defn.items})
    _CACHE[id(defn)] = (defn, parts)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return parts


def _row_parts(item: engine.Item) -> RowParts:
    return RowParts(
        label=format_html('<th scope="row">{}', item.label),
        text=format_html('</th><td>{}</td><td data-testid="answer-{}">', item.text, item.id),
        options={o.code: format_html("<li>{}{}</li>", o.mark, o.text) for o in item.options},
    )


def _field_parts(name: str, f: engine.RespondentField) -> FieldParts:
    readonly = f.filled_by == "ministry"
    kind = "readonly" if readonly else ("choice" if f.kind == "choice" else "input")
    mark = MINISTRY_MARK if readonly else REQUIRED_MARK if f.required else ""
    choices = (("", CHOOSE_PROMPT),) + tuple((c, c) for c in f.choices)
    return FieldParts(
        name=name, kind=kind,
        label=format_html('<div class="mb-3"><label class="form-label" for="id_{}">{}{}</label>', name, f.label,
                          mark),
        input_type={"email": "email", "phone": "tel"}.get(f.kind, "text"),
        autocomplete=format_html(' autocomplete="{}"', {"email": "email", "phone": "tel"}[f.kind])
        if f.kind in ("email", "phone") else "",
        choices=tuple((value, format_html('<option value="{}"', value), format_html(">{}</option>", label))
                      for value, label in choices) if kind == "choice" else (),
        help=format_html('<div class="form-text" id="help_{}">{}</div>', name, f.guidance),
    )


def _item_parts(defn: engine.Definition, item: engine.Item) -> ItemParts:
    name = item_name(item.id)
    kind = "checkbox" if item.kind == "marks" else "radio"
    notes = ""
    if item.notes:
        notes = format_html('<div id="notes_{}">{}</div>', name,
                            format_html_join("", '<p class="q-note mb-2">{}</p>', ((n,) for n in item.notes)))
    return ItemParts(
        name=name, item_id=item.id, has_notes=bool(item.notes),
        legend_head=format_html('<legend><span class="q-label">{}</span>', item.label),
        legend_tail=format_html('<span class="q-text">{}</span>{}</legend>', item.text,
                                MARKS_HINT if item.kind == "marks" else ""),
        notes=notes,
        options=tuple(_option_parts(name, kind, n, o) for n, o in enumerate(item.options)),
        options_html='<div class="q-options">{}' + "".join(OPTION + ("{}{}{}" if o.note else "") + "</div>"
                                                           for o in item.options) + "</div>",
        followups=tuple(_followup_parts(defn, f) for f in item.followups),
    )


def _option_parts(name: str, kind: str, n: int, option: engine.Option) -> OptionParts:
    input_id = f"id_{name}_{n}"
    note_open = note_rest = ""
    if option.note:
        note_open = format_html('<span class="option-note" id="{}_note" data-note-for="{}"', input_id, input_id)
        note_rest = format_html(">{}</span>", option.note)
    return OptionParts(
        code=option.code,
        input_tail=format_html('" type="{}" name="{}" id="{}" value="{}"', kind, name, input_id, option.code),
        label=format_html('{}><label class="form-check-label" for="{}"><span class="option-mark">{}</span>{}</label>',
                          format_html(' aria-describedby="{}_note"', input_id) if option.note else "",
                          input_id, option.mark, option.text),
        note_open=note_open, note_rest=note_rest,
    )


def _followup_parts(defn: engine.Definition, f: engine.FollowUp) -> FollowupParts:
    name = followup_name(defn, f.key)
    if f.kind == "text":
        help_text = (MAX_LENGTH_HELP.format(max_length=f.max_length) if f.max_length else "") + (
            ATTACHMENTS_HELP if f.attachments else "")
    else:
        help_text = MONTH_HELP
    return FollowupParts(
        key=f.key, name=name, kind=f.kind,
        opening=format_html('<div class="followup" data-followup="{}"', f.key),
        label=format_html('<label class="form-label" for="id_{}">{}{}</label>', name, f.prompt,
                          REQUIRED_MARK if f.required else ""),
        max_length=format_html(' maxlength="{}"', f.max_length) if f.max_length else NOTHING,
        described=format_html(' aria-describedby="help_{}"', name),
        help=format_html('<div class="form-text" id="help_{}">{}</div>', name, help_text),
        attachments=f.kind == "text" and f.attachments,
    )


# --- per request------------------------------------------------------------------------------


def _join(parts) -> SafeString:
    """The parts one after another: escaped parts as they are, anything else escaped."""
    parts = list(parts)
    return format_html("{}" * len(parts), *parts) if parts else NOTHING


def joined_parts(views) -> SafeString:
    """The decorated items' (or fields') HTML, each head then tail, as one string."""
    return _join(part for v in views for part in (v.head, v.tail))


def _errors(name: str, errors, extra_class: str = "") -> SafeString:
    if not errors:
        return NOTHING
    return format_html('<div class="error-text{}" id="err_{}">{}</div>', extra_class, name,
                       format_html_join("", '<p class="mb-0">{}</p>', ((e,) for e in errors)))


def decorate_items(views, defn: engine.Definition, slots: dict[str, SafeString] | None = None) -> None:
    """Put each ItemView's HTML on it (`head`, `tail`: see item_html); `slots`: the upload slot's
    HTML of each follow-up that takes files (attachment_slot_html)."""
    every = definition_parts(defn)
    parts, memo = every.items, every.memo
    slots = slots or {}
    for view in views:
        item_parts = parts[view.item.id]
        if item_parts.followups or view.bound.errors:
            view.head, view.tail = item_html(view, item_parts, slots)
            continue
        key = ("item", item_parts.item_id, view.hidden, view.mark, tuple(view.chosen))
        found = memo.get(key)
        if found is None:
            found = _remember(memo, key, item_html(view, item_parts, slots))
        view.head, view.tail = found


def decorate_fields(views, defn: engine.Definition) -> None:
    """Put each respondent FieldView's HTML on it: `head` (label, control, help), `tail` (errors)."""
    for view, parts in zip(views, definition_parts(defn).respondent, strict=True):
        view.head = field_html(view, parts)
        errors = view.bound.errors
        view.tail = format_html("{}</div>", _errors(parts.name, errors)) if errors else END_DIV


def field_html(view, parts: FieldParts) -> SafeString:
    """A respondent field up to its help text (its review threads and errors come after)."""
    name, errors = parts.name, view.bound.errors
    if parts.kind == "readonly":
        control = format_html('<input type="text" class="form-control" id="id_{}" value="{}" readonly '
                              'aria-describedby="help_{}">', name, view.value, name)
        return format_html("{}{}{}", parts.label, control, parts.help)
    invalid = " is-invalid" if errors else ""
    described = format_html(' aria-describedby="help_{}{}"{}', name, f" err_{name}" if errors else "",
                            ARIA_INVALID if errors else "")
    if parts.kind == "choice":
        options = format_html_join("", "{}{}{}", ((head, " selected" if view.value == value else "", rest)
                                                  for value, head, rest in parts.choices))
        control = format_html('<select class="form-select{}" name="{}" id="id_{}"{}>{}</select>',
                              invalid, name, name, described, options)
    else:
        control = format_html('<input type="{}" class="form-control{}" name="{}" id="id_{}" value="{}" '
                              'maxlength="300"{}{}>', parts.input_type, invalid, name, name, view.value,
                              parts.autocomplete, described)
    return format_html("{}{}{}", parts.label, control, parts.help)


def item_html(view, parts: ItemParts, slots: dict[str, SafeString]) -> tuple[SafeString, SafeString]:
    """An ItemView as (the fieldset up to its review threads, the rest of it).

    The page template puts the item's threads between the two; the upload slot of a follow-up
    that takes files (`slots`, by key) comes after its help text."""
    errors = view.bound.errors
    name = parts.name
    described = ""
    if parts.has_notes or errors:
        described = format_html(' aria-describedby="{}{}"', f"notes_{name}" if parts.has_notes else "",
                                f" err_{name}" if errors else "")
    head = format_html(
        '<fieldset class="q-item{}" data-item="{}" id="item-{}"{}{}>{}{}{}{}{}',
        HAS_ERROR if errors else NOTHING, parts.item_id, parts.item_id, HIDDEN if view.hidden else NOTHING,
        described or NOTHING, parts.legend_head,
        format_html('<span class="change-mark" data-testid="change-mark">{}</span>', view.mark) if view.mark
        else NOTHING, parts.legend_tail, parts.notes or NOTHING, _errors(name, errors, " mb-2"),
    )
    invalid = IS_INVALID if errors else NOTHING
    chosen = view.chosen
    args = [NOTHING]  # the format's first {}: nothing before the options
    for o in parts.options:
        checked = o.code in chosen
        args += (invalid, o.input_tail, CHECKED if checked else NOTHING, o.label)
        if o.note_open:
            args += (o.note_open, NOTHING if checked else HIDDEN, o.note_rest)
    body = [format_html(parts.options_html, *args)]
    for fv, fp in zip(view.followups, parts.followups, strict=True):
        body.append(_followup_html(fv, fp))
        if fp.attachments:
            body.append(slots.get(fp.key, NOTHING))
        body.append(format_html("{}</div>", _errors(fp.name, fv.bound.errors)) if fv.bound.errors else END_DIV)
    body.append(END_FIELDSET)
    return head, _join(body)


def _followup_html(fv, fp: FollowupParts) -> SafeString:
    """A follow-up up to its help text (the attachment slot and the errors come after)."""
    errors = fv.bound.errors
    value = fv.bound.value()
    invalid = IS_INVALID if errors else NOTHING
    described = format_html(' aria-describedby="help_{} err_{}"{}', fp.name, fp.name, ARIA_INVALID) if errors \
        else fp.described
    if fp.kind == "text":
        control = format_html('<textarea class="form-control{}" name="{}" id="id_{}" rows="4"{}{}>{}</textarea>',
                              invalid, fp.name, fp.name, fp.max_length, described, value or "")
    else:
        control = format_html('<input type="text" class="form-control w-auto{}" name="{}" id="id_{}" value="{}" '
                              'size="16" inputmode="text"{}>', invalid, fp.name, fp.name, value or "", described)
    return format_html("{}{}>{}{}{}", fp.opening, NOTHING if fv.shown else HIDDEN, fp.label, control, fp.help)


def decorate_answer_rows(rows, defn: engine.Definition) -> None:
    """Put each AnswerRow's HTML on it (`head`: the row up to its review threads), after its marks."""
    every = definition_parts(defn)
    parts, memo = every.rows, every.memo
    for row in rows:
        if row.followups or row.changes:
            row.head = answer_row_html(row, parts[row.item.id])
            continue
        key = ("row", row.item.id, row.not_applicable, row.mark, row.state, tuple(o.code for o in row.options))
        found = memo.get(key)
        if found is None:
            found = _remember(memo, key, answer_row_html(row, parts[row.item.id]))
        row.head = found


def answer_row_html(row, parts: RowParts) -> SafeString:
    """The answers table's row of one item, up to where its review threads go (the template closes it)."""
    css = "answer-na" if row.not_applicable else "answer-changed" if row.changes else ""
    html = [format_html('<tr data-item="{}"{}>', row.item.id, format_html(' class="{}"', css) if css else ""),
            parts.label]
    if row.mark:
        html.append(format_html('<span class="change-mark">{}</span>', row.mark))
    html.append(parts.text)
    if row.not_applicable:
        html.append(NOT_APPLICABLE)
    elif row.options:
        html.append(format_html('<ul class="list-unstyled mb-0">{}</ul>', _join(parts.options[o.code] for o in row.options)))
    else:
        html.append(PENDING if row.state == engine.PENDING else UNANSWERED)
    if row.changes:
        html.append(format_html(OWN_CHANGE, row.item.id,
                                format_html_join("", OWN_CHANGE_ROW, ((c.label, c.before) for c in row.changes))))
    for f, value in row.followups:
        html.append(format_html(
            '<div class="mt-2 p-2 bg-body-tertiary"><span class="fw-bold">{}：</span>{}</div>', f.label,
            format_html('<span class="d-block text-pre-wrap">{}</span>', value) if value else NOT_WRITTEN))
    return _join(html)


def hidden_input_html(bound) -> SafeString:
    """A hidden field (a form's base_revision) as `{{ form.field }}` draws it, without Django's
    template-based widget renderer (two template renders, ~0.3 ms a page). Only for a HiddenInput
    without attrs of its own: tests/answering/test_hidden_input.py."""
    value = bound.field.widget.format_value(bound.value())
    return format_html('<input type="hidden" name="{}"{} id="{}">', bound.html_name,
                       format_html(' value="{}"', value) if value is not None else NOTHING, bound.auto_id)


ROW_END = format_html("{}</td></tr>", NOTHING)
RESPONDENT_ROW = '<tr><th scope="row">{}</th><td>{}</td></tr>'
NOT_ENTERED = "（未入力）"


def answers_table_html(rows) -> SafeString:
    """The answers table's rows (decorate_answer_rows' heads, each closed) in one string, for a page
    with no review thread or link between them (the template's loop otherwise)."""
    return _join(part for row in rows for part in (row.head, ROW_END))


def respondent_table_html(respondent: list[tuple[str, str]]) -> SafeString:
    """The respondent table's rows (presenting.respondent_rows) without review threads between them."""
    return format_html_join("", RESPONDENT_ROW, ((label, value or NOT_ENTERED) for label, value in respondent))


# --- attached files (the edit page) ----------------------------------------------------------------


def attachment_slot_html(slot, panel: dict, round_id: int, org_code: str) -> SafeString:
    """Under a follow-up that takes files: the files attached now and a file input for the slot's own
    form (outside the questionnaire form, linked by the form attribute). `panel`: edit_panel's dict."""
    form_id = slot.form_id
    return format_html(
        '<div class="attachment-slot mt-2" data-testid="attachment-slot-{}">{}'
        '<label class="form-label mt-2" for="{}-files">{}</label>'
        '<input type="file" class="form-control" id="{}-files" name="files" form="{}" multiple accept="{}" '
        'aria-describedby="{}-help"><div class="form-text" id="{}-help">{}</div>'
        '<button type="submit" class="btn btn-outline-primary btn-sm mt-1" form="{}">添付する</button></div>',
        slot.key, attached_files_html(slot.files, round_id, org_code), form_id, SLOT_LABEL, form_id, form_id,
        panel["accept"], form_id, form_id, SLOT_HELP.format(panel["accepted_label"], panel["max_size"]), form_id)


ATTACHMENT_FORM = ('<form method="post" enctype="multipart/form-data" action="{}" id="{}" data-testid="attachment-form">'
                   '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                   '<input type="hidden" name="purpose" value="{}"><input type="hidden" name="followup_key" value="{}">'
                   "</form>")


def attachment_forms_html(panel: dict, csrf_token: str) -> SafeString:
    """One upload form per slot, after the questionnaire's form (forms cannot nest; each slot's file
    input names its form by the form attribute), each with the CSRF token as {% csrf_token %} draws it."""
    return format_html_join("", ATTACHMENT_FORM, ((panel["upload_url"], slot.form_id, csrf_token, slot.purpose,
                                                   slot.key) for slot in panel["slots"]))


def attached_files_html(files, round_id: int, org_code: str) -> SafeString | str:
    """The files of one upload slot with download and remove links ("" without files)."""
    if not files:
        return ""
    rows = ((reverse("attachment_download", args=[round_id, org_code, a.pk]), a.original_name,
             filesizeformat(a.size), a.uploaded_by.name if a.uploaded_by else "", jdatetime(a.uploaded_at),
             reverse("attachment_remove", args=[round_id, org_code, a.pk])) for a in files)
    return format_html('<ul class="list-unstyled mb-0" data-testid="attached-files">{}</ul>', format_html_join(
        "", '<li><a href="{}" download>{}</a> （{}、{}、{}） <a class="ms-2" href="{}">削除</a></li>', rows))


# --- the response page's history table ------------------------------------------------------------

_NUMBER = 987654321  # a version number no response reaches: the URL is reversed once per page
HISTORY_LINK = '<a href="{}{}{}">第{}版</a>'
HISTORY_ROW = '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>'
VERSION_SOURCES = {key: escape(label) for key, label in VersionSource.choices}  # escaped once
_STATE_BADGES: dict[str, SafeString] = {}  # state_badge of each status (fixed labels), made once


def history_rows_html(versions, shown, round_id: int, org_code: str) -> SafeString:
    """The rows of 保存の履歴 (newest first, as selectors.version_history gives them): each version's
    number (a link, except the one shown),
    state, time, who acted (代理回答 when another organisation did) and channel. One reverse per
    page instead of one `{% url %}` per row: a response saved 50 times drew 50 rows through the
    template engine on every view."""
    before, after = (escape(part) for part in
                     reverse("response_version", args=[round_id, org_code, _NUMBER]).split(str(_NUMBER)))
    shown_pk = shown.pk if shown is not None else None
    rows = []
    for v in versions:
        number = (format_html("第{}版（表示中）", v.number) if v.pk == shown_pk
                  else format_html(HISTORY_LINK, before, v.number, after, v.number))
        if v.is_proxy:
            actor = format_html("{} {} が代理回答", v.acting_prefecture_name, v.actor_name or "")
        else:
            actor = v.actor_name or "—"
        badge = _STATE_BADGES.get(v.status)
        if badge is None:
            badge = _STATE_BADGES[v.status] = state_badge(v.status)
        rows.append(format_html(HISTORY_ROW, number, badge, jdatetime(v.created_at), actor,
                                VERSION_SOURCES.get(v.source, v.source)))
    return _join(rows)
