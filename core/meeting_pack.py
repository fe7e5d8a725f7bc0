"""The meeting pack: one .xlsx for a coordination meeting, one sheet per section — overview figures,
ranking, points ledger, gaps per town, submission status, per-community detail — each with a native
Excel chart where one helps, printed A4 landscape one page wide with the title rows repeated.

Every text cell goes through core.exports (no formula injection); the same data and date give the
same bytes.
"""
from __future__ import annotations

import datetime as dt
from fractions import Fraction

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.exports import (BORDER, BODY_FONT, CENTER, DATE_FORMAT, HEADER_FONT, LEFT, RATE_FORMAT, SCORE_HEADER_ROW,
                          SERIES_COLOURS, _fit_width, _status_fill, _header_row, _horizontal_title, _notes,
                          _place_chart, _print_setup, _put,
                          _set_properties, _subtitle, _target_format, _title_row, _write_community_sheet,
                          _write_ledger_sheet, _write_score_sheet, scorecard_columns, scorecard_rows,
                          snapshot_communities)
from core.history import DISTRICT, measure_history
from core.measures import MEASURES
from core.metrics import Snapshot
from core.milestones import MISSING, STATUS_ORDER, phase_gaps
from core.submissions import (LATE, MISSING as NOT_REPORTED, NOT_REQUIRED, NOT_YET_DUE, ON_TIME, RESUBMITTED,
                              submission_status)
from core.template import _deterministic_bytes

OVERVIEW, RANKING, LEDGER, GAPS, SUBMISSIONS, COMMUNITIES = "总体情况", "考核排名", "加分明细", "差距", "报送情况", "社区明细"
SHEETS = (OVERVIEW, RANKING, LEDGER, GAPS, SUBMISSIONS, COMMUNITIES)
TREND_MEASURES = ("committee_formation_rate", "party_org_coverage", "epmc_coverage", "red_committee_share")
# Submission words coloured like the scorecard's statuses (the word always stays in the cell).
SUBMISSION_COLOURS = {ON_TIME: ("C6EFCE", "006100"), RESUBMITTED: ("DDEBF7", "1F4E79"), LATE: ("FFEB9C", "9C5700"),
                      NOT_REPORTED: ("FFC7CE", "9C0006"), NOT_YET_DUE: ("D9D9D9", "595959"),
                      NOT_REQUIRED: ("F2F2F2", "808080")}


def pack_title(snap: Snapshot) -> str:
    return (f"{snap.campaign.district}红色物业建设推进会议材料"
            f"（截至{snap.as_of.isoformat()}，对照{snap.judged.name}目标）")


def pack_file_name(snap: Snapshot) -> str:
    """淄川区红色物业推进会议材料_2021-12-31.xlsx."""
    return f"{snap.campaign.district}红色物业推进会议材料_{snap.as_of.isoformat()}.xlsx"


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _cells(ws: Worksheet, row: int, values, formats=(), first_left: int = 1) -> None:
    """One bordered table row; columns up to `first_left` left-aligned, the rest centred."""
    for c, value in enumerate(values, start=1):
        fmt = formats[c - 1] if c - 1 < len(formats) else None
        cell = _put(ws, row, c, value, fmt)
        cell.border = BORDER
        cell.alignment = LEFT if c <= first_left else CENTER


def _style_series(chart, dark: bool = False) -> None:
    for i, series in enumerate(chart.series):
        fill, line = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        colour = line if dark else fill
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour


# ---------------------------------------------------------------- 总体情况

OVERVIEW_HEADERS = ("指标", "分子", "分母", "比率", "上期比率", "变化（百分点）", "阶段目标", "还需（个）", "状态")


def overview_rows(snap: Snapshot) -> list[tuple]:
    """One row per rate measure: figures now, at the previous report date, the judged phase's target,
    gap and status (target, gap and status only for measures the phase targets)."""
    rows = []
    for code, measure in MEASURES.items():
        numerator, denominator = snap.district.parts(code, snap.campaign)
        value = snap.rate(code)
        before = snap.rate(code, snap.district_previous) if snap.district_previous else None
        change = None if value is None or before is None else round(float((value - before) * 100), 1)
        progress = snap.district_progress.get(code)
        rows.append((measure.label, numerator, denominator, _float(value), _float(before), change,
                     _float(progress.target) if progress else None, progress.gap if progress else None,
                     progress.status if progress else None))
    return rows


