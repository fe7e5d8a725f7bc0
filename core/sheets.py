"""Finding the ledgers in a hand-made workbook: which sheet is which, where its header is,
which column means what, and which rows hold data.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from core.layout import (INFO_ALIASES, INFO_FIELDS, INFO_SHEET_NAME, INSTRUCTIONS_SHEET_NAME, LEDGERS,
                         NOTE_PREFIXES, REMARK_HEADERS, SERIAL_HEADERS, TOTAL_WORDS, Sheet, header_index,
                         normalize_label)
from core.reader import RawSheet

HEADER_SEARCH_ROWS = 30  # title and note rows above a header rarely exceed a handful
_TOTAL_WORDS = tuple(normalize_label(w) for w in TOTAL_WORDS)
_NOTE_PREFIXES = tuple(normalize_label(p) for p in NOTE_PREFIXES)
_IGNORED_HEADERS = frozenset(normalize_label(h) for h in SERIAL_HEADERS + REMARK_HEADERS)
_GROUP_SUFFIX = re.compile(r"(情况|信息|基本情况)$")


@dataclass
class Ledger:
    """One ledger sheet located in a workbook."""
    spec: Sheet
    raw: RawSheet
    header_rows: tuple[int, ...]  # 0-based rows that make up the header
    columns: dict[str, int]  # column code → 0-based column index
    headers: dict[int, str]  # 0-based column index → header as written (for messages)
    unknown_headers: list[str] = field(default_factory=list)
    duplicate_headers: list[str] = field(default_factory=list)

    @functools.cached_property
    def header_index(self) -> dict[str, str]:
        return header_index(self.spec)

    @property
    def first_data_row(self) -> int:
        return self.header_rows[-1] + 1

    def header_of(self, code: str) -> str:
        index = self.columns.get(code)
        return self.headers[index] if index is not None else self.spec.column(code).header

    def column_number(self, code: str) -> int | None:
        """The 1-based Excel column of a ledger column, for an issue that names one of its cells."""
        index = self.columns.get(code)
        return None if index is None else index + 1


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def fill_merged(raw: RawSheet, count: int | None = None) -> list[list]:
    """The sheet's first `count` rows (all where None) with every merged range filled with its
    top-left value."""
    rows = raw.head(raw.height if count is None else count)
    for (top, left), (bottom, right) in raw.merged:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            for c in range(left, min(right, len(rows[r]) - 1) + 1):
                rows[r][c] = value
    return rows


def _labels(rows: list[list], top: int, depth: int) -> list[tuple[str, ...]]:
    """Per column, the header texts to try: as written, then (two-row header) prefixed with its
    group cell. `_match` prefers the second, the more specific reading."""
    upper = rows[top]
    if depth == 1:
        return [(cell_text(v),) for v in upper]
    lower = rows[top + 1] if top + 1 < len(rows) else []
    labels = []
    for c, value in enumerate(upper):
        group = cell_text(value)
        sub = cell_text(lower[c]) if c < len(lower) else ""
        if sub and sub != group:
            # "物业企业情况" over "已建党组织" reads as "物业企业已建党组织" before the bare
            # "已建党组织" (which means the committee's); never the group alone, or a first data
            # row under a one-row header would pass for a second header row.
            labels.append((sub, _GROUP_SUFFIX.sub("", group) + sub) if group else (sub,))
        else:
            labels.append((group,))
    return labels


def _match(labels: list[tuple[str, ...]], index: dict[str, str]):
    """(columns, headers, unknown, duplicates, qualified): `qualified` counts columns matched
    through their group cell."""
    columns: dict[str, int] = {}
    headers: dict[int, str] = {}
    unknown, duplicates = [], []
    qualified = 0
    for c, options in enumerate(labels):
        written = next((o for o in options if o), "")
        if not written:
            continue
        keys = [normalize_label(o) for o in options]
        # The group-qualified reading (last option) is the most specific one.
        found = next(((k, index[k]) for k in reversed(keys) if k in index), None)
        headers[c] = written.replace("\n", "")
        if found is None:
            if normalize_label(written) not in _IGNORED_HEADERS:
                unknown.append(headers[c])
            continue
        key, code = found
        if code in columns:
            duplicates.append(headers[c])
            continue
        columns[code] = c
        qualified += len(keys) > 1 and key == keys[-1] and index.get(keys[0]) != code
    return columns, headers, unknown, duplicates, qualified


def locate_header(raw: RawSheet, rows: list[list], spec: Sheet) -> Ledger | None:
    """The ledger's header (one or two rows) within the first rows of the sheet, else None."""
    index = header_index(spec)
    best: tuple[tuple[int, int, int], Ledger] | None = None
    for top in range(min(HEADER_SEARCH_ROWS, len(rows))):
        for depth in (1, 2):
            if top + depth > len(rows):
                continue
            columns, headers, unknown, duplicates, qualified = _match(_labels(rows, top, depth), index)
            if len(columns) < spec.min_header_matches:
                continue
            # Most columns matched wins. On a tie within the same block of header rows (a title
            # or group row above the real header, or a header merged over two rows): the reading
            # that ends lowest, then the one whose group cells changed a reading, then the one
            # in fewest rows. A tie further down is the header written again after some data
            # (atop a printed page), never the header itself.
            ledger = Ledger(spec, raw, tuple(range(top, top + depth)), columns, headers, unknown, duplicates)
            rank = (len(columns), top + depth, qualified, -depth)
            if best is None or rank[0] > best[0][0] or (
                    rank[0] == best[0][0] and top <= best[1].header_rows[-1] and rank > best[0]):
                best = rank, ledger
        if best and best[0][0] == len(spec.columns) and top > best[1].header_rows[-1]:
            break  # every column found, and the rows below it can only tie: they are data
    return best[1] if best else None


