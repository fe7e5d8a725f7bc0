#!/usr/bin/env python3
"""Generate the shipped sample workbooks of the Red Property dashboard.

    python sample_data/generate.py

writes, deterministically (random.Random(2021), fixed file timestamps):
  sample_data/<date>_<town>.xlsx        one report per town and report date (13 towns x 4 dates)
  sample_data/expected.json             the counts each report is meant to carry, from the model
  sample_data/examples/错误示例_岭子镇.xlsx + README.md   a bad upload with known mistakes

The data is built first as a small model (towns, communities, compounds, EPMCs, brands, each with
the date things were founded), so every report is a snapshot of one history: progress only
accumulates, and nothing is founded after the date it is reported on. The 2021-10-31 baseline
reproduces the seed document's district figures. Writers then render a snapshot either as the
template would (template style) or as one of five hand-made ledger styles (A-E) that clerks
produce in Excel/WPS; each town keeps its style across dates.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import sys
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from core.config import default_campaign  # noqa: E402
from core.layout import (BRANDS, COMMUNITIES, COMPOUNDS, EPMC_MEMBERS, INFO_FIELDS,  # noqa: E402
                         INFO_SHEET_NAME, Sheet, header_index, normalize_label)

CAMPAIGN = default_campaign()
TOWNS = CAMPAIGN.towns
REPORT_DATES = CAMPAIGN.report_dates  # 2021-10-31, 11-30, 12-15, 12-31
BASELINE = REPORT_DATES[0]
SEED = 2021
D = dt.date

# --------------------------------------------------------------------------------------------
# The plan: what each town has at each report date. Everything else is drawn at random.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TownPlan:
    compounds: int  # compounds listed in the baseline report
    communities: int
    ineligible: int  # baseline compounds not (yet) fit to form a committee (具备成立条件 = 否)
    # (committees, committees with a party organisation, EPMCs) at each report date, in order.
    progress: tuple[tuple[int, int, int], ...]
    style: str  # "template" or a hand-made style key (see STYLES)
    member_lists: bool = False  # the town attaches an 环物委成员 sheet (for every EPMC it has)


PLAN: dict[str, TownPlan] = {
    # Meets every phase; just misses the 75% party-coverage bonus (11/15).
    "般阳路街道": TownPlan(16, 6, 0, ((14, 8, 4), (14, 9, 5), (15, 10, 6), (15, 11, 6)), "A", True),
    "松龄路街道": TownPlan(14, 5, 1, ((12, 6, 3), (12, 8, 4), (13, 9, 5), (13, 10, 5)), "template", True),
    # Misses phases 1 and 2 by one, catches up at year end.
    "钟楼街道": TownPlan(13, 5, 0, ((11, 5, 2), (11, 6, 4), (11, 7, 4), (12, 9, 5)), "C", True),
    # One EPMC short from phase 2 on; adds a newly delivered compound in December.
    "将军路街道": TownPlan(12, 5, 1, ((9, 4, 3), (9, 5, 4), (10, 7, 4), (10, 7, 4)), "template"),
    "昆仑镇": TownPlan(8, 3, 1, ((5, 2, 1), (5, 3, 2), (6, 4, 3), (6, 4, 3)), "template"),
    # Formation rate exactly 60% (3/5); party coverage stalls at 2/3.
    "岭子镇": TownPlan(5, 2, 1, ((3, 1, 1), (3, 2, 2), (3, 2, 2), (3, 2, 2)), "template"),
    # Lags badly on everything.
    "西河镇": TownPlan(6, 3, 1, ((3, 1, 1), (3, 1, 1), (3, 1, 2), (3, 2, 2)), "B", True),
    # Party coverage exactly 75% (3/4).
    "龙泉镇": TownPlan(6, 2, 0, ((4, 2, 1), (4, 3, 2), (4, 3, 2), (4, 3, 2)), "template", True),
    "寨里镇": TownPlan(4, 2, 1, ((2, 1, 1), (2, 1, 1), (2, 1, 2), (2, 2, 2)), "template", True),
    "罗村镇": TownPlan(6, 2, 1, ((4, 1, 1), (4, 2, 2), (4, 3, 2), (4, 3, 2)), "D"),
    # Formation rate just below 60% (4/7).
    "洪山镇": TownPlan(7, 3, 1, ((4, 1, 1), (4, 2, 2), (4, 2, 3), (4, 3, 3)), "E", True),
    "双杨镇": TownPlan(4, 2, 0, ((2, 1, 1), (2, 1, 1), (3, 2, 2), (3, 2, 2)), "template"),
    # Mountain town: one committee, no party organisation; its EPMC comes in the last fortnight.
    "太河镇": TownPlan(3, 1, 1, ((1, 0, 0), (1, 0, 0), (1, 0, 0), (1, 0, 1)), "template"),
}
SEED_FIGURES = {"compounds": 104, "committees": 74, "party_orgs": 33, "communities": 41, "epmcs": 20}

# A compound first listed after the baseline: (town, first report listing it, community, name).
NEW_COMPOUNDS = [("将军路街道", D(2021, 12, 15), "金岭社区", "金岭新苑")]

COMMUNITY_NAMES = {
    "般阳路街道": ["城南社区", "东关社区", "西关社区", "奂山社区", "孝妇河社区", "般阳社区"],
    "松龄路街道": ["松龄社区", "柳泉社区", "聊斋社区", "北关社区", "太平社区"],
    "钟楼街道": ["钟楼社区", "西坡社区", "东坪社区", "南关社区", "桥东社区"],
    "将军路街道": ["将军社区", "淄矿社区", "商家社区", "金岭社区", "般河社区"],
    "昆仑镇": ["昆仑社区", "磁村社区", "南韩社区"],
    "岭子镇": ["岭子社区", "王家社区"],
    "西河镇": ["西河社区", "龙口社区", "黄家社区"],
    "龙泉镇": ["龙泉社区", "渭头河社区"],
    "寨里镇": ["寨里社区", "罗家社区"],
    "罗村镇": ["罗村社区", "大窎桥社区"],
    "洪山镇": ["洪山社区", "蓼坞社区", "双沟社区"],
    "双杨镇": ["双杨社区", "杨寨社区"],
    "太河镇": ["太河社区"],
}

NAME_STEMS = [
    "锦绣", "阳光", "翠园", "和平", "怡景", "金城", "福泽", "幸福", "东方", "银座", "书香", "紫薇", "丽景",
    "华府", "盛世", "御景", "明珠", "春晖", "龙泽", "凤凰", "世纪", "康乐", "桃园", "文昌", "新华", "鸿运",
    "颐和", "碧水", "蓝湾", "绿洲", "长安", "富源", "天润", "祥和", "玉泉", "博雅", "佳和", "嘉禾", "泰安",
    "名都", "恒大", "欣悦", "荣盛", "海棠", "红星", "万福", "兴业", "永安", "星河", "水岸",
]
NAME_SUFFIXES = ["小区", "花园", "家园", "苑", "新村", "嘉园", "华庭", "名苑", "公寓", "雅居"]
# Small old compounds of a work unit: typically not (yet) fit to form an owners' committee.
DORMITORY_NAMES = ["供电公司宿舍", "粮所宿舍", "煤矿家属院", "棉纺厂宿舍", "第二中学宿舍", "卫生院家属院",
                   "供销社宿舍", "陶瓷厂宿舍", "水泥厂宿舍", "税务所宿舍", "信用社宿舍", "邮电局宿舍"]
# One town lists the two phases of one estate separately.
PHASED_ESTATE = ("般阳路街道", "锦绣花园")

# Property companies: name and the date its party organisation was set up (None: none yet).
COMPANIES = {
    "qixiang": ("山东齐祥物业服务有限公司", D(2019, 7, 1)),
    "xincheng": ("淄博鑫城物业管理有限公司", D(2020, 6, 28)),
    "banyang": ("淄博般阳物业服务有限公司", D(2018, 9, 10)),
    "songling": ("淄川区松龄物业管理有限公司", D(2021, 11, 18)),
    "hengan": ("淄博恒安物业服务有限公司", None),
    "jinding": ("淄博金鼎物业管理有限公司", D(2021, 12, 9)),
    "jiayuan": ("淄博佳园物业服务有限公司", None),
    "ruifeng": ("淄博瑞丰物业服务有限公司", D(2020, 10, 15)),
    "mingde": ("山东明德物业管理有限公司", D(2019, 12, 20)),
    "taihe": ("淄博泰和物业服务有限公司", None),
    "kunlun": ("淄川区昆仑物业服务有限公司", D(2021, 12, 22)),
    "longquan": ("淄博龙泉物业服务有限公司", None),
    "anju": ("淄博安居物业服务有限公司", D(2021, 11, 5)),
    "jiahe": ("淄博嘉和物业服务有限公司", None),
    "hongshan": ("淄川洪山物业管理有限公司", None),
}
# Which companies serve a town; None = self-managed (自管, company cell left blank).
TOWN_COMPANIES = {
    "般阳路街道": ["banyang", "banyang", "qixiang", "xincheng", "ruifeng", None],
    "松龄路街道": ["songling", "songling", "xincheng", "mingde", "hengan", None],
    "钟楼街道": ["qixiang", "jinding", "jinding", "jiayuan", "ruifeng", None],
    "将军路街道": ["qixiang", "mingde", "taihe", "anju", None],
    "昆仑镇": ["kunlun", "kunlun", "qixiang", None],
    "岭子镇": ["jiahe", "jiahe", None],
    "西河镇": ["taihe", None, None],
    "龙泉镇": ["longquan", "anju", None],
    "寨里镇": ["jiahe", None],
    "罗村镇": ["anju", "jiahe", None],
    "洪山镇": ["hongshan", "mingde", None],
    "双杨镇": ["jiahe", None],
    "太河镇": [None],
}

# Demonstration brands: (town, name, level, recognised, community).
BRAND_LIST = [
    ("般阳路街道", "般阳“红管家”物业服务品牌", "区级", D(2021, 6, 18), "城南社区"),
    ("般阳路街道", "东关红心物业驿站", "区级", D(2021, 12, 20), "东关社区"),
    ("松龄路街道", "聊斋红邻·幸福家园", "区级", D(2021, 11, 25), "聊斋社区"),
    ("松龄路街道", "柳泉红色物业联盟", "市级", D(2021, 12, 10), "柳泉社区"),
    ("钟楼街道", "钟楼红色管家", "区级", D(2021, 12, 28), "钟楼社区"),
    ("将军路街道", "将军红色物业服务站", "区级", D(2020, 11, 20), "淄矿社区"),
    ("罗村镇", "罗村红色驿站", "市级", D(2021, 12, 8), "罗村社区"),
    ("双杨镇", "双杨红色物业服务队", "区级", D(2021, 12, 30), "双杨社区"),
]

# Green-community creation: (town, community, [(from report date, status)]).
GREEN = [
    ("般阳路街道", "城南社区", [(D(2021, 10, 31), "创建中"), (D(2021, 12, 15), "已达标")]),
    ("松龄路街道", "柳泉社区", [(D(2021, 11, 30), "创建中"), (D(2021, 12, 31), "已达标")]),
    ("昆仑镇", "磁村社区", [(D(2021, 10, 31), "创建中"), (D(2021, 12, 31), "已达标")]),
    ("钟楼街道", "东坪社区", [(D(2021, 11, 30), "创建中")]),
]


@dataclass(frozen=True)
class EpmcState:
    members: int
    party_members: int
    chair_from_rc: bool
    conflict: bool


# EPMCs that break a rule (these reports draw importer warnings, on purpose). Keyed by town and
# the report in which the EPMC first appears: (state in that report, state from the next on).
EPMC_QUIRKS = {
    ("西河镇", D(2021, 12, 15)): (EpmcState(6, 4, True, False), EpmcState(7, 5, True, False)),  # even count
    ("寨里镇", D(2021, 12, 15)): (EpmcState(7, 4, False, False), EpmcState(7, 5, False, False)),  # 4/7 < 60%
    ("钟楼街道", D(2021, 12, 31)): (EpmcState(7, 5, True, True), None),  # a member's relative on a committee
}

SURNAMES = "王张李刘孙赵韩翟毕蒲高于徐马周杨陈宋吕岳邢贾袁董石崔田郑"
GIVEN_NAMES = [
    "建国", "秀英", "丽", "伟", "芳", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "霞", "平", "刚", "桂英", "玉兰", "德胜", "立新", "红梅", "海燕", "志刚", "庆华", "文静", "晓东", "春燕",
    "国庆", "保国", "淑芬", "凤英", "宝华", "振华", "玉梅", "学军", "永红", "秀兰", "爱华", "新民", "继伟",
]
MEMBER_TYPES = ["社区两委", "网格员", "楼长", "业主代表", "专业人员", "其他"]
MEMBER_TYPE_WEIGHTS = [3, 3, 4, 5, 2, 1]

# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass
class Company:
    name: str
    party_org_since: dt.date | None

    def party_org_on(self, day: dt.date) -> bool:
        return self.party_org_since is not None and self.party_org_since <= day


@dataclass
class Compound:
    town: str
    community: str
    name: str
    eligible: bool = True
    listed_from: dt.date = BASELINE
    company: Company | None = None
    committee_founded: dt.date | None = None
    members: int | None = None
    party_members: int | None = None
    party_org_founded: dt.date | None = None

    def listed_on(self, day: dt.date) -> bool:
        return self.listed_from <= day

    def committee_on(self, day: dt.date) -> bool:
        return self.committee_founded is not None and self.committee_founded <= day

    def party_org_on(self, day: dt.date) -> bool:
        return self.party_org_founded is not None and self.party_org_founded <= day

    def red_on(self, day: dt.date) -> bool:
        return self.party_org_on(day) and Fraction(self.party_members, self.members) >= CAMPAIGN.red_min_party_share


@dataclass
class Member:
    name: str
    role: str
    member_type: str
    party_member: bool
    conflict: bool


@dataclass
class Community:
    town: str
    name: str
    epmc_founded: dt.date | None = None
    epmc_first: EpmcState | None = None  # state in the first report after founding
    epmc_later: EpmcState | None = None  # state from the next report on (None: unchanged)
    green: list[tuple[dt.date, str]] = field(default_factory=list)
    name_pool: list[str] = field(default_factory=list)  # people who may sit on the EPMC
    type_pool: list[str] = field(default_factory=list)  # their member type, position by position
    party_order: list[int] = field(default_factory=list)  # positions that are party members first

    def epmc_on(self, day: dt.date) -> EpmcState | None:
        if self.epmc_founded is None or self.epmc_founded > day:
            return None
        first_report = next(d for d in REPORT_DATES if d >= self.epmc_founded)
        return self.epmc_first if day <= first_report or self.epmc_later is None else self.epmc_later

    def compliant_on(self, day: dt.date) -> bool:
        state = self.epmc_on(day)
        return state is not None and epmc_compliant(state)

    def green_on(self, day: dt.date) -> str:
        status = "未创建"
        for since, value in self.green:
            if since <= day:
                status = value
        return status

    def roster_on(self, day: dt.date) -> list[Member]:
        """The EPMC's members as listed on `day`, consistent with its counts."""
        state = self.epmc_on(day)
        if state is None:
            return []
        positions = range(state.members)
        party = set([p for p in self.party_order if p < state.members][:state.party_members])
        roster = []
        for p in positions:
            role = "主任" if p == 0 else "副主任" if p == 1 or (p == 2 and state.members >= 9) else "委员"
            kind = ("社区两委" if state.chair_from_rc else "业主代表") if p == 0 else self.type_pool[p]
            roster.append(Member(self.name_pool[p], role, kind, p in party, False))
        if state.conflict:  # the last ordinary member has a relative on a committee
            roster[-1].conflict = True
            roster[-1].member_type = "业主代表"
        return roster


