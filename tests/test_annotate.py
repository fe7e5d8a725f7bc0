"""The annotated workbook: the town's own workbook back with each problem cell filled (red: error,
yellow: warning) and commented, a first sheet listing every problem with links, nothing else changed;
fixed by hand, it imports."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.xml.functions import tostring

from core.annotate import (ERROR_COLOR, LIST_SHEET, WARNING_COLOR, annotated_file_name, annotated_workbook,
                           can_annotate)
from core.config import default_campaign
from core.validate import read_workbook

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "sample_data" / "examples" / "错误示例_岭子镇.xlsx"
# The five errors of the bad example (sample_data/examples/README.md), by cell.
BAD_CELLS = {
    ("小区台账", "I2"): "【错误】“业委会已建党组织”填了“是”，但“已成立业委会”为“否”：没有业委会就不能有业委会党组织，请改正其中一项。",
    ("小区台账", "H3"): "【错误】“其中党员数”11 多于“业委会成员数”9，党员数不能超过业委会成员数，请核对。",
    ("小区台账", "A4"): "【错误】镇（街道）“岭子街道”不是本区的镇（街道）；是否应为“岭子镇”？请填写：般阳路街道、松龄路街道、"
                      "钟楼街道、将军路街道、昆仑镇、岭子镇、西河镇、龙泉镇、寨里镇、罗村镇、洪山镇、双杨镇、太河镇之一。",
    ("小区台账", "C7"): "【错误】小区“供电公司宿舍”与第5行重复（同一镇（街道）、同一社区内只能出现一次），请删除或合并。",
    ("社区台账", "C3"): "【错误】“已成立环物委”“待定”不是可识别的是/否填法，请填“是”或“否”。",
}


def parse(data: bytes, name: str = "台账.xlsx"):
    return read_workbook(data, name, default_campaign())


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def marks(workbook) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, cell) → (fill colour, comment text) of every commented cell outside the list sheet."""
    found = {}
    for ws in workbook.worksheets[1:]:
        for row in ws.iter_rows():
            for cell in row:
                if cell.comment is not None:
                    found[(ws.title, cell.coordinate)] = (cell.fill.fgColor.rgb[-6:], cell.comment.text)
    return found


def style(part) -> bytes:
    """A cell style part (font, fill, border, alignment) as the XML it is saved as."""
    return tostring(part.to_tree())


def filled(workbook, colour: str) -> set[tuple[str, str]]:
    return {(ws.title, c.coordinate) for ws in workbook.worksheets[1:] for row in ws.iter_rows() for c in row
            if c.fill.fill_type == "solid" and c.fill.fgColor.rgb[-6:] == colour}


@pytest.fixture(scope="module")
def bad():
    data = BAD.read_bytes()
    parsed = parse(data, BAD.name)
    return data, parsed, annotated_workbook(data, parsed)


def test_the_bad_example_has_exactly_its_five_cells_marked_and_commented(bad):
    _, parsed, annotated = bad
    workbook = load(annotated)
    assert workbook.sheetnames == [LIST_SHEET, "基本信息", "小区台账", "社区台账"]
    assert workbook.active.title == LIST_SHEET
    assert marks(workbook) == {cell: (ERROR_COLOR, text) for cell, text in BAD_CELLS.items()}
    assert filled(workbook, ERROR_COLOR) == set(BAD_CELLS) and not filled(workbook, WARNING_COLOR)
    assert workbook["小区台账"]["I2"].comment.author == "红色物业建设推进看板"
    boxes = [zipfile.ZipFile(io.BytesIO(annotated)).read(n) for n in zipfile.ZipFile(io.BytesIO(annotated)).namelist()
             if n.endswith(".vml")]
    assert all(b"width:320px" in box for box in boxes) and len(boxes) == 2  # wide enough to read the comment


