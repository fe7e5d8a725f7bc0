"""What the importer refuses (WORKBOOK.md "What it refuses, and how"), case by case.

Each case asserts the severity, the sheet, the Excel row, the column header as written, and that
the message is a Chinese sentence that says what to do. Errors block the whole upload: the
command line rejects the file and the database is left exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.workbooks import (COMMUNITY_HEADER, COMPOUND_HEADER, MEMBER_HEADER, Sheet, community_row, compound_row,
                       info_sheet, issue_tuples, records, standard, xlsx)

D = dt.date
BY, KL = "般阳路街道", "昆仑镇"
TOWNS = ["般阳路街道", "松龄路街道", "钟楼街道", "将军路街道", "昆仑镇", "岭子镇", "西河镇", "龙泉镇", "寨里镇", "罗村镇",
         "洪山镇", "双杨镇", "太河镇"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def says_what_to_fix(message: str) -> bool:
    """A Chinese sentence that tells the clerk what to do (请…)."""
    return len(CJK.findall(message)) >= 8 and "请" in message


def valid_compounds():
    return [compound_row("东社区", "阳光花园", "是", 7, 6, "是"), compound_row("东社区", "幸福里")]


def valid_communities():
    return [community_row("东社区", "是", 7, 5)]


def single(parsed, severity="error"):
    """The one issue of `severity` in the workbook (and, for errors, no report)."""
    found = [i for i in parsed.issues if i.severity == severity]
    assert len(found) == 1, found
    if severity == "error":
        assert parsed.reports == []
    assert says_what_to_fix(found[0].message), found[0].message
    return found[0]


# ================================================================ not an Excel workbook

def legacy_xls() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024


def encrypted_xlsx() -> bytes:
    # An encrypted .xlsx is an OLE compound file holding an EncryptionInfo stream.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 512


def truncated_xlsx() -> bytes:
    data = standard(valid_compounds(), valid_communities())
    return data[: len(data) // 2]


def zip_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    return out.getvalue()


def corrupt_workbook_xml() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(standard(valid_compounds(), valid_communities()))) as src, \
            zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, b"<workbook garbage" if item.filename == "xl/workbook.xml" else data)
    return out.getvalue()


NOT_XLSX = {
    "text file": lambda: "镇（街道）,社区,小区名称\n般阳路街道,东社区,阳光花园\n".encode("utf-8"),
    "html renamed .xlsx": lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
    "empty file": lambda: b"",
    "truncated zip": truncated_xlsx,
    "legacy OLE .xls": legacy_xls,
    "encrypted": encrypted_xlsx,
    "zip without a workbook": zip_without_workbook,
}
NOT_XLSX_HINTS = {
    "text file": "另存为", "html renamed .xlsx": "HTML", "empty file": "空", "truncated zip": "损坏",
    "legacy OLE .xls": ".xls", "encrypted": "密码", "zip without a workbook": "另存为",
}


@pytest.mark.parametrize("case", NOT_XLSX)
def test_not_an_excel_workbook(parse, case):
    issue = single(parse(NOT_XLSX[case]()))
    assert (issue.severity, issue.sheet, issue.row, issue.column) == ("error", None, None, None)
    assert NOT_XLSX_HINTS[case] in issue.message


def test_unreadable_workbook_content(parse):
    issue = single(parse(corrupt_workbook_xml()))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("unreadable", None, None, None)


def test_file_larger_than_the_limit(parse, campaign):
    data = b"PK\x03\x04" + b"\x00" * (campaign.max_upload_mb * 1024 * 1024)
    issue = single(parse(data))
    assert (issue.sheet, issue.row, issue.column) == (None, None, None)
    assert f"{campaign.max_upload_mb} MB" in issue.message


# ================================================================ missing sheet or column

def test_missing_required_sheet_names_expected_headers_and_sheets_found(parse):
    data = xlsx(info_sheet(), Sheet("小区台账", [COMPOUND_HEADER, *valid_compounds()]), Sheet("备用", [["随便写的"]]))
    issue = single(parse(data))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("missing_sheet", None, None, None)
    assert "社区台账" in issue.message
    for header in ("社区", "已成立环物委", "环物委成员数", "其中党员数"):
        assert f"“{header}”" in issue.message
    for found in ("基本信息", "小区台账", "备用"):
        assert f"“{found}”" in issue.message


def test_missing_required_column_names_it_and_the_headers_found(parse):
    header = ["镇街", "社区", "小区名称", "已成立业委会", "业委会成员数", "业委会已建党组织"]  # no 其中党员数
    compounds = Sheet("小区台账", [["般阳路街道台账"], header, [BY, "东社区", "阳光花园", "是", 7, "是"]])
    issue = single(parse(xlsx(info_sheet(), compounds, Sheet("社区台账", [COMMUNITY_HEADER, *valid_communities()]))))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("missing_column", "小区台账", 2, None)
    assert "“其中党员数”" in issue.message
    for found in header:
        assert f"“{found}”" in issue.message


def test_missing_town_column_without_a_stated_town(parse):
    compounds = Sheet("小区台账", [COMPOUND_HEADER[1:], valid_compounds()[0][1:]])
    communities = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", "是", 7, 5, town=BY)])
    issue = single(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert (issue.code, issue.sheet, issue.row) == ("missing_column", "小区台账", 1)
    assert "“镇（街道）”" in issue.message


def test_unknown_column_is_a_warning(parse):
    compounds = Sheet("小区台账", [[*COMPOUND_HEADER, "楼栋数"], [*valid_compounds()[0], 12], [*valid_compounds()[1], 3]])
    parsed = parse(xlsx(info_sheet(), compounds, Sheet("社区台账", [COMMUNITY_HEADER, *valid_communities()])))
    assert issue_tuples(parsed.issues) == [("warning", "unknown_column", "小区台账", 1, "楼栋数")]
    assert says_what_to_fix(parsed.warnings[0].message)
    assert len(parsed.reports) == 1


@pytest.mark.parametrize("limit, expected_code", [("max_rows_per_sheet", "too_many_rows"),
                                                  ("max_columns", "too_many_columns")])
def test_sheet_larger_than_the_limits(campaign, limit, expected_code):
    import dataclasses

    from core.validate import read_workbook

    small = dataclasses.replace(campaign, max_rows_per_sheet=3, max_columns=12)
    compounds = [compound_row("东社区", name) for name in ("阳光花园", "幸福里", "金色家园")]  # 4 rows with the header
    if expected_code == "too_many_columns":
        compounds = [[*row, "多余"] for row in compounds[:2]]  # 13 columns, 3 rows
    parsed = read_workbook(standard(compounds, valid_communities()), "大.xlsx", small)
    issue = single(parsed)
    assert (issue.code, issue.sheet, issue.row, issue.column) == (expected_code, "小区台账", None, None)
    assert str(getattr(small, limit)) in issue.message


# ================================================================ towns

def test_unknown_town_in_a_row_lists_the_configured_towns(parse):
    compounds = Sheet("小区台账", [["所属镇街", *COMPOUND_HEADER[1:]], compound_row("东社区", "阳光花园", town="张店区"),
                                   compound_row("东社区", "幸福里", town=BY)])
    communities = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", town=BY)])
    issue = single(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert (issue.severity, issue.code, issue.sheet, issue.row, issue.column) == (
        "error", "unknown_town", "小区台账", 2, "所属镇街")
    assert "张店区" in issue.message
    assert all(town in issue.message for town in TOWNS)


@pytest.mark.parametrize("written, meant", [("岭子街道", "岭子镇"), ("般阳路镇", "般阳路街道"), ("昆仑街道办事处", "昆仑镇")])
def test_town_with_the_wrong_kind_of_suffix_is_refused_with_a_hint(parse, written, meant):
    compounds = Sheet("小区台账", [COMPOUND_HEADER, compound_row("东社区", "阳光花园", town=written)])
    communities = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", town=meant)])
    issue = single(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("unknown_town", "小区台账", 2, "镇（街道）")
    assert f"是否应为“{meant}”" in issue.message


def test_unknown_town_in_the_info_sheet(parse):
    issue = single(parse(standard(valid_compounds(), valid_communities(), info=info_sheet(town="淄川区"))))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("unknown_town", "基本信息", 2, "镇（街道）")
    assert all(town in issue.message for town in TOWNS)


def test_unknown_town_given_as_the_argument(parse):
    data = xlsx(Sheet("小区台账", [COMPOUND_HEADER[1:], valid_compounds()[0][1:]]),
                Sheet("社区台账", [COMMUNITY_HEADER[1:], valid_communities()[0][1:]]))
    errors = parse(data, town="高新区", report_date=D(2021, 11, 30)).errors
    assert issue_tuples(errors) == [("error", "unknown_town", None, None, None)]
    assert "高新区" in errors[0].message and all(town in errors[0].message for town in TOWNS)


def test_blank_town_without_a_default(parse):
    compounds = Sheet("小区台账", [COMPOUND_HEADER, compound_row("东社区", "阳光花园", town=BY),
                                   compound_row("东社区", "幸福里"), compound_row("东社区", "金色家园")])
    communities = Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", town=BY)])
    issue = single(parse(xlsx(compounds, communities), report_date=D(2021, 11, 30)))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("missing_town", "小区台账", 3, "镇（街道）")
    assert "第3行等2行" in issue.message


def test_brand_of_a_town_without_ledger_rows_is_refused(parse):
    """It would otherwise store an empty report superseding 昆仑镇's real one."""
    brands = Sheet("示范品牌", [["镇（街道）", "品牌名称", "级别", "认定日期"], [BY, "红心物业", "区级", "2021-09-10"],
                                [KL, "暖心物业", "区级", "2021-10-10"]])
    issue = single(parse(standard(valid_compounds(), valid_communities(), extra=[brands])))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("town_without_ledger", "示范品牌", 3, "镇（街道）")
    assert KL in issue.message


