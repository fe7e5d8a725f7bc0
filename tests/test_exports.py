"""Scorecard and table downloads: exact figures worked out by hand, print set-up, conditional
formatting, chart, formula-injection safety, a golden CSV and the command line.

The district (第一阶段, judged on 2021-11-30, targets 环物委 80 %, 党组织 60 %):

  般阳路街道 (A): 10 compounds, 7 committees (70 %), 5 with a party organisation (5/7 = 71.4 %),
      2 red (2/7 = 28.6 %); 4 communities, 3 EPMCs (75 %), 2 compliant (50 %); 1 district brand.
      EPMC gap ceil(0.8 × 4) − 3 = 1, the phase ends today → 滞后.
      Bonus: formation 70 % ≥ 60 % → 3; party 71.4 % < 75 % → 0 (one more org: ceil(0.75 × 7) − 5 = 1);
      brand 1 × 2 = 2; total 5.
  松龄路街道 (B): 5 compounds, 4 committees (80 %), 3 party orgs (75 %), 3 red (75 %);
      5 communities, 4 EPMCs (80 %), 3 compliant (60 %). All targets met → 已达标.
      Bonus: 3 + 3 (75 % ≥ 75 %, the boundary) + 0 = 6 → rank 1.
  钟楼街道 (C): no report → 未报送, last, unranked.
  District: 11/15 = 73.3 %, 8/11 = 72.7 %, 7/9 = 77.8 % (gap ceil(7.2) − 7 = 1), 5/11 = 45.5 %,
      5/9 = 55.6 %; points 6, 3, 2 = 11.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from core import layout, store
from core.config import default_campaign
from core.exports import (GAP_FORMAT, FORMULA_TRIGGERS, safe_text, scorecard_columns, scorecard_csv,
                          scorecard_rows, scorecard_xlsx, snapshot_communities, table_csv, table_xlsx,
                          total_row)
from core.measures import ledger_rows
from core.metrics import snapshot
from core.validate import read_workbook

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = dt.date(2021, 11, 30)
A, B, C = "般阳路街道", "松龄路街道", "钟楼街道"
INJECTIONS = ("=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)")

HEADERS = ["排名", "镇（街道）", "报送日期", "状态", "业委会组建率", "业委会党组织覆盖率", "环物委覆盖率",
           "红色业主委占比", "规范环物委占比", "环物委覆盖率目标", "还需成立环物委", "党组织覆盖率目标",
           "还需建立业委会党组织", "年内业委会组建率达到60%以上", "年内业委会党组织覆盖率达到75%以上",
           "年内每新培育1个区级“红色物业”示范品牌", "加分合计"]
EXPECTED_CSV_RECORDS = [
    HEADERS,
    ["1", B, "2021-11-30", "已达标", "80.0%", "75.0%", "80.0%", "75.0%", "60.0%",
     "80.0%", "0", "60.0%", "0", "3", "3", "0", "6"],
    ["2", A, "2021-11-30", "滞后", "70.0%", "71.4%", "75.0%", "28.6%", "50.0%",
     "80.0%", "1", "60.0%", "0", "3", "0", "2", "5"],
    ["", C, "", "未报送", "", "", "", "", "", "80.0%", "", "60.0%", "", "", "", "", ""],
    ["", "全区合计", "2021-11-30", "滞后", "73.3%", "72.7%", "77.8%", "45.5%", "55.6%",
     "80.0%", "1", "60.0%", "0", "6", "3", "2", "11"],
]


# ---------------------------------------------------------------- a town workbook, built by hand

def compound(community, name, members=None, party=None, org=False, company=None, company_org=False) -> dict:
    """A compound row; `members` given means it has an owners' committee."""
    committee = members is not None
    return {"community": community, "compound": name, "has_committee": "是" if committee else "否",
            "committee_members": members, "committee_party_members": party,
            "committee_party_org": "是" if org else "否", "property_company": company,
            "company_party_org": ("是" if company_org else "否") if company else None}


def community(name, members=None, party=None, conflict=False) -> dict:
    """A community row; `members` given means it has an EPMC."""
    epmc = members is not None
    return {"community": name, "has_epmc": "是" if epmc else "否", "epmc_members": members,
            "epmc_party_members": party, "epmc_conflict": "是" if conflict else "否"}