def is_info_sheet(name: str) -> bool:
    return normalize_label(name) in {normalize_label(n) for n in (INFO_SHEET_NAME, *INFO_ALIASES)}


def is_instructions_sheet(name: str) -> bool:
    return normalize_label(name) in {normalize_label(INSTRUCTIONS_SHEET_NAME), "说明", "填表说明"}


def _name_matches(name: str, spec: Sheet) -> bool:
    return normalize_label(name) in {normalize_label(n) for n in (spec.name, *spec.aliases)}


def locate_ledgers(sheets: list[RawSheet]) -> dict[str, Ledger]:
    """Ledger key → located ledger: by sheet name first, then by the best header match."""
    candidates = [s for s in sheets if not is_info_sheet(s.name) and not is_instructions_sheet(s.name)]
    # A header is looked for in the first rows only: the body is read column by column (core/body.py).
    filled = {id(s): fill_merged(s, HEADER_SEARCH_ROWS + 2) for s in candidates}
    found: dict[str, Ledger] = {}
    taken: set[int] = set()
    for spec in LEDGERS:
        for sheet in candidates:
            if id(sheet) not in taken and _name_matches(sheet.name, spec):
                ledger = locate_header(sheet, filled[id(sheet)], spec)
                if ledger:
                    found[spec.key], _ = ledger, taken.add(id(sheet))
                    break
    # Sheets with unexpected names (Sheet1, 2021年11月…) are recognised by their header row.
    scored = []
    for spec in LEDGERS:
        if spec.key in found:
            continue
        for sheet in candidates:
            if id(sheet) in taken:
                continue
            ledger = locate_header(sheet, filled[id(sheet)], spec)
            if ledger and all(code in ledger.columns for code in spec.required_columns[:2]):
                scored.append((len(ledger.columns), ledger))
    for _, ledger in sorted(scored, key=lambda pair: -pair[0]):
        if ledger.spec.key not in found and id(ledger.raw) not in taken:
            found[ledger.spec.key] = ledger
            taken.add(id(ledger.raw))
    return found


def row_kind(values: list, ledger: Ledger | None = None) -> str:
    """'blank', 'total', 'note', 'header' (the ledger's header written again, e.g. atop each printed
    page) or 'data' for one row's cells."""
    texts = [cell_text(v) for v in values if cell_text(v)]
    if not texts:
        return "blank"
    first = normalize_label(texts[0])
    if first.startswith(_TOTAL_WORDS) or any(normalize_label(t) in _TOTAL_WORDS for t in texts[1:4]):
        return "total"
    if first.startswith(_NOTE_PREFIXES):
        return "note"
    if ledger is not None and _repeats_header(values, ledger):
        return "header"
    return "data"


def _repeats_header(values: list, ledger: Ledger) -> bool:
    """True where at least a third of the ledger's columns (and three or more) hold a header of
    their own column. (A data cell rarely does: only a yes/no such as "已成立" can.)"""
    index = ledger.header_index
    probe = ledger.columns.get(ledger.spec.required_columns[0])  # one cell first: data rows leave fast
    if probe is None or probe >= len(values) or index.get(normalize_label(cell_text(values[probe]))) is None:
        return False
    same = sum(1 for code, c in ledger.columns.items()
               if c < len(values) and index.get(normalize_label(cell_text(values[c]))) == code)
    return same >= max(3, len(ledger.columns) / 3)


