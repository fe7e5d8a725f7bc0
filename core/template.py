"""The official blank town workbook (月报工作簿 template), written with openpyxl.

The template follows the workbook contract in `core.layout` exactly: an instructions sheet
(填报说明), the report-info sheet (基本信息) and the four ledgers in `layout.LEDGERS`, each with
the template headers, drop-downs for yes/no, choice and town columns, whole-number checks for
counts, a date format for dates and the column hint as the cell's input message.

The bytes are deterministic for a given campaign: document properties and zip entry times are
fixed, so the same campaign always yields the same file (useful for caching and for tests).
"""
from __future__ import annotations

import datetime as dt
import io
import math
import os
import unicodedata
import zipfile
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from core import layout
from core.config import Campaign, default_campaign

TITLE = "红色物业建设月报工作簿"
LAST_ROW = 1000  # data validations and formats cover rows 2..LAST_ROW of each ledger
MAX_LIST_CHARS = 255  # Excel's limit on an inline list of a list validation
DATE_FORMAT = "yyyy-mm-dd"

KIND_LABELS = {"text": "文字", "yesno": "是/否", "int": "整数", "date": "日期", "choice": "选项"}
INFO_HINTS = {  # code of layout.INFO_FIELDS -> input message / instructions line
    "town": "从下拉列表选择本镇（街道）；台账中“镇（街道）”列留空的行按此处填写。",
    "report_date": "数据截至日期，须为 {year} 年内的日期，如 {year}-11-30。",
    "filled_by": "填报人姓名。",
    "phone": "填报人联系电话。",
}

# Styles (light fills: orange marks a required column, blue an optional one).
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="E2EFDA")
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FONT = Font(bold=True)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
POINTS_PER_LINE = 15  # row height of one wrapped line of 11 pt text


# ---------------------------------------------------------------------------
# Public API


def template_bytes(campaign: Campaign | None = None) -> bytes:
    """The blank town workbook for `campaign` (default: the configured campaign) as .xlsx bytes."""
    campaign = campaign or default_campaign()
    workbook = build_workbook(campaign)
    return _deterministic_bytes(workbook, _fixed_moment(campaign))


def write_template(path: str | os.PathLike, campaign: Campaign | None = None) -> Path:
    """Write the blank town workbook to `path`; returns the path written."""
    path = Path(path)
    path.write_bytes(template_bytes(campaign))
    return path


def template_file_name(campaign: Campaign | None = None) -> str:
    """A download name such as 淄川区红色物业建设月报工作簿（2021）.xlsx."""
    campaign = campaign or default_campaign()
    return f"{campaign.district}{TITLE}（{campaign.year}）.xlsx"


def build_workbook(campaign: Campaign) -> Workbook:
    """The template as an openpyxl Workbook (not yet saved)."""
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = layout.INSTRUCTIONS_SHEET_NAME
    town_range = _write_instructions(instructions, campaign)
    town_source = _list_source(campaign.towns) or town_range

    _write_info_sheet(workbook.create_sheet(layout.INFO_SHEET_NAME), campaign, town_source)
    for sheet in layout.LEDGERS:
        _write_ledger(workbook.create_sheet(sheet.name), sheet, town_source)

    workbook.active = 0
    _set_properties(workbook, campaign)
    return workbook


# ---------------------------------------------------------------------------
# Instructions sheet (填报说明)

INSTRUCTION_WIDTHS = {"A": 24, "B": 8, "C": 8, "D": 56}  # 列名 | 类型 | 必填 | 填写说明
INSTRUCTION_SPAN = sum(INSTRUCTION_WIDTHS.values())


