"""The town's own workbook handed back with its problems marked.

Each cell an issue is about gets a red (error) or yellow (warning) fill and a Chinese comment (批注)
saying what to fix; a first sheet, 问题清单, lists every problem with a link to its cell. Nothing
else is changed: the workbook is the uploaded bytes loaded with openpyxl and saved again (which
keeps values, formulas, styles, merged cells, data validation and existing comments; openpyxl
cannot keep pictures, charts or drawing shapes, and the list sheet says so when there were any).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from core.exports import (BORDER, HEADER_FILL, HEADER_FONT, NOTE_FONT, TITLE_FONT, _print_setup, _put, _sheet_name)
from core.issues import ERROR, SEVERITY_LABELS, WHOLE_FILE_CODES, Issue, issue_kind
from core.layout import normalize_label
from core.validate import ParsedWorkbook

LIST_SHEET = "问题清单"
ERROR_COLOR, WARNING_COLOR = "FFC7CE", "FFEB9C"  # the scorecard's 滞后 and 有风险 fills
COMMENT_AUTHOR = "红色物业建设推进看板"
LIST_HEADERS = ("序号", "类型", "问题", "工作表", "单元格", "行", "列", "怎么改")
LIST_WIDTHS = (6, 7, 18, 14, 14, 6, 18, 70)
HEADER_ISSUES = ("unknown_column", "duplicate_column")  # the issue is about the header cell itself
# Parts of an .xlsx that openpyxl drops when it saves a workbook it has read.
LOST_PARTS = (("xl/drawings/", "图片、图形或批注框"), ("xl/charts/", "图表"), ("xl/media/", "图片"),
              ("xl/pivotTables/", "数据透视表"), ("xl/vbaProject.bin", "宏"))


class AnnotateError(ValueError):
    """The workbook cannot be opened for marking; the message is Chinese."""


def annotated_file_name(file_name: str) -> str:
    """'错误示例_岭子镇.xlsx' → '错误示例_岭子镇_问题标注.xlsx'."""
    return f"{PurePath(file_name).stem}_问题标注.xlsx"


def fill_color(issue: Issue) -> str:
    return ERROR_COLOR if issue.severity == ERROR else WARNING_COLOR


# ---------------------------------------------------------------- where an issue is

def _text(value) -> str:
    return normalize_label(value) if isinstance(value, str) else ""


def _label_cell(ws: Worksheet, row: int, label: str, last: bool = False) -> int | None:
    """The column of the cell in `row` written as `label` (else one whose text starts with it)."""
    key = normalize_label(label)
    cells = [c for c in ws[row] if _text(c.value)] if row <= ws.max_row else []
    exact = [c.column for c in cells if _text(c.value) == key]
    if exact:
        return exact[-1] if last else exact[0]
    inline = [c.column for c in cells if _text(c.value).startswith(key)]
    return inline[0] if inline else None


def _value_right_of(ws: Worksheet, row: int, column: int) -> int:
    """The first non-empty cell right of a label (the field's value), else the label's own cell."""
    for cell in ws[row][column:]:
        if cell.value is not None and str(cell.value).strip():
            return cell.column
    return column


def issue_cell(issue: Issue, workbook: Workbook) -> tuple[int, int] | None:
    """(row, column), 1-based, of the one cell an issue is about; None for the whole file, a whole
    sheet or a whole row."""
    if issue.sheet not in workbook.sheetnames or issue.row is None:
        return None
    if issue.column_number:
        return issue.row, issue.column_number
    if not issue.column:
        return None
    ws = workbook[issue.sheet]
    column = _label_cell(ws, issue.row, issue.column, last=issue.code == "duplicate_column")
    if column is None:
        return None
    if issue.code in HEADER_ISSUES:
        return issue.row, column
    # Report fields (基本信息, title rows): the label names the field; the value is to its right,
    # or in the same cell ("报送日期：2021-11-30").
    if _text(ws.cell(issue.row, column).value) != normalize_label(issue.column):
        return issue.row, column
    return issue.row, _value_right_of(ws, issue.row, column)


def _where(issue: Issue, cell: tuple[int, int] | None) -> str:
    if cell:
        return f"{get_column_letter(cell[1])}{cell[0]}"
    if issue.row:
        return f"第{issue.row}行"
    return "整个工作表" if issue.sheet else "整个文件"


# ---------------------------------------------------------------- marking

def _comment_text(issues: list[Issue]) -> str:
    return "\n".join(f"【{SEVERITY_LABELS[i.severity]}】{i.message}" for i in issues)


def _comment(text: str, previous: Comment | None) -> Comment:
    if previous is not None and previous.text:
        text = f"{previous.text.rstrip()}\n——\n{text}"
    lines = sum(max(1, -(-len(part) // 22)) for part in text.split("\n"))  # about 22 CJK characters a line
    return Comment(text, COMMENT_AUTHOR, height=min(400, 20 + 16 * lines), width=320)


def _mark(workbook: Workbook, cells: dict[tuple[str, int, int], list[Issue]]) -> None:
    for (sheet, row, column), issues in cells.items():
        cell = workbook[sheet].cell(row, column)
        worst = ERROR if any(i.severity == ERROR for i in issues) else issues[0].severity
        color = ERROR_COLOR if worst == ERROR else WARNING_COLOR
        cell.fill = PatternFill("solid", fgColor=color, bgColor=color)
        cell.comment = _comment(_comment_text(issues), cell.comment)


def _lost(data: bytes) -> list[str]:
    """What the annotated copy cannot keep of the original, in words."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return []
    found = []
    for prefix, words in LOST_PARTS:
        drawings = [n for n in names if n.startswith(prefix)]
        if prefix == "xl/drawings/":  # comment boxes live here too (as .vml) and are kept
            drawings = [n for n in drawings if not n.endswith(".vml") and "/_rels/" not in n]
        if drawings and words not in found:
            found.append(words)
    return found


def _write_list(ws: Worksheet, ordered: list[tuple[Issue, tuple[int, int] | None]], file_name: str,
                lost: list[str]) -> None:
    errors = sum(1 for i, _ in ordered if i.severity == ERROR)
    warnings = len(ordered) - errors
    last = len(LIST_HEADERS)
    title = _put(ws, 1, 1, f"“{file_name}”的问题清单：错误 {errors} 处，提醒 {warnings} 条")
    title.font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws.row_dimensions[1].height = 30
    notes = ["红色单元格为错误：改正后才能导入（整个文件都不会保存）；黄色单元格为提醒：不影响导入，请核实。"
             "单元格上的批注写明了怎么改；点击“单元格”一列可跳到该处。本表不影响上传，可保留也可删除。"]
    if lost:
        notes.append(f"注意：原工作簿中的{'、'.join(lost)}无法保留在本标注版中，请在原文件上按本表修改后上传。")
    for n, note in enumerate(notes, start=2):
        cell = _put(ws, n, 1, note)
        cell.font = NOTE_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.merge_cells(start_row=n, start_column=1, end_row=n, end_column=last)
        ws.row_dimensions[n].height = 32
    header = len(notes) + 2
    for c, (text, width) in enumerate(zip(LIST_HEADERS, LIST_WIDTHS), start=1):
        cell = _put(ws, header, c, text)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = width
    if not ordered:
        _put(ws, header + 1, 1, "未发现问题，可以直接上传。")
    for n, (issue, cell_at) in enumerate(ordered, start=1):
        r = header + n
        values = (n, SEVERITY_LABELS[issue.severity], issue_kind(issue.code), issue.sheet or "（整个文件）",
                  _where(issue, cell_at), issue.row, issue.column or "", issue.message)
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=c == last,
                                       horizontal="center" if c in (1, 2, 5, 6) else "left")
        ws.cell(r, 2).fill = PatternFill("solid", fgColor=fill_color(issue), bgColor=fill_color(issue))
        if issue.sheet and issue.sheet in ws.parent.sheetnames:
            target = f"{get_column_letter(cell_at[1])}{cell_at[0]}" if cell_at else f"A{issue.row or 1}"
            link = ws.cell(r, 5)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{quote_sheetname(issue.sheet)}!{target}")
            link.font = Font(name=NOTE_FONT.name, size=11, color="0563C1", underline="single")
        ws.row_dimensions[r].height = 15 * max(1, -(-len(issue.message) // 34)) + 6
    ws.freeze_panes = ws.cell(header + 1, 1).coordinate
    _print_setup(ws, f"1:{header}")


def _ordered(issues: list[Issue]) -> list[Issue]:
    """Errors first, then warnings; each in sheet and row order (the upload page's order)."""
    return sorted(issues, key=lambda i: (i.severity != ERROR, i.sheet or "", i.row or 0, i.column_number or 0))


def annotate_workbook(data: bytes, parsed: ParsedWorkbook) -> Workbook:
    """The uploaded workbook with its problem cells marked and the list sheet first (not yet saved)."""
    try:
        workbook = load_workbook(io.BytesIO(data), rich_text=True)
    except Exception as exc:  # openpyxl raises many kinds on a workbook it cannot read
        raise AnnotateError(f"这个工作簿无法生成标注版（{type(exc).__name__}），请按问题清单在原文件上修改。") from None
    ordered = [(issue, issue_cell(issue, workbook)) for issue in _ordered(list(parsed.issues))]
    cells: dict[tuple[str, int, int], list[Issue]] = {}
    for issue, at in ordered:
        if at:
            cells.setdefault((issue.sheet, *at), []).append(issue)
    _mark(workbook, cells)
    name = _sheet_name(LIST_SHEET, set(workbook.sheetnames))
    ws = workbook.create_sheet(name, 0)
    _write_list(ws, ordered, parsed.file_name, _lost(data))
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = False  # several selected tabs would open as a group
    workbook.active = 0
    ws.sheet_view.tabSelected = True
    return workbook


def annotated_workbook(data: bytes, parsed: ParsedWorkbook) -> bytes:
    """The town's workbook back, problem cells filled (red: error, yellow: warning) and commented, and
    a first sheet listing every problem with a link to its cell."""
    buffer = io.BytesIO()
    annotate_workbook(data, parsed).save(buffer)
    return buffer.getvalue()


def can_annotate(parsed: ParsedWorkbook) -> bool:
    """True when the workbook was read (not refused at the gate) and has something to mark."""
    return bool(parsed.issues) and not any(i.code in WHOLE_FILE_CODES for i in parsed.issues)