def _write_sheet(ws, spec: layout.Sheet, rows: list[dict]) -> None:
    for c, column in enumerate(spec.columns, start=1):
        ws.cell(1, c, column.header)
        for r, row in enumerate(rows, start=2):
            cell = ws.cell(r, c, row.get(column.code))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name such as "=cmd…" is text, not a formula


def town_workbook(town: str, report_date: dt.date, compounds: list[dict], communities: list[dict],
                  brands: list[dict] = ()) -> bytes:
    """A town's monthly workbook following the template headers of core.layout."""
    book = openpyxl.Workbook()
    info = book.active
    info.title = layout.INFO_SHEET_NAME
    info.append(["项目", "内容"])
    info.append([layout.INFO_FIELDS["town"][0], town])
    info.append([layout.INFO_FIELDS["report_date"][0], report_date])
    _write_sheet(book.create_sheet(layout.COMPOUNDS.name), layout.COMPOUNDS, compounds)
    _write_sheet(book.create_sheet(layout.COMMUNITIES.name), layout.COMMUNITIES, communities)
    if brands:
        _write_sheet(book.create_sheet(layout.BRANDS.name), layout.BRANDS, brands)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def town_a() -> bytes:
    compounds = [
        compound("阳一社区", "一号小区", 5, 4, org=True, company="阳光物业", company_org=True),
        compound("阳一社区", "二号小区", 5, 4, org=True, company="阳光物业", company_org=True),
        compound("阳一社区", "三号小区", 5, 3, org=True),
        compound("阳二社区", "四号小区", 5, 3, org=True),
        compound("阳二社区", "五号小区", 5, 3, org=True),
        compound("阳二社区", "六号小区", 5, 1),
        compound("阳三社区", "七号小区", 5, 1),
        compound("阳三社区", "八号小区"),
        compound("阳四社区", "九号小区"),
        compound("阳四社区", "十号小区"),
    ]
    communities = [community("阳一社区", 5, 3), community("阳二社区", 7, 5),
                   community("阳三社区", 4, 3), community("阳四社区")]
    brands = [{"name": "阳光红色物业", "level": "区级", "recognized": dt.date(2021, 11, 20)}]
    return town_workbook(A, AS_OF, compounds, communities, brands)


def town_b() -> bytes:
    compounds = [
        compound("松一社区", "甲小区", 5, 4, org=True),
        compound("松一社区", "乙小区", 5, 4, org=True),
        compound("松二社区", "丙小区", 5, 4, org=True),
        compound("松三社区", "丁小区", 5, 2),
        compound("松四社区", "戊小区"),
    ]
    communities = [community("松一社区", 5, 3), community("松二社区", 5, 3), community("松三社区", 5, 3),
                   community("松四社区", 5, 3, conflict=True), community("松五社区")]
    return town_workbook(B, AS_OF, compounds, communities)


def town_injected() -> bytes:
    """钟楼街道 with names a spreadsheet would run as formulas."""
    compounds = [compound(INJECTIONS[i % 2], name, 5, 4, org=True, company=f"{name}物业", company_org=True)
                 for i, name in enumerate(INJECTIONS)]
    communities = [community(INJECTIONS[0], 5, 3), community(INJECTIONS[1])]
    brands = [{"name": "@SUM(1)", "level": "区级", "recognized": dt.date(2021, 11, 1)}]
    return town_workbook(C, AS_OF, compounds, communities, brands)


def import_into(conn, campaign, *workbooks: tuple[str, bytes]) -> None:
    for name, data in workbooks:
        parsed = read_workbook(data, name, campaign)
        assert parsed.ok, [i.message for i in parsed.errors]
        store.save(conn, parsed, "测试")


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def campaign():
    return dataclasses.replace(default_campaign(), towns=(A, B, C))


@pytest.fixture(scope="module")
def district(tmp_path_factory, campaign):
    """(snapshot, communities) of the hand-computed district on 2021-11-30."""
    conn = store.connect(tmp_path_factory.mktemp("district") / "redprop.duckdb")
    import_into(conn, campaign, ("a.xlsx", town_a()), ("b.xlsx", town_b()))
    snap = snapshot(conn, campaign, AS_OF)
    communities = snapshot_communities(conn, snap)
    conn.close()
    return snap, communities


@pytest.fixture(scope="module")
def snap(district):
    return district[0]


@pytest.fixture(scope="module")
def xlsx(district) -> bytes:
    return scorecard_xlsx(*district)


@pytest.fixture(scope="module")
def book(xlsx):
    return openpyxl.load_workbook(io.BytesIO(xlsx))


