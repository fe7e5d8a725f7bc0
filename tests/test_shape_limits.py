"""Shape limits from the template, not from the file's claims: rows, columns and cell length
capped, hidden sheets with data refused, formulas without saved values named cell by cell."""
from __future__ import annotations

import dataclasses
import io
import time

import openpyxl
import pytest

from core.reader import MAX_CELL_CHARS, read_sheets
from tests.hostile import RawSheet, info_rows, raw_xlsx
from tests.workbooks import (COMMUNITY_HEADER, COMPOUND_HEADER, Sheet, community_row, compound_row, info_sheet,
                             issue_tuples, standard, xlsx)

COMPOUNDS = [compound_row("东社区", "阳光花园", "是", 7, 6, "是"), compound_row("东社区", "幸福里")]
COMMUNITIES = [community_row("东社区", "是", 7, 5)]


def ledgers(*extra: RawSheet, compound_extra=None, info=None) -> bytes:
    return raw_xlsx(RawSheet("基本信息", info or info_rows()),
                    RawSheet("小区台账", [COMPOUND_HEADER, *COMPOUNDS], extra=compound_extra or {}),
                    RawSheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES]), *extra)


def test_the_raw_builder_makes_a_valid_workbook(parse):
    parsed = parse(ledgers())
    assert parsed.ok and [r.compound_count for r in parsed.reports] == [2], parsed.issues


# ---------------------------------------------------------------- hidden sheets

@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_with_data_is_refused_by_name(parse, state):
    parsed = parse(ledgers(RawSheet("旧数据", [["小区", "人数"], ["阳光花园", 9]], state=state)))
    [error] = parsed.errors
    assert (error.code, error.sheet, error.row) == ("hidden_sheet", "旧数据", None)
    assert "“旧数据”" in error.message and "取消隐藏" in error.message and parsed.reports == []


def test_an_empty_hidden_sheet_is_fine(parse):
    assert parse(ledgers(RawSheet("下拉选项", [], state="hidden"))).ok


def test_a_hidden_ledger_is_refused_too(parse):
    data = raw_xlsx(RawSheet("基本信息", info_rows()), RawSheet("小区台账", [COMPOUND_HEADER, *COMPOUNDS], state="hidden"),
                    RawSheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES]))
    assert [e.code for e in parse(data).errors] == ["hidden_sheet"]


# ---------------------------------------------------------------- formulas without saved values

def formula(ref: str, text: str, value: str | None = None, kind: str = "", prefix: str = "") -> str:
    v = "" if value is None else f"<{prefix}v>{value}</{prefix}v>"
    t = f' t="{kind}"' if kind else ""
    return f'<{prefix}c r="{ref}"{t}><{prefix}f>{text}</{prefix}f>{v}</{prefix}c>'


def test_a_formula_without_a_saved_value_is_named_cell_by_cell(parse):
    # 业委会成员数 (G) of both compounds computed, never saved: calamine reads blank.
    parsed = parse(ledgers(compound_extra={2: formula("M2", "1+1"), 3: formula("M3", "SUM(G2:G2)")}))
    assert issue_tuples(parsed.errors) == []  # M is no ledger column: not read, not reported

    data = raw_xlsx(RawSheet("基本信息", info_rows()),
                    RawSheet("小区台账", [COMPOUND_HEADER, [*COMPOUNDS[0][:6], None, *COMPOUNDS[0][7:]], COMPOUNDS[1]],
                             extra={2: formula("G2", "3+4")}),
                    RawSheet("社区台账", [COMMUNITY_HEADER, [*COMMUNITIES[0][:4], None, *COMMUNITIES[0][5:]]],
                             extra={2: formula("E2", "SUM(1,2,2)", value="")}))
    parsed = parse(data)
    formulas = [e for e in parsed.errors if e.code == "formula_without_value"]
    assert [(e.sheet, e.row, e.column, e.column_number) for e in formulas] == [
        ("小区台账", 2, "业委会成员数", 7), ("社区台账", 2, "环物委成员数", 5)]
    assert "单元格 G2 是公式" in formulas[0].message and "请" in formulas[0].message


def test_formulas_with_saved_values_are_read_as_their_values(parse):
    data = raw_xlsx(RawSheet("基本信息", info_rows()),
                    RawSheet("小区台账", [COMPOUND_HEADER, [*COMPOUNDS[0][:6], None, *COMPOUNDS[0][7:]], COMPOUNDS[1]],
                             extra={2: formula("G2", "3+4", value="7")}),
                    RawSheet("社区台账", [COMMUNITY_HEADER, COMMUNITIES[0]],
                             extra={3: formula("L3", 'IF(A2="","",A2)', value="", kind="str")}))
    parsed = parse(data)
    assert parsed.ok, parsed.issues
    assert parsed.reports[0].tables["compounds"]["committee_members"].tolist()[0] == 7


def test_a_report_date_computed_but_not_saved_is_named(parse):
    info = RawSheet("基本信息", [["项目", "内容"], ["镇（街道）", "般阳路街道"], ["报送日期"]],
                    extra={3: formula("B3", "TODAY()")})
    parsed = parse(raw_xlsx(info, RawSheet("小区台账", [COMPOUND_HEADER, *COMPOUNDS]),
                            RawSheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES])))
    [formula_error] = [e for e in parsed.errors if e.code == "formula_without_value"]
    assert (formula_error.sheet, formula_error.row) == ("基本信息", 3)


