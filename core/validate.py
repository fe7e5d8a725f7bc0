"""A town workbook → canonical tables per town and report date, plus every problem found.

`read_workbook` never stops at the first problem: it reads every sheet and row it can and
reports all errors and warnings together, each with sheet, Excel row and column header.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import body, gate, sheets
from core.body import PANDAS_DTYPES
from core.cells import parse_date, parse_text
from core.checks import CHECKS, check_across
from core.config import Campaign
from core.issues import Issue, IssueList
from core.layout import COMMUNITIES, COMPOUNDS, LEDGERS, Column, normalize_label
from core.ledger_columns import LedgerColumns, frame_of
from core.reader import MAX_CELL_CHARS, UnreadableWorkbook, read_book

# How clerks end a town's name, per kind of town: "般阳路街道办事处" is 般阳路街道, "昆仑镇人民政府" is
# 昆仑镇; a bare stem ("般阳路", "昆仑") is either. A suffix of the other kind ("岭子街道" for 岭子镇)
# is not a spelling of the town but a mistake, and is reported.
TOWN_SUFFIXES = {"街道": ("街道办事处", "街道办", "办事处", "街道"), "镇": ("镇人民政府", "镇政府", "镇")}


class WorkbookFrames(Mapping):
    """Ledger key → the rows of every town as a pandas frame, converted from the workbook's Arrow
    tables on first use (storing a workbook needs none of them) and shared by its reports."""

    def __init__(self, ledgers: dict[str, pa.Table]):
        self.ledgers, self._frames = ledgers, {}

    def __getitem__(self, key: str) -> pd.DataFrame:
        if key not in self._frames:
            table = self.ledgers.get(key)
            self._frames[key] = _empty_table(key).copy() if table is None else frame_of(table)
        return self._frames[key]

    def __iter__(self):
        return (spec.key for spec in LEDGERS)

    def __len__(self) -> int:
        return len(LEDGERS)


class TownTables(Mapping):
    """Ledger key → one town's rows, sliced on first use from the workbook's frames of every town
    (a province workbook makes a thousand reports; most are only ever stored, set-wise)."""

    def __init__(self, everyone: Mapping[str, pd.DataFrame], town: str):
        self.everyone, self.town, self._sliced = everyone, town, {}

    def __getitem__(self, key: str) -> pd.DataFrame:
        if key not in self._sliced:
            frame = self.everyone[key]
            self._sliced[key] = frame.loc[frame["town"] == self.town].reset_index(drop=True)
        return self._sliced[key]

    def __iter__(self):
        return iter(self.everyone)

    def __len__(self) -> int:
        return len(self.everyone)


@dataclass(eq=False)
class Report:
    """The canonical rows of one town for one report date."""
    town: str
    report_date: dt.date
    tables: Mapping[str, pd.DataFrame]  # ledger key → rows (one column per layout code + source_row)
    compound_count: int | None = None
    community_count: int | None = None

    def __post_init__(self):
        if self.compound_count is None:
            self.compound_count = len(self.tables["compounds"])
        if self.community_count is None:
            self.community_count = len(self.tables["communities"])


@dataclass
class ParsedWorkbook:
    file_name: str
    sha256: str
    size_bytes: int
    issues: IssueList
    reports: list[Report] = field(default_factory=list)
    filled_by: str | None = None
    phone: str | None = None
    # Every town's rows per ledger key, as read (the ledgers the workbook has): what the store inserts.
    ledgers: dict[str, pa.Table] | None = None

    def arrow_tables(self) -> dict[str, pa.Table]:
        """Ledger key → the rows of every report, with each report's town, as Arrow."""
        if self.ledgers is not None:
            return self.ledgers
        return {spec.key: pa.Table.from_pandas(pd.concat([r.tables[spec.key].assign(town=r.town) for r in self.reports],
                                                         ignore_index=True), preserve_index=False)
                for spec in LEDGERS if self.reports}

    @property
    def errors(self) -> list[Issue]:
        return self.issues.errors

    @property
    def warnings(self) -> list[Issue]:
        return self.issues.warnings

    @property
    def ok(self) -> bool:
        return not self.errors


def _split_town(key: str) -> tuple[str, str | None]:
    """(stem, kind) of a normalised town name; kind None where it has no known suffix."""
    for kind, suffixes in TOWN_SUFFIXES.items():
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix):
                return key[: -len(suffix)], kind
    return key, None