@pytest.fixture(scope="module")
def score(book):
    return book["考核排名"]


def row_values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


# ---------------------------------------------------------------- safe_text

@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(1)", "\tx", "\rx", "\nx", "＝1", "＋1", "－2", "＠a",
                                  "=cmd|' /C calc'!A0"])
def test_safe_text_neutralises_formula_starts(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("value", ["般阳路街道", "a=b", "1+1", "'already", "", " =x", "已达标", "71.4%"])
def test_safe_text_leaves_ordinary_text(value):
    assert safe_text(value) == value


@pytest.mark.parametrize("value", [-2, 0, 3, -0.5, 0.714, None, True, dt.date(2021, 11, 30)])
def test_safe_text_leaves_non_text(value):
    assert safe_text(value) is value


def test_every_trigger_is_covered():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠"}


# ---------------------------------------------------------------- rows

def test_columns_come_from_measures_and_rules(snap):
    assert [c.header for c in scorecard_columns(snap)] == HEADERS
    rule_headers = [c.header for c in scorecard_columns(snap) if c.kind == "points"][:-1]
    assert rule_headers == [r.label for r in snap.campaign.bonus_rules]


def test_rows_in_rank_order_with_exact_rates(snap):
    rows = scorecard_rows(snap)
    assert [(r["排名"], r["镇（街道）"], r["状态"], r["加分合计"]) for r in rows] == [
        (1, B, "已达标", 6), (2, A, "滞后", 5), (None, C, "未报送", None)]
    a = rows[1]
    assert a["报送日期"] == AS_OF
    assert a["业委会组建率"] == float(Fraction(7, 10))
    assert a["业委会党组织覆盖率"] == float(Fraction(5, 7))
    assert a["环物委覆盖率"] == float(Fraction(3, 4))
    assert a["红色业主委占比"] == float(Fraction(2, 7))
    assert a["规范环物委占比"] == float(Fraction(1, 2))
    assert (a["环物委覆盖率目标"], a["还需成立环物委"]) == (0.8, 1)
    assert (a["党组织覆盖率目标"], a["还需建立业委会党组织"]) == (0.6, 0)
    assert [a[h] for h in HEADERS[13:16]] == [3, 0, 2]
    assert [rows[0][h] for h in HEADERS[13:16]] == [3, 3, 0]  # 3/4 = 75 % earns the 75 % rule


def test_missing_town_has_no_figures(snap):
    c = scorecard_rows(snap)[2]
    assert c["报送日期"] is None
    assert all(c[h] is None for h in HEADERS[4:9] + ["还需成立环物委", "还需建立业委会党组织"] + HEADERS[13:])
    assert c["环物委覆盖率目标"] == 0.8  # the target still shows


def test_total_row(snap):
    total = total_row(snap)
    assert total["镇（街道）"] == "全区合计" and total["排名"] is None and total["状态"] == "滞后"
    assert total["业委会组建率"] == float(Fraction(11, 15))
    assert total["业委会党组织覆盖率"] == float(Fraction(8, 11))
    assert total["环物委覆盖率"] == float(Fraction(7, 9))
    assert total["红色业主委占比"] == float(Fraction(5, 11))
    assert total["规范环物委占比"] == float(Fraction(5, 9))
    assert (total["还需成立环物委"], total["还需建立业委会党组织"]) == (1, 0)
    assert [total[h] for h in HEADERS[13:]] == [6, 3, 2, 11]


def test_before_any_report_everything_is_missing(tmp_path, campaign):
    conn = store.connect(tmp_path / "empty.duckdb")
    empty = snapshot(conn, campaign, AS_OF)
    conn.close()
    assert [r["状态"] for r in scorecard_rows(empty)] == ["未报送"] * 3
    assert total_row(empty)["状态"] == "未报送"
    assert openpyxl.load_workbook(io.BytesIO(scorecard_xlsx(empty)))["考核排名"]["B7"].value == "全区合计"


# ---------------------------------------------------------------- CSV

def test_csv_is_excel_friendly(snap):
    data = scorecard_csv(snap)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(line.startswith('"') and line.endswith('"') for line in text.split("\r\n")[:-1])


def test_csv_records_by_hand(snap):
    records = list(csv.reader(io.StringIO(scorecard_csv(snap).decode("utf-8-sig"), newline="")))
    assert records == EXPECTED_CSV_RECORDS


def test_csv_golden(snap):
    data = scorecard_csv(snap)
    path = GOLDEN / "scorecard.csv"
    if not path.exists() or os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        pytest.fail(f"golden file written to {path}: review it and run again")
    assert data == path.read_bytes()


# ---------------------------------------------------------------- xlsx: 考核排名

def test_sheets(book):
    assert book.sheetnames == ["考核排名", "加分明细", "社区明细", "图表"]
    assert book.active.title == "考核排名"


def test_title_and_header(score):
    assert score["A1"].value == "淄川区红色物业建设考核排名（截至2021-11-30，对照第一阶段目标）"
    assert score["A2"].value.startswith("第一阶段（2021-11-15 至 2021-11-30）目标：环物委覆盖率 80%，业委会党组织覆盖率 60%")
    assert "已报送 2 / 3 个镇（街道）" in score["A2"].value
    assert row_values(score, 3) == HEADERS
    assert all(c.font.b for c in score[3])


def test_cells_are_typed_and_exact(score):
    assert row_values(score, 4)[:4] == [1, B, dt.datetime(2021, 11, 30), "已达标"]
    assert score["C4"].number_format == "yyyy-mm-dd"
    a = {h: c for h, c in zip(HEADERS, score[5])}
    assert a["镇（街道）"].value == A
    expected = {"业委会组建率": Fraction(7, 10), "业委会党组织覆盖率": Fraction(5, 7), "环物委覆盖率": Fraction(3, 4),
                "红色业主委占比": Fraction(2, 7), "规范环物委占比": Fraction(1, 2)}
    for header, value in expected.items():
        assert a[header].value == float(value), header
        assert a[header].number_format == "0.0%"
    assert (a["环物委覆盖率目标"].value, a["环物委覆盖率目标"].number_format) == (0.8, "0%")
    assert (a["还需成立环物委"].value, a["还需建立业委会党组织"].value) == (1, 0)
    assert a["还需成立环物委"].number_format == GAP_FORMAT
    assert [a[h].value for h in HEADERS[13:]] == [3, 0, 2, 5]
    assert isinstance(a["还需成立环物委"].value, int) and isinstance(a["加分合计"].value, int)


def test_missing_town_and_total_rows(score):
    assert row_values(score, 6)[:5] == [None, C, None, "未报送", None]
    total = row_values(score, 7)
    assert total[:4] == [None, "全区合计", dt.datetime(2021, 11, 30), "滞后"]
    assert total[4:9] == [float(Fraction(11, 15)), float(Fraction(8, 11)), float(Fraction(7, 9)),
                          float(Fraction(5, 11)), float(Fraction(5, 9))]
    assert total[13:] == [6, 3, 2, 11]
    assert all(c.font.b for c in score[7])


def test_no_formulas_anywhere(book):
    for ws in book.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), ws.title