def epmc_compliant(state: EpmcState) -> bool:
    return (state.members >= CAMPAIGN.epmc_min_members
            and (state.members % 2 == 1 or not CAMPAIGN.epmc_odd_members)
            and Fraction(state.party_members, state.members) >= CAMPAIGN.epmc_min_party_share
            and not state.conflict)


@dataclass
class Brand:
    town: str
    name: str
    level: str
    recognized: dt.date
    community: str
    compound: str | None


@dataclass
class Town:
    name: str
    plan: TownPlan
    communities: list[Community]
    compounds: list[Compound]
    brands: list[Brand]
    filled_by: str
    reviewer: str
    phone: str

    def compounds_on(self, day: dt.date) -> list[Compound]:
        order = {c.name: i for i, c in enumerate(self.communities)}
        listed = [c for c in self.compounds if c.listed_on(day)]
        return sorted(listed, key=lambda c: order[c.community])  # stable: keeps drawing order within a community

    def brands_on(self, day: dt.date) -> list[Brand]:
        return [b for b in self.brands if b.recognized <= day]


# --------------------------------------------------------------------------------------------
# Building the model
# --------------------------------------------------------------------------------------------


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def period(index: int) -> tuple[dt.date, dt.date]:
    """The days in which things first reported at REPORT_DATES[index] were founded."""
    if index == 0:
        return D(2009, 1, 1), BASELINE
    return REPORT_DATES[index - 1] + dt.timedelta(days=1), REPORT_DATES[index]