def _write_overview(ws: Worksheet, snap: Snapshot, history: pd.DataFrame) -> None:
    last = len(OVERVIEW_HEADERS)
    _title_row(ws, 1, pack_title(snap), last)
    _title_row(ws, 2, _subtitle(snap), last, BODY_FONT, height=20)
    previous = f"上期为 {snap.previous_date.isoformat()}" if snap.previous_date else "尚无上期数据"
    widths = [28, 8, 8, 10, 10, 14, 10, 10, 10]
    _header_row(ws, 3, list(OVERVIEW_HEADERS), widths)
    rows = overview_rows(snap)
    for r, row in enumerate(rows, start=4):
        target_format = _target_format(row[6]) if row[6] is not None else None
        _cells(ws, r, row, (None, None, None, RATE_FORMAT, RATE_FORMAT, "+0.0;-0.0;0.0", target_format,
                            '0"个";-0"个";"已达标"', None))
    r = 4 + len(rows)
    counts = snap.district.counts
    campaign = snap.campaign
    reported = sum(1 for s in snap.towns if s.report)
    green_left = max(0, campaign.green_target - counts["green_accepted"])
    extra = [("绿色社区创建验收达标（个）", counts["green_accepted"], None, campaign.green_target, green_left),
             ("年内新培育区级示范品牌（个）", counts["district_brands_new"], None, None, None),
             ("已报送的镇（街道）（个）", reported, len(snap.towns), None, None)]
    for label, value, total, target, left in extra:
        _cells(ws, r, (label, value, total, None, None, None, target, left, None),
               (None,) * 7 + ('0"个";-0"个";"已达标"',))
        r += 1
    note = _put(ws, r + 1, 1, f"说明：比率保留一位小数，是否达标按精确分数判断；{previous}。"
                              "“还需”为按当前分母达到阶段目标还需增加的个数。")
    note.alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=last)
    ws.row_dimensions[r + 1].height = 32

    # The district's trend over report dates, and its line chart.
    top = r + 3
    _put(ws, top, 1, "全区各报送日期指标").font = HEADER_FONT
    headers = ["报送日期"] + [MEASURES[c].short for c in TREND_MEASURES]
    _header_row(ws, top + 1, headers, widths[:len(headers)])
    ws.column_dimensions["A"].width = 28
    district = history[history["unit"] == DISTRICT] if not history.empty else history
    for i, row in enumerate(district.itertuples(index=False), start=top + 2):
        _cells(ws, i, [row.report_date.isoformat()] + [getattr(row, c) for c in TREND_MEASURES],
               (None, *([RATE_FORMAT] * len(TREND_MEASURES))))
    if len(district):
        end = top + 1 + len(district)
        chart = LineChart()
        for c in range(2, len(headers) + 1):
            chart.add_data(Reference(ws, min_col=c, min_row=top + 1, max_row=end), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=top + 2, max_row=end))
        _style_series(chart, dark=True)
        for series in chart.series:
            series.smooth = False
            series.marker.symbol = "circle"
            series.graphicalProperties.line.width = 28575
        targets = "，".join(f"{MEASURES[c].short}{f'{float(t):.0%}'}" for c, t in snap.judged.targets.items())
        chart.title = f"全区主要指标变化（{snap.judged.name}目标：{targets}）"
        chart.y_axis.title = _horizontal_title("比率")
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.y_axis.majorUnit = 0.2
        chart.y_axis.number_format = "0%"
        _place_chart(ws, chart, f"A{end + 2}", 24, 10)
    ws.freeze_panes = "B4"
    _print_setup(ws, "1:3", fit_height=1)  # table and chart on one page


# ---------------------------------------------------------------- 考核排名 (+ points chart)

def _write_ranking(ws: Worksheet, snap: Snapshot) -> None:
    _write_score_sheet(ws, snap)
    columns = scorecard_columns(snap)
    towns = scorecard_rows(snap)
    if not any(s.report for s in snap.towns):
        return
    first = SCORE_HEADER_ROW + 1
    last = first + len(towns) - 1  # towns only, not the district row
    town_col = next(i for i, c in enumerate(columns, start=1) if c.header == "镇（街道）")
    rule_cols = [i for i, c in enumerate(columns, start=1) if c.kind == "points"][:-1]  # each rule, not the total
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    for c in rule_cols:
        chart.add_data(Reference(ws, min_col=c, min_row=SCORE_HEADER_ROW, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=town_col, min_row=first, max_row=last))
    _style_series(chart)
    chart.title = "各镇（街道）考核加分（按加分项目）"
    chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top, as in the table
    chart.y_axis.title = _horizontal_title("分")
    chart.y_axis.majorUnit = 1
    _place_chart(ws, chart, f"B{last + len(_notes(snap)) + 4}", 24, 12)
    ws.page_setup.fitToHeight = 1  # table and chart on one page


