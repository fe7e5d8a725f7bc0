"""Downloads as bytes: the ranked town scorecard (.xlsx for printing, .csv for scripts) and
generic ledger tables.

Every text cell goes through `safe_text` (no formula injection); the .xlsx bytes are
deterministic for the same snapshot (fixed document times and zip entry times).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.text import (CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun,
                                   RichTextProperties)
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.measures import MEASURES, TownReport, community_figures
from core.metrics import Snapshot, TownStanding
from core.milestones import AT_RISK, BEHIND, MET, MISSING, ON_TRACK, STATUS_ORDER, overall_status, phase_gaps
from core.template import _deterministic_bytes, _display_width

# ---------------------------------------------------------------- safe text

# A spreadsheet reads a cell starting with these as a formula (or DDE command); full-width
# forms are included because some tools fold them to ASCII on the way in.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_text(value):
    """`value`, with a leading apostrophe when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# ---------------------------------------------------------------- scorecard rows

RANK, TOWN, REPORT_DATE, STATUS, POINTS_TOTAL = "排名", "镇（街道）", "报送日期", "状态", "加分合计"
DISTRICT_TOTAL = "全区合计"
# The rates every scorecard shows, in order; a phase may target further measures (added after these).
SCORECARD_RATES = ("committee_formation_rate", "party_org_coverage", "epmc_coverage",
                   "red_committee_share", "compliant_epmc_share")


@dataclass(frozen=True)
class ScoreColumn:
    header: str
    kind: str  # rank | text | date | status | rate | target | gap | points
    measure: str | None = None  # rate, target and gap columns: the measure's code


def rate_codes(snap: Snapshot) -> list[str]:
    """The rate measures of the scorecard: the fixed five, then any other target of the judged phase."""
    return list(SCORECARD_RATES) + [c for c in snap.judged.targets if c not in SCORECARD_RATES]


def target_header(code: str) -> str:
    return f"{MEASURES[code].short}目标"


def gap_header(code: str) -> str:
    """'还需成立环物委': the cell below says how many (an integer)."""
    measure = MEASURES[code]
    return f"还需{measure.action}{measure.item}"


def scorecard_columns(snap: Snapshot) -> list[ScoreColumn]:
    """The columns of the 考核排名 sheet and the CSV, in order."""
    columns = [ScoreColumn(RANK, "rank"), ScoreColumn(TOWN, "text"), ScoreColumn(REPORT_DATE, "date"),
               ScoreColumn(STATUS, "status")]
    columns += [ScoreColumn(MEASURES[c].label, "rate", c) for c in rate_codes(snap)]
    for code in snap.judged.targets:
        columns += [ScoreColumn(target_header(code), "target", code), ScoreColumn(gap_header(code), "gap", code)]
    columns += [ScoreColumn(rule.label, "points") for rule in snap.campaign.bonus_rules]
    columns.append(ScoreColumn(POINTS_TOTAL, "points"))
    return columns


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _row(snap: Snapshot, rank, town, report_date, status, figures, gaps, points: list[int] | None) -> dict:
    campaign, phase = snap.campaign, snap.judged
    row = {RANK: rank, TOWN: town, REPORT_DATE: report_date, STATUS: status}
    for code in rate_codes(snap):
        row[MEASURES[code].label] = _float(figures.rate(code, campaign)) if figures else None
    for code, target in phase.targets.items():
        row[target_header(code)] = float(target)
        row[gap_header(code)] = gaps[code] if gaps is not None else None
    for rule, value in zip(campaign.bonus_rules, points or [None] * len(campaign.bonus_rules)):
        row[rule.label] = value
    row[POINTS_TOTAL] = sum(points) if points is not None else None
    return row


def town_row(snap: Snapshot, standing: TownStanding) -> dict:
    """One town's scorecard row; a town with no report has only its name, status 未报送 and targets."""
    if not standing.report:
        return _row(snap, None, standing.town, None, MISSING, None, None, None)
    return _row(snap, standing.rank, standing.town, standing.report.report_date, standing.status,
                standing.figures, standing.gaps[snap.judged.name], [line.points for line in standing.ledger])