def resolve_town(name: str | None, campaign: Campaign) -> str | None:
    """The configured town a clerk's spelling means ("般阳路", "昆仑镇人民政府" …), else None."""
    if not name:
        return None
    key = normalize_label(name)
    exact, stems = _town_index(tuple(campaign.towns))
    if key in exact:
        return exact[key]
    stem, kind = _split_town(key)
    matches = [t for (s, k), towns in stems.items() if s == stem and kind in (None, k) for t in towns]
    return matches[0] if len(matches) == 1 else None


def unknown_town_message(label: str, written: object, campaign: Campaign) -> str:
    """Chinese: the town is not configured, the one probably meant (岭子街道 → 岭子镇), and the list."""
    stem = _split_town(normalize_label(written))[0]
    near = [t for t in campaign.towns if _split_town(normalize_label(t))[0] == stem]
    hint = f"是否应为“{near[0]}”？" if len(near) == 1 else ""
    return f"{label}“{written}”不是本区的镇（街道）；{hint}请填写：{'、'.join(campaign.towns)}之一。"


# ---------------------------------------------------------------- report metadata

def _town_named_in(title_rows, campaign) -> str | None:
    """The one configured town whose full name a title row mentions ("昆仑镇红色物业台账"), else None."""
    named = {town for values, _, _ in title_rows for value in values if isinstance(value, str)
             for town in campaign.towns if normalize_label(town) in normalize_label(value)}
    return named.pop() if len(named) == 1 else None


def _info_text(info, code: str, issues) -> str | None:
    """A text field of 基本信息 (filled_by, phone), refused where longer than an Excel cell holds."""
    if code not in info:
        return None
    value, sheet, row, label = info[code]
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        issues.error("cell_too_long", f"“{label}”有 {len(value)} 个字符，超过 Excel 单元格上限 {MAX_CELL_CHARS} 个字符，"
                     "请删减后再上传。", sheet, row, label)
        return None
    return parse_text(value)[0]


def _report_meta(raw_sheets, ledgers, campaign, town, report_date, issues):
    """(default town, town stated, report date, filled_by, phone) from 基本信息, the title rows, then
    the caller. `town stated` is true where 基本信息 or the caller names a town, even one that is
    not configured (that error is reported once, here, not again for every row)."""
    info = sheets.info_fields(raw_sheets)
    title = sheets.title_fields(ledgers)
    default_town = None
    if "town" in info:
        value, sheet, row, label = info["town"]
        default_town = resolve_town(parse_text(value)[0], campaign)
        if default_town is None:
            issues.error("unknown_town", unknown_town_message(label, value, campaign),
                         sheet, row, label)
    else:
        if "town" in title:
            default_town = resolve_town(parse_text(title["town"][0])[0], campaign)
        if default_town is None:
            default_town = _town_named_in(sheets.title_rows(ledgers), campaign)
    if default_town is None and town and "town" not in info:
        default_town = resolve_town(town, campaign)
        if default_town is None:
            issues.error("unknown_town", unknown_town_message("指定的镇（街道）", town, campaign))

    date = None
    source = info.get("report_date") or title.get("report_date")
    if source:
        value, sheet, row, label = source
        date, problem = parse_date(value)
        if problem:
            issues.error("bad_report_date", f"{label}{problem}。", sheet, row, label)
    elif report_date:
        date = report_date
    else:
        issues.error("missing_report_date",
                     "工作簿中没有报送日期：请在“基本信息”表填写“报送日期”（如 2021-11-30），或在上传时选择报送日期。")
    if date and date.year != campaign.year:
        issues.warning("report_date_outside_year",
                       f"报送日期 {date.isoformat()} 不在本次活动年度（{campaign.year}年）内，请确认是否填错。",
                       *(source[1:] if source else (None, None, None)))
    filled_by, phone = _info_text(info, "filled_by", issues), _info_text(info, "phone", issues)
    town_stated = default_town is not None or "town" in info or bool(town)
    return default_town, town_stated, date, filled_by, phone


# ---------------------------------------------------------------- one ledger sheet