def person_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        if name not in taken:
            taken.add(name)
            return name


def draw_compound_names(rng: random.Random, town: str, count: int, dormitories: int, used: set[str]) -> list[str]:
    names = [n for n in rng.sample(DORMITORY_NAMES, dormitories)]
    while len(names) < count:
        name = rng.choice(NAME_STEMS) + rng.choice(NAME_SUFFIXES)
        if name not in used and name not in names:
            names.append(name)
    if town == PHASED_ESTATE[0]:  # two phases of one estate, listed as two compounds
        names[-2:] = [PHASED_ESTATE[1] + "一期", PHASED_ESTATE[1] + "二期"]
    used.update(names)
    return names


def build_compounds(rng: random.Random, town: str, plan: TownPlan, communities: list[Community],
                    used_names: set[str]) -> list[Compound]:
    names = draw_compound_names(rng, town, plan.compounds, plan.ineligible, used_names)
    ineligible, eligible = names[:plan.ineligible], names[plan.ineligible:]
    # Every community gets an eligible compound first; the rest are spread at random.
    homes = [c.name for c in communities] + [rng.choice(communities).name for _ in eligible[len(communities):]]
    compounds = [Compound(town, home, name) for home, name in zip(homes, eligible)]
    if PHASED_ESTATE[0] == town:  # keep the two phases of the estate in one community
        compounds[-1].community = compounds[-2].community
    compounds += [Compound(town, rng.choice(communities).name, name, eligible=False) for name in ineligible]
    for new_town, since, community, name in NEW_COMPOUNDS:
        if new_town == town:
            compounds.append(Compound(town, community, name, eligible=False, listed_from=since))
    rng.shuffle(compounds)
    keep_phases_together(compounds)
    for compound in compounds:
        # a work-unit dormitory is mostly self-managed; otherwise any company serving the town
        pool = TOWN_COMPANIES[town] if compound.eligible else [None, None, TOWN_COMPANIES[town][0]]
        choice = rng.choice(pool)
        if choice is not None:
            compound.company = Company(*COMPANIES[choice])
    return compounds


def keep_phases_together(compounds: list[Compound]) -> None:
    """Puts phase two of an estate right after phase one, as a clerk would list them."""
    names = [c.name for c in compounds]
    first, second = PHASED_ESTATE[1] + "一期", PHASED_ESTATE[1] + "二期"
    if first in names and second in names:
        moved = compounds.pop(names.index(second))
        compounds.insert([c.name for c in compounds].index(first) + 1, moved)


def found_committees(rng: random.Random, plan: TownPlan, compounds: list[Compound]) -> None:
    """Give committees and party organisations to compounds so that counts follow the plan."""
    candidates = [c for c in compounds if c.eligible]
    rng.shuffle(candidates)
    with_committee: list[Compound] = []
    for index, (committees, party_orgs, _) in enumerate(plan.progress):
        start, end = period(index)
        while len(with_committee) < committees:
            compound = candidates[len(with_committee)]
            compound.committee_founded = random_date(rng, start, end if index else D(2021, 10, 25))
            with_committee.append(compound)
        without_org = [c for c in with_committee if c.party_org_founded is None]
        have = len(with_committee) - len(without_org)
        for compound in rng.sample(without_org, party_orgs - have):
            earliest = max(compound.committee_founded, start if index else D(2018, 3, 1))
            compound.party_org_founded = random_date(rng, earliest, end if index else D(2021, 10, 28))
    for compound in with_committee:
        compound.members = rng.choices([5, 6, 7, 8, 9], weights=[30, 5, 40, 5, 20])[0]
        red_floor = math.ceil(CAMPAIGN.red_min_party_share * compound.members)
        if compound.party_org_founded is None:
            compound.party_members = rng.choices([0, 1, 2, 3, 4], weights=[2, 3, 4, 3, 1])[0]
        elif rng.random() < 0.45:  # meets the red standard
            compound.party_members = rng.randint(red_floor, compound.members)
        else:  # a party organisation, but too few party members to be "red"
            compound.party_members = rng.randint(CAMPAIGN.min_party_members_for_org, red_floor - 1)


def random_epmc(rng: random.Random) -> EpmcState:
    members = rng.choices([5, 7, 9], weights=[4, 5, 2])[0]
    party = rng.randint(math.ceil(CAMPAIGN.epmc_min_party_share * members), members)
    return EpmcState(members, party, rng.random() < 0.75, False)