def scorecard_rows(snap: Snapshot) -> list[dict]:
    """One row per configured town, in rank order (towns with no report last, 未报送)."""
    return [town_row(snap, standing) for standing in snap.ranked()]


def total_row(snap: Snapshot) -> dict:
    """The district row: district-wide rates, gaps and status; points summed over towns."""
    reported = [s for s in snap.towns if s.report]
    if not reported:
        return _row(snap, None, DISTRICT_TOTAL, None, MISSING, None, None, None)
    points = [sum(s.ledger[i].points for s in reported) for i in range(len(snap.campaign.bonus_rules))]
    status = overall_status([p.status for p in snap.district_progress.values()])
    gaps = phase_gaps(snap.district, snap.campaign)[snap.judged.name]
    return _row(snap, None, DISTRICT_TOTAL, snap.latest_report_date, status, snap.district, gaps, points)


def _sheet_rows(snap: Snapshot) -> list[dict]:
    return scorecard_rows(snap) + [total_row(snap)]


def scorecard_title(snap: Snapshot) -> str:
    """'淄川区红色物业建设考核排名（截至2021-11-30，对照第一阶段目标）'."""
    return (f"{snap.campaign.district}红色物业建设考核排名"
            f"（截至{snap.as_of.isoformat()}，对照{snap.judged.name}目标）")


def scorecard_file_name(snap: Snapshot, suffix: str = ".xlsx") -> str:
    """A download name such as 淄川区红色物业考核排名_2021-11-30.xlsx."""
    return f"{snap.campaign.district}红色物业考核排名_{snap.as_of.isoformat()}{suffix}"