# ================================================================ duplicates

def test_same_compound_twice_within_town_and_community(parse):
    compounds = [compound_row("东社区", "阳光花园"), compound_row("东社区", "幸福里"), compound_row("东社区", " 阳光花园 ")]
    issue = single(parse(standard(compounds, valid_communities())))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("duplicate_compounds", "小区台账", 4, "小区名称")
    assert "阳光花园" in issue.message and "第2行" in issue.message


def test_same_compound_name_in_two_communities_is_fine(parse):
    compounds = [compound_row("东社区", "阳光花园"), compound_row("西社区", "阳光花园")]
    parsed = parse(standard(compounds, valid_communities() + [community_row("西社区")]))
    assert issue_tuples(parsed.issues) == []
    assert [(r["community"], r["compound"]) for r in records(parsed.reports[0].tables["compounds"])] == [
        ("东社区", "阳光花园"), ("西社区", "阳光花园")]


def test_same_community_twice_in_the_community_ledger(parse):
    communities = [community_row("东社区", "是", 7, 5), community_row("东社区")]
    issue = single(parse(standard(valid_compounds(), communities)))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("duplicate_communities", "社区台账", 3, "社区")


# ================================================================ counts

def test_party_members_more_than_members(parse):
    compounds = [compound_row("东社区", "阳光花园", "是", 5, 6, "是")]
    issue = single(parse(standard(compounds, valid_communities())))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("party_exceeds_members", "小区台账", 2, "其中党员数")
    assert "6" in issue.message and "5" in issue.message