def _read_ledger(ledger: sheets.Ledger, default_town, town_stated, campaign, issues) -> LedgerColumns:
    """The canonical values of one located ledger, column by column; cell problems go to `issues`."""
    spec = ledger.spec
    rows = body.read_body(ledger)
    cols = LedgerColumns(tuple(c.code for c in spec.columns), (rows.rows + 1).astype(np.int64))
    texts = body.convert_texts([c for c in spec.columns if c.kind == "text" and c.code in rows.cells], rows.cells)
    # A column whose requirement depends on another (required_when) is read after it.
    for column in sorted(spec.columns, key=lambda c: c.required_when is not None):
        _read_column(column, ledger, rows, cols, issues, texts.get(column.code))
    _resolve_towns(cols, ledger, default_town, town_stated, campaign, issues)
    return cols


def _read_column(column: Column, ledger: sheets.Ledger, rows: body.Body, cols: LedgerColumns, issues,
                 converted: body.Converted | None = None) -> None:
    """One column's canonical values for the data rows, into `cols` (cell problems go to `issues`,
    in row order)."""
    if converted is None and column.code not in rows.cells:
        converted = body.absent(column, len(rows.rows))
    elif converted is None:
        converted = body.convert(column, rows.cells[column.code])
    if converted.arrow is not None:
        cols.arrows[column.code] = converted.arrow
    else:
        cols.values[column.code] = converted.values
    header, sheet, number = ledger.header_of(column.code), ledger.raw.name, ledger.column_number(column.code)
    found = list(converted.problems)
    if column.default is None and column.required and column.code != "town" and converted.blank.any():
        applies = converted.blank.copy()
        if column.required_when:
            applies &= cols.true(column.required_when)
        found += [(int(i), None, None) for i in np.flatnonzero(applies)]
    source = cols.source_row
    for i, problem, code in sorted(found, key=lambda item: item[0]):
        row = int(source[i])
        if problem is not None:
            issues.error(code, f"“{header}”{problem}。", sheet, row, header, number)
        elif column.kind == "yesno":
            issues.warning("blank_yesno", f"“{header}”为空，已按“否”处理；如已成立请填“是”。", sheet, row, header, number)
        else:
            issues.error("required_blank", f"“{header}”不能为空，请填写。", sheet, row, header, number)


@functools.lru_cache(maxsize=8)
def _town_index(towns: tuple[str, ...]) -> tuple[dict, dict]:
    """(normalised name → town, (stem, kind) → towns) of the configured towns."""
    exact, stems = {}, {}
    for town in towns:
        key = normalize_label(town)
        exact.setdefault(key, town)
        stems.setdefault(_split_town(key), []).append(town)
    return exact, stems


def _resolve_towns(cols: LedgerColumns, ledger, default_town, town_stated, campaign, issues) -> None:
    """Each row's configured town in place of the name written; the names are resolved once
    each, from the column's distinct texts."""
    header, number = ledger.header_of("town"), ledger.column_number("town")
    encoded = cols.arrows["town"].dictionary_encode()
    names = encoded.dictionary.to_pylist()
    resolved = {name: resolve_town(name, campaign) for name in names}
    codes = pc.fill_null(encoded.indices, len(names)).to_numpy(zero_copy_only=False)  # len(names): none written
    unknown = [u for u, name in enumerate(names) if resolved[name] is None]
    if unknown:
        for i in np.flatnonzero(np.isin(codes, unknown)):
            issues.error("unknown_town", unknown_town_message("镇（街道）", names[codes[i]], campaign),
                         ledger.raw.name, int(cols.source_row[i]), header, number)
    missing = encoded.indices.is_null().to_numpy(zero_copy_only=False)
    if missing.any() and not town_stated:
        missing_rows = cols.source_row[missing]
        where = f"第{missing_rows[0]}行" + (f"等{len(missing_rows)}行" if len(missing_rows) > 1 else "")
        issues.error("missing_town", f"{where}没有填写镇（街道）：请在该列填写，或在“基本信息”表填写本镇（街道）名称。",
                     ledger.raw.name, int(missing_rows[0]), header, number)
    lookup = [resolved[name] for name in names] + [default_town]  # a missing name: the default town
    cols.arrows["town"] = pa.array(lookup, pa.string()).take(codes)


# ---------------------------------------------------------------- what the file hides