def found_epmcs(rng: random.Random, town: str, plan: TownPlan, communities: list[Community]) -> None:
    order = communities[:]
    rng.shuffle(order)
    count = 0
    for index, (_, _, epmcs) in enumerate(plan.progress):
        start, end = period(index)
        if index == 0:
            start, end = D(2020, 5, 1), D(2021, 10, 29)
        for community in order[count:epmcs]:
            community.epmc_founded = random_date(rng, start, end)
            community.epmc_first = random_epmc(rng)
            quirk = EPMC_QUIRKS.get((town, REPORT_DATES[index]))
            if quirk:
                community.epmc_first, community.epmc_later = quirk
        count = epmcs
    taken: set[str] = set()
    for community in communities:
        community.name_pool = [person_name(rng, taken) for _ in range(10)]
        community.type_pool = rng.choices(MEMBER_TYPES, weights=MEMBER_TYPE_WEIGHTS, k=10)
        community.party_order = [0] + rng.sample(range(1, 10), 9)  # the chair is a party member


def build_town(rng: random.Random, town: str, used_names: set[str]) -> Town:
    plan = PLAN[town]
    communities = [Community(town, n) for n in COMMUNITY_NAMES[town][:plan.communities]]
    compounds = build_compounds(rng, town, plan, communities, used_names)
    found_committees(rng, plan, compounds)
    found_epmcs(rng, town, plan, communities)
    by_name = {c.name: c for c in communities}
    for green_town, community, history in GREEN:
        if green_town == town:
            by_name[community].green = history
    brands = []
    for brand_town, name, level, recognized, community in BRAND_LIST:
        if brand_town == town:
            # city-level brands name the compound they grew out of; district-level ones only the community
            homes = [c.name for c in compounds if c.community == community and c.committee_on(recognized)]
            compound = homes[0] if homes and level == "市级" else None
            brands.append(Brand(town, name, level, recognized, community, compound))
    staff: set[str] = set()
    phone = rng.choice(["0533-52", "0533-51", "0533-53"]) + f"{rng.randint(0, 99999):05d}"
    return Town(town, plan, communities, compounds, brands, person_name(rng, staff), person_name(rng, staff), phone)


def build_district() -> list[Town]:
    rng = random.Random(SEED)
    used_names: set[str] = set()
    return [build_town(rng, town, used_names) for town in TOWNS]


# --------------------------------------------------------------------------------------------
# Snapshots: canonical rows (codes of core.layout) and the counts a report should carry
# --------------------------------------------------------------------------------------------


def compound_rows(town: Town, day: dt.date) -> list[dict]:
    rows = []
    for c in town.compounds_on(day):
        has = c.committee_on(day)
        rows.append({
            "town": town.name, "community": c.community, "compound": c.name, "eligible": c.eligible,
            "has_committee": has,
            "committee_founded": c.committee_founded if has else None,
            "committee_members": c.members if has else None,
            "committee_party_members": c.party_members if has else None,
            "committee_party_org": c.party_org_on(day),
            "party_org_founded": c.party_org_founded if c.party_org_on(day) else None,
            "property_company": c.company.name if c.company else None,
            "company_party_org": c.company.party_org_on(day) if c.company else None,
        })
    return rows


def community_rows(town: Town, day: dt.date) -> list[dict]:
    rows = []
    for c in town.communities:
        state = c.epmc_on(day)
        rows.append({
            "town": town.name, "community": c.name, "has_epmc": state is not None,
            "epmc_founded": c.epmc_founded if state else None,
            "epmc_members": state.members if state else None,
            "epmc_party_members": state.party_members if state else None,
            "epmc_chair_from_rc": state.chair_from_rc if state else None,
            "epmc_conflict": state.conflict if state else None,
            "green_status": c.green_on(day),
        })
    return rows


def member_rows(town: Town, day: dt.date) -> list[dict]:
    if not town.plan.member_lists:
        return []
    return [{"town": town.name, "community": c.name, "name": m.name, "role": m.role, "member_type": m.member_type,
             "party_member": m.party_member, "conflict": m.conflict}
            for c in town.communities for m in c.roster_on(day)]


def brand_rows(town: Town, day: dt.date) -> list[dict]:
    return [{"town": town.name, "name": b.name, "level": b.level, "recognized": b.recognized,
             "community": b.community, "compound": b.compound} for b in town.brands_on(day)]


def counts(town: Town, day: dt.date) -> dict:
    compounds = town.compounds_on(day)
    committees = [c for c in compounds if c.committee_on(day)]
    companies = {c.company.name: c.company.party_org_on(day) for c in compounds if c.company}
    return {
        "compounds": len(compounds),
        "eligible_compounds": sum(c.eligible for c in compounds),
        "committees": len(committees),
        "party_orgs": sum(c.party_org_on(day) for c in committees),
        "red_committees": sum(c.red_on(day) for c in committees),
        "communities": len(town.communities),
        "epmcs": sum(c.epmc_on(day) is not None for c in town.communities),
        "compliant_epmcs": sum(c.compliant_on(day) for c in town.communities),
        "green_accepted": sum(c.green_on(day) == "已达标" for c in town.communities),
        "district_brands_new": sum(b.level == "区级" and b.recognized.year == CAMPAIGN.year
                                   for b in town.brands_on(day)),
        "property_companies": len(companies),
        "property_companies_with_party_org": sum(companies.values()),
    }


def expected_warnings(town: Town, day: dt.date) -> list[str]:
    """What the importer should warn about in this report (only non-compliant EPMCs, by design)."""
    notes = []
    for c in town.communities:
        state = c.epmc_on(day)
        if state is None:
            continue
        if state.members % 2 == 0 or state.members < CAMPAIGN.epmc_min_members:
            notes.append(f"{c.name}环物委人数{state.members}人，不是5人以上单数")
        if Fraction(state.party_members, state.members) < CAMPAIGN.epmc_min_party_share:
            notes.append(f"{c.name}环物委党员{state.party_members}/{state.members}，低于60%")
        if state.conflict:
            notes.append(f"{c.name}环物委存在任职回避情形")
    return notes


def check_model(towns: list[Town]) -> None:
    """The model must follow the plan and reproduce the seed's baseline exactly."""
    for town in towns:
        for day, (committees, party_orgs, epmcs) in zip(REPORT_DATES, town.plan.progress):
            got = counts(town, day)
            assert (got["committees"], got["party_orgs"], got["epmcs"]) == (committees, party_orgs, epmcs), town.name
            for c in town.compounds_on(day):
                if c.party_org_founded:
                    assert c.committee_founded and c.committee_founded <= c.party_org_founded, c.name
                if c.party_org_on(day):
                    assert c.party_members >= CAMPAIGN.min_party_members_for_org
        community_names = {c.name for c in town.communities}
        assert all(any(p.community == c for p in town.compounds_on(BASELINE)) for c in community_names), town.name
    baseline = {k: sum(counts(t, BASELINE)[k] for t in towns) for k in SEED_FIGURES}
    assert baseline == SEED_FIGURES, baseline


# --------------------------------------------------------------------------------------------
# Rendering: how a report looks on paper
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    code: str  # a column code of core.layout, or "serial" for the clerk's 序号 column
    header: str