def test_epmc_party_members_more_than_members(parse):
    communities = [community_row("东社区", "是", 5, 7)]
    parsed = parse(standard(valid_compounds(), communities))
    assert issue_tuples(parsed.errors) == [("error", "party_exceeds_members", "社区台账", 2, "其中党员数")]


@pytest.mark.parametrize("written", [-1, "-2", "3.5", 3.5, "七", "约7人", "7-8"])
def test_negative_or_non_integer_count(parse, written):
    compounds = [compound_row("东社区", "阳光花园", "是", written, 0, "否")]
    issue = single(parse(standard(compounds, valid_communities())))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("bad_int", "小区台账", 2, "业委会成员数")
    assert str(written) in issue.message


def test_committee_size_missing_when_committee_exists(parse):
    compounds = [compound_row("东社区", "阳光花园", "是", None, None, "否")]
    issue = single(parse(standard(compounds, valid_communities())))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("committee_members_missing", "小区台账", 2,
                                                                  "业委会成员数")


def test_epmc_size_missing_when_epmc_exists(parse):
    issue = single(parse(standard(valid_compounds(), [community_row("东社区", "是", None, None)])))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("epmc_members_missing", "社区台账", 2, "环物委成员数")
    assert says_what_to_fix(issue.message)


def test_unreadable_epmc_size_is_reported_once(parse):
    parsed = parse(standard(valid_compounds(), [community_row("东社区", "是", "五个", 3)]))
    assert [(i.code, i.row, i.column) for i in parsed.errors] == [("bad_int", 2, "环物委成员数")]


