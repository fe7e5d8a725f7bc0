"""The consolidated ledger as of a date: which rows, search, filters, Chinese headers, the download."""
from __future__ import annotations

import datetime as dt

import pytest

from core import store
from core.exports import table_csv
from core.ledger import FILTERS, display_table, filter_rows, for_screen, ledger_data, ledger_page
from core.validate import read_workbook
from tests.reports import store_report
from tests.workbooks import community_row, compound_row, info_sheet, standard

D1031, D1130 = dt.date(2021, 10, 31), dt.date(2021, 11, 30)


@pytest.fixture
def conn(tmp_path):
    with store.connect(tmp_path / "redprop.duckdb") as connection:
        yield connection


@pytest.fixture
def kunlun(conn, campaign):
    """昆仑镇 on 11-30: four compounds and three communities covering every filter."""
    compounds = [
        compound_row("昆仑社区", "桃园雅居", "否", company="淄博嘉和物业服务有限公司", company_org="否"),
        compound_row("昆仑社区", "文昌嘉园", "是", 5, 3, "是", founded=dt.date(2014, 5, 4),
                     org_founded=dt.date(2021, 11, 3), company="淄博嘉和物业服务有限公司", company_org="否"),
        compound_row("磁村社区", "丽景雅居", "是", 9, 0, "否", company="山东安泰物业有限公司", company_org="是"),
        compound_row("南韩社区", "盛世新村", "是", 7, 4, "是"),
    ]
    communities = [
        community_row("昆仑社区", "是", 5, 3, founded=dt.date(2021, 11, 20), green="已达标"),
        community_row("磁村社区", "是", 4, 3),  # too few members: not compliant
        community_row("南韩社区", "否"),
    ]
    data = standard(compounds, communities, info=info_sheet("昆仑镇", D1130, filled_by="张三"))
    parsed = read_workbook(data, "昆仑镇.xlsx", campaign)
    assert parsed.ok, [i.message for i in parsed.errors]
    store.save(conn, parsed, "测试上传")
    return conn


def test_rows_of_each_towns_report_in_force(conn, campaign):
    store_report(conn, "太河镇", D1031, compounds=1)
    store_report(conn, "般阳路街道", D1031, compounds=2)
    store_report(conn, "般阳路街道", D1130, compounds=3)
    data = ledger_data(conn, campaign, D1130, "compounds")
    assert data.rows[["town", "report_date", "compound"]].values.tolist() == [
        ["般阳路街道", D1130, "般阳路街道小区1"], ["般阳路街道", D1130, "般阳路街道小区2"],
        ["般阳路街道", D1130, "般阳路街道小区3"], ["太河镇", D1031, "太河镇小区1"]]  # configured town order
    assert data.missing == [t for t in campaign.towns if t not in ("般阳路街道", "太河镇")]
    one = ledger_data(conn, campaign, D1031, "compounds", "般阳路街道")
    assert one.rows["compound"].tolist() == ["般阳路街道小区1", "般阳路街道小区2"] and one.missing == []
    assert ledger_data(conn, campaign, D1031, "compounds", "昆仑镇").missing == ["昆仑镇"]


# Searches and filters of 昆仑镇's four compounds at 11-30, and what they find.
COMPOUND_SEARCHES = [
    ("", [], ["桃园雅居", "文昌嘉园", "丽景雅居", "盛世新村"]),
    ("", ["未成立业委会"], ["桃园雅居"]),
    ("", ["未建党组织"], ["丽景雅居"]),
    ("", ["物业企业未建党组织"], ["桃园雅居", "文昌嘉园"]),
    ("", ["未建党组织", "物业企业未建党组织"], []),
    ("雅居", [], ["桃园雅居", "丽景雅居"]),
    ("  磁村 ", [], ["丽景雅居"]),  # community names are searched too
    ("嘉和", [], ["桃园雅居", "文昌嘉园"]),  # and property companies
    ("嘉和", ["未成立业委会"], ["桃园雅居"]),
]


@pytest.mark.parametrize("search, filters, expected", COMPOUND_SEARCHES)
def test_compound_search_and_filters(kunlun, campaign, search, filters, expected):
    rows = ledger_data(kunlun, campaign, D1130, "compounds").rows
    assert filter_rows(rows, "compounds", search, filters)["compound"].tolist() == expected


@pytest.mark.parametrize("filters, expected", [
    ([], ["昆仑社区", "磁村社区", "南韩社区"]),
    (["未成立环物委"], ["南韩社区"]),
    (["环物委不规范"], ["磁村社区"]),
    (["绿色社区未达标"], ["磁村社区", "南韩社区"]),
])
def test_community_filters(kunlun, campaign, filters, expected):
    rows = ledger_data(kunlun, campaign, D1130, "communities").rows
    assert filter_rows(rows, "communities", "", filters)["community"].tolist() == expected