class _Page:
    """Writes the instructions sheet top to bottom, one row at a time."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.row = 1

    def title(self, text: str, size: int = 16) -> None:
        self._merged(text, Font(bold=True, size=size), Alignment(horizontal="center", vertical="center"))
        self.ws.row_dimensions[self.row - 1].height = size * 2

    def section(self, text: str) -> None:
        self.blank()
        self._merged(text, Font(bold=True, size=12), Alignment(vertical="center"), SECTION_FILL)

    def subsection(self, text: str) -> None:
        self._merged(text, Font(bold=True), WRAP_LEFT)

    def paragraph(self, text: str) -> None:
        self._merged(text, None, WRAP_LEFT)

    def table_row(self, values: tuple[str, ...], header: bool = False) -> None:
        for col, value in enumerate(values, start=1):
            cell = self.ws.cell(self.row, col, value)
            cell.border = BORDER
            cell.alignment = WRAP_CENTER if header or col in (2, 3) else WRAP_LEFT
            if header:
                cell.font = HEADER_FONT
                cell.fill = OPTIONAL_FILL
        widths = list(INSTRUCTION_WIDTHS.values())
        self.ws.row_dimensions[self.row].height = _row_height(
            max(_line_count(v, w) for v, w in zip(values, widths)))
        self.row += 1

    def list_item(self, text: str) -> str:
        """One value in column A (used for the town list); returns its cell address."""
        cell = self.ws.cell(self.row, 1, text)
        cell.border = BORDER
        self.row += 1
        return cell.coordinate

    def blank(self) -> None:
        self.row += 1

    def _merged(self, text, font, alignment, fill=None) -> None:
        cell = self.ws.cell(self.row, 1, text)
        if font:
            cell.font = font
        cell.alignment = alignment
        if fill:
            cell.fill = fill
        last = get_column_letter(len(INSTRUCTION_WIDTHS))
        self.ws.merge_cells(f"A{self.row}:{last}{self.row}")
        self.ws.row_dimensions[self.row].height = _row_height(_line_count(text, INSTRUCTION_SPAN))
        self.row += 1


def _write_instructions(ws: Worksheet, campaign: Campaign) -> str:
    """Fill the 填报说明 sheet; returns the absolute reference of its town list."""
    for letter, width in INSTRUCTION_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.sheet_view.showGridLines = False
    page = _Page(ws)

    page.title(f"{campaign.district}{TITLE} · 填报说明")
    page.paragraph(f"{campaign.year} 年度 · 各镇（街道）按月及各阶段节点报送")
    _purpose_section(page)
    _steps_section(page)
    _sheets_section(page, campaign)
    _yesno_section(page)
    _standards_section(page, campaign)
    _upload_section(page, campaign)
    town_range = _towns_section(page, campaign)

    _print_setup(ws, landscape=False)
    return town_range


def _purpose_section(page: _Page) -> None:
    page.section("一、用途")
    page.paragraph("本工作簿用于各镇（街道）报送红色业主委、环物委建设情况月报（工作台账）。"
                   "区住房保障中心物业科据此汇总全区进度，对照阶段目标和考核加分规则形成调度材料。")
    page.paragraph("每个镇（街道）每个报送日期报送一份；区级汇总台账也可在一个工作簿中填写多个镇（街道），"
                   "此时每行须注明所属镇（街道）。")


def _steps_section(page: _Page) -> None:
    info = layout.INFO_SHEET_NAME
    page.section("二、填报步骤")
    for line in (
        f"1. 在“{info}”表中选择镇（街道），填写报送日期（数据截至日期）、填报人和联系电话。",
        "2. 在各台账表中逐行填写，每行一个对象（见下文各表说明）；标注“必填”的工作表不可缺少，"
        "其余工作表有内容时填写。",
        "3. 是/否、选项和镇（街道）列请从下拉列表选择；选中单元格时会显示该列的填写提示。",
        "4. 请勿修改工作表名称和表头文字。可在表头上方加标题行、增加“序号”列；合计行和表格下方的备注行会被自动忽略。",
        "5. 表头底色为橙色的列为必填列，蓝色的列为选填列。",
    ):
        page.paragraph(line)


def _sheets_section(page: _Page, campaign: Campaign) -> None:
    page.section("三、各表填写要求")
    page.subsection(f"（一）{layout.INFO_SHEET_NAME}（选填，缺少时上传页面会要求补填）")
    page.table_row(("项目", "类型", "必填", "填写说明"), header=True)
    for code, (label, _synonyms) in layout.INFO_FIELDS.items():
        kind = "日期" if code == "report_date" else "文字"
        page.table_row((label, kind, "必填" if code in ("town", "report_date") else "选填",
                        _info_hint(code, campaign)))
    for number, sheet in enumerate(layout.LEDGERS, start=2):
        page.blank()
        need = "必填" if sheet.required else "选填"
        page.subsection(f"（{_chinese_number(number)}）{sheet.name}（{need}）：{sheet.description}")
        page.table_row(("列名", "类型", "必填", "填写说明"), header=True)
        for column in sheet.columns:
            page.table_row((column.header, KIND_LABELS[column.kind],
                            "必填" if column.required else "选填", column.hint))


def _yesno_section(page: _Page) -> None:
    page.section("四、“是/否”的填写")
    page.paragraph("请从下拉列表选择“是”或“否”。系统也接受以下写法（英文不区分大小写）：")
    page.paragraph("表示“是”：" + "、".join(_spelling(w) for w in layout.YES))
    page.paragraph("表示“否”：" + "、".join(_spelling(w) for w in layout.NO))
    page.paragraph("必填的是/否列留空时按“否”处理，并给出提示；其他写法视为错误。")


def _standards_section(page: _Page, campaign: Campaign) -> None:
    page.section("五、达标标准")
    page.paragraph(f"红色业主委：业委会已建立党组织，且党员人数占业委会成员数的比例不低于 "
                   f"{percent(campaign.red_min_party_share)}。")
    page.paragraph(f"业委会党组织：党员少于 {campaign.min_party_members_for_org} 人的业委会建立党组织时，"
                   "系统将给出提示。")
    size = f"成员不少于 {campaign.epmc_min_members} 人" + ("且为单数" if campaign.epmc_odd_members else "")
    page.paragraph(f"规范环物委：{size}；党员比例不低于 {percent(campaign.epmc_min_party_share)}；"
                   "成员本人或直系亲属不得在本社区业委会、物业服务企业任职。主任可由居委会成员兼任，但不作要求。")
    page.paragraph("以上标准在上传时按实际人数精确核对（不四舍五入），不符合的给出提示，不影响入库。")


def _upload_section(page: _Page, campaign: Campaign) -> None:
    page.section("六、上传与检查")
    page.paragraph(f"文件须为 Excel 工作簿（.xlsx；旧版 .xls 等请先“另存为”.xlsx），不设打开密码，大小不超过 {campaign.max_upload_mb} MB，"
                   f"每张表不超过 {campaign.max_rows_per_sheet} 行。")
    page.paragraph("上传后系统逐格检查：有错误时整份不入库，并列出工作表、行号、列名和修改意见，改正后重新上传即可；"
                   "“提示”不影响入库。")
    page.paragraph("同一镇（街道）、同一报送日期重复上传时，以最后一次为准，之前的版本保留在历史记录中。")


def _towns_section(page: _Page, campaign: Campaign) -> str:
    """The configured towns, one per row in column A; returns their absolute range."""
    page.section(f"七、本区镇（街道）名单（共 {len(campaign.towns)} 个）")
    cells = [page.list_item(town) for town in campaign.towns]
    return _absolute_range(page.ws, cells[0], cells[-1])


def _info_hint(code: str, campaign: Campaign) -> str:
    return INFO_HINTS[code].format(year=campaign.year)


def _spelling(word: str) -> str:
    """A yes/no spelling as shown to people: Latin words upper-cased (matching ignores case)."""
    return word.upper() if word.isascii() else word


def _chinese_number(n: int) -> str:
    return "一二三四五六七八九十"[n - 1]


def percent(share: Fraction) -> str:
    """A share as a percent with at most one decimal, e.g. Fraction(4, 5) -> '80%'."""
    text = f"{float(share * 100):.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


# ---------------------------------------------------------------------------
# Report info sheet (基本信息)


def _write_info_sheet(ws: Worksheet, campaign: Campaign, town_source: str) -> None:
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 32
    for col, text in enumerate(("项目", "内容"), start=1):
        _style_header(ws.cell(1, col, text), required=True)
    rows = {}
    for row, (code, (label, _synonyms)) in enumerate(layout.INFO_FIELDS.items(), start=2):
        label_cell = ws.cell(row, 1, label)
        label_cell.font = HEADER_FONT
        label_cell.border = BORDER
        ws.cell(row, 2).border = BORDER
        ws.row_dimensions[row].height = 20
        rows[code] = row

    town_cell = f"B{rows['town']}"
    _add_validation(ws, town_cell, _town_validation(town_source, "镇（街道）", _info_hint("town", campaign)))

    date_cell = ws[f"B{rows['report_date']}"]
    date_cell.number_format = DATE_FORMAT
    _add_validation(ws, date_cell.coordinate, _year_validation(campaign))

    ws[f"B{rows['phone']}"].number_format = "@"  # keep leading zeros and long numbers as typed
    for code in ("filled_by", "phone"):
        label = layout.INFO_FIELDS[code][0]
        _add_validation(ws, f"B{rows[code]}", _prompt_only(label, _info_hint(code, campaign)))
    _print_setup(ws, landscape=False)


def _year_validation(campaign: Campaign) -> DataValidation:
    first, last = dt.date(campaign.year, 1, 1), dt.date(campaign.year, 12, 31)
    return DataValidation(
        type="date", operator="between",
        formula1=str(int(to_excel(first))), formula2=str(int(to_excel(last))),
        allow_blank=True, showInputMessage=True, showErrorMessage=True, errorStyle="warning",
        promptTitle="报送日期", prompt=_info_hint("report_date", campaign),
        errorTitle="报送日期", error=f"报送日期应为 {campaign.year} 年内的日期，格式如 {campaign.year}-11-30。",
    )


# ---------------------------------------------------------------------------
# Ledger sheets


def _write_ledger(ws: Worksheet, sheet: layout.Sheet, town_source: str) -> None:
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        _style_header(ws.cell(1, index, column.header), column.required)
        _format_column(ws, letter, column)
        validation = _column_validation(column, town_source)
        _add_validation(ws, f"{letter}2:{letter}{LAST_ROW}", validation)
    ws.row_dimensions[1].height = _row_height(
        max(_line_count(c.header, c.width) for c in sheet.columns))
    ws.freeze_panes = f"{get_column_letter(_frozen_columns(sheet) + 1)}2"
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True  # the blank form prints with cell lines
    _print_setup(ws, landscape=True)


def _style_header(cell, required: bool) -> None:
    cell.font = HEADER_FONT
    cell.fill = REQUIRED_FILL if required else OPTIONAL_FILL
    cell.alignment = WRAP_CENTER
    cell.border = BORDER


def _format_column(ws: Worksheet, letter: str, column: layout.Column) -> None:
    """Width and the column's default number format (applies to cells people type in)."""
    dimension = ws.column_dimensions[letter]
    dimension.width = column.width
    if column.kind == "date":
        dimension.number_format = DATE_FORMAT
    elif column.kind == "int":
        dimension.number_format = "0"