# ================================================================ yes/no

def test_party_org_without_committee(parse):
    compounds = [compound_row("东社区", "阳光花园", "否", None, None, "是")]
    parsed = parse(standard(compounds, valid_communities()))
    issue = single(parsed)
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("party_org_without_committee", "小区台账", 2,
                                                                  "业委会已建党组织")


@pytest.mark.parametrize("written", ["待定", "正在筹备", 2, "是否"])
def test_unrecognised_yes_no(parse, written):
    compounds = [compound_row("东社区", "阳光花园", written, 5, 3, "否")]
    issue = single(parse(standard(compounds, valid_communities())))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("bad_yesno", "小区台账", 2, "已成立业委会")
    assert str(written) in issue.message and "“是”或“否”" in issue.message


def test_unrecognised_choice(parse):
    communities = [community_row("东社区", "是", 7, 5, green="差不多")]
    issue = single(parse(standard(valid_compounds(), communities)))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("bad_choice", "社区台账", 2, "绿色社区创建")
    assert "未创建、创建中、已达标" in issue.message


def test_blank_yes_no_in_a_required_column_is_read_as_no(parse):
    compounds = [compound_row("东社区", "阳光花园", None, None, None, None),  # 已成立业委会 blank
                 compound_row("东社区", "幸福里", "是", 5, 3, None)]  # 已建党组织 blank although a committee exists
    communities = [community_row("东社区", None)]
    parsed = parse(standard(compounds, communities))
    assert issue_tuples(parsed.issues) == [
        ("warning", "blank_yesno", "小区台账", 2, "已成立业委会"),
        ("warning", "blank_yesno", "小区台账", 3, "业委会已建党组织"),
        ("warning", "blank_yesno", "社区台账", 2, "已成立环物委"),
    ]
    assert all(says_what_to_fix(i.message) for i in parsed.issues)
    compounds = records(parsed.reports[0].tables["compounds"])
    assert [(c["has_committee"], c["committee_party_org"]) for c in compounds] == [(False, False), (True, False)]
    assert records(parsed.reports[0].tables["communities"])[0]["has_epmc"] is False


def test_blank_party_org_without_committee_is_silently_no(parse):
    parsed = parse(standard([compound_row("东社区", "阳光花园", "否", None, None, None)], valid_communities()))
    assert issue_tuples(parsed.issues) == []
    assert records(parsed.reports[0].tables["compounds"])[0]["committee_party_org"] is False


def test_blank_required_text(parse):
    compounds = [compound_row("东社区", None, "否"), compound_row(None, "幸福里", "否")]
    parsed = parse(standard(compounds, valid_communities()))
    assert issue_tuples(parsed.issues) == [("error", "required_blank", "小区台账", 3, "社区"),
                                           ("error", "required_blank", "小区台账", 2, "小区名称")]


