"""Forms of the two-factor sign-in: the code step, enrolment and the policy per role."""
from django import forms
from django.core.exceptions import ValidationError

from survey import two_factor

CODE_HELP = "認証アプリに表示されている6桁の数字を入力してください。"


def _code_widget(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false",
                                  "autocapitalize": "off", **attrs})


class CodeForm(forms.Form):
    """The code step of sign-in: a code from the app, or one of the recovery codes."""

    code = forms.CharField(
        label="確認コード", max_length=40, widget=_code_widget(),
        help_text=CODE_HELP + "スマートフォンが手元にない場合は、8文字のリカバリーコードを入力できます（各コードは1回だけ使えます）。")

    def clean_code(self):
        code = two_factor.normalise_code(self.cleaned_data["code"])
        if not (two_factor.TOTP_CODE.fullmatch(code) or two_factor.RECOVERY_CODE.fullmatch(code)):
            raise ValidationError("6桁の確認コード、または8文字のリカバリーコードを入力してください。", code="code_format")
        return code


class EnrolForm(forms.Form):
    """Enrolment: the first code from the newly registered app proves it shows the right codes."""

    code = forms.CharField(label="確認コード（6桁）", max_length=20, help_text=CODE_HELP,
                           widget=_code_widget(inputmode="numeric"))

    def clean_code(self):
        code = two_factor.normalise_code(self.cleaned_data["code"])
        if not two_factor.TOTP_CODE.fullmatch(code):
            raise ValidationError("確認コードは6桁の数字です。", code="code_format")
        return code


class PolicyForm(forms.Form):
    """One check box per role; the privileged roles' boxes are checked and cannot be changed."""

    def __init__(self, *args, rows: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[row["role"]] = forms.BooleanField(
                label=f"{row['label']}に二要素認証を必須にする", required=False, initial=row["required"],
                disabled=row["fixed"],
                help_text="政府統一基準により必須です（変更できません）。" if row["fixed"] else "")

    def changes(self) -> list[tuple[str, bool]]:
        """(role, required) of every role whose box differs from the policy in force."""
        return [(row["role"], self.cleaned_data[row["role"]]) for row in self.rows
                if not row["fixed"] and self.cleaned_data[row["role"]] != row["required"]]