def percent_text(value: float | None, digits: int = 1) -> str:
    """0.714285… → '71.4%' (half up, as Excel shows it); None → ''."""
    if value is None:
        return ""
    scaled = (Decimal(repr(value)) * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{scaled}%"


# ---------------------------------------------------------------- CSV

def _csv_bytes(header: list[str], records: list[list[str]]) -> bytes:
    """UTF-8 with BOM (Excel on Chinese Windows), every field quoted, CRLF line ends. Fields come
    formatted: text through safe_text, numbers and dates as written (a negative number is a
    number, never given an apostrophe)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in header])
    for record in records:
        writer.writerow(record)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_score_value(column: ScoreColumn, value) -> str:
    if value is None:
        return ""
    if column.kind in ("rate", "target"):
        return percent_text(value)
    if column.kind == "date":
        return value.isoformat()
    return safe_text(value) if isinstance(value, str) else str(value)


def scorecard_csv(snap: Snapshot) -> bytes:
    """The 考核排名 table (towns in rank order, then 全区合计) as CSV: rates as '71.4%' text."""
    columns = scorecard_columns(snap)
    records = [[_csv_score_value(c, row[c.header]) for c in columns] for row in _sheet_rows(snap)]
    return _csv_bytes([c.header for c in columns], records)


def _plain(value):
    """A DataFrame cell as a plain Python value for a file: NA → None, numpy → Python, bool → 是/否."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (pd.Timestamp, str)):
        value = value.item()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _csv_plain(value) -> str:
    """A DataFrame cell as a CSV field: text made safe, numbers and dates untouched."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return safe_text(value) if isinstance(value, str) else str(value)


def table_csv(frame: pd.DataFrame) -> bytes:
    """A DataFrame as CSV for Excel: BOM, all fields quoted, CRLF, dates ISO, yes/no as 是/否."""
    records = [[_csv_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return _csv_bytes([str(c) for c in frame.columns], records)


# ---------------------------------------------------------------- xlsx styles and helpers

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TOTAL_BORDER = Border(left=THIN, right=THIN, top=Side(style="double", color="404040"), bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
FONT_NAME = "等线"  # the default font of Chinese Office and WPS; one face for Latin and CJK alike
BODY_FONT = Font(name=FONT_NAME, size=11)
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
NOTE_FONT = Font(name=FONT_NAME, size=10)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RATE_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
GAP_FORMAT = '0"个";-0"个";"已达标"'
POINTS_PER_LINE = 15  # height of one line of 11 pt text
FIXED_MOMENT = dt.datetime(2000, 1, 1)  # document time of generic tables (deterministic bytes)

# Status colours (Excel's standard good / neutral / bad styles; the word stays in the cell).
STATUS_STYLES = {
    MET: ("C6EFCE", "006100"),
    ON_TRACK: ("DDEBF7", "1F4E79"),
    AT_RISK: ("FFEB9C", "9C5700"),
    BEHIND: ("FFC7CE", "9C0006"),
    MISSING: ("D9D9D9", "595959"),
}


def _status_fill(status: str) -> tuple[PatternFill, Font]:
    fill, font = STATUS_STYLES[status]
    return PatternFill("solid", fgColor=fill, bgColor=fill), Font(color=font)


def _put(ws: Worksheet, row: int, column: int, value, number_format: str | None = None):
    """Write one cell: text made safe and always stored as text, never as a formula."""
    value = safe_text(value)
    cell = ws.cell(row, column, value)
    cell.font = BODY_FONT
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, float) and math.isfinite(value) and float(f"{value:.16g}") != value:
        # openpyxl writes numbers as %.16g, one unit in the last place off for e.g. 5/11; the
        # shortest round-trip repr keeps the cell equal to float(Fraction) (Excel reads 17 digits).
        cell._value = repr(value)
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _lines(text, width: float) -> int:
    usable = max(width - 1.5, 1)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in str(text).split("\n"))


def _fit_width(header: str, values, max_header_lines: int = 3, minimum: float = 6, maximum: float = 40) -> float:
    """A column width that shows every value on one line and the header on at most a few lines."""
    longest = max((_display_width(str(v)) for v in values if v is not None), default=0)
    header_width = math.ceil(_display_width(header) / max_header_lines)
    return min(maximum, max(minimum, longest + 2, header_width + 2))


def _height(lines: int) -> float:
    return lines * POINTS_PER_LINE + 5


def _title_row(ws: Worksheet, row: int, text: str, last_column: int, font: Font = TITLE_FONT,
               height: float | None = None) -> None:
    cell = _put(ws, row, 1, text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
    ws.row_dimensions[row].height = height or font.size * 2


def _header_row(ws: Worksheet, row: int, headers: list[str], widths: list[float]) -> None:
    for column, (header, width) in enumerate(zip(headers, widths), start=1):
        cell = _put(ws, row, column, header)
        cell.font, cell.fill, cell.alignment, cell.border = HEADER_FONT, HEADER_FILL, CENTER, BORDER
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.row_dimensions[row].height = _height(max(_lines(h, w) for h, w in zip(headers, widths)))


def _print_setup(ws: Worksheet, title_rows: str | None, fit_height: int = 0) -> None:
    """A4 landscape, one page wide (as many tall as needed), titles repeated, page numbers."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = fit_height
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _set_properties(workbook: Workbook, title: str, creator: str, moment: dt.datetime) -> None:
    props = workbook.properties
    props.title = title
    props.creator = props.lastModifiedBy = creator
    props.created = props.modified = moment


# ---------------------------------------------------------------- scorecard xlsx

SCORE_SHEET, LEDGER_SHEET, COMMUNITY_SHEET, CHART_SHEET = "考核排名", "加分明细", "社区明细", "图表"
SCORE_HEADER_ROW = 3  # title, subtitle, header


def _target_format(value: float) -> str:
    return "0%" if float(value * 100).is_integer() else RATE_FORMAT


def _number_format(column: ScoreColumn, value) -> str | None:
    return {"rate": RATE_FORMAT, "date": DATE_FORMAT, "gap": GAP_FORMAT}.get(column.kind) or (
        _target_format(value) if column.kind == "target" and value is not None else None)


def _score_widths(columns: list[ScoreColumn], rows: list[dict]) -> list[float]:
    widths = []
    for column in columns:
        if column.kind in ("rate", "target", "gap", "points", "rank"):
            values = ["100.0%"] if column.kind in ("rate", "target") else ["已达标"]
            lines = 3 if column.kind == "points" else 2  # rule labels are sentences; measures two lines
            widths.append(_fit_width(column.header, values, max_header_lines=lines, minimum=7, maximum=14))
        elif column.kind == "date":
            widths.append(_fit_width(column.header, ["2021-11-30"]))
        else:
            widths.append(_fit_width(column.header, [row[column.header] for row in rows], minimum=8))
    return widths


def _subtitle(snap: Snapshot) -> str:
    phase = snap.judged
    targets = "，".join(f"{MEASURES[c].label} {percent_text(float(t)).replace('.0%', '%')}"
                       for c, t in phase.targets.items())
    reported = sum(1 for s in snap.towns if s.report)
    return (f"{phase.name}（{phase.start.isoformat()} 至 {phase.end.isoformat()}）目标：{targets}。"
            f"已报送 {reported} / {len(snap.towns)} 个镇（街道）。")


def _notes(snap: Snapshot) -> list[str]:
    words = "、".join(STATUS_ORDER)
    return [
        "说明：1. 排名按加分合计从高到低；同分时按本阶段各项目标的平均完成度，再按全区镇（街道）顺序。未报送的镇（街道）列在最后，不排名。",
        f"2. 状态取各项目标中最差的一项（{words}）；比率保留一位小数，是否达标按精确分数判断。"
        "“还需…”为按当前分母达到目标还需增加的个数。",
        "3. 全区合计：比率和差距按全区汇总数计算，加分为各镇（街道）加分之和。",
    ]


def _write_score_sheet(ws: Worksheet, snap: Snapshot) -> None:
    columns = scorecard_columns(snap)
    rows = _sheet_rows(snap)
    last = len(columns)
    widths = _score_widths(columns, rows)
    _title_row(ws, 1, scorecard_title(snap), last)
    _title_row(ws, 2, _subtitle(snap), last, BODY_FONT, height=20)
    _header_row(ws, SCORE_HEADER_ROW, [c.header for c in columns], widths)

    first = SCORE_HEADER_ROW + 1
    for r, row in enumerate(rows, start=first):
        is_total = row[TOWN] == DISTRICT_TOTAL
        for c, column in enumerate(columns, start=1):
            value = row[column.header]
            cell = _put(ws, r, c, value, _number_format(column, value))
            cell.border = TOTAL_BORDER if is_total else BORDER
            cell.alignment = LEFT if column.kind == "text" else CENTER
            if is_total:
                cell.font = HEADER_FONT
        ws.row_dimensions[r].height = 20
    end = first + len(rows) - 1
    _score_formatting(ws, columns, first, end)

    for n, note in enumerate(_notes(snap), start=end + 2):
        _title_row(ws, n, note, last, NOTE_FONT, height=_height(_lines(note, sum(widths))))
        ws.cell(n, 1).alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)

    ws.freeze_panes = ws.cell(first, 3).coordinate  # below the header, right of rank and town
    _print_setup(ws, f"1:{SCORE_HEADER_ROW}")