def conditional_rules(ws) -> dict[str, list]:
    return {str(rng.sqref): rules for rng, rules in ws.conditional_formatting._cf_rules.items()}


def test_conditional_formatting(score):
    rules = conditional_rules(score)
    status = {r.formula[0]: r.dxf.fill.fgColor.rgb[-6:] for r in rules["D4:D7"]}
    assert status == {'$D4="已达标"': "C6EFCE", '$D4="按进度"': "DDEBF7", '$D4="有风险"': "FFEB9C",
                      '$D4="滞后"': "FFC7CE", '$D4="未报送"': "D9D9D9"}
    # 环物委覆盖率 (G) is judged by 还需成立环物委 (K), 党组织覆盖率 (F) by 还需建立业委会党组织 (M).
    assert [(r.formula[0], r.dxf.fill.fgColor.rgb[-6:]) for r in rules["G4:G7"]] == [
        ("AND(ISNUMBER($K4),$K4=0)", "C6EFCE"), ("AND(ISNUMBER($K4),$K4>0)", "FFC7CE")]
    assert [r.formula[0] for r in rules["F4:F7"]] == ["AND(ISNUMBER($M4),$M4=0)", "AND(ISNUMBER($M4),$M4>0)"]
    assert [r.formula[0] for r in rules["A4:Q7"]] == ['$D4="未报送"']


def test_print_setup_and_panes(score):
    setup = score.page_setup
    assert (setup.orientation, int(setup.paperSize), int(setup.fitToWidth), int(setup.fitToHeight)) == (
        "landscape", 9, 1, 0)
    assert score.sheet_properties.pageSetUpPr.fitToPage
    assert score.print_title_rows == "$1:$3"
    assert score.freeze_panes == "C4"