def test_the_list_sheet_lists_every_problem_with_a_link_to_its_cell(bad):
    _, parsed, annotated = bad
    ws = load(annotated)[LIST_SHEET]
    assert ws["A1"].value == "“错误示例_岭子镇.xlsx”的问题清单：错误 5 处，提醒 0 条"
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "序号")
    assert [c.value for c in ws[header]] == ["序号", "类型", "问题", "工作表", "单元格", "行", "列", "怎么改"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=header + 1)]
    assert [(r[1], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("错误", "小区台账", "I2", 2, "业委会已建党组织"), ("错误", "小区台账", "H3", 3, "其中党员数"),
        ("错误", "小区台账", "A4", 4, "镇（街道）"), ("错误", "小区台账", "C7", 7, "小区名称"),
        ("错误", "社区台账", "C3", 3, "已成立环物委")]
    assert [r[7] for r in rows] == [BAD_CELLS[(r[3], r[4])].removeprefix("【错误】") for r in rows]
    links = [ws.cell(header + i, 5).hyperlink for i in range(1, 6)]
    assert [(link.location, link.target) for link in links] == [
        ("'小区台账'!I2", None), ("'小区台账'!H3", None), ("'小区台账'!A4", None), ("'小区台账'!C7", None),
        ("'社区台账'!C3", None)]
    assert ws.freeze_panes == f"A{header + 1}" and ws.page_setup.orientation == "landscape"


def test_everything_else_in_the_workbook_is_untouched(bad):
    data, _, annotated = bad
    before, after = load(data), load(annotated)
    assert after.sheetnames[1:] == before.sheetnames
    for ws in before.worksheets:
        twin = after[ws.title]
        assert twin.dimensions == ws.dimensions and twin.freeze_panes == ws.freeze_panes
        assert {str(r) for r in twin.merged_cells.ranges} == {str(r) for r in ws.merged_cells.ranges}
        for row in ws.iter_rows():
            for cell in row:
                other = twin[cell.coordinate]
                assert other.value == cell.value, cell.coordinate
                assert other.number_format == cell.number_format
                assert style(other.font) == style(cell.font) and style(other.border) == style(cell.border)
                assert style(other.alignment) == style(cell.alignment)
                if (ws.title, cell.coordinate) not in BAD_CELLS:
                    assert style(other.fill) == style(cell.fill) and other.comment is None
    assert not after["基本信息"].sheet_view.tabSelected  # only the list sheet is selected


def test_the_annotated_workbook_fixed_by_hand_imports(bad, tmp_path, cli):
    _, _, annotated = bad
    assert not parse(annotated).ok  # as handed back, the same five errors
    assert len(parse(annotated).errors) == 5
    workbook = load(annotated)
    compounds, communities = workbook["小区台账"], workbook["社区台账"]
    compounds["I2"] = "否"  # no committee, so no committee party organisation
    compounds["H3"] = 6  # party members no more than the 9 members
    compounds["A4"] = "岭子镇"
    compounds["C7"] = "供电公司宿舍二区"
    communities["C3"] = "否"
    fixed = tmp_path / "岭子镇_改正后.xlsx"
    workbook.save(fixed)
    parsed = parse(fixed.read_bytes(), fixed.name)
    assert parsed.ok and not parsed.warnings, [i.message for i in parsed.issues]
    [report] = parsed.reports
    assert (report.town, report.report_date.isoformat(), report.compound_count, report.community_count) == (
        "岭子镇", "2021-11-30", 6, 2)
    result = cli("import", fixed, "--db", tmp_path / "fixed.duckdb", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["files"][0]["status"] == "stored"


def test_warnings_are_yellow_and_name_what_to_check():
    """The sample's 12-15 report of 西河镇 (hand-made style B) has an EPMC with an even number of members."""
    path = ROOT / "sample_data" / "2021-12-15_西河镇.xlsx"
    parsed = parse(path.read_bytes(), path.name)
    assert parsed.ok and [(i.sheet, i.row, i.column) for i in parsed.warnings] == [("社区台账", 5, "环物委人数")]
    workbook = load(annotated_workbook(path.read_bytes(), parsed))
    assert marks(workbook) == {("社区台账", "F5"): (WARNING_COLOR, f"【提醒】{parsed.warnings[0].message}")}
    assert workbook["社区台账"]["F5"].value == load(path.read_bytes())["社区台账"]["F5"].value
    assert load(annotated_workbook(path.read_bytes(), parsed))[LIST_SHEET]["A1"].value.endswith("错误 0 处，提醒 1 条")


def test_a_sub_header_written_twice_marks_the_column_the_problem_is_in():
    """Two-row header (style A) where both groups have a sub-header “已建党组织”: a bad value under
    物业企业情况 is marked there, not under 业委会情况."""
    source = load((ROOT / "sample_data" / "2021-11-30_般阳路街道.xlsx").read_bytes())
    ws = source["小区台账"]
    ws.unmerge_cells("L2:M2")
    ws["L2"], ws["M3"], ws["M4"] = "物业企业情况", "已建党组织", "待定"
    ws.merge_cells("L2:M2")
    buffer = io.BytesIO()
    source.save(buffer)
    data = buffer.getvalue()
    parsed = parse(data)
    assert [(i.code, i.sheet, i.row, i.column) for i in parsed.errors] == [("bad_yesno", "小区台账", 4, "已建党组织")]
    assert ws["J3"].value == "已建党组织"  # the committee's column has the same sub-header
    assert set(marks(load(annotated_workbook(data, parsed)))) == {("小区台账", "M4")}


def test_a_report_field_in_the_info_sheet_marks_its_value():
    workbook = load(BAD.read_bytes())
    workbook["基本信息"]["B2"] = "2021年13月1日"
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse(buffer.getvalue())
    problem = next(i for i in parsed.errors if i.sheet == "基本信息")
    assert (problem.row, problem.column, problem.column_number) == (2, "报送日期", None)
    assert ("基本信息", "B2") in marks(load(annotated_workbook(buffer.getvalue(), parsed)))


def test_files_that_were_never_read_are_not_annotated():
    parsed = parse(b"not a workbook at all", "x.xlsx")
    assert not can_annotate(parsed)
    assert can_annotate(parse(BAD.read_bytes()))
    assert annotated_file_name("错误示例_岭子镇.xlsx") == "错误示例_岭子镇_问题标注.xlsx"


def test_cli_validate_writes_the_annotated_workbook(cli, tmp_path):
    out = tmp_path / "标注.xlsx"
    result = cli("validate", BAD, "--annotated", out)
    assert result.code == 1 and "已生成标注版" in result.stdout
    assert load(out.read_bytes()).sheetnames[0] == LIST_SHEET
    result = cli("validate", BAD, "--annotated", out, "--json")
    assert result.code == 1 and result.json()["files"][0]["status"] == "rejected"  # stdout stays JSON
    other = tmp_path / "a.xlsx"
    other.write_bytes(BAD.read_bytes())
    two = cli("validate", BAD, other, "--annotated", tmp_path / "x.xlsx")
    assert two.code == 2 and "只能用于一个工作簿" in two.stderr
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"hello")
    result = cli("validate", junk, "--annotated", tmp_path / "junk_out.xlsx")
    assert result.code == 1 and "无法生成标注版" in result.stderr and not (tmp_path / "junk_out.xlsx").exists()