@dataclass(frozen=True)
class Group:
    title: str  # a merged cell over the sub-columns, in a two-row header
    cols: tuple[Col, ...]


def fullwidth(text: object) -> str:
    return str(text).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Style:
    key: str
    description: str  # Chinese, for README and the hand-back report
    sheet_names: dict[str, str]
    compound_header: tuple
    community_header: tuple
    yes: Callable[[str, bool], object]  # (column code, value) -> what the clerk writes
    count: Callable[[int], object] = lambda n: n
    date: Callable[[dt.date], object] = lambda d: d
    date_format: str = "yyyy-mm-dd"
    na: object = None  # a yes/no cell that does not apply (no committee / no company / no EPMC)
    na_count: object = None  # a count cell that does not apply
    serial: str | None = None  # header of the running-number column
    title: bool = False
    unit_row: str | None = None
    merge_town: bool = False
    merge_community: bool = False
    blank_between_communities: bool = False
    subtotals: bool = False
    total_label: str | None = None
    total_counts_yes: bool = False
    note_gap: bool = True
    notes: Callable[["Town", dt.date], list[str]] = lambda town, day: []
    info_date: Callable[[dt.date], object] = lambda d: d
    info_last: bool = False
    empty_sheet: str | None = None
    pad_names: bool = False


def template_header(sheet: Sheet) -> tuple:
    return tuple(Col(c.code, c.header) for c in sheet.columns)


def spelled(pairs: dict[str, tuple], default: tuple) -> Callable[[str, bool], object]:
    return lambda code, value: pairs.get(code, default)[0 if value else 1]


TEMPLATE = Style(
    key="template", description="模板格式（与系统模板一致：单行表头，是/否，日期为 Excel 日期）",
    sheet_names={"compounds": COMPOUNDS.name, "communities": COMMUNITIES.name, "brands": BRANDS.name,
                 "epmc_members": EPMC_MEMBERS.name},
    compound_header=template_header(COMPOUNDS), community_header=template_header(COMMUNITIES),
    yes=spelled({}, ("是", "否")),
)

STYLE_A = Style(
    key="A", description="手工台账A：合并标题行、序号、两行表头（“业委会情况”等分组）、镇街与社区合并单元格、"
                         "已成立/未成立、已建/未建、文字日期“2021年11月20日”、合计行、填表人备注行",
    sheet_names={"compounds": "小区台账", "communities": "社区台账", "brands": "示范品牌", "epmc_members": "环物委成员"},
    compound_header=(
        Col("serial", "序号"), Col("town", "所属镇街"), Col("community", "社区"), Col("compound", "住宅小区名称"),
        Col("eligible", "是否具备成立条件"),
        Group("业委会情况", (Col("has_committee", "是否成立"), Col("committee_founded", "成立时间"),
                        Col("committee_members", "成员数"), Col("committee_party_members", "其中党员数"),
                        Col("committee_party_org", "已建党组织"), Col("party_org_founded", "党组织成立时间"))),
        Group("物业服务企业情况", (Col("property_company", "物业公司名称"),
                             Col("company_party_org", "物业公司是否建立党组织"))),
    ),
    community_header=(
        Col("serial", "序号"), Col("town", "所属镇街"), Col("community", "社区名称"),
        Group("环物委情况", (Col("has_epmc", "是否成立"), Col("epmc_founded", "成立时间"), Col("epmc_members", "成员人数"),
                        Col("epmc_party_members", "其中党员数"), Col("epmc_chair_from_rc", "主任由居委会成员兼任"),
                        Col("epmc_conflict", "存在任职回避情形"))),
        Col("green_status", "绿色社区创建情况"),
    ),
    yes=spelled({"has_committee": ("已成立", "未成立"), "has_epmc": ("已成立", "未成立"),
                 "committee_party_org": ("已建", "未建"), "company_party_org": ("已建", "未建")}, ("是", "否")),
    date=cn_date, serial="序号", title=True, merge_town=True, merge_community=True,
    total_label="合计", total_counts_yes=True,
    notes=lambda town, day: [f"填表人：{town.filled_by}　　联系电话：{town.phone}　　审核人：{town.reviewer}"],
    info_date=cn_date,
)

STYLE_B = Style(
    key="B", description="手工台账B：合并标题行、序号、单行同义表头（镇办/所属社区/是否成立业委会…）、√/×、"
                         "人数写成“7人”、文字日期“2021.11.20”、名称带全角空格、合计行、注释与填报人行",
    sheet_names={"compounds": "小区台账", "communities": "社区台账", "brands": "示范品牌", "epmc_members": "环物委成员"},
    compound_header=(
        Col("serial", "序号"), Col("town", "镇办"), Col("community", "所属社区"), Col("compound", "小区名称"),
        Col("eligible", "具备条件"), Col("has_committee", "是否成立业委会"), Col("committee_founded", "业委会成立时间"),
        Col("committee_members", "业委会人数"), Col("committee_party_members", "党员人数"),
        Col("committee_party_org", "是否建立党支部"), Col("party_org_founded", "党支部成立时间"),
        Col("property_company", "物业公司"), Col("company_party_org", "物业公司党组织"),
    ),
    community_header=(
        Col("serial", "序号"), Col("town", "镇办"), Col("community", "社区名称"), Col("has_epmc", "是否成立环物委"),
        Col("epmc_founded", "环物委成立时间"), Col("epmc_members", "环物委人数"), Col("epmc_party_members", "党员人数"),
        Col("epmc_chair_from_rc", "主任由居委会成员担任"), Col("epmc_conflict", "任职回避"),
        Col("green_status", "绿色社区"),
    ),
    yes=spelled({}, ("√", "×")), count=lambda n: f"{n}人", date=lambda d: f"{d.year}.{d.month}.{d.day}",
    serial="序号", title=True, total_label="合计", pad_names=True,
    notes=lambda town, day: ["注：√表示是，×表示否。", f"填报人：{town.filled_by}　联系电话：{town.phone}"],
)

STYLE_C = Style(
    key="C", description="手工台账C：工作表名“小区情况/环物委情况”、合并标题行、表头内换行与半角括号、"
                         "社区合并单元格、社区之间空行、有/无、全角数字“７”、日期一半为 Excel 日期一半为“2021/11/20”文字、备注行",
    sheet_names={"compounds": "小区情况", "communities": "环物委情况", "brands": "示范品牌", "epmc_members": "环物委成员名单"},
    compound_header=(
        Col("town", "镇(街道)"), Col("community", " 社区 "), Col("compound", "小区"),
        Col("eligible", "具备成立\n业委会条件"), Col("has_committee", "已成立\n业委会"),
        Col("committee_founded", "业委会\n成立日期"), Col("committee_members", "业委会\n成员数"),
        Col("committee_party_members", "其中\n党员数"), Col("committee_party_org", "业委会\n党组织"),
        Col("party_org_founded", "党组织\n成立日期"), Col("property_company", "物业服务\n企业"),
        Col("company_party_org", "物业企业\n党组织"),
    ),
    community_header=(
        Col("town", "镇(街道)"), Col("community", "社区"), Col("has_epmc", "已成立\n环物委"),
        Col("epmc_founded", "环物委\n成立日期"), Col("epmc_members", "环物委\n成员数"),
        Col("epmc_party_members", "其中\n党员数"), Col("epmc_chair_from_rc", "主任由居委会\n成员兼任"),
        Col("epmc_conflict", "存在任职\n回避情形"), Col("green_status", "绿色社区\n创建"),
    ),
    yes=spelled({}, ("有", "无")), count=fullwidth,
    date=lambda d: d if d.toordinal() % 2 else f"{d.year}/{d.month}/{d.day}", date_format="yyyy/m/d",
    title=True, merge_community=True, blank_between_communities=True, note_gap=False,
    notes=lambda town, day: [f"填表人：{town.filled_by}　联系电话：{town.phone}",
                             f"备注：数据截至{cn_date(day)}，党组织含党支部、党小组。"],
)