def _check_hidden_sheets(raw_sheets, issues) -> None:
    """A hidden sheet with data is refused: what a clerk cannot see, a checker cannot check."""
    for sheet in raw_sheets:
        if not sheet.visible and not all(body.blank_cells(a).all() for a in sheet.columns if a is not None):
            issues.error("hidden_sheet", f"工作表“{sheet.name}”是隐藏的，但其中有数据；隐藏的表无法核对，系统不予导入。"
                         "请在 Excel 或 WPS 中取消隐藏（右键工作表标签→取消隐藏），核对后删除该表或把数据移入正式台账，再上传。",
                         sheet.name)


def _a1(row: int, column: int) -> str:
    """'D5' for 0-based (4, 3)."""
    letters, n = "", column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _formula_cells_that_matter(name, cells, ledgers_by_sheet) -> list[tuple[int, int, str | None]]:
    """(row, column, header) of the formula cells the importer reads: every cell of 基本信息 and of
    a ledger's title and header rows, and the ledger's mapped columns below its header."""
    ledger = ledgers_by_sheet.get(name)
    if ledger is None:
        return [(r, c, None) for r, c in cells]
    mapped = {index: code for code, index in ledger.columns.items()}
    return [(r, c, ledger.header_of(mapped[c]) if c in mapped else None) for r, c in cells
            if r < ledger.first_data_row or c in mapped]


def _check_sheet_xml(scans, raw_sheets, ledgers, issues) -> None:
    """Formulas without a saved result (read as blank), named cell by cell, and sheet XML that
    declares a DTD, in the sheets the importer reads."""
    ledgers_by_sheet = {ledger.raw.name: ledger for ledger in ledgers.values()}
    names = dict.fromkeys([*ledgers_by_sheet, *(s.name for s in raw_sheets if sheets.is_info_sheet(s.name))])
    for name, scan in ((n, scans[n]) for n in names if n in scans):
        if scan.unsafe:
            issues.error("xml_unsafe", f"工作表“{name}”的文件内容含有 XML 文档类型声明（DTD），Excel 和 WPS 不会写入这种内容，"
                         "系统不予读取；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。", name)
        for r, c, header in _formula_cells_that_matter(name, scan.formula_cells, ledgers_by_sheet):
            issues.error("formula_without_value",
                         f"单元格 {_a1(r, c)} 是公式，但文件中没有保存公式的计算结果（常见于用程序生成、未在 Excel/WPS 中打开保存过的文件），"
                         "系统只能读到空白；请用 Excel 或 WPS 打开该文件、确认计算结果后保存，或把公式改为数值，再上传。",
                         name, r + 1, header, c + 1)
        if scan.more_formula_cells:
            issues.error("formula_without_value", f"工作表“{name}”中还有更多没有保存计算结果的公式单元格（以上只列出前面的部分）；"
                         "请用 Excel 或 WPS 打开该文件、确认计算结果后保存再上传。", name)


# ---------------------------------------------------------------- the whole workbook

def _check_size(ledger: sheets.Ledger, campaign: Campaign, issues) -> bool:
    """False (with an error) where the sheet has more rows or columns than the campaign allows."""
    rows, columns = ledger.raw.size  # the whole sheet's, though the reader kept only its first rows
    if rows > campaign.max_rows_per_sheet:
        issues.error("too_many_rows", f"“{ledger.raw.name}”有 {rows} 行，超过上限 {campaign.max_rows_per_sheet} 行；"
                     "请删除多余的行或把数据拆分到多个工作簿后再上传。", ledger.raw.name)
    if columns > campaign.max_columns:
        issues.error("too_many_columns", f"“{ledger.raw.name}”有 {columns} 列，超过上限 {campaign.max_columns} 列；"
                     "请删除多余的列后再上传。", ledger.raw.name)
    return rows <= campaign.max_rows_per_sheet and columns <= campaign.max_columns


def _check_columns(ledger: sheets.Ledger, town_stated: bool, issues) -> bool:
    spec = ledger.spec
    needed = list(spec.required_columns) + ([] if town_stated else ["town"])
    missing = [spec.column(code).header for code in needed if code not in ledger.columns]
    found = "、".join(f"“{h}”" for h in ledger.headers.values()) or "（无）"
    for header in ledger.duplicate_headers:
        issues.warning("duplicate_column", f"表头“{header}”与前面的列含义相同，只读取了前一列；请删除重复的列或改正表头。",
                       ledger.raw.name, ledger.header_rows[-1] + 1, header)
    for header in ledger.unknown_headers:
        issues.warning("unknown_column", f"未识别的列“{header}”，其内容不会导入；如需导入，请将表头改为模板中的名称。", ledger.raw.name,
                       ledger.header_rows[-1] + 1, header)
    if missing:
        issues.error("missing_column",
                     f"缺少必填列：{'、'.join(f'“{m}”' for m in missing)}。第{ledger.header_rows[-1] + 1}行的表头为：{found}。"
                     "请按模板补上这些列（可下载模板对照）。", ledger.raw.name, ledger.header_rows[-1] + 1, None)
    return not missing


