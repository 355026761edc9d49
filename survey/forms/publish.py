"""The ministry's form to publish a round."""
from django import forms
from django.utils import timezone

from survey.models import SurveyVersion


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