STYLE_D = Style(
    key="D", description="手工台账D：工作表名“小区/社区”、标题行与“单位：个、人”行、编号列、"
                         "镇街与社区合并单元格、是/否写成 1/0（数字）、无业委会时人数填 0、文字日期“2021-11-20”、"
                         "合计行、备注行、基本信息表放在最后",
    sheet_names={"compounds": "小区", "communities": "社区", "brands": "示范品牌", "epmc_members": "环物委成员"},
    compound_header=(
        Col("serial", "编号"), Col("town", "镇街"), Col("community", "社区名称"), Col("compound", "住宅小区名称"),
        Col("eligible", "具备成立条件"), Col("has_committee", "是否成立业主委员会"), Col("committee_founded", "成立时间"),
        Col("committee_members", "委员人数"), Col("committee_party_members", "其中党员人数"),
        Col("committee_party_org", "是否成立党组织"), Col("party_org_founded", "党组织成立时间"),
        Col("property_company", "物业服务企业名称"), Col("company_party_org", "物业企业是否建立党组织"),
    ),
    community_header=(
        Col("serial", "编号"), Col("town", "镇街"), Col("community", "社区名称"),
        Col("has_epmc", "是否成立环境和物业管理委员会"), Col("epmc_founded", "成立时间"), Col("epmc_members", "委员人数"),
        Col("epmc_party_members", "其中党员人数"), Col("epmc_chair_from_rc", "主任是否由居委会成员兼任"),
        Col("epmc_conflict", "是否存在任职回避情形"), Col("green_status", "绿色社区创建情况"),
    ),
    yes=spelled({}, (1, 0)), date=lambda d: d.isoformat(), na_count=0,
    serial="编号", title=True, unit_row="单位：个、人", merge_town=True, merge_community=True, total_label="合计",
    notes=lambda town, day: ["备注：“1”表示是，“0”表示否。",
                             f"填表人：{town.filled_by}　审核人：{town.reviewer}　联系电话：{town.phone}"],
    info_last=True,
)

STYLE_E = Style(
    key="E", description="手工台账E：工作表名“住宅小区台账/社区环物委”、两行表头（“业主委员会”“物业服务”分组）、"
                         "是/否，不适用处填“/”、每个社区后有小计行、末尾总计行、名称前后有空格、多一张空白 Sheet1",
    sheet_names={"compounds": "住宅小区台账", "communities": "社区环物委", "brands": "示范品牌", "epmc_members": "环物委成员"},
    compound_header=(
        Col("serial", "序号"), Col("town", "镇（街道）"), Col("community", "社区"), Col("compound", "小区名称"),
        Col("eligible", "具备成立条件"),
        Group("业主委员会", (Col("has_committee", "已成立"), Col("committee_founded", "成立日期"),
                        Col("committee_members", "成员人数"), Col("committee_party_members", "党员人数"),
                        Col("committee_party_org", "已建党组织"), Col("party_org_founded", "党组织成立日期"))),
        Group("物业服务", (Col("property_company", "物业服务企业"), Col("company_party_org", "物业企业党组织"))),
    ),
    community_header=(
        Col("serial", "序号"), Col("town", "镇（街道）"), Col("community", "社区"),
        Group("环境和物业管理委员会", (Col("has_epmc", "已成立"), Col("epmc_founded", "成立日期"),
                               Col("epmc_members", "成员人数"), Col("epmc_party_members", "党员人数"),
                               Col("epmc_chair_from_rc", "主任由居委会成员兼任"),
                               Col("epmc_conflict", "存在任职回避情形"))),
        Col("green_status", "绿色社区创建"),
    ),
    yes=spelled({}, ("是", "否")), na="/", date_format="yyyy/m/d",
    serial="序号", subtotals=True, total_label="总计", pad_names=True, note_gap=False,
    notes=lambda town, day: [f"填表人：{town.filled_by}　联系电话：{town.phone}　报送日期：{cn_date(day)}"],
    empty_sheet="Sheet1",
)

STYLES = {s.key: s for s in (TEMPLATE, STYLE_A, STYLE_B, STYLE_C, STYLE_D, STYLE_E)}
SHEETS = {"compounds": COMPOUNDS, "communities": COMMUNITIES, "brands": BRANDS, "epmc_members": EPMC_MEMBERS}

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def flatten(items: tuple) -> list[Col]:
    cols: list[Col] = []
    for item in items:
        cols.extend(item.cols if isinstance(item, Group) else (item,))
    return cols


def check_headers() -> None:
    """Every header a style writes must mean its column on its own (synonyms of core.layout)."""
    for style in STYLES.values():
        for key, items in (("compounds", style.compound_header), ("communities", style.community_header)):
            index = header_index(SHEETS[key])
            for col in flatten(items):
                if col.code != "serial":
                    assert index.get(normalize_label(col.header)) == col.code, (style.key, col.header)
            for item in items:
                if isinstance(item, Group):
                    assert normalize_label(item.title) not in index, (style.key, item.title)


def title_text(town: str, day: dt.date, what: str) -> str:
    next_day = day + dt.timedelta(days=1)
    when = f"{day.year}年{day.month}月" if next_day.month != day.month else f"截至{cn_date(day)}"
    return f"{town}{what}（{when}）"


def padded(name: str, row_index: int) -> str:
    """A clerk's stray spaces: a trailing full-width space or a leading space on some names."""
    return name + "　" if row_index % 3 == 1 else " " + name if row_index % 5 == 4 else name


def encode(style: Style, sheet: Sheet, code: str, row: dict, row_index: int) -> object:
    value = row.get(code)
    if code == "serial":
        return value
    kind = sheet.column(code).kind
    if isinstance(value, str) and kind != "text" and kind != "choice":
        return value  # a deliberately wrong raw entry (the bad example)
    if code == "committee_party_org" and row.get("has_committee") is False and style.na is not None:
        return style.na  # "not applicable" rather than 否, where the clerk writes "/"
    if kind == "yesno":
        return style.na if value is None else style.yes(code, value)
    if kind == "int":
        return style.na_count if value is None else style.count(value)
    if kind == "date":
        return None if value is None else style.date(value)
    if kind == "text" and value is not None and style.pad_names and code in ("compound", "town"):
        return padded(value, row_index)
    return value


