"""Finding the ledgers in a hand-made workbook: which sheet is which, where its header is,
which column means what, and which rows hold data.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.layout import (INFO_ALIASES, INFO_FIELDS, INFO_SHEET_NAME, INSTRUCTIONS_SHEET_NAME, LEDGERS,
                         NOTE_PREFIXES, SERIAL_HEADERS, TOTAL_WORDS, Sheet, header_index, normalize_label)
from core.reader import RawSheet

HEADER_SEARCH_ROWS = 30  # title and note rows above a header rarely exceed a handful
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

    @property
    def first_data_row(self) -> int:
        return self.header_rows[-1] + 1

    def header_of(self, code: str) -> str:
        index = self.columns.get(code)
        return self.headers[index] if index is not None else self.spec.column(code).header


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def fill_merged(raw: RawSheet) -> list[list]:
    """The sheet's rows with every merged range filled with its top-left value."""
    rows = [list(r) for r in raw.rows]
    for (top, left), (bottom, right) in raw.merged:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(bottom, len(rows) - 1) + 1):
            for c in range(left, min(right, len(rows[r]) - 1) + 1):
                rows[r][c] = value
    return rows


def _labels(rows: list[list], top: int, depth: int) -> list[tuple[str, ...]]:
    """Per column, the header texts to try, most specific first."""
    upper = rows[top]
    if depth == 1:
        return [(cell_text(v),) for v in upper]
    lower = rows[top + 1] if top + 1 < len(rows) else []
    labels = []
    for c, value in enumerate(upper):
        group = cell_text(value)
        sub = cell_text(lower[c]) if c < len(lower) else ""
        if sub and sub != group:
            # "业委会情况" over "成员数" also reads as "业委会成员数"; never the group alone,
            # or a first data row under a one-row header would pass for a second header row.
            labels.append((sub, _GROUP_SUFFIX.sub("", group) + sub))
        else:
            labels.append((group,))
    return labels


def _match(labels: list[tuple[str, ...]], index: dict[str, str]):
    columns: dict[str, int] = {}
    headers: dict[int, str] = {}
    unknown, duplicates = [], []
    for c, options in enumerate(labels):
        written = next((o for o in options if o), "")
        if not written:
            continue
        code = next((index[k] for k in map(normalize_label, options) if k in index), None)
        headers[c] = written.replace("\n", "")
        if code is None:
            if normalize_label(written) not in SERIAL_HEADERS:
                unknown.append(headers[c])
        elif code in columns:
            duplicates.append(headers[c])
        else:
            columns[code] = c
    return columns, headers, unknown, duplicates


def locate_header(raw: RawSheet, rows: list[list], spec: Sheet) -> Ledger | None:
    """The ledger's header (one or two rows) within the first rows of the sheet, else None."""
    index = header_index(spec)
    best: tuple[tuple[int, int, int], Ledger] | None = None
    for top in range(min(HEADER_SEARCH_ROWS, len(rows))):
        for depth in (1, 2):
            if top + depth > len(rows):
                continue
            columns, headers, unknown, duplicates = _match(_labels(rows, top, depth), index)
            if len(columns) < spec.min_header_matches:
                continue
            # Most columns matched wins; on a tie, the header that ends lowest, in fewest rows
            # (a title or group row above the real header is not part of it).
            rank = (len(columns), top + depth, -depth)
            if best is None or rank > best[0]:
                best = rank, Ledger(spec, raw, tuple(range(top, top + depth)), columns, headers, unknown, duplicates)
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
    filled = {id(s): fill_merged(s) for s in candidates}
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


def row_kind(values: list) -> str:
    """'blank', 'total', 'note' or 'data' for one row's cells."""
    texts = [cell_text(v) for v in values if cell_text(v)]
    if not texts:
        return "blank"
    first = normalize_label(texts[0])
    if any(first.startswith(w) for w in TOTAL_WORDS) or any(
            normalize_label(t) in TOTAL_WORDS for t in texts[:4]):
        return "total"
    if any(first.startswith(normalize_label(p)) for p in NOTE_PREFIXES):
        return "note"
    return "data"


def info_fields(sheets: list[RawSheet]) -> dict[str, tuple[object, str, int]]:
    """Fields of the 基本信息 sheet: code → (value, sheet name, 1-based row)."""
    lookup = {normalize_label(label): code
              for code, (label, synonyms) in INFO_FIELDS.items() for label in (label, *synonyms)}
    found: dict[str, tuple[object, str, int]] = {}
    for sheet in sheets:
        if not is_info_sheet(sheet.name):
            continue
        for r, row in enumerate(sheet.rows):
            cells = [v for v in row if cell_text(v)]
            for i, value in enumerate(cells[:-1]):
                code = lookup.get(normalize_label(value).rstrip(":："))
                if code and code not in found:
                    found[code] = (cells[i + 1], sheet.name, r + 1)
    return found


_TITLE_DATE = re.compile(r"(?:报送日期|填报日期|统计日期|截至|截止|数据截至)[:：\s]*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)")
_TITLE_TOWN = re.compile(r"(?:填报单位|报送单位|单位)[:：\s]*(\S+)")


def title_fields(ledgers: dict[str, Ledger]) -> dict[str, tuple[str, str, int]]:
    """Report date and town stated in the title rows above a ledger's header."""
    found: dict[str, tuple[str, str, int]] = {}
    for ledger in ledgers.values():
        for r in range(ledger.header_rows[0]):
            for value in ledger.raw.rows[r]:
                text = cell_text(value)
                if not text:
                    continue
                date = _TITLE_DATE.search(text)
                if date and "report_date" not in found:
                    found["report_date"] = (date.group(1), ledger.raw.name, r + 1)
                town = _TITLE_TOWN.search(text)
                if town and "town" not in found:
                    found["town"] = (town.group(1), ledger.raw.name, r + 1)
    return found
