"""The ministry's form to publish a round."""
import re

from django import forms
from django.utils import timezone

from survey.models import Organization, RoundStatus, SurveyVersion


class RoundForm(forms.Form):
    survey = forms.ModelChoiceField(label="調査票（版）", queryset=SurveyVersion.objects.all(), empty_label=None)
    title = forms.CharField(label="調査回名", max_length=200)
    deadline = forms.DateTimeField(
        label="回答期限", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="この日時を過ぎると団体は回答を変更できなくなります。",
    )
    scheme = forms.CharField(label="制度等", max_length=200)
    attribute = forms.CharField(label="属性", max_length=500, required=False,
                                help_text="同制度内にマイナンバーと紐付ける管理情報が複数ある場合等に入力します。")

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError("回答期限は現在より後の日時を指定してください。", code="deadline_past")
        return deadline


class NextRoundForm(RoundForm):
    """A round started from a previous one: the survey is one of the previous survey's versions."""

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["survey"]
        field.queryset = versions
        field.label_from_instance = lambda v: f"{v.title}（{v.version}）"
        field.help_text = "前回と同じ版、または改訂版を選びます。項目は項目番号で対応づけ、回答を引き継ぎます。"
class ExtensionForm(forms.Form):
    """An organisation's new deadline and why (survey.services.rounds.target_extend checks it again)."""

    deadline = forms.DateTimeField(
        label="延長後の回答期限", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="調査回の回答期限より後の日時を指定します。この団体だけがこの日時まで回答できます。",
    )
    reason = forms.CharField(label="延長の理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="団体・都道府県にも表示され、監査ログに記録されます。")

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline <= self.round.deadline:
            raise forms.ValidationError("延長後の回答期限は、調査回の回答期限より後の日時を指定してください。",
                                        code="not_later")
        if deadline <= timezone.now():
            raise forms.ValidationError("延長後の回答期限は現在より後の日時を指定してください。", code="deadline_past")
        return deadline


class RoundEditForm(forms.Form):
    """Title and deadline (and, before publishing, 制度等 and 属性) of a round."""

    title = forms.CharField(label="調査回名", max_length=200)
    deadline = forms.DateTimeField(label="回答期限", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   help_text="延長した団体の回答期限は、この期限より後であればそのまま有効です。")
    scheme = forms.CharField(label="制度等", max_length=200)
    attribute = forms.CharField(label="属性", max_length=500, required=False)

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        if round.status != RoundStatus.DRAFT:  # the sheets already sent carry them
            del self.fields["scheme"], self.fields["attribute"]

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline != self.round.deadline and deadline <= timezone.now():
            raise forms.ValidationError("回答期限は現在より後の日時を指定してください。", code="deadline_past")
        return deadline


class TargetsAddForm(forms.Form):
    """Organisations to add to a round, by code (団体コード, one per line or separated by commas)."""

    codes = forms.CharField(label="追加する団体の団体コード", widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="6桁の団体コードを1行に1つ（またはカンマ区切り）で入力します。")

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round

    def clean_codes(self):
        codes = list(dict.fromkeys(re.split(r"[\s,、，]+", self.cleaned_data["codes"].strip())))
        codes = [c for c in codes if c]
        found = {o.code: o for o in Organization.objects.filter(code__in=codes, is_active=True)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError("団体マスタにない団体コードです: %(codes)s", code="unknown_code",
                                        params={"codes": "、".join(unknown[:20])})
        already = set(self.round.targets.filter(organization__code__in=codes)
                      .values_list("organization__code", flat=True))
        new = [found[c] for c in codes if c not in already]
        if not new:
            raise forms.ValidationError("入力した団体はすべて既に対象です。", code="nothing_new")
        self.already = sorted(already)
        return new


class ReopenForm(forms.Form):
    """Why a round is reopened, and a new deadline when the old one has passed."""

    reason = forms.CharField(label="再開の理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="監査ログに記録され、調査回の履歴に表示されます。")
    deadline = forms.DateTimeField(label="新しい回答期限", required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   help_text="回答期限を過ぎている場合は必須です。")

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round
        if round.status != RoundStatus.CLOSED:  # 確定 → 締切: no deadline involved
            del self.fields["deadline"]