def put(ws, row: int, col: int, value: object, style: Style, header: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.border = BORDER
    if header:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = CENTER
    elif isinstance(value, dt.date):
        cell.number_format = style.date_format
        cell.alignment = Alignment(horizontal="center")


def write_header(ws, top: int, items: tuple, two_rows: bool, style: Style) -> int:
    """Writes the header at row `top`; returns the first data row."""
    c = 1
    for item in items:
        if isinstance(item, Group) and two_rows:
            put(ws, top, c, item.title, style, header=True)
            for i, col in enumerate(item.cols):
                put(ws, top + 1, c + i, col.header, style, header=True)
                if i:
                    put(ws, top, c + i, None, style, header=True)
            ws.merge_cells(start_row=top, start_column=c, end_row=top, end_column=c + len(item.cols) - 1)
            c += len(item.cols)
            continue
        for col in (item.cols if isinstance(item, Group) else (item,)):
            put(ws, top, c, col.header, style, header=True)
            if two_rows:
                put(ws, top + 1, c, None, style, header=True)
                ws.merge_cells(start_row=top, start_column=c, end_row=top + 1, end_column=c)
            c += 1
    return top + (2 if two_rows else 1)


YES_COUNTED = ("has_committee", "committee_party_org", "has_epmc")  # yes/no columns a total row counts


def total_row(ws, r: int, label: str, cols: list[Col], rows: list[dict], sheet: Sheet, style: Style) -> None:
    """A 合计/小计 row: the label over the name columns, sums of counts, and (style A) yes counts."""
    name_span = next(i for i, col in enumerate(cols) if col.code not in ("serial", "town", "community", "compound"))
    put(ws, r, 1, label, style)
    for i in range(1, name_span):
        put(ws, r, i + 1, None, style)
    if name_span > 1:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=name_span)
    for i, col in enumerate(cols[name_span:], start=name_span + 1):
        kind = sheet.column(col.code).kind
        value = None
        if kind == "int":
            value = style.count(sum(row[col.code] or 0 for row in rows))
        elif kind == "yesno" and style.total_counts_yes and col.code in YES_COUNTED:
            value = sum(row[col.code] is True for row in rows)
        put(ws, r, i, value, style)
        ws.cell(row=r, column=i).font = Font(bold=True)
    ws.cell(row=r, column=1).font = Font(bold=True)
    ws.cell(row=r, column=1).alignment = CENTER


def write_ledger(ws, style: Style, sheet: Sheet, items: tuple, rows: list[dict], title: str | None,
                 notes: list[str], merge: bool = True) -> dict:
    """One ledger sheet in the given style. Returns {canonical row index: Excel row}."""
    cols = flatten(items)
    two_rows = any(isinstance(i, Group) for i in items)
    width = len(cols)
    r = 1
    if title and style.title:
        ws.cell(row=r, column=1, value=title).font = Font(bold=True, size=14)
        ws.cell(row=r, column=1).alignment = CENTER
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        ws.row_dimensions[r].height = 28
        r += 1
    if style.unit_row and title:
        ws.cell(row=r, column=width, value=style.unit_row).alignment = Alignment(horizontal="right")
        r += 1
    r = write_header(ws, r, items, two_rows, style)
    header_end = r
    positions: dict[int, int] = {}
    blocks: list[list[int]] = []
    for i, row in enumerate(rows):
        if not blocks or rows[blocks[-1][0]].get("community") != row.get("community"):
            blocks.append([])
        blocks[-1].append(i)
    serial = 0
    first_data = r
    merge_town = merge and style.merge_town and rows
    for b, block in enumerate(blocks):
        block_start = r
        for i in block:
            serial += 1
            row = {**rows[i], "serial": serial}
            for c, col in enumerate(cols, start=1):
                value = encode(style, sheet, col.code, row, i)
                top_of_block = r == block_start
                if merge and style.merge_community and col.code == "community" and not top_of_block:
                    value = None
                if merge_town and col.code == "town" and r != first_data:
                    value = None
                put(ws, r, c, value, style)
            positions[i] = r
            r += 1
        community_col = next((c for c, col in enumerate(cols, 1) if col.code == "community"), None)
        if merge and style.merge_community and community_col and len(block) > 1:
            ws.merge_cells(start_row=block_start, start_column=community_col, end_row=r - 1, end_column=community_col)
            ws.cell(row=block_start, column=community_col).alignment = Alignment(vertical="center", wrap_text=True)
        if style.subtotals and sheet is COMPOUNDS:
            total_row(ws, r, "小计", cols, [rows[i] for i in block], sheet, style)
            r += 1
        if style.blank_between_communities and sheet is COMPOUNDS and b < len(blocks) - 1:
            r += 1
    town_col = next((c for c, col in enumerate(cols, 1) if col.code == "town"), None)
    if merge_town and town_col and r - 1 > first_data:
        ws.merge_cells(start_row=first_data, start_column=town_col, end_row=r - 1, end_column=town_col)
        ws.cell(row=first_data, column=town_col).alignment = Alignment(vertical="center", wrap_text=True)
    if style.total_label and rows and sheet in (COMPOUNDS, COMMUNITIES):
        total_row(ws, r, style.total_label, cols, rows, sheet, style)
        r += 1
    if notes:
        r += 1 if style.note_gap else 0
        for note in notes:
            ws.cell(row=r, column=1, value=note)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            r += 1
    for c, col in enumerate(cols, start=1):
        spec_width = sheet.column(col.code).width if col.code != "serial" else 6
        ws.column_dimensions[get_column_letter(c)].width = spec_width + (2 if style.key != "template" else 0)
    ws.freeze_panes = ws.cell(row=header_end, column=1)
    return positions


def write_info(wb: Workbook, town: Town, day: dt.date, style: Style) -> None:
    ws = wb.create_sheet(INFO_SHEET_NAME)
    values = {"town": town.name, "report_date": style.info_date(day), "filled_by": town.filled_by, "phone": town.phone}
    for r, (code, (label, _)) in enumerate(INFO_FIELDS.items(), start=1):
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=r, column=2, value=values[code])
        if isinstance(values[code], dt.date):
            cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(horizontal="left")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 22


def ledger_header(style: Style, sheet: Sheet) -> tuple:
    """The header of a brand or member list: template headers, after the style's serial column."""
    base = template_header(sheet)
    return ((Col("serial", style.serial),) if style.serial else ()) + base


def report_workbook(town: Town, day: dt.date, override_rows: dict | None = None) -> tuple[Workbook, dict]:
    """The workbook of one town's report. Returns it and the Excel rows of the ledger rows."""
    style = STYLES[town.plan.style]
    rows = {"compounds": compound_rows(town, day), "communities": community_rows(town, day),
            "brands": brand_rows(town, day), "epmc_members": member_rows(town, day)}
    rows.update(override_rows or {})
    wb = Workbook()
    wb.remove(wb.active)
    if not style.info_last:
        write_info(wb, town, day, style)
    positions = {}
    positions["compounds"] = write_ledger(
        wb.create_sheet(style.sheet_names["compounds"]), style, COMPOUNDS, style.compound_header, rows["compounds"],
        title_text(town.name, day, "红色物业建设工作台账"), style.notes(town, day))
    positions["communities"] = write_ledger(
        wb.create_sheet(style.sheet_names["communities"]), style, COMMUNITIES, style.community_header,
        rows["communities"], title_text(town.name, day, "社区环物委及绿色社区创建情况"), style.notes(town, day))
    if rows["brands"]:
        write_ledger(wb.create_sheet(style.sheet_names["brands"]), style, BRANDS, ledger_header(style, BRANDS),
                     rows["brands"], None, [], merge=False)
    if rows["epmc_members"]:
        write_ledger(wb.create_sheet(style.sheet_names["epmc_members"]), style, EPMC_MEMBERS,
                     ledger_header(style, EPMC_MEMBERS), rows["epmc_members"], None, [])
    if style.info_last:
        write_info(wb, town, day, style)
    if style.empty_sheet:
        wb.create_sheet(style.empty_sheet)
    stamp = dt.datetime.combine(day, dt.time(17, 30))
    wb.properties.creator = f"{town.name}（示例数据）"
    wb.properties.lastModifiedBy = town.filled_by
    wb.properties.title = title_text(town.name, day, "红色物业建设工作台账")
    wb.properties.created = stamp
    wb.properties.modified = stamp
    return wb, positions


