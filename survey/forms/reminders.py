"""The ministry's form for a round's reminder schedule."""
from django import forms

from survey.services.scheduled_reminders import MAX_OFFSET, parse_offsets


class ReminderScheduleForm(forms.Form):
    offsets = forms.CharField(
        label="督促を送る日（回答期限の何日前）", required=False, max_length=100,
        help_text=f"日数をカンマで区切って入力します（例: 7, 3, 1）。0〜{MAX_OFFSET}、10回まで。空にすると自動督促を送りません。"
                  "期限を延長した団体には、延長後の期限から数えて送ります。",
    )
    digest = forms.BooleanField(label="回答受付中は毎日、都道府県に管内市区町村の回答状況を送る", required=False)

    def clean_offsets(self) -> list[int]:
        return parse_offsets(self.cleaned_data["offsets"])
