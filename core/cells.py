"""Cell values as clerks write them → canonical Python values.

Each parser returns (value, problem): problem is None, or a short Chinese phrase saying what
is wrong with the cell. Blank cells are handled by the caller (they mean different things in
different columns).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from core.layout import YESNO, normalize_label

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers of unformatted date cells that are plausibly dates (1954–2119).
SERIAL_RANGE = (20000, 80000)
_COUNT = re.compile(r"^(-?\d+(?:\.\d+)?)(?:人|名|个|位)?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: object) -> tuple[str | None, None]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric name such as 3 (号楼) should not read "3.0"
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()[:10]
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    return (text or None), None


def parse_yesno(value: object) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value), None
    answer = YESNO.get(normalize_label(value))
    if answer is None:
        return None, f"“{value}”不是可识别的是/否填法，请填“是”或“否”"
    return answer, None


def parse_count(value: object) -> tuple[int | None, str | None]:
    if isinstance(value, bool):
        return None, f"“{value}”不是人数，请填写整数（如 7）"
    if isinstance(value, (int, float)):
        number = value
    else:
        match = _COUNT.match(normalize_label(value).replace(",", ""))
        if not match:
            return None, f"“{value}”不是整数，请只填数字（如 7）"
        number = float(match.group(1))
    if number < 0:
        return None, f"“{value}”是负数，人数不能小于 0，请填写 0 或正整数"
    if not float(number).is_integer():
        return None, f"“{value}”不是整数，人数须为整数，请改正"
    return int(number), None


def parse_date(value: object) -> tuple[dt.date | None, str | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + dt.timedelta(days=int(value)), None
        return None, f"“{value}”不是日期，请按 2021-11-20 的格式填写"
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups())), None
        except ValueError:
            pass
    elif _NUMBER.match(text):  # cells are read as text: an unformatted date cell reads "44520"
        if SERIAL_RANGE[0] <= float(text) <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + dt.timedelta(days=int(float(text))), None
        return None, f"“{value}”不是日期，请按 2021-11-20 的格式填写"
    return None, f"“{value}”不是有效日期，请按 2021-11-20 的格式填写"


def parse_choice(value: object, choices: tuple[str, ...]) -> tuple[str | None, str | None]:
    text = normalize_label(value)
    for choice in choices:
        if text == normalize_label(choice):
            return choice, None
    return None, f"“{value}”不是可选值，请填写{'、'.join(choices)}之一"


PARSERS = {"text": parse_text, "yesno": parse_yesno, "int": parse_count, "date": parse_date}