def _frozen_columns(sheet: layout.Sheet) -> int:
    """The leading run of required text columns (town, community, name…) that identify a row."""
    count = 0
    for column in sheet.columns:
        if column.kind != "text" or not column.required:
            break
        count += 1
    return count


def _column_validation(column: layout.Column, town_source: str) -> DataValidation:
    title = column.header + ("（必填）" if column.required else "")
    if column.code == "town":
        return _town_validation(town_source, title, column.hint)
    if column.kind == "yesno":
        return _list_validation(_list_source(("是", "否")), title, column.hint,
                                "请从下拉列表选择“是”或“否”（也可填 有/无、√/× 等，见“填报说明”）。",
                                strict=False)
    if column.kind == "choice":
        return _list_validation(_list_source(column.choices), title, column.hint,
                                "请从下拉列表选择：" + " / ".join(column.choices) + "。")
    if column.kind == "int":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                              allow_blank=True, showInputMessage=True, showErrorMessage=True,
                              promptTitle=_clip(title, 32), prompt=_clip(column.hint, 255),
                              errorTitle=_clip(column.header, 32), error="请填写不小于 0 的整数。")
    return _prompt_only(title, column.hint)


def _town_validation(source: str, title: str, hint: str) -> DataValidation:
    return _list_validation(source, title, hint, "请从下拉列表选择本区的镇（街道）（名单见“填报说明”）。")