# ---------------------------------------------------------------- 差距

def gap_rows(snap: Snapshot) -> tuple[list[str], list[tuple]]:
    """(headers, rows): per town in rank order, its judged-phase rates, status and, for every phase,
    the units still needed for each target (None for a town with no report)."""
    campaign = snap.campaign
    codes = list(snap.judged.targets)
    headers = ["排名", "镇（街道）", "状态"] + [MEASURES[c].short for c in codes]
    pairs = [(phase, code) for phase in campaign.phases for code in phase.targets]
    headers += [f"{phase.name}还需{MEASURES[code].action}{MEASURES[code].item}" for phase, code in pairs]
    rows = []
    for s in snap.ranked():
        if not s.report:
            rows.append((None, s.town, MISSING, *([None] * (len(codes) + len(pairs)))))
            continue
        rows.append((s.rank, s.town, s.status, *(_float(snap.rate(c, s.figures)) for c in codes),
                     *(s.gaps[phase.name][code] for phase, code in pairs)))
    district = phase_gaps(snap.district, campaign)
    rows.append((None, "全区合计", None, *(_float(snap.rate(c)) for c in codes),
                 *(district[phase.name][code] for phase, code in pairs)))
    return headers, rows


def _write_gaps(ws: Worksheet, snap: Snapshot) -> None:
    headers, rows = gap_rows(snap)
    codes = list(snap.judged.targets)
    last = len(headers)
    _title_row(ws, 1, f"各镇（街道）离阶段目标还差多少（截至{snap.as_of.isoformat()}）", last)
    targets = "；".join(f"{p.name}：" + "，".join(f"{MEASURES[c].short}{float(t):.0%}" for c, t in p.targets.items())
                       for p in snap.campaign.phases)
    _title_row(ws, 2, f"阶段目标 — {targets}。单位：个。", last, BODY_FONT, height=36)
    widths = [6, 14, 9] + [12] * len(codes) + [_fit_width(h, [], max_header_lines=2, maximum=14) for h in headers[3 + len(codes):]]
    _header_row(ws, 3, headers, widths)
    formats = (None, None, None, *([RATE_FORMAT] * len(codes)), *(['0"个";-0"个";"已达标"'] * (last - 3 - len(codes))))
    for r, row in enumerate(rows, start=4):
        _cells(ws, r, row, formats, first_left=2)
        ws.cell(r, 1).alignment = CENTER
    end = 3 + len(rows)
    for word in STATUS_ORDER:
        fill, font = _status_fill(word)
        ws.conditional_formatting.add(f"C4:C{end}", FormulaRule(formula=[f'$C4="{word}"'], fill=fill, font=font,
                                                                stopIfTrue=True))
    # Chart: units still needed in the judged phase, per town (the district row left out).
    judged = [i for i, h in enumerate(headers, start=1) if h.startswith(snap.judged.name)]
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    for c in judged:
        chart.add_data(Reference(ws, min_col=c, min_row=3, max_row=end - 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=4, max_row=end - 1))
    _style_series(chart)
    chart.title = f"各镇（街道）{snap.judged.name}还需完成的个数"
    chart.y_axis.title = _horizontal_title("个")
    chart.y_axis.number_format = "0"
    chart.y_axis.majorUnit = 1
    chart.y_axis.scaling.min = 0
    _place_chart(ws, chart, f"A{end + 2}", 26, 11)
    ws.freeze_panes = "C4"
    _print_setup(ws, "1:3", fit_height=1)


# ---------------------------------------------------------------- 报送情况

SUMMARY_HEADERS = ("报送日期", "应报", "已报", "按时", "逾期", "重报", "未报")