def _score_formatting(ws: Worksheet, columns: list[ScoreColumn], first: int, end: int) -> None:
    """Status cells coloured by their word; rate cells green when the target is met, red when not;
    a town that has not reported greyed across the row."""
    letter = {c.header: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    status = letter[STATUS]
    for word in STATUS_ORDER:
        fill, font = _status_fill(word)
        ws.conditional_formatting.add(f"{status}{first}:{status}{end}", FormulaRule(
            formula=[f'${status}{first}="{word}"'], fill=fill, font=font, stopIfTrue=True))
    met_fill, met_font = _status_fill(MET)
    miss_fill, miss_font = _status_fill(BEHIND)
    for column in columns:
        if column.kind != "gap":
            continue
        rate = letter[MEASURES[column.measure].label]
        gap = f"${letter[column.header]}{first}"
        cells = f"{rate}{first}:{rate}{end}"
        ws.conditional_formatting.add(cells, FormulaRule(
            formula=[f"AND(ISNUMBER({gap}),{gap}=0)"], fill=met_fill, font=met_font, stopIfTrue=True))
        ws.conditional_formatting.add(cells, FormulaRule(
            formula=[f"AND(ISNUMBER({gap}),{gap}>0)"], fill=miss_fill, font=miss_font, stopIfTrue=True))
    grey_fill, grey_font = _status_fill(MISSING)
    ws.conditional_formatting.add(f"A{first}:{get_column_letter(len(columns))}{end}", FormulaRule(
        formula=[f'${status}{first}="{MISSING}"'], fill=grey_fill, font=grey_font))


LEDGER_HEADERS = ("排名", "镇（街道）", "加分项目", "指标值", "加分标准", "得分", "计算依据", "如何加分")


def points_ledger_rows(snap: Snapshot) -> list[tuple]:
    """The points ledger, one line per town and rule (towns in rank order; 未报送 towns one line)."""
    lines = []
    for s in snap.ranked():
        if not s.report:
            lines.append((None, s.town, MISSING, None, None, None, None, "尚未报送，无法计算加分"))
            continue
        for line in s.ledger:
            rule = line.rule
            value = _float(line.value) if isinstance(line.value, Fraction) else line.value
            standard = (f"达到{percent_text(float(rule.threshold)).replace('.0%', '%')}加{rule.points}分"
                        if rule.kind == "threshold" else f"每个加{rule.points}分")
            lines.append((s.rank, s.town, rule.label, value, standard, line.points, line.basis,
                          line.next_point or "已得分"))
    return lines


def _write_ledger_sheet(ws: Worksheet, snap: Snapshot) -> None:
    lines = points_ledger_rows(snap)
    columns = list(zip(*lines)) if lines else [()] * len(LEDGER_HEADERS)
    widths = [_fit_width(h, ["100.0%" if i == 3 else v for v in col], max_header_lines=1, minimum=6)
              for i, (h, col) in enumerate(zip(LEDGER_HEADERS, columns))]
    _title_row(ws, 1, f"{snap.campaign.district}红色物业建设考核加分明细（截至{snap.as_of.isoformat()}）",
               len(LEDGER_HEADERS))
    _header_row(ws, 2, list(LEDGER_HEADERS), widths)
    for r, line in enumerate(lines, start=3):
        for c, value in enumerate(line, start=1):
            fmt = RATE_FORMAT if c == 4 and isinstance(value, float) else None
            cell = _put(ws, r, c, value, fmt)
            cell.border = BORDER
            cell.alignment = CENTER if c in (1, 4, 6) else LEFT
    ws.freeze_panes = "C3"
    _print_setup(ws, "1:2")


COMMUNITY_COLUMNS = (  # community_figures column → header
    ("town", "镇（街道）"), ("community", "社区"), ("compounds", "小区数"), ("committees", "业委会数"),
    ("party_orgs", "已建党组织的业委会数"), ("red_committees", "红色业主委数"), ("has_epmc", "已成立环物委"),
    ("epmc_members", "环物委成员数"), ("epmc_party_members", "其中党员数"), ("epmc_conflict", "存在任职回避情形"),
    ("epmc_compliant", "环物委符合规范"), ("green_status", "绿色社区创建"),
)


def snapshot_communities(conn, snap: Snapshot) -> pd.DataFrame:
    """Per community of every town's report in force in the snapshot (core.measures.community_figures)."""
    reports: dict[str, TownReport] = {s.town: s.report for s in snap.towns if s.report}
    if not reports:
        return pd.DataFrame(columns=[code for code, _ in COMMUNITY_COLUMNS])
    return community_figures(conn, snap.campaign, reports)


def scorecard_file(conn, snap: Snapshot) -> bytes:
    """The scorecard .xlsx with its 社区明细 sheet, read from the store: what the ranking page offers."""
    return scorecard_xlsx(snap, snapshot_communities(conn, snap))


def _community_records(snap: Snapshot, communities: pd.DataFrame) -> list[list]:
    order = {s.town: i for i, s in enumerate(snap.ranked())}
    frame = communities.copy()
    frame["_order"] = frame["town"].map(order)
    sort = ["_order"] + (["source_row"] if "source_row" in frame.columns else [])
    frame = frame.sort_values(sort, kind="stable")
    return [[_plain(row[code]) for code, _ in COMMUNITY_COLUMNS] for _, row in frame.iterrows()]


def _write_community_sheet(ws: Worksheet, snap: Snapshot, communities: pd.DataFrame) -> None:
    records = _community_records(snap, communities)
    headers = [h for _, h in COMMUNITY_COLUMNS]
    columns = list(zip(*records)) if records else [()] * len(headers)
    widths = [_fit_width(h, col, max_header_lines=2) for h, col in zip(headers, columns)]
    _title_row(ws, 1, f"{snap.campaign.district}红色物业建设社区明细（截至{snap.as_of.isoformat()}）", len(headers))
    _header_row(ws, 2, headers, widths)
    for r, record in enumerate(records, start=3):
        for c, value in enumerate(record, start=1):
            cell = _put(ws, r, c, value)
            cell.border = BORDER
            cell.alignment = LEFT if c <= 2 else CENTER
    ws.freeze_panes = "C3"
    _print_setup(ws, "1:2")


def _place_chart(ws, chart, anchor: str, width: float, height: float) -> None:
    """Put a native chart on the sheet at `anchor`, `width` × `height` cm, with both axes shown
    (openpyxl hides them by default) and the legend below."""
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = width, height
    ws.add_chart(chart, anchor)


def _horizontal_title(text: str) -> Title:
    """An axis title written across, not turned 90° (short Chinese titles read better so)."""
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=1000, b=True)),
                          r=[RegularTextRun(t=text)])
    return Title(tx=Text(rich=RichText(bodyPr=RichTextProperties(rot=0, vert="horz"), p=[paragraph])),
                 overlay=False)


