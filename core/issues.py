"""Problems found in a workbook: every one with its place and a Chinese sentence."""
from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING = "error", "warning"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "提醒"}
# Short Chinese names of issue codes, for counts per kind.
ISSUE_KINDS = {
    "not_xlsx": "不是 .xlsx 工作簿", "unreadable": "文件无法读取", "missing_sheet": "缺少工作表",
    # what the gate and the parse worker refuse (core/gate.py, core/isolation.py)
    "empty_file": "空文件", "file_too_large": "文件过大", "encrypted": "工作簿已加密", "legacy_xls": "旧版 .xls 文件",
    "xlsb": ".xlsb 文件", "ods": "ODS 文件", "html_renamed": "网页文件改名", "xml_spreadsheet": "Excel 2003 XML 文件",
    "text_renamed": "CSV/文本文件改名", "corrupt_zip": "文件损坏或不完整", "not_workbook": "不是工作簿",
    "too_many_entries": "内部部件过多", "too_large_unpacked": "解压后过大", "zip_bomb": "压缩炸弹",
    "parse_timeout": "处理超时", "parse_memory": "内容过于庞大", "parse_crashed": "读取失败",
    "hidden_sheet": "隐藏工作表含数据", "formula_without_value": "公式没有计算结果", "cell_too_long": "单元格文字过长",
    "xml_unsafe": "文件内容不安全", "too_many_rows": "行数超过上限", "too_many_columns": "列数超过上限",
    "missing_column": "缺少必填列", "unknown_column": "未识别的列", "duplicate_column": "重复的列",
    "unknown_town": "镇（街道）名称不对", "missing_town": "缺少镇（街道）", "missing_report_date": "缺少报送日期",
    "bad_report_date": "报送日期有误", "report_date_outside_year": "报送日期不在活动年度",
    "bad_yesno": "是/否填写有误", "blank_yesno": "是/否为空", "bad_int": "人数填写有误", "bad_date": "日期填写有误",
    "bad_choice": "选项填写有误", "bad_text": "文字填写有误", "required_blank": "必填项为空",
    "duplicate_compounds": "小区重复", "duplicate_communities": "社区重复", "duplicate_brands": "品牌重复",
    "party_exceeds_members": "党员数多于成员数", "party_org_without_committee": "无业委会却有党组织",
    "committee_members_missing": "缺少业委会成员数", "epmc_members_missing": "缺少环物委成员数",
    "party_org_few_members": "党组织党员过少", "epmc_too_small": "环物委人数不足", "epmc_even": "环物委人数非单数",
    "epmc_party_share": "环物委党员比例不足", "epmc_conflict": "任职回避", "community_not_listed": "社区未列入社区台账",
    "date_after_report": "日期晚于报送日期", "member_list_mismatch": "成员名单与人数不符", "empty_sheet": "没有数据行",
}


# Errors meaning the file could not be read as a workbook at all (the gate's refusals and the
# parse worker's failures): there is no sheet or cell to point at.
WHOLE_FILE_CODES = frozenset({
    "not_xlsx", "unreadable", "empty_file", "file_too_large", "encrypted", "legacy_xls", "xlsb", "ods",
    "html_renamed", "xml_spreadsheet", "text_renamed", "corrupt_zip", "not_workbook", "too_many_entries",
    "too_large_unpacked", "zip_bomb", "parse_timeout", "parse_memory", "parse_crashed",
})


def issue_kind(code: str) -> str:
    return ISSUE_KINDS.get(code, code)


@dataclass(frozen=True)
class Issue:
    severity: str  # ERROR blocks the upload; WARNING never does
    code: str  # stable identifier of the kind of problem
    sheet: str | None  # sheet name as written; None for the whole file
    row: int | None  # Excel row number as Excel shows it
    column: str | None  # column header as written
    message: str  # Chinese: what is wrong and what to do
    column_number: int | None = None  # 1-based Excel column of the cell, where one cell is meant

    def as_json(self) -> dict:
        data = asdict(self)
        del data["severity"], data["column_number"]
        return data


class IssueList(list):
    """Issues in the order found, with shorthands for adding one."""

    def error(self, code, message, sheet=None, row=None, column=None, column_number=None):
        self.append(Issue(ERROR, code, sheet, row, column, message, column_number))

    def warning(self, code, message, sheet=None, row=None, column=None, column_number=None):
        self.append(Issue(WARNING, code, sheet, row, column, message, column_number))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self if i.severity == WARNING]