# --------------------------------------------------------------------------------------------
# Saving byte-stable files
# --------------------------------------------------------------------------------------------

ZIP_TIME = (2021, 12, 31, 0, 0, 0)


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes with no trace of the time of generation.

    openpyxl's save_workbook stamps docProps 'modified' with now, and zip entries carry file
    times; here the writer is driven directly and the archive re-packed with fixed times.
    """
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def save(wb: Workbook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(wb))


# --------------------------------------------------------------------------------------------
# The bad example
# --------------------------------------------------------------------------------------------

BAD_TOWN, BAD_DATE = "岭子镇", D(2021, 11, 30)


def bad_example(towns: list[Town]) -> list[tuple[str, int, str, str]]:
    """Writes examples/错误示例_岭子镇.xlsx; returns its mistakes as (sheet, Excel row, column, what)."""
    town = next(t for t in towns if t.name == BAD_TOWN)
    compounds = compound_rows(town, BAD_DATE)
    communities = community_rows(town, BAD_DATE)
    mistakes = []  # (sheet key, row index in the ledger, column code, what is wrong)
    with_committee = next(i for i, r in enumerate(compounds) if r["has_committee"])
    row = compounds[with_committee]
    row["committee_party_members"] = row["committee_members"] + 2
    mistakes.append(("compounds", with_committee, "committee_party_members",
                     f"其中党员数填了{row['committee_party_members']}，多于业委会成员数{row['committee_members']}"))
    without = next(i for i, r in enumerate(compounds) if not r["has_committee"])
    compounds[without]["committee_party_org"] = True
    mistakes.append(("compounds", without, "committee_party_org", "该小区未成立业委会，“业委会已建党组织”却填了“是”"))
    stranger = next(i for i, r in enumerate(compounds) if i not in (with_committee, without))
    compounds[stranger]["town"] = "岭子街道"
    mistakes.append(("compounds", stranger, "town", "镇（街道）写成了“岭子街道”，不是本区已配置的镇（街道）（应为“岭子镇”）"))
    original = next(i for i in range(len(compounds)) if i not in (with_committee, without, stranger))
    compounds.append(dict(compounds[original]))
    mistakes.append(("compounds", len(compounds) - 1, "compound",
                     f"小区“{compounds[-1]['compound']}”在{compounds[-1]['community']}重复出现"))
    communities[-1]["has_epmc"] = "待定"
    for key in ("epmc_founded", "epmc_members", "epmc_party_members", "epmc_chair_from_rc", "epmc_conflict"):
        communities[-1][key] = None
    mistakes.append(("communities", len(communities) - 1, "has_epmc", "“已成立环物委”填了“待定”，只能填“是”或“否”"))
    wb, positions = report_workbook(town, BAD_DATE, {"compounds": compounds, "communities": communities,
                                                     "brands": [], "epmc_members": []})
    wb.properties.title = "错误示例（岭子镇）"
    save(wb, HERE / "examples" / f"错误示例_{BAD_TOWN}.xlsx")
    located = []
    for key, index, code, text in mistakes:
        sheet = SHEETS[key]
        if code == "compound":
            text += f"（第{positions[key][original]}行与第{positions[key][index]}行）"
        located.append((TEMPLATE.sheet_names[key], positions[key][index], sheet.column(code).header, text))
    order = list(TEMPLATE.sheet_names.values())
    return sorted(located, key=lambda m: (order.index(m[0]), m[1]))


def write_example_readme(mistakes: list[tuple[str, int, str, str]]) -> None:
    lines = [
        "# 错误示例",
        "",
        f"`错误示例_{BAD_TOWN}.xlsx` 是一份故意填错的{BAD_TOWN}月报（报送日期 {BAD_DATE.isoformat()}），"
        "用来演示上传校验：系统应拒收整份文件，并一次列出下面全部错误（行号为 Excel 中显示的行号）。",
        "",
        "| 工作表 | 行 | 列 | 错在哪里 |",
        "|---|---|---|---|",
    ]
    lines += [f"| {sheet} | {row} | {column} | {text} |" for sheet, row, column, text in mistakes]
    lines += ["", "本文件由 `python sample_data/generate.py` 生成，请勿手工修改。", ""]
    (HERE / "examples" / "README.md").write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def report_path(town: str, day: dt.date) -> Path:
    return HERE / f"{day.isoformat()}_{town}.xlsx"


def district_counts(towns: list[Town], day: dt.date) -> dict:
    total = {k: sum(counts(t, day)[k] for t in towns) for k in counts(towns[0], day)}
    companies = {c.company.name: c.company.party_org_on(day) for t in towns for c in t.compounds_on(day) if c.company}
    total["property_companies"] = len(companies)  # distinct across towns: shared companies count once
    total["property_companies_with_party_org"] = sum(companies.values())
    return total


def expected_json(towns: list[Town]) -> dict:
    return {
        "about": "由 sample_data/generate.py 依据其数据模型计算（不读取 xlsx），供测试核对导入结果。",
        "seed": SEED,
        "definitions": {
            "red_committees": "已建党组织 且 党员数×5 ≥ 成员数×4",
            "compliant_epmcs": "已成立环物委，成员≥5 且为单数，党员数×5 ≥ 成员数×3，且无任职回避情形",
            "district_brands_new": f"级别为区级、认定日期在{CAMPAIGN.year}年内且不晚于报送日期的示范品牌数",
            "property_companies": "不同名称的物业服务企业数（district 中跨镇去重）",
        },
        "reports": {
            day.isoformat(): {
                t.name: {"file": report_path(t.name, day).name, "style": t.plan.style, **counts(t, day),
                         "expected_warnings": expected_warnings(t, day)}
                for t in towns
            }
            for day in REPORT_DATES
        },
        "district": {day.isoformat(): district_counts(towns, day) for day in REPORT_DATES},
    }


def main() -> None:
    check_headers()
    towns = build_district()
    check_model(towns)
    for town in towns:
        for day in REPORT_DATES:
            wb, _ = report_workbook(town, day)
            save(wb, report_path(town.name, day))
    write_example_readme(bad_example(towns))
    (HERE / "expected.json").write_text(json.dumps(expected_json(towns), ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    print(f"wrote {len(towns) * len(REPORT_DATES)} reports, expected.json and examples/ in {HERE}")


if __name__ == "__main__":
    main()