# ================================================================ compliance warnings

@pytest.mark.parametrize("members, party, expected", [
    (3, 3, [("epmc_too_small", "环物委成员数")]),
    (4, 3, [("epmc_too_small", "环物委成员数")]),
    (5, 3, []),  # 60% exactly is enough
    (5, 2, [("epmc_party_share", "其中党员数")]),  # 40%
    (6, 4, [("epmc_even", "环物委成员数")]),
    (7, 4, [("epmc_party_share", "其中党员数")]),  # 57.1%
    (7, 5, []),  # 71.4%
    (9, 6, []),  # 66.7%
    (8, 4, [("epmc_even", "环物委成员数"), ("epmc_party_share", "其中党员数")]),
])
def test_epmc_size_and_party_share(parse, members, party, expected):
    parsed = parse(standard(valid_compounds(), [community_row("东社区", "是", members, party)]))
    assert parsed.errors == []
    assert [(i.code, i.column) for i in parsed.warnings] == expected
    assert all((i.sheet, i.row) == ("社区台账", 2) and says_what_to_fix(i.message) for i in parsed.warnings)
    assert len(parsed.reports) == 1  # warnings never block


def test_no_epmc_draws_no_compliance_warning(parse):
    parsed = parse(standard(valid_compounds(), [community_row("东社区", "否", 2, 0)]))
    assert issue_tuples(parsed.issues) == []


@pytest.mark.parametrize("party, warned", [(None, True), (0, True), (2, True), (3, False)])
def test_party_org_with_fewer_than_three_party_members(parse, party, warned):
    parsed = parse(standard([compound_row("东社区", "阳光花园", "是", 5, party, "是")], valid_communities()))
    expected = [("warning", "party_org_few_members", "小区台账", 2, "其中党员数")] if warned else []
    assert issue_tuples(parsed.issues) == expected
    assert all(says_what_to_fix(i.message) for i in parsed.issues)


def test_community_missing_from_the_community_ledger(parse):
    compounds = [compound_row("东社区", "阳光花园"), compound_row("南社区", "幸福里"), compound_row("南社区", "金色家园")]
    parsed = parse(standard(compounds, valid_communities()))
    assert issue_tuples(parsed.issues) == [("warning", "community_not_listed", "小区台账", 3, "社区")]
    assert "南社区" in parsed.warnings[0].message and says_what_to_fix(parsed.warnings[0].message)
    assert len(parsed.reports) == 1


def test_date_after_the_report_date(parse):
    compounds = [compound_row("东社区", "阳光花园", "是", 5, 3, "是", founded=D(2021, 11, 30),
                              org_founded="2021-12-05")]
    parsed = parse(standard(compounds, [community_row("东社区", "是", 5, 3, founded="2021年12月1日")]))
    assert issue_tuples(parsed.issues) == [
        ("warning", "date_after_report", "小区台账", 2, "党组织成立日期"),
        ("warning", "date_after_report", "社区台账", 2, "环物委成立日期"),
    ]
    assert all(says_what_to_fix(i.message) for i in parsed.issues)


@pytest.mark.parametrize("report_date", [D(2020, 11, 30), D(2022, 1, 5)])
def test_report_date_outside_the_campaign_year(parse, report_date):
    parsed = parse(standard(valid_compounds(), valid_communities(), info=info_sheet(report_date=report_date)))
    assert issue_tuples(parsed.issues) == [("warning", "report_date_outside_year", "基本信息", 3, "报送日期")]
    assert says_what_to_fix(parsed.warnings[0].message)
    assert parsed.reports[0].report_date == report_date


def test_report_date_argument_outside_the_campaign_year(parse):
    data = xlsx(info_sheet(report_date=None), Sheet("小区台账", [COMPOUND_HEADER, *valid_compounds()]),
                Sheet("社区台账", [COMMUNITY_HEADER, *valid_communities()]))
    parsed = parse(data, report_date=D(2020, 11, 30))
    assert issue_tuples(parsed.issues) == [("warning", "report_date_outside_year", None, None, None)]