@functools.lru_cache(maxsize=None)
def _empty_table(key: str) -> pd.DataFrame:
    spec = next(s for s in LEDGERS if s.key == key)
    return pd.DataFrame({"source_row": pd.Series([], dtype="int64"),
                         **{c.code: pd.Series([], dtype=PANDAS_DTYPES[c.kind]) for c in spec.columns}})


def _split_by_town(columns: dict[str, LedgerColumns], ledgers: dict[str, pa.Table], report_date) -> list[Report]:
    """One report per town named in the ledgers, in order of first appearance, each slicing its
    rows from the shared tables only when asked."""
    tables = WorkbookFrames(ledgers)
    counts = {key: _rows_per_town(cols.arrows["town"]) for key, cols in columns.items()}
    seen: dict[str, None] = {}
    for per_town in counts.values():
        seen.update(dict.fromkeys(per_town))
    return [Report(town, report_date, TownTables(tables, town), counts.get("compounds", {}).get(town, 0),
                   counts.get("communities", {}).get(town, 0)) for town in seen]


def _rows_per_town(towns: pa.Array) -> dict[str, int]:
    """Town → its number of rows, in order of first appearance."""
    counted = pc.value_counts(towns.drop_null())
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()))


def read_workbook(data: bytes, file_name: str, campaign: Campaign,
                  town: str | None = None, report_date: dt.date | None = None) -> ParsedWorkbook:
    """The workbook's reports (one per town) and every problem found in it."""
    issues = IssueList()
    parsed = ParsedWorkbook(file_name, hashlib.sha256(data).hexdigest(), len(data), issues)
    refusal = gate.check(data, gate.Limits.of(campaign))
    if refusal:
        issues.error(refusal.code, refusal.message)
        return parsed
    try:
        book = read_book(data, campaign.max_rows_per_sheet, campaign.max_columns)
    except UnreadableWorkbook as exc:
        issues.error("unreadable", str(exc))
        return parsed

    raw_sheets = book.sheets
    _check_hidden_sheets(raw_sheets, issues)
    ledgers = sheets.locate_ledgers(raw_sheets)
    _check_sheet_xml(book.scans, raw_sheets, ledgers, issues)
    default_town, town_stated, date, parsed.filled_by, parsed.phone = _report_meta(
        raw_sheets, ledgers, campaign, town, report_date, issues)
    names = "、".join(f"“{s.name}”" for s in raw_sheets) or "（无）"
    for spec in (COMPOUNDS, COMMUNITIES):
        if spec.key not in ledgers:
            needed = "、".join(f"“{spec.column(c).header}”" for c in spec.required_columns[:4])
            issues.error("missing_sheet",
                         f"没有找到“{spec.name}”：需要一个含 {needed} 等表头的工作表。本工作簿的工作表有：{names}。"
                         "请按模板填写（可下载模板对照）。")

    columns: dict[str, LedgerColumns] = {}
    for key, ledger in ledgers.items():
        if not _check_size(ledger, campaign, issues) or not _check_columns(ledger, town_stated, issues):
            continue
        columns[key] = _read_ledger(ledger, default_town, town_stated, campaign, issues)
        if key in CHECKS:
            CHECKS[key](columns[key], ledger, campaign, date, issues)
        if not len(columns[key]) and ledger.spec.required:
            issues.error("empty_sheet", f"“{ledger.raw.name}”在表头下没有数据行，请填写后再上传。", ledger.raw.name,
                         ledger.first_data_row + 1)
    check_across(columns, ledgers, issues)
    if parsed.ok and date is not None:
        parsed.ledgers = {key: cols.table() for key, cols in columns.items()}
        parsed.reports = _split_by_town(columns, parsed.ledgers, date)
    return parsed