def test_prefixed_markup_is_scanned_too(parse):
    """Some writers give SpreadsheetML a prefix (<x:c><x:f>…): the same cells, found the same way."""
    import re
    import zipfile

    plain = RawSheet("小区台账", [COMPOUND_HEADER, [*COMPOUNDS[0][:6], None, *COMPOUNDS[0][7:]], COMPOUNDS[1]],
                     extra={2: formula("G2", "3+4")}).xml()
    prefixed = re.sub(r"<(/?)(?![?!])([A-Za-z])", r"<\1x:\2", plain).replace('xmlns="', 'xmlns:x="')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ledgers()), "r") as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, prefixed if item.filename == "xl/worksheets/sheet2.xml" else src.read(item))
    errors = [(e.code, e.sheet, e.row, e.column) for e in parse(out.getvalue()).errors]
    assert ("formula_without_value", "小区台账", 2, "业委会成员数") in errors


def test_formulas_written_by_openpyxl_have_no_saved_values(parse):
    compounds = [[*row] for row in COMPOUNDS]
    compounds[0][6] = "=3+4"  # openpyxl stores the formula, never a result
    parsed = parse(standard(compounds, COMMUNITIES))
    assert [(e.code, e.row, e.column) for e in parsed.errors] == [("formula_without_value", 2, "业委会成员数")]


# ---------------------------------------------------------------- cell length

def test_text_longer_than_an_excel_cell_is_refused(parse):
    compounds = [[*row] for row in COMPOUNDS]
    compounds[1][2] = "园" * (MAX_CELL_CHARS + 1)
    [error] = parse(raw_xlsx(RawSheet("基本信息", info_rows()), RawSheet("小区台账", [COMPOUND_HEADER, *compounds]),
                             RawSheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES]))).errors
    assert (error.code, error.sheet, error.row, error.column) == ("cell_too_long", "小区台账", 3, "小区名称")
    assert f"{MAX_CELL_CHARS + 1} 个字符" in error.message and "请" in error.message


def test_text_of_exactly_the_excel_limit_is_fine(parse):
    compounds = [[*row] for row in COMPOUNDS]
    compounds[1][10] = "物" * MAX_CELL_CHARS
    data = raw_xlsx(RawSheet("基本信息", info_rows()), RawSheet("小区台账", [COMPOUND_HEADER, *compounds]),
                    RawSheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES]))
    assert parse(data).ok


def test_an_overlong_name_of_who_filled_it_in_is_refused(parse):
    info = [*info_rows(), ["填报人", "张" * 40_000]]
    [error] = parse(ledgers(info=info)).errors
    assert (error.code, error.sheet, error.row, error.column) == ("cell_too_long", "基本信息", 4, "填报人")


# ---------------------------------------------------------------- rows and columns

def test_a_cell_far_below_the_data_is_measured_not_materialised(parse, campaign):
    """One stray cell on row 900,000: the sheet is 900,000 rows by what it holds (whatever its
    <dimension> says); the reader keeps only max_rows_per_sheet + 1 of them."""
    data = ledgers(compound_extra={900_000: '<c r="A900000" t="inlineStr"><is><t>x</t></is></c>'})
    started = time.monotonic()
    parsed = parse(data)
    assert time.monotonic() - started < 10
    [error] = parsed.errors
    assert (error.code, error.sheet) == ("too_many_rows", "小区台账")
    assert "有 900000 行" in error.message and f"上限 {campaign.max_rows_per_sheet} 行" in error.message


def test_a_cell_far_to_the_right_is_too_many_columns(parse):
    data = ledgers(compound_extra={2: '<c r="ZZ2"><v>1</v></c>'})
    [error] = parse(data).errors
    assert (error.code, error.sheet) == ("too_many_columns", "小区台账") and "有 702 列" in error.message


def test_sheets_beyond_the_caps_are_read_only_up_to_them():
    book = openpyxl.Workbook()
    ws = book.active
    ws["C3"], ws["D9"], ws["F2"] = 1, "x", 2  # starts at C2 (row 2, column 3), 9 rows by 6 columns
    buffer = io.BytesIO()
    book.save(buffer)
    [whole] = read_sheets(buffer.getvalue())
    [capped] = read_sheets(buffer.getvalue(), max_rows=4, max_columns=4)
    assert whole.shape is None and whole.size == (9, 6)
    assert capped.shape == (9, 6) and capped.size == (9, 6)
    assert capped.rows == [row[:5] for row in whole.rows[:5]]


def test_other_sheets_larger_than_the_caps_do_not_block(campaign):
    from core.validate import read_workbook

    small = dataclasses.replace(campaign, max_rows_per_sheet=10)
    notes = Sheet("说明", [[f"第{i}条说明"] for i in range(30)])
    parsed = read_workbook(xlsx(info_sheet(), Sheet("小区台账", [COMPOUND_HEADER, *COMPOUNDS]),
                                Sheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES]), notes), "x.xlsx", small)
    assert parsed.ok, parsed.issues


# ---------------------------------------------------------------- sheet XML

def test_a_ledger_sheet_declaring_a_dtd_is_refused(parse):
    dtd = '<!DOCTYPE worksheet [<!ENTITY a "b">]>'
    data = raw_xlsx(RawSheet("基本信息", info_rows()), RawSheet("小区台账", [COMPOUND_HEADER, *COMPOUNDS], prolog=dtd),
                    RawSheet("社区台账", [COMMUNITY_HEADER, *COMMUNITIES]))
    assert "xml_unsafe" in [e.code for e in parse(data).errors]
