"""Every style of hand-made ledger that WORKBOOK.md says the importer accepts without complaint.

Each test builds a real .xlsx, reads it, and compares the canonical rows with rows written out
by hand: town, community, compound, yes/no as booleans, counts as integers, dates, and the Excel
row each came from.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.workbooks import (BRAND_HEADER, COMMUNITY_HEADER, COMPOUND_HEADER, MEMBER_HEADER, Sheet, community_row,
                       compound_row, expected_community, expected_compound, info_sheet, issue_tuples,
                       minimal_communities, records, standard, xlsx)

D = dt.date
BY, KL = "般阳路街道", "昆仑镇"


def only_report(parsed):
    """The single report of a workbook that must be accepted without any error or warning."""
    assert issue_tuples(parsed.issues) == []
    assert len(parsed.reports) == 1
    return parsed.reports[0]


# Two compounds and two communities used by most layouts below, as canonical rows (rows 2-3 of a
# plain sheet); layout tests only shift source_row.
def two_compounds(first_row: int, town=BY) -> list[dict]:
    return [
        expected_compound(first_row, town, "东社区", "阳光花园", has_committee=True, committee_members=7,
                          committee_party_members=6, committee_party_org=True),
        expected_compound(first_row + 1, town, "东社区", "幸福里"),
    ]


def two_communities(first_row: int, town=BY) -> list[dict]:
    return [
        expected_community(first_row, town, "东社区", has_epmc=True, epmc_members=7, epmc_party_members=5),
        expected_community(first_row + 1, town, "西社区"),
    ]


COMMUNITY_SHEET = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", "是", 7, 5), community_row("西社区")])


# ---------------------------------------------------------------- the template's own shape

def test_template_shaped_workbook_every_column(parse):
    data = standard(
        compounds=[
            [BY, "东社区", "阳光花园", "是", "是", D(2021, 6, 1), 7, 6, "是", D(2021, 8, 1), "甲物业公司", "是"],
            [BY, "东社区", "幸福里", None, "否", None, None, None, "否", None, None, None],
            [BY, "西社区", "和谐家园", "否", "否", None, None, None, "否", None, "乙物业公司", "否"],
        ],
        communities=[
            [BY, "东社区", "是", D(2021, 9, 1), 7, 5, "是", "否", "创建中"],
            [BY, "西社区", "否", None, None, None, None, None, None],
        ],
        info=info_sheet(filled_by="张三", phone="0533-5180000"),
    )
    parsed = parse(data)
    report = only_report(parsed)
    assert (report.town, report.report_date) == (BY, D(2021, 11, 30))
    assert (parsed.filled_by, parsed.phone) == ("张三", "0533-5180000")
    assert records(report.tables["compounds"]) == [
        expected_compound(2, BY, "东社区", "阳光花园", eligible=True, has_committee=True,
                          committee_founded=D(2021, 6, 1), committee_members=7, committee_party_members=6,
                          committee_party_org=True, party_org_founded=D(2021, 8, 1), property_company="甲物业公司",
                          company_party_org=True),
        expected_compound(3, BY, "东社区", "幸福里", eligible=True),
        expected_compound(4, BY, "西社区", "和谐家园", eligible=False, property_company="乙物业公司",
                          company_party_org=False),
    ]
    assert records(report.tables["communities"]) == [
        expected_community(2, BY, "东社区", has_epmc=True, epmc_founded=D(2021, 9, 1), epmc_members=7,
                           epmc_party_members=5, epmc_chair_from_rc=True, epmc_conflict=False, green_status="创建中"),
        expected_community(3, BY, "西社区"),
    ]
    assert report.tables["brands"].empty and report.tables["epmc_members"].empty


# ---------------------------------------------------------------- title rows, two-row headers

def test_title_and_note_rows_above_the_header(parse):
    compounds = Sheet("小区台账", [
        ["般阳路街道红色物业建设台账"],
        ["统计范围：辖区内全部住宅小区（单位：人）"],
        COMPOUND_HEADER,
        compound_row("东社区", "阳光花园", "是", 7, 6, "是"),
        compound_row("东社区", "幸福里"),
    ], merged=["A1:L1", "A2:L2"])
    communities = Sheet("社区台账", [["社区环物委组建情况台账"], *COMMUNITY_SHEET.rows], merged=["A1:I1"])
    report = only_report(parse(xlsx(info_sheet(), compounds, communities)))
    assert records(report.tables["compounds"]) == two_compounds(4)
    assert records(report.tables["communities"]) == two_communities(3)


def test_two_row_header_with_merged_group_cells(parse):
    compounds = Sheet("小区台账", [
        ["镇（街道）", "社区", "小区名称", "业委会情况", None, None, None, "物业服务企业"],
        [None, None, None, "已成立业委会", "成员数", "其中党员数", "已建党组织", None],
        [BY, "东社区", "阳光花园", "是", 7, 6, "是", "甲物业"],
        [BY, "东社区", "幸福里", "否", None, None, "否", None],
    ], merged=["A1:A2", "B1:B2", "C1:C2", "D1:G1", "H1:H2"])
    communities = Sheet("社区台账", [
        ["镇（街道）", "社区", "环物委情况", None, None, None],
        [None, None, "已成立", "成立日期", "成员数", "其中党员数"],
        [BY, "东社区", "是", D(2021, 9, 1), 7, 5],
        [BY, "西社区", "否", None, None, None],
    ], merged=["A1:A2", "B1:B2", "C1:F1"])
    report = only_report(parse(xlsx(info_sheet(), compounds, communities)))
    first, second = two_compounds(3)
    assert records(report.tables["compounds"]) == [{**first, "property_company": "甲物业"}, second]
    east, west = two_communities(3)
    assert records(report.tables["communities"]) == [{**east, "epmc_founded": D(2021, 9, 1)}, west]


def test_two_row_header_groups_disambiguate_repeated_sub_headers(parse):
    """"成立日期" under 业委会情况 and again under 党组织情况; "名称" under 物业企业情况."""
    compounds = Sheet("小区台账", [
        ["社区", "小区名称", "业委会情况", None, None, None, "党组织情况", None, "物业企业情况", None],
        [None, None, "已成立", "成立日期", "成员数", "其中党员数", "已建党组织", "成立日期", "名称", "已建党组织"],
        ["东社区", "阳光花园", "是", D(2021, 6, 1), 7, 6, "是", D(2021, 8, 1), "甲物业", "否"],
    ], merged=["A1:A2", "B1:B2", "C1:F1", "G1:H1", "I1:J1"])
    communities = Sheet("社区台账", [COMMUNITY_HEADER[1:], ["东社区", "否"] + [None] * 7])
    report = only_report(parse(xlsx(info_sheet(), compounds, communities)))
    assert records(report.tables["compounds"]) == [
        expected_compound(3, BY, "东社区", "阳光花园", has_committee=True, committee_founded=D(2021, 6, 1),
                          committee_members=7, committee_party_members=6, committee_party_org=True,
                          party_org_founded=D(2021, 8, 1), property_company="甲物业", company_party_org=False),
    ]


# ---------------------------------------------------------------- header spellings

@pytest.mark.parametrize("town_header", ["镇（街道）", "镇(街道)", " 镇 （街道） ", "镇\n（街道）", "镇街", "镇办", "街道",
                                         "所属镇街"])
@pytest.mark.parametrize("compound_header", ["小区名称", "小区", "住宅小区名称", "小区\n名称", "小区 名称"])
def test_header_variants(parse, town_header, compound_header):
    header = [town_header, "社区", compound_header, "已成立\n业委会", "业委会成员数", "其中\n党员数", "业委会已建党组织"]
    compounds = Sheet("小区台账", [header, [BY, "东社区", "阳光花园", "是", 7, 6, "是"], [BY, "东社区", "幸福里", "否"]])
    community_header = ["镇（街道）", "社区", "已成立环物委", "环物委成员数", "其中党员数"]
    communities = Sheet("社区台账", [community_header, [BY, "东社区", "是", 7, 5], [BY, "西社区", "否"]])
    report = only_report(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert records(report.tables["compounds"]) == two_compounds(2)


# ---------------------------------------------------------------- rows a clerk adds around the data

def test_serial_number_column(parse):
    compounds = Sheet("小区台账", [
        ["序号", *COMPOUND_HEADER],
        [1, *compound_row("东社区", "阳光花园", "是", 7, 6, "是")],
        [2, *compound_row("东社区", "幸福里")],
        [3],  # numbered in advance, left empty
    ])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == two_compounds(2)


def test_blank_total_and_note_rows_are_skipped(parse):
    compounds = Sheet("小区台账", [
        COMPOUND_HEADER,
        compound_row("东社区", "阳光花园", "是", 7, 6, "是"),  # row 2
        [],  # 3
        compound_row("东社区", "小计", "1", 7, 6, "1"),  # 4: a subtotal in the compound column
        compound_row("西社区", "幸福里"),  # 5
        [None] * 12,  # 6
        ["合计", None, "2个小区", None, "1", None, 7, 6],  # 7
        [None, "小 计", None, None, 1],  # 8
        ["总计：", None, None, None, 1],  # 9
        [],  # 10
        ["填表人：张三", None, None, None, "审核人：李四"],  # 11
        ["备注：本表数据截至11月30日。"],  # 12
        ["注：已成立业委会填“是”。"],  # 13
    ])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == [
        expected_compound(2, BY, "东社区", "阳光花园", has_committee=True, committee_members=7,
                          committee_party_members=6, committee_party_org=True),
        expected_compound(5, BY, "西社区", "幸福里"),
    ]


def test_remarks_column_is_ignored(parse):
    compounds = Sheet("小区台账", [
        [*COMPOUND_HEADER, "备注"],
        [*compound_row("东社区", "阳光花园", "是", 7, 6, "是"), "老旧小区改造中"],
        [*compound_row("东社区", "幸福里"), None],
        [None] * 12 + ["以上为11月数据"],  # a remark alone is not a compound
    ])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == two_compounds(2)


def test_community_and_town_written_once_in_vertically_merged_cells(parse):
    compounds = Sheet("小区台账", [
        COMPOUND_HEADER,
        [BY, "东社区", "阳光花园", None, "是", None, 7, 6, "是"],  # 2
        [None, None, "幸福里", None, "否", None, None, None, "否"],  # 3
        [None, None, "金色家园", None, "否", None, None, None, "否"],  # 4
        [None, "西社区", "和谐家园", None, "否", None, None, None, "否"],  # 5
        [None, None, "丽景苑", None, "否", None, None, None, "否"],  # 6
    ], merged=["A2:A6", "B2:B4", "B5:B6"])
    communities = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", "是", 7, 5, town=BY),
                                     community_row("西社区")], merged=["A2:A3"])
    report = only_report(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert records(report.tables["compounds"]) == [
        expected_compound(2, BY, "东社区", "阳光花园", has_committee=True, committee_members=7,
                          committee_party_members=6, committee_party_org=True),
        expected_compound(3, BY, "东社区", "幸福里"),
        expected_compound(4, BY, "东社区", "金色家园"),
        expected_compound(5, BY, "西社区", "和谐家园"),
        expected_compound(6, BY, "西社区", "丽景苑"),
    ]
    assert records(report.tables["communities"]) == two_communities(2)


def test_merged_community_cell_running_past_the_last_row(parse):
    """A community merged over pre-formatted empty rows does not invent compounds."""
    compounds = Sheet("小区台账", [
        COMPOUND_HEADER,
        [None, "东社区", "阳光花园", None, "否", None, None, None, "否"],
        [], [], [],
    ], merged=["B2:B5"])
    report = only_report(parse(xlsx(info_sheet(), compounds, Sheet("社区台账", [COMMUNITY_HEADER,
                                                                                  community_row("东社区")]))))
    assert records(report.tables["compounds"]) == [expected_compound(2, BY, "东社区", "阳光花园")]


# ---------------------------------------------------------------- cell spellings

YES_NO = [
    ("是", True), ("否", False), ("有", True), ("无", False), ("已成立", True), ("未成立", False),
    ("已建", True), ("未建", False), ("√", True), ("×", False), ("Y", True), ("N", False), ("y", True),
    ("n", False), (1, True), (0, False), ("1", True), ("0", False), (True, True), (False, False),
    ("TRUE", True), ("FALSE", False), ("true", True), (" 是 ", True), ("\u3000否\u3000", False),
]


@pytest.mark.parametrize("written, meaning", YES_NO, ids=[f"{type(w).__name__}-{w}" for w, _ in YES_NO])
def test_yes_no_spellings(parse, written, meaning):
    compounds = [compound_row("东社区", "阳光花园", has_committee=written, members=5, party=3, party_org="否",
                              eligible=written, company="甲物业", company_org=written)]
    communities = [community_row("东社区", has_epmc=written, members=5, party=3, chair=written, conflict="否")]
    report = only_report(parse(standard(compounds, communities)))
    assert records(report.tables["compounds"]) == [
        expected_compound(2, BY, "东社区", "阳光花园", eligible=meaning, has_committee=meaning, committee_members=5,
                          committee_party_members=3, property_company="甲物业", company_party_org=meaning)]
    assert records(report.tables["communities"]) == [
        expected_community(2, BY, "东社区", has_epmc=meaning, epmc_members=5, epmc_party_members=3,
                           epmc_chair_from_rc=meaning, epmc_conflict=False)]


def test_yes_no_written_as_excel_booleans_reads_back_as_booleans(parse):
    """TRUE/FALSE stored as real Excel boolean cells (not text)."""
    import io

    import openpyxl

    data = standard([compound_row("东社区", "阳光花园", has_committee=True, members=5, party=3, party_org=False)],
                    minimal_communities("东社区"))
    cell = openpyxl.load_workbook(io.BytesIO(data))["小区台账"]["E2"]
    assert cell.data_type == "b"
    report = only_report(parse(data))
    assert records(report.tables["compounds"])[0]["has_committee"] is True
    assert records(report.tables["compounds"])[0]["committee_party_org"] is False


COUNTS = [(7, 7), (7.0, 7), ("7", 7), ("７", 7), ("7人", 7), ("７人", 7), (" 7 ", 7), ("7 人", 7), ("7名", 7),
          ("１１", 11), ("0", 0)]


@pytest.mark.parametrize("written, value", COUNTS, ids=[f"{type(w).__name__}-{w}" for w, _ in COUNTS])
def test_numbers_as_text_full_width_and_with_unit(parse, written, value):
    compounds = [compound_row("东社区", "阳光花园", "是", members=written, party="０", party_org="否")]
    communities = [community_row("东社区", "是", members=written if value % 2 else 7, party="7人")]
    parsed = parse(standard(compounds, communities))
    assert parsed.errors == []
    report = parsed.reports[0]
    assert records(report.tables["compounds"])[0]["committee_members"] == value
    assert records(report.tables["compounds"])[0]["committee_party_members"] == 0
    assert records(report.tables["communities"])[0]["epmc_party_members"] == 7


def test_number_stored_as_text_cell(parse):
    """A cell formatted as 文本 (@) holding digits."""
    compounds = Sheet("小区台账", [COMPOUND_HEADER, compound_row("东社区", "阳光花园", "是", "7", "6", "是")],
                      number_formats={"G2": "@", "H2": "@"})
    report = only_report(parse(xlsx(info_sheet(), compounds, Sheet("社区台账", [COMMUNITY_HEADER,
                                                                                  community_row("东社区")]))))
    row = records(report.tables["compounds"])[0]
    assert (row["committee_members"], row["committee_party_members"]) == (7, 6)


DATES = [D(2021, 11, 20), dt.datetime(2021, 11, 20, 9, 30), 44520, "2021-11-20", "2021/11/20", "2021.11.20",
         "2021年11月20日", "2021-11-20 ", "２０２１年１１月２０日", "2021-11-20 00:00:00"]


@pytest.mark.parametrize("written", DATES, ids=[f"{type(w).__name__}-{w}" for w in DATES])
def test_dates_as_excel_dates_and_text(parse, written):
    compounds = [compound_row("东社区", "阳光花园", "是", 5, 3, "是", founded=written, org_founded=written)]
    communities = [community_row("东社区", "是", 5, 3, founded=written)]
    report = only_report(parse(standard(compounds, communities)))
    compound = records(report.tables["compounds"])[0]
    assert (compound["committee_founded"], compound["party_org_founded"]) == (D(2021, 11, 20), D(2021, 11, 20))
    assert records(report.tables["communities"])[0]["epmc_founded"] == D(2021, 11, 20)


def test_spaces_in_names(parse):
    compounds = [
        compound_row(" 东社区 ", "\u3000阳光花园\u3000", town="\u3000般阳路街道 "),
        compound_row("\u3000东社区", "  幸福里", company=" 甲物业公司\u3000"),
    ]
    communities = [community_row("东社区\u3000\u3000"), community_row(" 西社区")]
    report = only_report(parse(standard(compounds, communities)))
    assert records(report.tables["compounds"]) == [
        expected_compound(2, BY, "东社区", "阳光花园"),
        expected_compound(3, BY, "东社区", "幸福里", property_company="甲物业公司"),
    ]
    assert records(report.tables["communities"]) == [expected_community(2, BY, "东社区"),
                                                     expected_community(3, BY, "西社区")]


# ---------------------------------------------------------------- sheets, town and report date

def test_sheets_with_unexpected_names_are_recognised_by_header(parse):
    data = xlsx(
        Sheet("Sheet1", [COMMUNITY_HEADER, community_row("东社区", "是", 7, 5), community_row("西社区")]),
        Sheet("Sheet2", [COMPOUND_HEADER, compound_row("东社区", "阳光花园", "是", 7, 6, "是"),
                         compound_row("东社区", "幸福里")]),
        Sheet("Sheet3", []),
        info_sheet(),
    )
    report = only_report(parse(data))
    assert records(report.tables["compounds"]) == two_compounds(2)
    assert records(report.tables["communities"]) == two_communities(2)


@pytest.mark.parametrize("written", ["2021-11-30", D(2021, 11, 30), "2021年11月30日", "2021/11/30"])
def test_town_and_report_date_from_info_sheet(parse, written):
    compounds = Sheet("小区台账", [COMPOUND_HEADER[1:], compound_row("东社区", "阳光花园", "是", 7, 6, "是")[1:],
                                   compound_row("东社区", "幸福里")[1:]])
    communities = Sheet("社区台账", [COMMUNITY_HEADER[1:], community_row("东社区", "是", 7, 5)[1:],
                                     community_row("西社区")[1:]])
    parsed = parse(xlsx(info_sheet(town="般阳路街道", report_date=written), compounds, communities),
                   town="昆仑镇", report_date=D(2021, 12, 15))  # the workbook's own statement wins
    report = only_report(parsed)
    assert (report.town, report.report_date) == (BY, D(2021, 11, 30))
    assert records(report.tables["compounds"]) == two_compounds(2)


@pytest.mark.parametrize("info", [
    Sheet("基本信息", [["镇（街道）", "报送日期", "填报人", "联系电话"], ["般阳路", "2021-11-30", "张三", "13800000000"]]),
    Sheet("基本信息", [["镇（街道）：般阳路街道"], ["报送日期：2021年11月30日"], ["填报人：张三"], ["联系电话：13800000000"]]),
    Sheet("封面", [["般阳路街道红色物业月报"], [], ["报送单位", None, "般阳路街道"], ["截至日期", None, D(2021, 11, 30)],
                 ["填表人", None, "张三", "电话", "13800000000"]]),
], ids=["labels over values", "label and value in one cell", "cover sheet with gaps"])
def test_info_sheet_laid_out_other_ways(parse, info):
    compounds = Sheet("小区台账", [COMPOUND_HEADER[1:], compound_row("东社区", "阳光花园", "是", 7, 6, "是")[1:],
                                   compound_row("东社区", "幸福里")[1:]])
    parsed = parse(xlsx(info, compounds, COMMUNITY_SHEET))
    report = only_report(parsed)
    assert (report.town, report.report_date, parsed.filled_by, parsed.phone) == (
        BY, D(2021, 11, 30), "张三", "13800000000")
    assert records(report.tables["compounds"]) == two_compounds(2)


def test_town_and_date_in_one_title_cell(parse):
    compounds = Sheet("小区台账", [["填报单位：般阳路街道办事处（盖章）\u3000\u3000报送日期：2021 年 11 月 30 日"],
                                   COMPOUND_HEADER[1:], compound_row("东社区", "阳光花园", "是", 7, 6, "是")[1:]],
                      merged=["A1:K1"])
    communities = Sheet("社区台账", [COMMUNITY_HEADER[1:], community_row("东社区", "是", 7, 5)[1:]])
    report = only_report(parse(xlsx(compounds, communities)))
    assert (report.town, report.report_date) == (BY, D(2021, 11, 30))


def test_town_and_report_date_from_a_title_row(parse):
    compounds = Sheet("小区台账", [
        ["般阳路街道红色物业建设台账"],
        ["填报单位：般阳路街道", None, None, None, None, None, None, "报送日期：2021年11月30日"],
        COMPOUND_HEADER[1:],
        compound_row("东社区", "阳光花园", "是", 7, 6, "是")[1:],
        compound_row("东社区", "幸福里")[1:],
    ], merged=["A1:K1", "A2:G2", "H2:K2"])
    communities = Sheet("社区台账", [COMMUNITY_HEADER[1:], community_row("东社区", "是", 7, 5)[1:],
                                     community_row("西社区")[1:]])
    report = only_report(parse(xlsx(compounds, communities)))
    assert (report.town, report.report_date) == (BY, D(2021, 11, 30))
    assert records(report.tables["compounds"]) == two_compounds(4)


@pytest.mark.parametrize("title, value", [
    ("截止日期：", D(2021, 11, 30)),
    ("报送日期", "2021.11.30"),
    ("统计截止日期：2021-11-30", None),
    ("数据截至2021年11月30日", None),
])
def test_report_date_in_title_written_many_ways(parse, title, value):
    compounds = Sheet("小区台账", [["般阳路街道红色物业建设台账"], [title, value],
                                   COMPOUND_HEADER, compound_row("东社区", "阳光花园", "是", 7, 6, "是", town=BY)])
    communities = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", "是", 7, 5, town=BY)])
    report = only_report(parse(xlsx(compounds, communities)))
    assert report.report_date == D(2021, 11, 30)


def test_town_taken_from_a_title_naming_it(parse):
    compounds = Sheet("小区台账", [["昆仑镇红色物业建设工作台账（2021年11月）"], COMPOUND_HEADER[1:],
                                   compound_row("东社区", "阳光花园", "是", 7, 6, "是")[1:]], merged=["A1:K1"])
    communities = Sheet("社区台账", [COMMUNITY_HEADER[1:], community_row("东社区", "是", 7, 5)[1:]])
    report = only_report(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert report.town == KL
    assert records(report.tables["compounds"])[0]["town"] == KL


@pytest.mark.parametrize("town_argument", ["般阳路街道", "般阳路"])
def test_town_and_report_date_from_the_arguments(parse, town_argument):
    compounds = Sheet("小区台账", [COMPOUND_HEADER[1:], compound_row("东社区", "阳光花园", "是", 7, 6, "是")[1:],
                                   compound_row("东社区", "幸福里")[1:]])
    communities = Sheet("社区台账", [COMMUNITY_HEADER[1:], community_row("东社区", "是", 7, 5)[1:],
                                     community_row("西社区")[1:]])
    report = only_report(parse(xlsx(compounds, communities), town=town_argument, report_date=D(2021, 11, 30)))
    assert (report.town, report.report_date) == (BY, D(2021, 11, 30))
    assert records(report.tables["compounds"]) == two_compounds(2)
    assert records(report.tables["communities"]) == two_communities(2)


@pytest.mark.parametrize("written, town", [
    ("般阳路", BY), ("般阳路街道办事处", BY), ("般阳路街道办", BY), ("昆仑", KL), ("昆仑镇人民政府", KL),
    ("昆仑镇政府", KL), ("钟楼", "钟楼街道"), (" 太河镇\u3000", "太河镇"),
])
def test_town_short_forms(parse, written, town):
    data = xlsx(info_sheet(town=written), Sheet("小区台账", [COMPOUND_HEADER, compound_row("东社区", "阳光花园")]),
                Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区")]))
    report = only_report(parse(data))
    assert report.town == town
    compounds = xlsx(info_sheet(town=None),
                     Sheet("小区台账", [COMPOUND_HEADER, compound_row("东社区", "阳光花园", town=written)]),
                     Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", town=town)]))
    report = only_report(parse(compounds))
    assert records(report.tables["compounds"]) == [expected_compound(2, town, "东社区", "阳光花园")]


def test_consolidated_workbook_gives_one_report_per_town(parse):
    compounds = Sheet("小区台账", [
        COMPOUND_HEADER,
        compound_row("东社区", "阳光花园", "是", 7, 6, "是", town=BY),  # 2
        compound_row("东社区", "幸福里"),  # 3 (town merged from row 2)
        compound_row("东社区", "青年公寓", town="昆仑"),  # 4: same community name, other town
        compound_row("北社区", "矿务局宿舍", "是", 5, 3, "否", town=KL),  # 5
    ], merged=["A2:A3"])
    communities = Sheet("社区台账", [
        COMMUNITY_HEADER,
        community_row("东社区", "是", 7, 5, town=BY),  # 2
        community_row("西社区", town=BY),  # 3
        community_row("东社区", "是", 5, 3, town=KL),  # 4
        community_row("北社区", town=KL),  # 5
    ])
    brands = Sheet("示范品牌", [BRAND_HEADER, [KL, "红心物业", "区级", D(2021, 10, 1), "东社区", "青年公寓"]])
    parsed = parse(xlsx(info_sheet(town=None), compounds, communities, brands))
    assert issue_tuples(parsed.issues) == []
    by_town = {r.town: r for r in parsed.reports}
    assert sorted(by_town) == sorted([BY, KL])
    assert {r.report_date for r in parsed.reports} == {D(2021, 11, 30)}
    assert records(by_town[BY].tables["compounds"]) == two_compounds(2)
    assert records(by_town[BY].tables["communities"]) == two_communities(2)
    assert records(by_town[KL].tables["compounds"]) == [
        expected_compound(4, KL, "东社区", "青年公寓"),
        expected_compound(5, KL, "北社区", "矿务局宿舍", has_committee=True, committee_members=5,
                          committee_party_members=3),
    ]
    assert records(by_town[KL].tables["communities"]) == [
        expected_community(4, KL, "东社区", has_epmc=True, epmc_members=5, epmc_party_members=3),
        expected_community(5, KL, "北社区"),
    ]
    assert records(by_town[KL].tables["brands"]) == [
        {"source_row": 2, "town": KL, "name": "红心物业", "level": "区级", "recognized": D(2021, 10, 1),
         "community": "东社区", "compound": "青年公寓"}]
    assert by_town[BY].tables["brands"].empty


# ---------------------------------------------------------------- one hand-made workbook, many styles at once

def test_hand_made_workbook_with_many_styles_at_once(parse):
    info = Sheet("基本情况", [["般阳路街道红色物业月报"], ["报送单位：", "般阳路"], ["填表人：", " 王五 "],
                             ["电话", "13805330000"], ["数据截至", "2021年11月30日"]], merged=["A1:B1"])
    compounds = Sheet("小区情况", [
        ["般阳路街道红色业主委组建情况统计表"],  # 1
        ["（2021年11月）"],  # 2
        ["序号", "镇办", "社区名称", "住宅小区名称", "是否具备成立条件", "业委会情况", None, None, None, None, "党组织\n成立时间",
         "物业公司", "物业企业\n党组织"],  # 3
        [None, None, None, None, None, "是否成立", "成立时间", "人数", "其中：党员数", "是否建立党组织"],  # 4
        [1, "般阳路", " 东社区", "阳光花园", "√", "√", "2021.6.1", "7人", "６", "√", D(2021, 8, 1), "甲物业", "有"],  # 5
        [2, None, None, "幸福里 ", None, "×", None, None, None, "×", None, "自管", None],  # 6
        [None, None, "小计", None, None, 1, None, 7, 6, 1],  # 7
        [3, None, "西社区", "和谐家园\u3000", "否", "N", None, "/", "/", "N", None, None, None],  # 8
        [],  # 9
        [4, None, None, "丽景苑", "是", "Y", "2021年10月8日", "5", "3", "Y", "2021-11-01", "乙物业", "无"],  # 10
        ["合计", None, None, None, None, 2, None, 12, 9, 2],  # 11
        ["填报人：王五", None, None, None, None, None, None, None, "联系电话：13805330000"],  # 12
    ], merged=["A1:M1", "A2:M2", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:J3", "K3:K4", "L3:L4", "M3:M4",
               "B5:B10", "C5:C6", "C8:C10", "A11:E11"])
    communities = Sheet("Sheet3", [
        ["环物委组建情况"],
        ["社区", "已成立环物委", "成立日期", "成员\n人数", "其中党员", "主任是否由居委会成员兼任", "绿色社区"],
        ["东社区", "已成立", "2021/9/1", "7", "5", "是", "已达标"],
        ["西社区", "未成立", None, None, None, None, None],
        ["合计", 1, None, 7, 5],
    ], merged=["A1:G1"])
    brands = Sheet("示范品牌", [BRAND_HEADER[1:], ["红心物业", "区级", "2021年9月10日", "东社区", "阳光花园"]])
    members = Sheet("环物委成员", [MEMBER_HEADER[1:], *[
        ["东社区", name, role, kind, party, "否"] for name, role, kind, party in [
            ("赵一", "主任", "社区两委", "是"), ("钱二", "副主任", "网格员", "是"), ("孙三", "委员", "楼长", "是"),
            ("李四", "委员", "业主代表", "是"), ("周五", "委员", "业主代表", "是"), ("吴六", "委员", "专业人员", "否"),
            ("郑七", "委员", "其他", "否")]]], merged=["A2:A8"])
    parsed = parse(xlsx(info, compounds, communities, brands, members))
    report = only_report(parsed)
    assert (report.town, report.report_date) == (BY, D(2021, 11, 30))
    assert (parsed.filled_by, parsed.phone) == ("王五", "13805330000")
    assert records(report.tables["compounds"]) == [
        expected_compound(5, BY, "东社区", "阳光花园", eligible=True, has_committee=True,
                          committee_founded=D(2021, 6, 1), committee_members=7, committee_party_members=6,
                          committee_party_org=True, party_org_founded=D(2021, 8, 1), property_company="甲物业",
                          company_party_org=True),
        expected_compound(6, BY, "东社区", "幸福里"),
        expected_compound(8, BY, "西社区", "和谐家园", eligible=False),
        expected_compound(10, BY, "西社区", "丽景苑", has_committee=True, committee_founded=D(2021, 10, 8),
                          committee_members=5, committee_party_members=3, committee_party_org=True,
                          party_org_founded=D(2021, 11, 1), property_company="乙物业", company_party_org=False),
    ]
    assert records(report.tables["communities"]) == [
        expected_community(3, BY, "东社区", has_epmc=True, epmc_founded=D(2021, 9, 1), epmc_members=7,
                           epmc_party_members=5, epmc_chair_from_rc=True, green_status="已达标"),
        expected_community(4, BY, "西社区"),
    ]
    assert records(report.tables["brands"]) == [
        {"source_row": 2, "town": BY, "name": "红心物业", "level": "区级", "recognized": D(2021, 9, 10),
         "community": "东社区", "compound": "阳光花园"}]
    assert records(report.tables["epmc_members"])[:2] == [
        {"source_row": 2, "town": BY, "community": "东社区", "name": "赵一", "role": "主任", "member_type": "社区两委",
         "party_member": True, "conflict": False},
        {"source_row": 3, "town": BY, "community": "东社区", "name": "钱二", "role": "副主任", "member_type": "网格员",
         "party_member": True, "conflict": False},
    ]
    assert [r["name"] for r in records(report.tables["epmc_members"])] == ["赵一", "钱二", "孙三", "李四", "周五",
                                                                           "吴六", "郑七"]


# ---------------------------------------------------------------- tricky layouts the spec allows

def test_header_on_row_six_after_several_note_lines(parse):
    compounds = Sheet("小区台账", [
        ["附件2"],
        ["般阳路街道红色物业建设工作台账"],
        ["填报说明：1. 每个住宅小区填一行；2. 是/否栏填“是”或“否”。"],
        ["3. 成员数、党员数填整数。"],
        [None, None, None, None, None, None, None, None, None, None, "单位：人"],
        COMPOUND_HEADER,
        compound_row("东社区", "阳光花园", "是", 7, 6, "是"),
        compound_row("东社区", "幸福里"),
    ], merged=["A2:L2", "A3:L3", "A4:L4"])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == two_compounds(7)


def test_group_header_with_vertically_merged_serial_and_town_in_the_sub_header_row(parse):
    """序号 and 镇（街道） merged down through both header rows; the town itself merged down the data."""
    compounds = Sheet("小区台账", [
        ["序号", "镇（街道）", "社区", "小区名称", "业委会情况", None, None, None],
        [None, None, None, None, "已成立业委会", "成员数", "其中党员数", "已建党组织"],
        [1, BY, "东社区", "阳光花园", "是", 7, 6, "是"],
        [2, None, None, "幸福里", "否", None, None, "否"],
    ], merged=["A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:H1", "B3:B4", "C3:C4"])
    communities = Sheet("社区台账", [
        ["序号", "镇（街道）", "社区", "环物委", None, None],
        [None, None, None, "已成立", "成员数", "其中党员数"],
        [1, BY, "东社区", "是", 7, 5],
        [2, None, "西社区", "否", None, None],
    ], merged=["A1:A2", "B1:B2", "C1:C2", "D1:F1", "B3:B4"])
    report = only_report(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert records(report.tables["compounds"]) == two_compounds(3)
    assert records(report.tables["communities"]) == two_communities(3)


def test_serial_numbers_merged_vertically_over_a_community_block(parse):
    compounds = Sheet("小区台账", [
        ["序号", *COMPOUND_HEADER],
        [1, *compound_row("东社区", "阳光花园", "是", 7, 6, "是")],
        [None, *compound_row(None, "幸福里")],
    ], merged=["A2:A3", "C2:C3"])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == two_compounds(2)


def test_trailing_empty_columns_with_stray_formatting_and_placeholders(parse):
    import io

    import openpyxl
    from openpyxl.styles import Border, PatternFill, Side

    data = standard([compound_row("东社区", "阳光花园", "是", 7, 6, "是"),
                     compound_row("东社区", "幸福里", "否", "/", "-", "否", company="无")],
                    [community_row("东社区", "是", 7, 5), community_row("西社区", "否", "—", "—", green="/")])
    book = openpyxl.load_workbook(io.BytesIO(data))
    thin = Side(style="thin")
    for ws in (book["小区台账"], book["社区台账"]):
        for row in range(1, 60):
            for col in range(ws.max_column + 1, ws.max_column + 6):
                cell = ws.cell(row, col)
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
                cell.fill = PatternFill("solid", fgColor="FFFFCC")
        ws.cell(1, 20).value = " "  # a stray space in a header cell far to the right
    out = io.BytesIO()
    book.save(out)
    report = only_report(parse(out.getvalue()))
    assert records(report.tables["compounds"]) == two_compounds(2)
    assert records(report.tables["communities"]) == two_communities(2)


def test_header_repeated_on_both_rows_of_a_merged_header_is_not_doubled(parse):
    """Every header merged vertically over two rows with no group at all."""
    compounds = Sheet("小区台账", [["般阳路街道台账"], COMPOUND_HEADER, [None] * 12,
                                   compound_row("东社区", "阳光花园", "是", 7, 6, "是"), compound_row("东社区", "幸福里")],
                      merged=["A1:L1"] + [f"{c}2:{c}3" for c in "ABCDEFGHIJKL"])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == two_compounds(4)


# ---------------------------------------------------------------- the shipped sample workbooks

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
EXPECTED = json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8")) \
    if (SAMPLE_DIR / "expected.json").exists() else {"reports": {}}
SAMPLES = [(day, town, entry) for day, towns in EXPECTED["reports"].items() for town, entry in towns.items()]


@pytest.mark.parametrize("day, town, entry", SAMPLES, ids=[e["file"] for _, _, e in SAMPLES])
def test_sample_workbook_imports_with_the_generator_counts(parse, day, town, entry):
    """Every sample workbook (template style and the five hand-made styles A–E) reads back to the
    counts its generator computed from its own data model, with exactly the intended warnings."""
    parsed = parse((SAMPLE_DIR / entry["file"]).read_bytes(), entry["file"])
    assert parsed.errors == []
    assert len(parsed.warnings) == len(entry["expected_warnings"])
    [report] = parsed.reports
    assert (report.town, report.report_date.isoformat()) == (town, day)
    compounds, communities = report.tables["compounds"], report.tables["communities"]
    committees = compounds["has_committee"].eq(True)
    got = {
        "compounds": len(compounds),
        "eligible_compounds": int(compounds["eligible"].eq(True).sum()),
        "committees": int(committees.sum()),
        "party_orgs": int((committees & compounds["committee_party_org"].eq(True)).sum()),
        "communities": len(communities),
        "epmcs": int(communities["has_epmc"].eq(True).sum()),
        "green_accepted": int(communities["green_status"].eq("已达标").sum()),
        "property_companies": compounds["property_company"].dropna().nunique(),
    }
    assert got == {k: entry[k] for k in got}


def test_header_written_again_atop_a_printed_page_is_skipped(parse):
    two_row = [["镇（街道）", "社区", "小区名称", "业委会情况", None, None, None],
               [None, None, None, "已成立业委会", "成员数", "其中党员数", "已建党组织"]]
    compounds = Sheet("小区台账", [
        *two_row,  # 1-2
        [BY, "东社区", "阳光花园", "是", 7, 6, "是"],  # 3
        *two_row,  # 4-5: page 2 starts with the header again
        [BY, "东社区", "幸福里", "已成立", 5, 3, "否"],  # 6: "已成立" is also a header synonym: still data
    ], merged=["A1:A2", "B1:B2", "C1:C2", "D1:G1", "A4:A5", "B4:B5", "C4:C5", "D4:G4"])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    assert records(report.tables["compounds"]) == [
        two_compounds(3)[0],
        expected_compound(6, BY, "东社区", "幸福里", has_committee=True, committee_members=5, committee_party_members=3),
    ]


def test_one_row_header_written_again_right_after_the_first_row(parse):
    compounds = Sheet("小区台账", [
        COMPOUND_HEADER,  # 1
        compound_row("东社区", "阳光花园", "是", 7, 6, "是"),  # 2
        COMPOUND_HEADER,  # 3
        compound_row("东社区", "幸福里"),  # 4
    ])
    report = only_report(parse(xlsx(info_sheet(), compounds, COMMUNITY_SHEET)))
    first, second = two_compounds(2)
    assert records(report.tables["compounds"]) == [first, {**second, "source_row": 4}]
