"""Forms of the review pages: return with comments, reopen with a reason, reply in a thread.

They only parse what was typed; survey.services.review checks anchors and states again.
"""
from __future__ import annotations

from django import forms

from survey.models import ReviewThread, RoundTarget
from survey.services.review import COMMENT_MAX, REASON_MAX, Anchor, NewComment

RETURN_SLOTS = 3  # comments one return can carry at once; more can follow while it stays returned
ITEM_TEXT_SHOWN = 40  # characters of a question's text in the anchor list


def anchor_choices(target: RoundTarget) -> list[tuple[str, str]]:
    """What a comment can be about: the whole response, each item, each respondent field."""
    defn = target.round.survey.engine
    items = [(Anchor(ReviewThread.Anchor.ITEM, i.id).value, f"{i.label} {_short(i.text)}") for i in defn.items]
    fields = [(Anchor(ReviewThread.Anchor.FIELD, f.label).value, f"回答者情報：{f.label}")
              for f in defn.respondent_fields]
    return [(ReviewThread.Anchor.RESPONSE.value, "回答全体"), ("設問", items), ("回答者情報", fields)]


def anchor_label(target: RoundTarget, value: str) -> str:
    """The label a page shows for an anchor value (`item:7-2` -> `Q7-2 …`)."""
    for choice, label in anchor_choices(target):
        options = label if isinstance(label, list) else [(choice, label)]
        for option, text in options:
            if option == value:
                return text
    return value


def _short(text: str) -> str:
    return text if len(text) <= ITEM_TEXT_SHOWN else text[:ITEM_TEXT_SHOWN] + "…"


class ReturnForm(forms.Form):
    """Up to RETURN_SLOTS comments, each on an item, a respondent field or the whole response."""

    def __init__(self, *args, target: RoundTarget, anchor: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        choices = anchor_choices(target)
        for n in range(1, RETURN_SLOTS + 1):
            self.fields[f"anchor_{n}"] = forms.ChoiceField(label=f"コメント{n}の対象", choices=choices, required=False,
                                                           initial=anchor if n == 1 and anchor else "response",
                                                           widget=forms.Select(attrs={"class": "form-select mb-2"}))
            self.fields[f"body_{n}"] = forms.CharField(
                label=f"コメント{n}の内容", required=False, max_length=COMMENT_MAX, strip=True,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}))

    def clean(self):
        data = super().clean()
        if not self.comments():
            raise forms.ValidationError("差し戻すにはコメントを1件以上入力してください。", code="no_comment")
        return data

    def comments(self) -> list[NewComment]:
        data = getattr(self, "cleaned_data", {})
        return [NewComment(anchor=Anchor.parse(data.get(f"anchor_{n}") or "response"), body=data[f"body_{n}"])
                for n in range(1, RETURN_SLOTS + 1) if data.get(f"body_{n}")]

    def slots(self):
        """(anchor field, body field) per slot, for the template."""
        return [(self[f"anchor_{n}"], self[f"body_{n}"]) for n in range(1, RETURN_SLOTS + 1)]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="承認を取り消す理由", max_length=REASON_MAX, strip=True,
                             widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
                             error_messages={"required": "承認を取り消す理由を入力してください。"})


BACK_PAGES = {"detail": "response_detail", "review": "response_review", "confirm": "response_confirm"}


class ReplyForm(forms.Form):
    body = forms.CharField(label="返信", max_length=COMMENT_MAX, strip=True,
                           widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMMENT_MAX}),
                           error_messages={"required": "返信を入力してください。"})
    back = forms.ChoiceField(choices=[(k, k) for k in BACK_PAGES], required=False, widget=forms.HiddenInput)