SERIES_COLOURS = (("5B9BD5", "1F4E79"), ("ED7D31", "843C0C"), ("70AD47", "385723"), ("FFC000", "7F6000"))


def _write_chart_sheet(ws: Worksheet, snap: Snapshot) -> None:
    """A small table of each reporting town's judged-phase rates and targets, and a bar chart of it
    (bars: the town's rates; lines: the targets)."""
    phase = snap.judged
    codes = list(phase.targets)
    towns = [s for s in snap.ranked() if s.report]
    headers = [TOWN] + [h for c in codes for h in (MEASURES[c].short, target_header(c))]
    widths = [_fit_width(TOWN, [s.town for s in towns], minimum=12)] + [12] * (len(headers) - 1)
    title = _put(ws, 1, 1, f"各镇（街道）{phase.name}目标完成情况（截至{snap.as_of.isoformat()}）")
    title.font = TITLE_FONT
    ws.row_dimensions[1].height = 32
    _header_row(ws, 2, headers, widths)
    for r, s in enumerate(towns, start=3):
        cells = [_put(ws, r, 1, s.town)]
        for i, code in enumerate(codes):
            target = float(phase.targets[code])
            cells += [_put(ws, r, 2 + 2 * i, _float(s.figures.rate(code, snap.campaign)), RATE_FORMAT),
                      _put(ws, r, 3 + 2 * i, target, _target_format(target))]
        for cell in cells:
            cell.border, cell.alignment = BORDER, CENTER if cell.column > 1 else LEFT
    _print_setup(ws, None, fit_height=1)
    if not towns:
        _put(ws, 3, 1, "尚无镇（街道）报送，暂无图表。")
        return
    last = 2 + len(towns)
    categories = Reference(ws, min_col=1, min_row=3, max_row=last)
    bars = BarChart()
    bars.type, bars.grouping = "col", "clustered"
    for i in range(len(codes)):
        bars.add_data(Reference(ws, min_col=2 + 2 * i, min_row=2, max_row=last), titles_from_data=True)
    bars.set_categories(categories)
    targets = LineChart()
    for i in range(len(codes)):
        targets.add_data(Reference(ws, min_col=3 + 2 * i, min_row=2, max_row=last), titles_from_data=True)
    for i, (bar, line) in enumerate(zip(bars.series, targets.series)):
        fill, dark = SERIES_COLOURS[i % len(SERIES_COLOURS)]  # a target line in its bar's darker shade
        bar.graphicalProperties.solidFill = fill
        bar.graphicalProperties.line.solidFill = fill
        line.smooth = False
        line.marker.symbol = "none"
        line.graphicalProperties.line.solidFill = dark
        line.graphicalProperties.line.dashStyle = "dash"
        line.graphicalProperties.line.width = 28575  # 2.25 pt
    targets_text = "，".join(f"{MEASURES[c].short}{percent_text(float(t)).replace('.0%', '%')}"
                             for c, t in phase.targets.items())
    bars.title = f"各镇（街道）{phase.name}指标与目标（虚线为目标：{targets_text}）"
    bars.x_axis.title = "镇（街道）"
    bars.y_axis.title = _horizontal_title("覆盖率")
    bars.y_axis.scaling.min, bars.y_axis.scaling.max = 0, 1
    bars.y_axis.majorUnit = 0.2
    bars.y_axis.number_format = "0%"
    bars += targets
    _place_chart(ws, bars, f"A{last + 2}", 26, 12)