def test_column_widths_fit_chinese_headers(score):
    for column in range(1, len(HEADERS) + 1):
        letter = openpyxl.utils.get_column_letter(column)
        width = score.column_dimensions[letter].width
        assert 6 <= width <= 16, (letter, width)
    assert score.column_dimensions["B"].width >= 12  # 般阳路街道: ten half-width units


# ---------------------------------------------------------------- xlsx: other sheets

def test_points_ledger_sheet(book):
    ws = book["加分明细"]
    assert row_values(ws, 2) == ["排名", "镇（街道）", "加分项目", "指标值", "加分标准", "得分", "计算依据", "如何加分"]
    lines = [row_values(ws, r) for r in range(3, ws.max_row + 1)]
    assert len(lines) == 3 + 3 + 1
    assert lines[3] == [2, A, "年内业委会组建率达到60%以上", 0.7, "达到60%加3分", 3, "业委会 7 / 10", "已得分"]
    assert lines[4] == [2, A, "年内业委会党组织覆盖率达到75%以上", float(Fraction(5, 7)), "达到75%加3分", 0,
                        "业委会党组织 5 / 7", "再建立1个业委会党组织即可加3分"]
    assert lines[5] == [2, A, "年内每新培育1个区级“红色物业”示范品牌", 1, "每个加2分", 2, "阳光红色物业",
                        "每新培育1个即可再加2分"]
    assert lines[6][:3] == [None, C, "未报送"]
    assert ws["D6"].number_format == "0.0%"
    assert ws.freeze_panes == "C3" and ws.print_title_rows == "$1:$2"


def test_community_sheet(book):
    ws = book["社区明细"]
    assert row_values(ws, 2) == ["镇（街道）", "社区", "小区数", "业委会数", "已建党组织的业委会数", "红色业主委数",
                                 "已成立环物委", "环物委成员数", "其中党员数", "存在任职回避情形", "环物委符合规范",
                                 "绿色社区创建"]
    rows = [row_values(ws, r) for r in range(3, ws.max_row + 1)]
    assert [r[:2] for r in rows] == [[B, f"松{n}社区"] for n in "一二三四五"] + [[A, f"阳{n}社区"] for n in "一二三四"]
    assert rows[3] == [B, "松四社区", 1, 0, 0, 0, "是", 5, 3, "是", "否", "未创建"]
    assert rows[5] == [A, "阳一社区", 3, 3, 3, 2, "是", 5, 3, "否", "是", "未创建"]
    assert rows[7] == [A, "阳三社区", 2, 1, 0, 0, "是", 4, 3, "否", "否", "未创建"]
    assert rows[8] == [A, "阳四社区", 2, 0, 0, 0, "否", None, None, "否", "否", "未创建"]


def test_community_sheet_only_when_given(snap):
    assert "社区明细" not in openpyxl.load_workbook(io.BytesIO(scorecard_xlsx(snap))).sheetnames


def test_chart(xlsx, book):
    ws = book["图表"]
    assert row_values(ws, 2) == ["镇（街道）", "环物委覆盖率", "环物委覆盖率目标", "党组织覆盖率", "党组织覆盖率目标"]
    assert row_values(ws, 3) == [B, 0.8, 0.8, 0.75, 0.6]
    assert row_values(ws, 4) == [A, 0.75, 0.8, float(Fraction(5, 7)), 0.6]
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = archive.read(charts[0]).decode("utf-8")
    assert "<barChart>" in xml and "<lineChart>" in xml
    assert "各镇（街道）第一阶段指标与目标（虚线为目标：环物委覆盖率80%，党组织覆盖率60%）" in xml
    assert "镇（街道）" in xml and "覆盖率" in xml
    assert '<max val="1"' in xml and '<min val="0"' in xml and 'formatCode="0%"' in xml


def test_bytes_are_deterministic(district, book):
    assert scorecard_xlsx(*district) == scorecard_xlsx(*district)
    assert book.properties.created == book.properties.modified == dt.datetime(2021, 11, 30)


# ---------------------------------------------------------------- formula injection