def test_missing_report_date(parse):
    data = xlsx(info_sheet(report_date=None), Sheet("小区台账", [COMPOUND_HEADER, *valid_compounds()]),
                Sheet("社区台账", [COMMUNITY_HEADER, *valid_communities()]))
    issue = single(parse(data))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("missing_report_date", None, None, None)


def test_unreadable_report_date(parse):
    issue = single(parse(standard(valid_compounds(), valid_communities(), info=info_sheet(report_date="11月底"))))
    assert (issue.code, issue.sheet, issue.row, issue.column) == ("bad_report_date", "基本信息", 3, "报送日期")


def test_epmc_member_list_that_does_not_match_the_counts(parse):
    members = Sheet("环物委成员", [MEMBER_HEADER] + [
        [BY, "东社区", name, "委员", "业主代表", party, "否"]
        for name, party in [("赵一", "是"), ("钱二", "是"), ("孙三", "是"), ("李四", "否"), ("周五", "否"), ("吴六", "否")]])
    parsed = parse(standard(valid_compounds(), valid_communities(), extra=[members]))
    assert issue_tuples(parsed.issues) == [
        ("warning", "member_list_mismatch", "社区台账", 2, "环物委成员数"),
        ("warning", "member_list_mismatch", "社区台账", 2, "其中党员数"),
    ]
    assert "6 名成员" in parsed.warnings[0].message and "7 人" in parsed.warnings[0].message
    assert "3 名党员" in parsed.warnings[1].message and "5 人" in parsed.warnings[1].message
    assert all(says_what_to_fix(i.message) for i in parsed.issues)


# ================================================================ every problem at once

def six_errors() -> bytes:
    compounds = [
        compound_row("东社区", "阳光花园", town="张店区"),  # 2: unknown town
        compound_row("东社区", "幸福里", "是", 5, 6, "是"),  # 3: party members > members
        compound_row("东社区", "金色家园", "是", -3, 0, "否"),  # 4: negative count
        compound_row("东社区", "幸福里"),  # 5: duplicate of row 3
        compound_row("东社区", "丽景苑", "待定"),  # 6: not a yes/no
        compound_row("东社区", "和谐家园", "否", None, None, "是"),  # 7: party org without committee
    ]
    return standard(compounds, valid_communities())


def test_all_problems_are_reported_at_once(parse):
    parsed = parse(six_errors())
    assert sorted(issue_tuples(parsed.errors), key=lambda t: t[3]) == [
        ("error", "unknown_town", "小区台账", 2, "镇（街道）"),
        ("error", "party_exceeds_members", "小区台账", 3, "其中党员数"),
        ("error", "bad_int", "小区台账", 4, "业委会成员数"),
        ("error", "duplicate_compounds", "小区台账", 5, "小区名称"),
        ("error", "bad_yesno", "小区台账", 6, "已成立业委会"),
        ("error", "party_org_without_committee", "小区台账", 7, "业委会已建党组织"),
    ]
    assert parsed.reports == []


def test_errors_in_several_sheets_are_reported_together(parse):
    data = standard([compound_row("东社区", "阳光花园", "是", 5, 6, "是")],
                    [community_row("东社区", "是", "五", 3)], info=info_sheet(town="淄川区"))
    codes = [(i.code, i.sheet) for i in parse(data).errors]
    assert sorted(codes) == sorted([("unknown_town", "基本信息"), ("party_exceeds_members", "小区台账"),
                                    ("bad_int", "社区台账")])


BAD_EXAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "examples" / "错误示例_岭子镇.xlsx"


