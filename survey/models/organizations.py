from django.db import models
from django.db.models import Q


class OrgKind(models.TextChoices):
    PREFECTURE = "prefecture", "都道府県"
    DESIGNATED_CITY = "designated_city", "政令指定都市"
    CITY = "city", "市"
    SPECIAL_WARD = "special_ward", "特別区"
    TOWN = "town", "町"
    VILLAGE = "village", "村"


class Organization(models.Model):
    """A local government of the master, by 全国地方公共団体コード (six digits)."""

    code = models.CharField("団体コード", max_length=6, unique=True)
    prefecture_code = models.CharField("都道府県コード", max_length=2, db_index=True)
    prefecture_name = models.CharField("都道府県名", max_length=10)
    name = models.CharField("団体名", max_length=50, help_text="市区町村名（郡名を除く）。都道府県は都道府県名")
    kana = models.CharField("カナ", max_length=100, blank=True)
    kind = models.CharField("団体区分", max_length=20, choices=OrgKind.choices)
    is_active = models.BooleanField("現存", default=True)
    retired_at = models.DateTimeField("廃止日時", null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "団体"
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="organization_code_six_digits"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The survey's 組織名 rule: `14神奈川県相模原市`, `13東京都`."""
        if self.is_prefecture:
            return f"{self.prefecture_code}{self.prefecture_name}"
        return f"{self.prefecture_code}{self.prefecture_name}{self.name}"

    @property
    def short_name(self) -> str:
        return self.name

    @property
    def is_prefecture(self) -> bool:
        return self.kind == OrgKind.PREFECTURE

    @property
    def engine_kind(self) -> str:
        """The organisation kind the survey engine knows: prefecture or municipality."""
        return "prefecture" if self.is_prefecture else "municipality"

    @property
    def section_label(self) -> str:
        """組織区分 as the survey lists it."""
        return "都道府県" if self.is_prefecture else "市区町村"
