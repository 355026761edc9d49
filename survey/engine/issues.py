"""Issue: one problem found in answers or respondent information, with a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Issue:
    """`item` is the answers key (item id or follow-up key "2:予定年月"); `field` the
    respondent field label; `value` the value as given; warnings never block saving."""

    code: str
    message: str
    item: str | None = None
    field: str | None = None
    value: Any = None
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR
