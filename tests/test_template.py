"""The blank town workbook template: structure, drop-downs, print set-up, and a round trip
through the importer."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from python_calamine import CalamineWorkbook

from core import layout
from core.config import default_campaign
from core.template import LAST_ROW, percent, template_bytes, write_template

EXPECTED_SHEETS = [layout.INSTRUCTIONS_SHEET_NAME, layout.INFO_SHEET_NAME,
                   "小区台账", "社区台账", "示范品牌", "环物委成员"]
DEFAULT_TOWNS = ["般阳路街道", "松龄路街道", "钟楼街道", "将军路街道", "昆仑镇", "岭子镇", "西河镇",
                 "龙泉镇", "寨里镇", "罗村镇", "洪山镇", "双杨镇", "太河镇"]
FROZEN = {"小区台账": "D2", "社区台账": "C2", "示范品牌": "C2", "环物委成员": "D2"}


@pytest.fixture(scope="module")
def campaign():
    return default_campaign()


@pytest.fixture(scope="module")
def data(campaign) -> bytes:
    return template_bytes(campaign)


@pytest.fixture(scope="module")
def book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def validations_at(ws, coordinate: str):
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def only_validation_at(ws, coordinate: str):
    found = validations_at(ws, coordinate)
    assert len(found) == 1, f"{ws.title}!{coordinate}: {len(found)} validations"
    return found[0]


def list_values(dv) -> list[str]:
    assert dv.type == "list"
    formula = dv.formula1
    assert formula.startswith('"') and formula.endswith('"'), formula
    return formula[1:-1].split(",")


def instructions_text(book) -> str:
    ws = book[layout.INSTRUCTIONS_SHEET_NAME]
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


# ---------------------------------------------------------------- structure


def test_sheet_order_and_names(book):
    assert book.sheetnames == EXPECTED_SHEETS
    assert [s.name for s in layout.LEDGERS] == EXPECTED_SHEETS[2:]
    assert all(ws.sheet_state == "visible" for ws in book.worksheets)
    assert book.active.title == layout.INSTRUCTIONS_SHEET_NAME


@pytest.mark.parametrize("sheet", layout.LEDGERS, ids=lambda s: s.key)
def test_ledger_headers_are_exactly_the_layout_headers(book, sheet):
    ws = book[sheet.name]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in sheet.columns]
    assert ws.max_row == 1  # a blank template: nothing below the header
    for cell in ws[1]:
        assert cell.font.bold
        assert cell.fill.fill_type == "solid"
        assert cell.alignment.wrap_text
        assert cell.border.bottom.style == "thin"


@pytest.mark.parametrize("sheet", layout.LEDGERS, ids=lambda s: s.key)
def test_ledger_widths_and_frozen_panes(book, sheet):
    ws = book[sheet.name]
    assert ws.freeze_panes == FROZEN[sheet.name]
    for index, column in enumerate(sheet.columns, start=1):
        assert ws.column_dimensions[get_column_letter(index)].width == column.width
    # The header row is tall enough for its longest wrapped header.
    longest = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in c.header) / (c.width - 1) for c in sheet.columns)
    assert ws.row_dimensions[1].height >= 15 * math.ceil(longest)


# ---------------------------------------------------------------- data validation


@pytest.mark.parametrize("sheet", layout.LEDGERS, ids=lambda s: s.key)
def test_every_column_has_its_validation_and_hint(book, sheet):
    ws = book[sheet.name]
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        dv = only_validation_at(ws, f"{letter}2")
        assert f"{letter}{LAST_ROW}" in dv.sqref
        assert f"{letter}1" not in dv.sqref
        assert dv.showInputMessage and dv.prompt == column.hint
        assert dv.promptTitle.startswith(column.header)
        if column.code == "town":
            assert list_values(dv) == DEFAULT_TOWNS
            assert dv.errorStyle in (None, "stop")  # openpyxl reads the default "stop" as None
        elif column.kind == "yesno":
            assert list_values(dv) == ["是", "否"]
        elif column.kind == "choice":
            assert list_values(dv) == list(column.choices)
        elif column.kind == "int":
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        else:
            assert dv.type is None  # input message only


def test_yesno_and_choice_columns_counted(book):
    # Guard against a layout change silently dropping drop-downs: count the list validations.
    for sheet in layout.LEDGERS:
        ws = book[sheet.name]
        lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
        expected = sum(1 for c in sheet.columns if c.kind in ("yesno", "choice") or c.code == "town")
        assert len(lists) == expected


@pytest.mark.parametrize("sheet", layout.LEDGERS, ids=lambda s: s.key)
def test_date_and_int_columns_formatted(book, sheet):
    ws = book[sheet.name]
    for index, column in enumerate(sheet.columns, start=1):
        fmt = ws.column_dimensions[get_column_letter(index)].number_format
        if column.kind == "date":
            assert fmt == "yyyy-mm-dd"
        elif column.kind == "int":
            assert fmt == "0"


def test_info_sheet(book, campaign):
    ws = book[layout.INFO_SHEET_NAME]
    rows = [[c.value for c in row] for row in ws.iter_rows(max_col=2)]
    labels = [label for label, _ in layout.INFO_FIELDS.values()]
    assert rows == [["项目", "内容"]] + [[label, None] for label in labels]
    assert labels == ["镇（街道）", "报送日期", "填报人", "联系电话"]

    town = only_validation_at(ws, "B2")
    assert list_values(town) == DEFAULT_TOWNS

    assert ws["B3"].number_format == "yyyy-mm-dd"
    date = only_validation_at(ws, "B3")
    assert (date.type, date.operator) == ("date", "between")
    assert int(date.formula1) == to_excel(dt.date(campaign.year, 1, 1))
    assert int(date.formula2) == to_excel(dt.date(campaign.year, 12, 31))
    assert ws["B5"].number_format == "@"


def test_long_town_list_falls_back_to_the_instructions_sheet(campaign):
    towns = tuple(f"第{i}号测试街道办事处" for i in range(40))  # far over 255 characters inline
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(dataclasses.replace(campaign, towns=towns))))
    assert book.sheetnames == EXPECTED_SHEETS  # no extra (hidden) helper sheet
    dv = only_validation_at(book["小区台账"], "A2")
    assert dv.type == "list" and dv.formula1.startswith(f"'{layout.INSTRUCTIONS_SHEET_NAME}'!$A$")
    first, last = dv.formula1.split("!")[1].replace("$", "").split(":")
    listed = [c.value for row in book[layout.INSTRUCTIONS_SHEET_NAME][f"{first}:{last}"] for c in row]
    assert listed == list(towns)
    assert only_validation_at(book[layout.INFO_SHEET_NAME], "B2").formula1 == dv.formula1


# ---------------------------------------------------------------- instructions


def test_instructions_mention_every_header_and_hint(book):
    text = instructions_text(book)
    for sheet in layout.LEDGERS:
        assert sheet.name in text
        for column in sheet.columns:
            assert column.header in text
            assert column.hint in text
    for label, _ in layout.INFO_FIELDS.values():
        assert label in text


def test_instructions_list_required_flag_per_column(book):
    ws = book[layout.INSTRUCTIONS_SHEET_NAME]
    rows = [[c.value for c in row] for row in ws.iter_rows(max_col=4)]
    for sheet in layout.LEDGERS:
        title = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).find(f"）{sheet.name}（") > 0)
        table = rows[title + 2: title + 2 + len(sheet.columns)]
        assert [r[0] for r in table] == [c.header for c in sheet.columns]
        assert [r[2] for r in table] == ["必填" if c.required else "选填" for c in sheet.columns]
        assert [r[3] for r in table] == [c.hint for c in sheet.columns]


def test_instructions_rules_spellings_and_towns(book, campaign):
    text = instructions_text(book)
    for word in ("是", "否", "有", "无", "√", "×", "Y", "N", "TRUE", "FALSE"):
        assert word in text
    assert "不低于 80%" in text  # red committee
    assert "成员不少于 5 人且为单数" in text and "党员比例不低于 60%" in text  # EPMC
    assert "共 13 个" in text
    for town in DEFAULT_TOWNS:
        assert town in text


def test_instructions_follow_the_campaign_numbers(campaign):
    changed = dataclasses.replace(campaign, red_min_party_share=Fraction(2, 3), epmc_min_members=7,
                                  epmc_odd_members=False, epmc_min_party_share=Fraction(1, 2))
    text = instructions_text(openpyxl.load_workbook(io.BytesIO(template_bytes(changed))))
    assert "不低于 66.7%" in text
    assert "成员不少于 7 人；" in text and "党员比例不低于 50%" in text


def test_percent():
    assert percent(Fraction(4, 5)) == "80%"
    assert percent(Fraction(3, 5)) == "60%"
    assert percent(Fraction(2, 3)) == "66.7%"
    assert percent(Fraction(1, 8)) == "12.5%"


# ---------------------------------------------------------------- print, properties, bytes


def test_print_setup(book):
    for name in EXPECTED_SHEETS:
        ws = book[name]
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        landscape = name in FROZEN
        assert ws.page_setup.orientation == ("landscape" if landscape else "portrait")
        if landscape:
            assert ws.print_title_rows == "$1:$1"
    assert book[layout.INSTRUCTIONS_SHEET_NAME].column_dimensions["D"].width >= 40


def test_properties_and_deterministic_bytes(book, data, campaign):
    props = book.properties
    assert props.title == "红色物业建设月报工作簿"
    assert props.creator == campaign.district == "淄川区"
    assert props.created == props.modified == dt.datetime(campaign.year, 1, 1)
    assert template_bytes(campaign) == data
    other = dataclasses.replace(campaign, towns=campaign.towns[:-1])
    assert template_bytes(other) != data


def test_write_template(tmp_path, data, campaign):
    path = write_template(tmp_path / "模板.xlsx", campaign)
    assert path.read_bytes() == data


def test_calamine_opens_the_template(data):
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.sheet_names == EXPECTED_SHEETS
    for sheet in layout.LEDGERS:
        rows = book.get_sheet_by_name(sheet.name).to_python()
        assert rows[0] == [c.header for c in sheet.columns]


# ---------------------------------------------------------------- round trip through the importer

REPORT_DATE = dt.date(2021, 11, 30)
COMPOUNDS = [  # in layout column order
    ["般阳路街道", " 青年社区 ", "阳光花园", "是", "是", dt.date(2021, 3, 1), 5, 4, "是",
     dt.date(2021, 6, 1), "淄川鑫达物业", "是"],
    ["般阳路街道", "青年社区", "幸福里小区", "否", "否", None, None, None, "否", None, None, None],
]
COMMUNITIES = [
    ["般阳路街道", "青年社区", "是", dt.date(2021, 11, 20), 5, 3, "是", "否", "创建中"],
]
BRANDS = [
    ["般阳路街道", "红心管家", "区级", dt.date(2021, 9, 1), "青年社区", "阳光花园"],
]
MEMBERS = [
    ["般阳路街道", "青年社区", "张三", "主任", "社区两委", "是", "否"],
    ["般阳路街道", "青年社区", "李四", "副主任", "网格员", "是", "否"],
    ["般阳路街道", "青年社区", "王五", "委员", "楼长", "是", "否"],
    ["般阳路街道", "青年社区", "赵六", "委员", "业主代表", "否", "否"],
    ["般阳路街道", "青年社区", "孙七", "委员", "专业人员", "否", "否"],
]


def _filled_template(campaign) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(campaign)))
    info = book[layout.INFO_SHEET_NAME]
    info["B2"], info["B3"], info["B4"], info["B5"] = "般阳路街道", REPORT_DATE, "刘填报", "0533-5180000"
    for sheet, rows in zip(layout.LEDGERS, (COMPOUNDS, COMMUNITIES, BRANDS, MEMBERS)):
        ws = book[sheet.name]
        for r, values in enumerate(rows, start=2):
            assert len(values) == len(sheet.columns)
            for c, value in enumerate(values, start=1):
                ws.cell(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value):
    """A cell value as a plain Python object: numpy/pandas scalars unwrapped, every missing marker → None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    return value


