"""Year-month values as people type them -> canonical "YYYY-MM"."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# First year of each era minus one: 令和1年 = 2019.
ERA_OFFSETS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}
MIN_YEAR, MAX_YEAR = 1900, 2100
# Excel serial day numbers of 1954-10-03 .. 2119-01-08: far from any plausible year.
_SERIAL_RANGE = (20000, 80000)
_EXCEL_EPOCH = dt.date(1899, 12, 30)

_TAIL = r"(?:月(?:\d{1,2}日)?|[./-]\d{1,2})?"  # a day, when given, is dropped
_WESTERN = re.compile(r"(\d{4})(?:年|[./-])(\d{1,2})" + _TAIL)
_COMPACT = re.compile(r"(\d{4})(\d{2})")
_ERA = re.compile(r"(令和|平成|昭和|[RHS])(元|\d{1,2})(?:年|[./-])(\d{1,2})" + _TAIL, re.IGNORECASE)
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _canonical(year: int, month: int) -> str | None:
    if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12:
        return f"{year:04d}-{month:02d}"
    return None


def _from_number(value: float) -> str | None:
    if MIN_YEAR <= value < MAX_YEAR + 1 and not float(value).is_integer():
        return parse_month(repr(float(value)))  # 2024.3 typed into a General cell
    if _SERIAL_RANGE[0] <= value < _SERIAL_RANGE[1]:
        day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        return _canonical(day.year, day.month)
    return None


def _from_text(text: str) -> str | None:
    text = _TIME.sub("", unicodedata.normalize("NFKC", text).strip())
    text = re.sub(r"\s+", "", text)
    if m := _ERA.fullmatch(text):
        era = m.group(1).upper() if len(m.group(1)) == 1 else m.group(1)
        year = 1 if m.group(2) == "元" else int(m.group(2))
        return _canonical(ERA_OFFSETS[era] + year, int(m.group(3))) if year >= 1 else None
    m = _WESTERN.fullmatch(text) or _COMPACT.fullmatch(text)
    return _canonical(int(m.group(1)), int(m.group(2))) if m else None


def parse_month(value) -> str | None:
    """ "YYYY-MM" for a year-month in any accepted form, None if it cannot be read.

    Accepts 2024年3月, 令和6年3月, 令和元年5月, R6.3, r6/3, H31.4, 2024/3, 2024-03, 2024.3,
    202403, full-width digits, dates with a day, date/datetime objects, Excel serial
    numbers and Excel's float for a typed 2024.3.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dt.date):  # datetime is a date too
        return _canonical(value.year, value.month)
    if isinstance(value, int | float):
        return _from_number(value)
    return _from_text(str(value))


def is_canonical_month(value) -> bool:
    """Whether `value` is a stored month value ("2024-03")."""
    return isinstance(value, str) and bool(MONTH_RE.fullmatch(value)) and parse_month(value) == value


# Eras by the first month counted in them (a month that straddles a change takes the new era).
_ERA_STARTS = (("令和", 2019, 5), ("平成", 1989, 1), ("昭和", 1926, 12))


def format_month(value) -> str:
    """A stored month as people read it: "2025-03" -> "2025年3月" (anything else unchanged)."""
    if not is_canonical_month(value):
        return "" if value is None else str(value)
    year, month = int(value[:4]), int(value[5:])
    return f"{year}年{month}月"


def format_month_wareki(value) -> str:
    """A stored month in the Japanese calendar: "2025-03" -> "令和7年3月", "2019-05" -> "令和元年5月"."""
    if not is_canonical_month(value):
        return "" if value is None else str(value)
    year, month = int(value[:4]), int(value[5:])
    for era, first_year, first_month in _ERA_STARTS:
        if (year, month) >= (first_year, first_month):
            n = year - first_year + 1
            return f"{era}{'元' if n == 1 else n}年{month}月"
    return format_month(value)


def month_display(value) -> str:
    """Both calendars, as the survey's own texts use 和暦: "2025年3月（令和7年3月）"."""
    if not is_canonical_month(value):
        return "" if value is None else str(value)
    return f"{format_month(value)}（{format_month_wareki(value)}）"
