"""Small builders of real .xlsx workbooks for the importer tests, and helpers to read results.

A sheet is written row by row from Excel row 1 (`None` is an empty cell); merged ranges are
given in A1 notation, the way a clerk merges cells in Excel (only the top-left value is kept).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import openpyxl
import pandas as pd

COMPOUND_HEADER = ["镇（街道）", "社区", "小区名称", "具备成立条件", "已成立业委会", "业委会成立日期", "业委会成员数",
                   "其中党员数", "业委会已建党组织", "党组织成立日期", "物业服务企业", "物业企业已建党组织"]
COMMUNITY_HEADER = ["镇（街道）", "社区", "已成立环物委", "环物委成立日期", "环物委成员数", "其中党员数",
                    "主任由居委会成员兼任", "存在任职回避情形", "绿色社区创建"]
BRAND_HEADER = ["镇（街道）", "品牌名称", "级别", "认定日期", "社区", "小区"]
MEMBER_HEADER = ["镇（街道）", "社区", "姓名", "职务", "人员类别", "是否党员", "本人或直系亲属在业委会或物业企业任职"]

TOWN = "般阳路街道"
REPORT_DATE = dt.date(2021, 11, 30)


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merged: list[str] = field(default_factory=list)
    number_formats: dict[str, str] = field(default_factory=dict)  # cell → format, e.g. text "@"


def xlsx(*sheets: Sheet) -> bytes:
    """An .xlsx workbook holding the sheets, in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for spec in sheets:
        ws = book.create_sheet(spec.name)
        for r, row in enumerate(spec.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for cell, number_format in spec.number_formats.items():
            ws[cell].number_format = number_format
        for cells in spec.merged:
            ws.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def info_sheet(town=TOWN, report_date=REPORT_DATE, filled_by=None, phone=None, name="基本信息") -> Sheet:
    """A 基本信息 sheet with the given fields (a field left None is not written at all)."""
    rows = [["项目", "内容"]]
    for label, value in (("镇（街道）", town), ("报送日期", report_date), ("填报人", filled_by), ("联系电话", phone)):
        if value is not None:
            rows.append([label, value])
    return Sheet(name, rows)


def compound_row(community, compound, has_committee="否", members=None, party=None, party_org="否",
                 town=None, eligible=None, founded=None, org_founded=None, company=None, company_org=None) -> list:
    """One row of the template-shaped 小区台账 (COMPOUND_HEADER order)."""
    return [town, community, compound, eligible, has_committee, founded, members, party, party_org, org_founded,
            company, company_org]


def community_row(community, has_epmc="否", members=None, party=None, town=None, founded=None,
                  chair=None, conflict=None, green=None) -> list:
    """One row of the template-shaped 社区台账 (COMMUNITY_HEADER order)."""
    return [town, community, has_epmc, founded, members, party, chair, conflict, green]


def standard(compounds: list[list], communities: list[list], info: Sheet | None = None, extra=()) -> bytes:
    """A template-shaped workbook: 基本信息 (般阳路街道, 2021-11-30 unless given), 小区台账, 社区台账."""
    sheets = [info if info is not None else info_sheet(),
              Sheet("小区台账", [COMPOUND_HEADER, *compounds]),
              Sheet("社区台账", [COMMUNITY_HEADER, *communities]),
              *extra]
    return xlsx(*sheets)


def minimal_communities(*names, town=None) -> list[list]:
    """社区台账 rows for communities without an EPMC."""
    return [community_row(n, "否", town=town) for n in names]


# ---------------------------------------------------------------- reading results back

def plain(value):
    """A cell of a canonical DataFrame as a plain Python value (pd.NA → None, numpy → Python)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """The frame's rows as dicts of plain values."""
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def expected_compound(source_row, town, community, compound, *, eligible=True, has_committee=False,
                      committee_founded=None, committee_members=None, committee_party_members=None,
                      committee_party_org=False, party_org_founded=None, property_company=None,
                      company_party_org=None) -> dict:
    """A canonical 小区台账 row written out by hand (keyword defaults: the meaning of a blank cell)."""
    return {"source_row": source_row, "town": town, "community": community, "compound": compound,
            "eligible": eligible, "has_committee": has_committee, "committee_founded": committee_founded,
            "committee_members": committee_members, "committee_party_members": committee_party_members,
            "committee_party_org": committee_party_org, "party_org_founded": party_org_founded,
            "property_company": property_company, "company_party_org": company_party_org}


def expected_community(source_row, town, community, *, has_epmc=False, epmc_founded=None, epmc_members=None,
                       epmc_party_members=None, epmc_chair_from_rc=None, epmc_conflict=None,
                       green_status="未创建") -> dict:
    """A canonical 社区台账 row written out by hand."""
    return {"source_row": source_row, "town": town, "community": community, "has_epmc": has_epmc,
            "epmc_founded": epmc_founded, "epmc_members": epmc_members, "epmc_party_members": epmc_party_members,
            "epmc_chair_from_rc": epmc_chair_from_rc, "epmc_conflict": epmc_conflict, "green_status": green_status}


def issue_tuples(issues, severity=None) -> list[tuple]:
    """(severity, code, sheet, row, column) of each issue, for exact comparison."""
    return [(i.severity, i.code, i.sheet, i.row, i.column) for i in issues
            if severity is None or i.severity == severity]
