"""The meeting pack on the shipped sample data at 2021-12-31: one sheet per section with the right
figures, native charts where they help, print set-up, deterministic bytes, formula-injection safety,
and the command line."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from fractions import Fraction

import openpyxl
import pytest

from core import store
from core.cli import load_sample
from core.config import default_campaign
from core.exports import FORMULA_TRIGGERS, scorecard_rows
from core.meeting_pack import SHEETS, meeting_pack, pack_file_name
from core.metrics import snapshot
from tests.test_exports import AS_OF as INJECTED_AS_OF
from tests.test_exports import C, import_into, town_injected

AS_OF = dt.date(2021, 12, 31)
TODAY = dt.date(2022, 1, 10)
CHARTS = {"总体情况": 1, "考核排名": 1, "加分明细": 0, "差距": 1, "报送情况": 1, "社区明细": 0}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "sample.duckdb"
    conn = store.connect(path)
    load_sample(conn)
    snap = snapshot(conn, default_campaign(), AS_OF)
    data = meeting_pack(conn, snap, TODAY)
    again = meeting_pack(conn, snap, TODAY)
    conn.close()
    return path, snap, data, again


@pytest.fixture(scope="module")
def book(sample):
    return openpyxl.load_workbook(io.BytesIO(sample[2]))


def values(ws, row: int) -> list:
    return [c.value for c in ws[row]]


def find_row(ws, first: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == first)


def test_one_sheet_per_section_each_chart_where_it_helps(book):
    assert book.sheetnames == list(SHEETS) == list(CHARTS)
    assert {ws.title: len(ws._charts) for ws in book.worksheets} == CHARTS


def test_every_sheet_prints_a4_landscape_one_page_wide_with_titles_repeated(book):
    for ws in book.worksheets:
        setup = ws.page_setup
        assert (setup.paperSize, setup.orientation, setup.fitToWidth) == (9, "landscape", 1), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows, ws.title
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_the_same_data_gives_the_same_bytes(sample):
    assert sample[2] == sample[3]
    assert pack_file_name(sample[1]) == "淄川区红色物业推进会议材料_2021-12-31.xlsx"


def test_overview_figures(book):
    ws = book["总体情况"]
    assert ws["A1"].value == "淄川区红色物业建设推进会议材料（截至2021-12-31，对照第三阶段目标）"
    assert values(ws, 3) == ["指标", "分子", "分母", "比率", "上期比率", "变化（百分点）", "阶段目标", "还需（个）", "状态"]
    rows = {ws.cell(r, 1).value: values(ws, r) for r in range(4, 13)}
    # 39 of 41 communities have an EPMC (37 on 12-15); phase 3 wants 100%: two more.
    assert rows["环物委覆盖率"] == ["环物委覆盖率", 39, 41, float(Fraction(39, 41)), float(Fraction(37, 41)),
                                 round((39 / 41 - 37 / 41) * 100, 1), 1, 2, "滞后"]
    assert rows["业委会党组织覆盖率"][1:4] == [58, 80, 0.725] and rows["业委会党组织覆盖率"][6:] == [0.7, 0, "已达标"]
    assert rows["业委会组建率"][1:3] == [80, 105] and rows["业委会组建率"][6:] == [None, None, None]
    assert rows["绿色社区创建验收达标（个）"][1] == 3 and rows["绿色社区创建验收达标（个）"][6:8] == [3, 0]
    assert rows["已报送的镇（街道）（个）"][1:3] == [13, 13]
    trend = find_row(ws, "报送日期")
    assert [ws.cell(r, 1).value for r in range(trend + 1, trend + 5)] == ["2021-10-31", "2021-11-30", "2021-12-15",
                                                                        "2021-12-31"]
    assert ws.cell(trend + 1, 4).value == float(Fraction(20, 41))  # the seed's 20 of 41 EPMCs


def test_ranking_and_ledger_follow_the_scorecard(book, sample):
    snap = sample[1]
    ws = book["考核排名"]
    expected = [row["镇（街道）"] for row in scorecard_rows(snap)]
    assert [ws.cell(r, 2).value for r in range(4, 4 + len(expected))] == expected
    assert ws.cell(4 + len(expected), 2).value == "全区合计"
    [chart] = ws._charts
    assert chart.grouping == "stacked" and len(chart.series) == len(snap.campaign.bonus_rules)
    ledger = book["加分明细"]
    assert ledger.cell(3, 2).value == expected[0] and ledger.max_row == 2 + 3 * 13


def test_gaps_per_town_for_every_phase(book):
    ws = book["差距"]
    assert values(ws, 3)[:5] == ["排名", "镇（街道）", "状态", "环物委覆盖率", "党组织覆盖率"]
    assert values(ws, 3)[5:] == ["第一阶段还需成立环物委", "第一阶段还需建立业委会党组织", "第二阶段还需成立环物委",
                                 "第二阶段还需建立业委会党组织", "第三阶段还需成立环物委", "第三阶段还需建立业委会党组织"]
    rows = {ws.cell(r, 2).value: values(ws, r) for r in range(4, 18)}
    # 西河镇 on 12-31: 2 of 3 EPMCs, 2 of 3 committees with a party organisation. EPMCs: ceil(0.8 × 3),
    # ceil(0.9 × 3), ceil(1.0 × 3) = 3 → one more each phase; party organisations: ceil(0.6 × 3) = 2,
    # ceil(0.65 × 3) = 2, ceil(0.7 × 3) = 3 → one more in the third phase only.
    assert rows["西河镇"] == [12, "西河镇", "滞后", float(Fraction(2, 3)), float(Fraction(2, 3)), 1, 0, 1, 0, 1, 1]
    assert rows["全区合计"][5:] == [0, 0, 0, 0, 2, 0]
    [chart] = ws._charts
    assert [s.tx.strRef.f for s in chart.series] == ["'差距'!J3", "'差距'!K3"]  # the third phase's two gap columns


def test_submission_status_matrix_and_summary(book):
    ws = book["报送情况"]
    assert values(ws, 3)[:5] == ["镇（街道）", "2021-10-31", "2021-11-30", "2021-12-15", "2021-12-31"]
    rows = {ws.cell(r, 1).value: values(ws, r)[1:5] for r in range(4, 17)}
    assert rows["西河镇"] == ["按时", "逾期", "按时", "逾期"] and rows["太河镇"] == ["按时", "逾期", "逾期", "按时"]
    summary = find_row(ws, "报送日期")
    assert values(ws, summary) == ["报送日期", "应报", "已报", "按时", "逾期", "重报", "未报"]
    assert [values(ws, r)[1:] for r in range(summary + 1, summary + 5)] == [
        [13, 13, 12, 1, 0, 0], [13, 13, 11, 2, 0, 0], [13, 13, 11, 2, 0, 0], [13, 13, 12, 1, 0, 0]]


def test_per_community_detail(book):
    ws = book["社区明细"]
    assert ws.max_row - 2 == 41  # every community of the district
    assert values(ws, 2)[:3] == ["镇（街道）", "社区", "小区数"]


def test_injected_names_are_text_in_the_pack(tmp_path):
    campaign = dataclasses.replace(default_campaign(), towns=(C,))
    conn = store.connect(tmp_path / "injected.duckdb")
    import_into(conn, campaign, ("c.xlsx", town_injected()))
    book = openpyxl.load_workbook(io.BytesIO(meeting_pack(conn, snapshot(conn, campaign, INJECTED_AS_OF), TODAY)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'=cmd|' /C calc'!A0", "'+1"} <= texts
    assert all(c.data_type != "f" for c in cells)
    assert not [c.coordinate for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_TRIGGERS)]


def test_cli_writes_the_pack(sample, cli, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(sample[0], db)
    out = tmp_path / "会议材料.xlsx"
    result = cli("pack", "--as-of", "2021-12-31", "--out", out, "--db", db)
    assert result.code == 0, result.stderr
    assert openpyxl.load_workbook(out).sheetnames == list(SHEETS)
    assert cli("pack", "--as-of", "2021-12-31", "--out", tmp_path / "x.csv", "--db", db).code == 2