def _list_validation(source: str, title: str, hint: str, error: str, strict: bool = True) -> DataValidation:
    """A drop-down list; `strict` refuses other values, otherwise Excel only warns."""
    return DataValidation(
        type="list", formula1=source, allow_blank=True,
        showInputMessage=True, showErrorMessage=True, errorStyle="stop" if strict else "warning",
        promptTitle=_clip(title, 32), prompt=_clip(hint, 255),
        errorTitle=_clip(title, 32), error=_clip(error, 255),
    )


def _prompt_only(title: str, hint: str) -> DataValidation:
    """No check, only the input message shown when the cell is selected."""
    return DataValidation(allow_blank=True, showInputMessage=True, showErrorMessage=False,
                          promptTitle=_clip(title, 32), prompt=_clip(hint, 255))


def _add_validation(ws: Worksheet, cells: str, validation: DataValidation) -> None:
    ws.add_data_validation(validation)
    validation.add(cells)


def _list_source(values) -> str | None:
    """An inline list formula ("a,b,c"), or None when Excel cannot take it inline."""
    values = tuple(values)
    if any("," in v or '"' in v for v in values):
        return None
    joined = ",".join(values)
    return f'"{joined}"' if len(joined) <= MAX_LIST_CHARS else None


def _absolute_range(ws: Worksheet, first: str, last: str) -> str:
    def absolute(coordinate: str) -> str:
        letters = coordinate.rstrip("0123456789")
        return f"${letters}${coordinate[len(letters):]}"
    return f"{quote_sheetname(ws.title)}!{absolute(first)}:{absolute(last)}"