def _typed(row: dict) -> dict:
    # (type name, value) so that True never passes for 1 and a Timestamp never for a date.
    return {k: (type(v).__name__, v) for k, v in row.items()}


def _table(report, key: str) -> list[dict]:
    frame = report.tables[key]
    codes = [c.code for c in next(s for s in layout.LEDGERS if s.key == key).columns]
    assert list(frame.columns).count("source_row") == 1
    assert set(codes) <= set(frame.columns)
    return [_typed({k: _plain(record[k]) for k in ["source_row", *codes]})
            for record in frame.to_dict("records")]


def _expected(sheet, rows) -> list[dict]:
    out = []
    for r, values in enumerate(rows, start=2):
        row = {"source_row": r}
        for column, value in zip(sheet.columns, values):
            if column.kind == "yesno" and value is not None:
                value = value == "是"
            elif isinstance(value, str):
                value = value.strip()
            row[column.code] = value
        out.append(_typed(row))
    return out


def test_round_trip_through_the_importer(campaign):
    validate = pytest.importorskip("core.validate")
    data = _filled_template(campaign)
    parsed = validate.read_workbook(data, "般阳路街道月报.xlsx", campaign)
    assert [(i.code, i.sheet, i.row, i.column, i.message) for i in parsed.errors] == []
    assert [(i.code, i.sheet, i.row, i.column, i.message) for i in parsed.warnings] == []
    assert len(parsed.reports) == 1
    report = parsed.reports[0]
    assert report.town == "般阳路街道"
    assert type(report.report_date) is dt.date and report.report_date == REPORT_DATE
    assert set(report.tables) == {"compounds", "communities", "brands", "epmc_members"}

    assert _table(report, "compounds") == _expected(layout.COMPOUNDS, COMPOUNDS)
    assert _table(report, "communities") == _expected(layout.COMMUNITIES, COMMUNITIES)
    assert _table(report, "brands") == _expected(layout.BRANDS, BRANDS)
    assert _table(report, "epmc_members") == _expected(layout.EPMC_MEMBERS, MEMBERS)