def _info_lookup() -> dict[str, str]:
    """Normalised field label (as in 基本信息) → field code."""
    return {normalize_label(label): code
            for code, (label, synonyms) in INFO_FIELDS.items() for label in (label, *synonyms)}


def _label_code(value: object, lookup: dict[str, str]) -> str | None:
    return lookup.get(normalize_label(value).rstrip(":："))


def _label_text(value: object) -> str:
    return cell_text(value).replace("\n", "").rstrip(":：").strip()


_INLINE_FIELD = re.compile(r"^([^:：]{1,12})[:：]\s*(\S.*)$")


def _fields_in_row(rows: list[list], r: int, lookup: dict[str, str], look_below: bool):
    """(code, value, label as written) of the fields a row states: a label cell followed by its
    value cell ("报送日期" | 2021-11-30), a label with its value in one cell ("报送日期：2021-11-30"),
    or — where `look_below` — a row of two or more labels over a row of values."""
    row = rows[r]
    filled = [c for c, v in enumerate(row) if cell_text(v)]
    codes = {c: _label_code(row[c], lookup) for c in filled}
    label_row = look_below and sum(1 for code in codes.values() if code) >= 2 and r + 1 < len(rows)
    for i, c in enumerate(filled):
        code = codes[c]
        if code:
            right = row[filled[i + 1]] if i + 1 < len(filled) else None
            below = rows[r + 1][c] if label_row and c < len(rows[r + 1]) else None
            for value in (right, below):
                if value is not None and cell_text(value) and not _label_code(value, lookup):
                    yield code, value, _label_text(row[c])
                    break
            continue
        inline = _INLINE_FIELD.match(cell_text(row[c]))
        if inline and _label_code(inline.group(1), lookup):
            yield _label_code(inline.group(1), lookup), inline.group(2).strip(), inline.group(1).strip()


def info_fields(sheets: list[RawSheet]) -> dict[str, tuple[object, str, int, str]]:
    """Fields of the 基本信息 sheet: code → (value, sheet name, 1-based row, label as written)."""
    lookup = _info_lookup()
    found: dict[str, tuple[object, str, int, str]] = {}
    for sheet in sheets:
        if not is_info_sheet(sheet.name):
            continue
        for r in range(len(sheet.rows)):
            for code, value, label in _fields_in_row(sheet.rows, r, lookup, look_below=True):
                found.setdefault(code, (value, sheet.name, r + 1, label))
    return found


_DATE_TEXT = r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
_DATE_LABELS = ("报送日期", "填报日期", "统计日期", "截至日期", "截止日期", "报送时间", "填报时间", "统计时间",
                "数据截至", "截至", "截止")
_TITLE_DATE = re.compile(rf"({'|'.join(_DATE_LABELS)})[:：\s]*({_DATE_TEXT})")
_TITLE_TOWN = re.compile(r"(填报单位|报送单位|单位)[:：\s]*([^\s（(:：]+)")


def title_rows(ledgers: dict[str, Ledger]):
    """(cell values, sheet name, 1-based row) of every row above each ledger's header."""
    for ledger in ledgers.values():
        for r, values in enumerate(ledger.raw.head(ledger.header_rows[0])):
            yield values, ledger.raw.name, r + 1


def title_fields(ledgers: dict[str, Ledger]) -> dict[str, tuple[object, str, int, str]]:
    """Report date and town stated in the title rows above a ledger's header: code → (value,
    sheet name, 1-based row, label as written). A field is written in one cell
    ("报送日期：2021年11月30日") or as a label cell followed by a value cell ("截止日期：" | 2021-11-30)."""
    lookup = _info_lookup()
    found: dict[str, tuple[object, str, int, str]] = {}
    for ledger in ledgers.values():
        rows = ledger.raw.head(ledger.header_rows[0] + 1)  # the row below a label may hold its value
        for r in range(ledger.header_rows[0]):
            for value in rows[r]:  # within one cell: "填报单位：般阳路街道　报送日期：2021年11月30日"
                text = cell_text(value)
                date = _TITLE_DATE.search(text)
                if date:
                    found.setdefault("report_date", (date.group(2), ledger.raw.name, r + 1, date.group(1)))
                town = _TITLE_TOWN.search(text)
                if town:
                    found.setdefault("town", (town.group(2), ledger.raw.name, r + 1, town.group(1)))
            for code, value, label in _fields_in_row(rows, r, lookup, look_below=False):
                if code in ("town", "report_date"):
                    found.setdefault(code, (value, ledger.raw.name, r + 1, label))
    return found