@pytest.mark.skipif(not BAD_EXAMPLE.exists(), reason="sample data not generated")
def test_shipped_bad_example_reports_every_documented_error(parse):
    """sample_data/examples/README.md lists the five errors of the shipped bad example."""
    parsed = parse(BAD_EXAMPLE.read_bytes(), BAD_EXAMPLE.name)
    assert sorted(issue_tuples(parsed.errors), key=lambda t: (t[2], t[3])) == [
        ("error", "party_org_without_committee", "小区台账", 2, "业委会已建党组织"),
        ("error", "party_exceeds_members", "小区台账", 3, "其中党员数"),
        ("error", "unknown_town", "小区台账", 4, "镇（街道）"),
        ("error", "duplicate_compounds", "小区台账", 7, "小区名称"),
        ("error", "bad_yesno", "社区台账", 3, "已成立环物委"),
    ]
    assert all(says_what_to_fix(i.message) for i in parsed.errors)
    assert parsed.reports == []


# ================================================================ the command line stores nothing

ERROR_CASES = {
    **{f"not xlsx: {k}": v for k, v in NOT_XLSX.items()},
    "missing sheet": lambda: xlsx(info_sheet(), Sheet("小区台账", [COMPOUND_HEADER, *valid_compounds()])),
    "missing column": lambda: xlsx(info_sheet(), Sheet("小区台账", [COMPOUND_HEADER[:7], valid_compounds()[0][:7]]),
                                   Sheet("社区台账", [COMMUNITY_HEADER, *valid_communities()])),
    "unknown town": lambda: standard(valid_compounds(), valid_communities(), info=info_sheet(town="张店区")),
    "duplicate compound": lambda: standard(valid_compounds() * 2, valid_communities()),
    "party > members": lambda: standard([compound_row("东社区", "阳光花园", "是", 5, 6, "是")], valid_communities()),
    "negative count": lambda: standard([compound_row("东社区", "阳光花园", "是", -5, 0, "否")], valid_communities()),
    "non-integer count": lambda: standard([compound_row("东社区", "阳光花园", "是", 5.5, 3, "是")], valid_communities()),
    "party org without committee": lambda: standard([compound_row("东社区", "阳光花园", "否", None, None, "是")],
                                                    valid_communities()),
    "unrecognised yes/no": lambda: standard([compound_row("东社区", "阳光花园", "待定")], valid_communities()),
    "six errors": six_errors,
}


def dump(path) -> dict:
    """Every table of the database, every row, in a stable order."""
    with duckdb.connect(str(path), read_only=True) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables}


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory, cli):
    """A database holding one valid report, made by the command line."""
    folder = tmp_path_factory.mktemp("seeded")
    good = folder / "good.xlsx"
    good.write_bytes(standard(valid_compounds(), valid_communities()))
    db = folder / "store.duckdb"
    result = cli("import", good, "--db", db, "--json")
    assert result.code == 0, result.stderr
    return db


@pytest.mark.parametrize("case", ERROR_CASES)
def test_cli_import_rejects_and_leaves_the_database_unchanged(cli, seeded_db, tmp_path, case):
    before = dump(seeded_db)
    assert before["uploads"] and before["compounds"]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(ERROR_CASES[case]())
    result = cli("import", bad, "--db", seeded_db, "--json")
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    [entry] = result.json()["files"]
    assert entry["status"] == "rejected" and entry["reports"] == [] and entry["errors"]
    assert all(says_what_to_fix(e["message"]) for e in entry["errors"])
    assert dump(seeded_db) == before


def test_workbook_that_unzips_to_far_more_than_the_limit():
    from core import gate

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as part:
            for _ in range(11):
                part.write(b" " * 1024 * 1024)
    data = out.getvalue()
    assert len(data) < 1024 * 1024
    mb = 1024 * 1024
    refusal = gate.check(data, gate.Limits(max_bytes=mb, max_unpacked_bytes=10 * mb, max_entries=10, max_ratio=10 ** 6))
    assert refusal.code == "too_large_unpacked"
    assert "解压后共 11 MB，超过上限 10 MB" in refusal.message and "请" in refusal.message
    assert gate.check(data, gate.Limits(mb, 12 * mb, 10, 10 ** 6)) is None