def scorecard_xlsx(snap: Snapshot, communities: pd.DataFrame | None = None) -> bytes:
    """The printable scorecard workbook: 考核排名, 加分明细, 社区明细 (when `communities` is given,
    see `snapshot_communities`) and 图表. Same snapshot, same bytes."""
    workbook = Workbook()
    _write_score_sheet(workbook.active, snap)
    workbook.active.title = SCORE_SHEET
    _write_ledger_sheet(workbook.create_sheet(LEDGER_SHEET), snap)
    if communities is not None:
        _write_community_sheet(workbook.create_sheet(COMMUNITY_SHEET), snap, communities)
    _write_chart_sheet(workbook.create_sheet(CHART_SHEET), snap)
    workbook.active = 0
    moment = dt.datetime.combine(snap.as_of, dt.time(0))
    _set_properties(workbook, scorecard_title(snap), snap.campaign.district, moment)
    return _deterministic_bytes(workbook, moment)


# ---------------------------------------------------------------- generic tables

def _write_table(ws: Worksheet, frame: pd.DataFrame, title: str | None) -> None:
    headers = [str(c) for c in frame.columns]
    records = [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    columns = list(zip(*records)) if records else [()] * len(headers)
    display = [[v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for v in col] for col in columns]
    widths = [_fit_width(h, col, max_header_lines=2) for h, col in zip(headers, display)]
    header_row = 1
    if title and headers:
        _title_row(ws, 1, title, len(headers), Font(name=FONT_NAME, size=14, bold=True))
        header_row = 2
    _header_row(ws, header_row, headers, widths)
    for r, record in enumerate(records, start=header_row + 1):
        for c, value in enumerate(record, start=1):
            fmt = DATE_FORMAT if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else (
                "yyyy-mm-dd hh:mm:ss" if isinstance(value, dt.datetime) else None)
            _put(ws, r, c, value, fmt).border = BORDER
    ws.freeze_panes = ws.cell(header_row + 1, 1).coordinate
    if headers:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{header_row + len(records)}"
    _print_setup(ws, f"1:{header_row}")


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of []:*?/\\)."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name)).strip("'") or "Sheet"
    clean = clean[:31]  # a sheet name is never evaluated, and may not start with an apostrophe
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def table_xlsx(frames: dict[str, pd.DataFrame], title: str | None = None) -> bytes:
    """Each DataFrame on its own sheet (sheet name = key): optional title row, bold frozen header,
    fitted widths, dates as dates, yes/no as 是/否, text made safe."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    taken: set[str] = set()
    for name, frame in frames.items():
        _write_table(workbook.create_sheet(_sheet_name(name, taken)), frame, title)
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    _set_properties(workbook, title or "", "", FIXED_MOMENT)
    return _deterministic_bytes(workbook, FIXED_MOMENT)