def test_filter_labels():
    assert [f.label for f in FILTERS["compounds"]] == ["未成立业委会", "未建党组织", "物业企业未建党组织"]
    assert [f.label for f in FILTERS["communities"]] == ["未成立环物委", "环物委不规范", "绿色社区未达标"]
    assert FILTERS["brands"] == ()


def test_community_table_under_chinese_headers(kunlun, campaign):
    table = display_table(ledger_data(kunlun, campaign, D1130, "communities").rows, "communities")
    assert list(table.columns) == ["镇（街道）", "报送日期", "社区", "已成立环物委", "环物委成立日期", "环物委成员数", "其中党员数",
                                   "主任由居委会成员兼任", "存在任职回避情形", "绿色社区创建", "小区数", "已成立业委会数",
                                   "业委会党组织数", "红色业主委数", "环物委符合规范", "原表行号"]
    assert table.iloc[0].tolist() == ["昆仑镇", D1130, "昆仑社区", "是", dt.date(2021, 11, 20), 5, 3, "", "", "已达标",
                                      2, 1, 1, 0, "是", 2]
    assert table["环物委符合规范"].tolist() == ["是", "否", "否"]


def test_download_csv_of_filtered_compounds(kunlun, campaign):
    rows = filter_rows(ledger_data(kunlun, campaign, D1130, "compounds").rows, "compounds", "", ["物业企业未建党组织"])
    expected = (
        '"镇（街道）","报送日期","社区","小区名称","具备成立条件","已成立业委会","业委会成立日期","业委会成员数","其中党员数",'
        '"业委会已建党组织","党组织成立日期","物业服务企业","物业企业已建党组织","原表行号"\r\n'
        '"昆仑镇","2021-11-30","昆仑社区","桃园雅居","是","否","","","","否","","淄博嘉和物业服务有限公司","否","2"\r\n'
        '"昆仑镇","2021-11-30","昆仑社区","文昌嘉园","是","是","2014-05-04","5","3","是","2021-11-03",'
        '"淄博嘉和物业服务有限公司","否","3"\r\n')
    assert table_csv(display_table(rows, "compounds")) == "\ufeff".encode() + expected.encode()


def test_for_screen_blanks_missing_values(kunlun, campaign):
    table = for_screen(display_table(ledger_data(kunlun, campaign, D1130, "compounds").rows, "compounds"))
    assert table.loc[0, ["业委会成立日期", "业委会成员数", "物业服务企业"]].tolist() == ["", "", "淄博嘉和物业服务有限公司"]
    assert table.loc[1, ["业委会成立日期", "业委会成员数"]].tolist() == ["2014-05-04", "5"]
    assert table["原表行号"].tolist() == [2, 3, 4, 5]  # a full number column stays a number


# ---------------------------------------------------------------- searching, filtering and paging in the database

@pytest.mark.parametrize("search, filters, expected", COMPOUND_SEARCHES)
def test_ledger_page_searches_and_filters_as_filter_rows_does(kunlun, campaign, search, filters, expected):
    page = ledger_page(kunlun, campaign, D1130, "compounds", None, search, filters)
    assert page.rows["compound"].tolist() == expected
    assert (page.matching, page.total) == (len(expected), 4)
    assert page.missing == [t for t in campaign.towns if t != "昆仑镇"]
    rows = filter_rows(ledger_data(kunlun, campaign, D1130, "compounds").rows, "compounds", search, filters)
    assert display_table(page.rows, "compounds").equals(display_table(rows, "compounds").reset_index(drop=True))


def test_ledger_page_reads_one_page_and_counts_all(kunlun, campaign):
    page = ledger_page(kunlun, campaign, D1130, "compounds", "昆仑镇", offset=1, limit=2)
    assert page.rows["compound"].tolist() == ["文昌嘉园", "丽景雅居"]
    assert (page.matching, page.total, page.missing) == (4, 4, [])
    assert ledger_page(kunlun, campaign, D1130, "compounds", "昆仑镇", offset=4, limit=2).rows.empty


@pytest.mark.parametrize("filters", [[], ["未成立环物委"], ["环物委不规范"], ["绿色社区未达标"]])
def test_ledger_page_of_communities_has_their_figures(kunlun, campaign, filters):
    page = ledger_page(kunlun, campaign, D1130, "communities", None, "", filters)
    rows = filter_rows(ledger_data(kunlun, campaign, D1130, "communities").rows, "communities", "", filters)
    assert display_table(page.rows, "communities").equals(display_table(rows, "communities").reset_index(drop=True))


def test_ledger_page_before_any_report(kunlun, campaign):
    page = ledger_page(kunlun, campaign, D1031, "brands")
    assert (page.matching, page.total, len(page.rows)) == (0, 0, 0)
    assert list(display_table(page.rows, "brands").columns)[:2] == ["镇（街道）", "报送日期"]