# ---------------------------------------------------------------------------
# Print set-up, sizes, properties, saving


def _print_setup(ws: Worksheet, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _display_width(text: str) -> int:
    """Width in Excel character units: a Chinese (wide) character counts as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _line_count(text: str, width: float) -> int:
    usable = max(width - 1, 1)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in str(text).split("\n"))


def _row_height(lines: int) -> float:
    return lines * POINTS_PER_LINE + 4


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fixed_moment(campaign: Campaign) -> dt.datetime:
    """The created/modified time written into every template of a campaign."""
    return dt.datetime(campaign.year, 1, 1)


def _set_properties(workbook: Workbook, campaign: Campaign) -> None:
    props = workbook.properties
    props.title = TITLE
    props.subject = f"{campaign.district}{campaign.year}年红色物业建设月报"
    props.creator = campaign.district
    props.lastModifiedBy = campaign.district
    props.keywords = "红色物业;业委会;环物委;月报"
    props.created = props.modified = _fixed_moment(campaign)


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed timestamp (deterministic bytes)."""

    def __init__(self, file, moment: dt.datetime):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._date_time = moment.timetuple()[:6]

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl streams each worksheet through a temporary file: store its bytes, not its mtime.
        self.writestr(arcname or os.path.basename(filename), Path(filename).read_bytes(),
                      compress_type, compresslevel)


def _deterministic_bytes(workbook: Workbook, moment: dt.datetime) -> bytes:
    # Workbook.save() stamps the modified time with "now"; ExcelWriter keeps ours.
    buffer = io.BytesIO()
    ExcelWriter(workbook, _FixedTimeZip(buffer, moment)).save()
    return buffer.getvalue()