def submission_tables(conn: duckdb.DuckDBPyConnection, snap: Snapshot,
                      today: dt.date | None = None) -> tuple[pd.DataFrame, list[tuple]]:
    """(towns × report dates on or before as_of → status word, per-date counts)."""
    status = submission_status(conn, snap.campaign, today)
    status = status[status["report_date"] <= snap.as_of]
    dates = list(dict.fromkeys(status["report_date"]))
    matrix = status.pivot(index="town", columns="report_date", values="status").reindex(
        index=list(snap.campaign.towns), columns=dates) if dates else pd.DataFrame(index=list(snap.campaign.towns))
    summary = []
    for day in dates:
        rows = status[(status["report_date"] == day) & (status["scheduled"] | (status["versions"] > 0))]
        words = list(rows["status"])
        uploaded = rows[rows["versions"] > 0]
        summary.append((day, len(rows), len(uploaded), int(uploaded["on_time"].astype(bool).sum()),
                        int((~uploaded["on_time"].astype(bool)).sum()), words.count(RESUBMITTED),
                        words.count(NOT_REPORTED)))
    return matrix, summary


def _write_submissions(ws: Worksheet, snap: Snapshot, matrix: pd.DataFrame, summary: list[tuple]) -> None:
    dates = list(matrix.columns)
    last = max(len(dates) + 1, len(SUMMARY_HEADERS))
    _title_row(ws, 1, f"各镇（街道）报送情况（截至{snap.as_of.isoformat()}）", last)
    _title_row(ws, 2, f"报送日期后 {snap.campaign.grace_days} 天内上传为按时；重报为同一日期上传过多个版本（以最新版为准）。",
               last, BODY_FONT, height=20)
    _header_row(ws, 3, ["镇（街道）"] + [d.isoformat() for d in dates], [14] + [12] * len(dates))
    for r, town in enumerate(matrix.index, start=4):
        _cells(ws, r, [town] + [matrix.at[town, d] for d in dates])
    end = 3 + len(matrix.index)
    if dates:
        cells = f"B4:{get_column_letter(len(dates) + 1)}{end}"
        for word, (fill, font) in SUBMISSION_COLOURS.items():
            ws.conditional_formatting.add(cells, FormulaRule(
                formula=[f'B4="{word}"'], fill=PatternFill("solid", fgColor=fill, bgColor=fill),
                font=Font(color=font), stopIfTrue=True))
    top = end + 2
    _put(ws, top, 1, "各报送日期汇总").font = HEADER_FONT
    _header_row(ws, top + 1, list(SUMMARY_HEADERS), [14] + [12] * (len(SUMMARY_HEADERS) - 1))
    for r, row in enumerate(summary, start=top + 2):
        _cells(ws, r, row, (DATE_FORMAT,))
    if summary:
        first, stop = top + 2, top + 1 + len(summary)
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
        for c in (4, 5, 7):  # 按时, 逾期, 未报
            chart.add_data(Reference(ws, min_col=c, min_row=top + 1, max_row=stop), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=stop))
        for series, colour in zip(chart.series, ("70AD47", "FFC000", "C00000")):
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
        chart.title = "各报送日期按时、逾期、未报的镇（街道）数"
        chart.y_axis.title = _horizontal_title("个")
        chart.y_axis.majorUnit = 1
        chart.y_axis.scaling.min = 0
        chart.x_axis.number_format = "mm-dd"
        _place_chart(ws, chart, f"A{stop + 2}", 20, 9)
    ws.freeze_panes = "B4"
    _print_setup(ws, "1:3", fit_height=1)


# ---------------------------------------------------------------- the workbook

def meeting_pack(conn: duckdb.DuckDBPyConnection, snap: Snapshot, today: dt.date | None = None) -> bytes:
    """The meeting pack of a snapshot as .xlsx bytes (today: for 未报 against 待报, default today)."""
    workbook = Workbook()
    sheets = {OVERVIEW: workbook.active}
    sheets[OVERVIEW].title = OVERVIEW
    for name in SHEETS[1:]:
        sheets[name] = workbook.create_sheet(name)
    _write_overview(sheets[OVERVIEW], snap, measure_history(conn, snap.campaign, snap.as_of))
    _write_ranking(sheets[RANKING], snap)
    _write_ledger_sheet(sheets[LEDGER], snap)
    _write_gaps(sheets[GAPS], snap)
    _write_submissions(sheets[SUBMISSIONS], snap, *submission_tables(conn, snap, today))
    _write_community_sheet(sheets[COMMUNITIES], snap, snapshot_communities(conn, snap))
    workbook.active = 0
    moment = dt.datetime.combine(snap.as_of, dt.time(0))
    _set_properties(workbook, pack_title(snap), snap.campaign.district, moment)
    return _deterministic_bytes(workbook, moment)