@pytest.fixture(scope="module")
def injected(tmp_path_factory, campaign):
    conn = store.connect(tmp_path_factory.mktemp("injected") / "redprop.duckdb")
    import_into(conn, campaign, ("c.xlsx", town_injected()))
    snap = snapshot(conn, campaign, AS_OF)
    communities = snapshot_communities(conn, snap)
    compounds = ledger_rows(conn, {C: next(s.report for s in snap.towns if s.report)}, "compounds")
    conn.close()
    return snap, communities, compounds[["community", "compound", "property_company", "committee_members"]]


def all_cells(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_injected_names_are_text_in_the_scorecard(injected):
    snap, communities, _ = injected
    cells = all_cells(scorecard_xlsx(snap, communities))
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'=cmd|' /C calc'!A0", "'+1", "'@SUM(1)"} <= texts  # community names, brand in the ledger basis
    assert all(c.data_type != "f" for c in cells)
    for cell in cells:
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_TRIGGERS), cell.coordinate


def test_injected_names_in_ledger_tables(injected):
    _, _, compounds = injected
    frame = compounds.rename(columns={"community": "社区", "compound": "小区名称", "property_company": "物业服务企业",
                                      "committee_members": "业委会成员数"})
    expected = [["社区", "小区名称", "物业服务企业", "业委会成员数"]] + [
        ["'" + INJECTIONS[i % 2], "'" + name, f"'{name}物业", "5"] for i, name in enumerate(INJECTIONS)]
    assert list(csv.reader(io.StringIO(table_csv(frame).decode("utf-8-sig"), newline=""))) == expected

    ws = openpyxl.load_workbook(io.BytesIO(table_xlsx({"小区台账": frame}, title="小区台账")))["小区台账"]
    assert ws["A1"].value == "小区台账"
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert body == [expected[0]] + [r[:3] + [5] for r in expected[1:]]
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=3, max_col=3) for c in row)


# ---------------------------------------------------------------- generic tables

def test_table_helpers_format_values():
    import pandas as pd

    frame = pd.DataFrame({"名称": ["甲", None], "日期": [dt.date(2021, 11, 30), None],
                          "是否": pd.array([True, pd.NA], dtype="boolean"), "人数": pd.array([5, pd.NA], dtype="Int64")})
    assert table_csv(frame).decode("utf-8-sig") == (
        '"名称","日期","是否","人数"\r\n"甲","2021-11-30","是","5"\r\n"","","",""\r\n')
    data = table_xlsx({"表": frame})
    assert data == table_xlsx({"表": frame})
    ws = openpyxl.load_workbook(io.BytesIO(data))["表"]
    assert [c.value for c in ws[2]] == ["甲", dt.datetime(2021, 11, 30), "是", 5]
    assert ws["B2"].number_format == "yyyy-mm-dd"
    assert ws.freeze_panes == "A2" and ws["A1"].font.b


# ---------------------------------------------------------------- command line

@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "redprop.duckdb"
    conn = store.connect(path)
    import_into(conn, default_campaign(), ("a.xlsx", town_a()), ("b.xlsx", town_b()))
    conn.close()
    return path


def run_scorecard(db: Path, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}
    return subprocess.run([sys.executable, "-m", "core", "scorecard", "--db", str(db), "--as-of", "2021-11-30",
                           "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_cli_scorecard_xlsx(cli_db, tmp_path):
    out = tmp_path / "考核排名.xlsx"
    result = run_scorecard(cli_db, out)
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["考核排名", "加分明细", "社区明细", "图表"]
    ws = book["考核排名"]
    towns = [ws.cell(r, 2).value for r in range(4, 4 + 14)]
    assert towns[:2] == [B, A] and towns[-1] == "全区合计" and len(set(towns[2:13])) == 11
    assert [ws.cell(r, 4).value for r in range(6, 17)] == ["未报送"] * 11
    assert book["社区明细"].max_row == 2 + 9


def test_cli_scorecard_csv(cli_db, tmp_path):
    out = tmp_path / "scorecard.csv"
    result = run_scorecard(cli_db, out)
    assert result.returncode == 0, result.stderr
    records = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert records[0] == HEADERS and len(records) == 1 + 13 + 1
    assert records[1] == EXPECTED_CSV_RECORDS[1] and records[2] == EXPECTED_CSV_RECORDS[2]
    assert records[-1] == EXPECTED_CSV_RECORDS[-1]


def test_cli_scorecard_refuses_other_suffix(cli_db, tmp_path):
    result = run_scorecard(cli_db, tmp_path / "x.pdf")
    assert result.returncode == 2 and "Traceback" not in result.stderr
