"""The town workbook contract (WORKBOOK.md) as data: sheets, headers, synonyms, spellings.

Adding a synonym or a yes/no spelling is a one-line change here; the importer and the
template both read these tables. Synonyms are compared after `normalize_label`.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Column:
    code: str
    header: str  # the header the template writes
    kind: str  # text | yesno | int | date | choice
    required: bool = False  # a value must be present (blank yes/no: warning, read as 否)
    synonyms: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    default: object = None  # value of a blank cell where blank has a meaning
    required_when: str | None = None  # `required` applies only where this yes/no column is 是
    blank_words: tuple[str, ...] = ()  # further cell texts that mean "blank" in this column
    width: int = 14  # template column width, in Excel character units
    hint: str = ""  # one line for the template's 填报说明


@dataclass(frozen=True)
class Sheet:
    key: str
    name: str  # the template's sheet name
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool
    key_columns: tuple[str, ...] = ()  # unique within a town
    required_columns: tuple[str, ...] = ()  # the sheet is refused without these headers
    min_header_matches: int = 2  # headers that must match for a row to count as the header
    description: str = ""

    def column(self, code: str) -> Column:
        return next(c for c in self.columns if c.code == code)


TOWN = Column(
    "town", "镇（街道）", "text", required=True,
    synonyms=("镇街", "镇办", "街道", "镇", "所属镇街", "所属镇办", "所属街道", "镇/街道", "镇（街）",
              "镇(街道)办", "镇（街道）名称", "所属镇（街道）", "单位", "填报单位"),
    width=14, hint="须为本区已配置的镇（街道）名称；全部为本镇时可只在“基本信息”中填写一次。",
)
COMMUNITY = Column(
    "community", "社区", "text", required=True,
    synonyms=("社区名称", "所属社区", "社区（村）", "社区(居委会)", "居委会", "社区居委会"),
    width=16, hint="社区（居委会）名称；同一社区的多个小区可合并单元格只写一次。",
)

COMPOUNDS = Sheet(
    key="compounds",
    name="小区台账",
    aliases=("小区", "小区情况", "住宅小区", "住宅小区台账", "小区明细", "业委会台账", "小区业委会"),
    required=True,
    key_columns=("community", "compound"),
    required_columns=("community", "compound", "has_committee", "committee_members",
                      "committee_party_members", "committee_party_org"),
    min_header_matches=3,
    description="每个住宅小区一行。",
    columns=(
        TOWN,
        COMMUNITY,
        Column("compound", "小区名称", "text", required=True,
               synonyms=("小区", "住宅小区", "住宅小区名称", "小区名", "项目名称", "小区（项目）名称"),
               width=20, hint="同一镇（街道）、同一社区内不可重复。"),
        Column("eligible", "具备成立条件", "yesno", default=True,
               synonyms=("是否具备成立条件", "具备成立业委会条件", "是否具备成立业委会条件", "具备条件"),
               width=12, hint="是/否；空白视为“是”。"),
        Column("has_committee", "已成立业委会", "yesno", required=True,
               synonyms=("是否成立业委会", "成立业委会", "业委会", "是否已成立业委会", "已成立业主委员会",
                         "是否成立业主委员会", "业委会成立情况", "是否成立", "已成立"),
               width=12, hint="是/否。"),
        Column("committee_founded", "业委会成立日期", "date",
               synonyms=("业委会成立时间", "成立日期", "成立时间", "业主委员会成立日期"),
               width=14, hint="如 2021-11-20。"),
        Column("committee_members", "业委会成员数", "int",
               synonyms=("业委会人数", "成员数", "成员人数", "委员人数", "业委会委员数", "业委会成员人数",
                         "业主委员会成员数", "人数"),
               width=12, hint="已成立业委会时必填，整数。"),
        Column("committee_party_members", "其中党员数", "int",
               synonyms=("党员数", "党员人数", "其中党员", "其中：党员数", "业委会党员数", "业委会中党员数",
                         "其中党员人数"),
               width=12, hint="不得多于业委会成员数。"),
        Column("committee_party_org", "业委会已建党组织", "yesno", required=True, required_when="has_committee",
               synonyms=("是否建立党组织", "已建党组织", "建立党组织", "党组织", "业委会党组织",
                         "是否成立党组织", "已成立党组织", "业委会是否建立党组织", "党支部", "是否建立党支部",
                         "业委会党支部"),
               width=14, hint="未成立业委会时须填“否”。"),
        Column("party_org_founded", "党组织成立日期", "date",
               synonyms=("党组织成立时间", "党支部成立日期", "党支部成立时间"),
               width=14, hint="如 2021-11-20。"),
        Column("property_company", "物业服务企业", "text",
               synonyms=("物业公司", "物业企业", "物业服务企业名称", "物业公司名称", "物业服务公司", "物业服务机构",
                         "物业企业名称"),
               blank_words=("自管", "业主自管", "物业自管", "自行管理", "无物业", "无物业企业", "无物业公司", "无物业服务企业"),
               width=22, hint="空白表示无物业（自管）。"),
        Column("company_party_org", "物业企业已建党组织", "yesno",
               synonyms=("物业企业党组织", "物业公司党组织", "物业企业是否建立党组织", "物业公司是否建立党组织",
                         "物业企业党支部", "物业公司已建党组织"),
               width=16, hint="是/否。"),
    ),
)

COMMUNITIES = Sheet(
    key="communities",
    name="社区台账",
    aliases=("社区", "社区情况", "环物委台账", "环物委", "社区环物委", "环物委情况", "社区明细"),
    required=True,
    key_columns=("community",),
    required_columns=("community", "has_epmc", "epmc_members", "epmc_party_members"),
    min_header_matches=3,
    description="每个社区一行。",
    columns=(
        TOWN,
        COMMUNITY,
        Column("has_epmc", "已成立环物委", "yesno", required=True,
               synonyms=("是否成立环物委", "成立环物委", "环物委", "已成立环境和物业管理委员会",
                         "是否成立环境和物业管理委员会", "是否已成立环物委", "环物委成立情况", "是否成立", "已成立"),
               width=12, hint="是/否。"),
        Column("epmc_founded", "环物委成立日期", "date",
               synonyms=("环物委成立时间", "成立日期", "成立时间"), width=14, hint="如 2021-11-20。"),
        Column("epmc_members", "环物委成员数", "int",
               synonyms=("环物委人数", "成员数", "成员人数", "委员人数", "环物委成员人数", "人数"),
               width=12, hint="已成立环物委时必填；应为 5 人以上的单数。"),
        Column("epmc_party_members", "其中党员数", "int",
               synonyms=("党员数", "党员人数", "其中党员", "其中：党员数", "环物委党员数", "其中党员人数"),
               width=12, hint="不得多于环物委成员数；党员比例应不低于 60%。"),
        Column("epmc_chair_from_rc", "主任由居委会成员兼任", "yesno",
               synonyms=("主任是否由居委会成员兼任", "居委会成员兼任主任", "主任由居委会成员担任"),
               width=14, hint="是/否，可不填。"),
        Column("epmc_conflict", "存在任职回避情形", "yesno",
               synonyms=("是否存在任职回避情形", "任职回避", "存在回避情形", "成员或直系亲属在业委会或物业任职"),
               width=14, hint="成员本人或直系亲属在本社区业委会、物业企业任职的填“是”。"),
        Column("green_status", "绿色社区创建", "choice", choices=("未创建", "创建中", "已达标"), default="未创建",
               synonyms=("绿色社区", "绿色社区创建情况", "绿色社区创建状态"),
               width=12, hint="未创建 / 创建中 / 已达标；空白视为“未创建”。"),
    ),
)

BRANDS = Sheet(
    key="brands",
    name="示范品牌",
    aliases=("品牌", "红色物业示范品牌", "示范品牌台账", "红色物业品牌"),
    required=False,
    key_columns=("name",),
    required_columns=("name", "level", "recognized"),
    description="每个红色物业示范品牌一行。",
    columns=(
        TOWN,
        Column("name", "品牌名称", "text", required=True, synonyms=("品牌", "示范品牌名称", "名称"),
               width=24, hint="示范品牌名称。"),
        Column("level", "级别", "choice", required=True, choices=("区级", "市级", "省级"),
               synonyms=("品牌级别", "认定级别"), width=10, hint="区级 / 市级 / 省级。"),
        Column("recognized", "认定日期", "date", required=True, synonyms=("认定时间", "命名日期", "命名时间"),
               width=14, hint="用于判断是否为年内新培育。"),
        Column("community", "社区", "text", synonyms=("所属社区",), width=16, hint="可不填。"),
        Column("compound", "小区", "text", synonyms=("小区名称", "所属小区"), width=20, hint="可不填。"),
    ),
)

EPMC_MEMBERS = Sheet(
    key="epmc_members",
    name="环物委成员",
    aliases=("环物委成员名单", "成员名单", "环物委名单"),
    required=False,
    required_columns=("community", "name"),
    description="每名环物委成员一行；填写后将与社区台账的人数核对。",
    columns=(
        TOWN,
        COMMUNITY,
        Column("name", "姓名", "text", required=True, width=10, hint="成员姓名。"),
        Column("role", "职务", "choice", choices=("主任", "副主任", "委员"), synonyms=("环物委职务",),
               width=10, hint="主任 / 副主任 / 委员。"),
        Column("member_type", "人员类别", "choice",
               choices=("社区两委", "网格员", "楼长", "业主代表", "专业人员", "其他"),
               synonyms=("类别", "成员类别", "身份"), width=12, hint="社区两委 / 网格员 / 楼长 / 业主代表 / 专业人员 / 其他。"),
        Column("party_member", "是否党员", "yesno", synonyms=("党员", "政治面貌为党员"), width=10, hint="是/否。"),
        Column("conflict", "本人或直系亲属在业委会或物业企业任职", "yesno",
               synonyms=("任职回避情形", "存在任职回避情形", "亲属在业委会或物业任职"),
               width=20, hint="是/否。"),
    ),
)

LEDGERS = (COMPOUNDS, COMMUNITIES, BRANDS, EPMC_MEMBERS)

INFO_SHEET_NAME = "基本信息"
INFO_ALIASES = ("基本情况", "报送信息", "填报信息", "封面")
INSTRUCTIONS_SHEET_NAME = "填报说明"
INFO_FIELDS = {  # code -> (label the template writes, synonyms)
    "town": ("镇（街道）", TOWN.synonyms + ("报送单位",)),
    "report_date": ("报送日期", ("填报日期", "报送时间", "统计日期", "截至日期", "截止日期", "数据截至")),
    "filled_by": ("填报人", ("填表人", "联系人")),
    "phone": ("联系电话", ("电话", "手机", "联系方式")),
}

YES = ("是", "有", "已成立", "已建", "已建立", "已组建", "已设立", "已成立党组织", "√", "✓", "✔", "y", "yes",
       "1", "true", "对")
NO = ("否", "无", "未成立", "未建", "未建立", "未组建", "未设立", "没有", "×", "✗", "✘", "x", "n", "no", "0",
      "false", "不是", "/")
# Cell texts that mean "nothing to report" in a count, date, text or choice column (a yes/no
# column reads "无" and "/" as 否 instead).
BLANK_MARKS = ("/", "-", "—", "——", "--", "─", "无", "暂无", "空")
# First cell of a total row (skipped) and of a note row below the table (skipped).
TOTAL_WORDS = ("合计", "小计", "总计", "共计", "累计")
NOTE_PREFIXES = ("填表人", "填报人", "审核人", "负责人", "联系电话", "备注", "说明", "注：", "注:", "制表", "填报日期",
                 "报送日期", "单位负责人")
# Header of the running-number column a clerk adds (ignored).
SERIAL_HEADERS = ("序号", "编号", "no", "no.")
# Headers of columns a clerk adds for remarks (ignored without a warning, like 序号).
REMARK_HEADERS = ("备注", "说明", "备注说明", "其他说明", "情况说明")

_SPACES = re.compile(r"\s+")


def normalize_label(text: object) -> str:
    """A header or sheet label reduced for matching: NFKC (full-width → half-width), no spaces, lower case."""
    text = str(text)
    # Headers and yes/no spellings repeat in every workbook: short texts are cached (long ones,
    # such as a hostile cell of 32,767 characters, never fill the cache).
    return _normalized_label(text) if len(text) <= 64 else _SPACES.sub("", unicodedata.normalize("NFKC", text)).lower()


@functools.lru_cache(maxsize=1 << 14)
def _normalized_label(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).lower()


def normalize_name(text: object) -> str:
    """A name as stored: NFKC-normalised with runs of white space collapsed and the ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(text))).strip()


@functools.cache  # asked per column of every ledger read
def blank_marks(column: Column) -> frozenset[str]:
    """Normalised cell texts that count as a blank cell in `column`."""
    words = column.blank_words if column.kind == "yesno" else BLANK_MARKS + column.blank_words
    return frozenset(map(normalize_label, words))


def _index(pairs) -> dict[str, str]:
    table: dict[str, str] = {}
    for label, value in pairs:
        table.setdefault(normalize_label(label), value)
    return table


@functools.cache  # asked for every sheet of every workbook
def header_index(sheet: Sheet) -> Mapping[str, str]:
    """Normalised header text → column code for one sheet (template headers win over synonyms)."""
    return MappingProxyType(_index([(c.header, c.code) for c in sheet.columns]  # shared: read-only
                                   + [(s, c.code) for c in sheet.columns for s in c.synonyms]))


YESNO = _index([(w, True) for w in YES] + [(w, False) for w in NO])
