"""The bulletin (通报) on the shipped sample data: golden text at 2021-11-30 and 2021-12-31, every number
in it checked against the metrics JSON (and the sample's upload times and warnings), the .docx read
back with python-docx and converted by LibreOffice, the plain text, and the command line.

To rewrite the golden files after an intended change of wording, run
`REDPROP_UPDATE_GOLDEN=1 python -m pytest tests/test_bulletin.py` and read the diff.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from collections import Counter

from core import store
from core.changes import decreases_between, report_changes
from core.bulletin import (TABLE_HEADERS, bulletin_docx, bulletin_facts, change_text, compose, text_bytes,
                           town_list)
from core.cli import load_sample
from core.config import default_campaign
from core.metrics import snapshot, snapshot_json
from core.validate import read_workbook
from tests.reports import store_report
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
ARTIFACTS = ROOT / "test-artifacts" / "bulletin"
SAMPLE = ROOT / "sample_data"
ISSUED = {dt.date(2021, 11, 30): dt.date(2021, 12, 10), dt.date(2021, 12, 31): dt.date(2022, 1, 10)}
CODES = {"环物委覆盖率": "epmc_coverage", "业委会党组织覆盖率": "party_org_coverage",
         "业委会组建率": "committee_formation_rate"}
ITEMS = {"环物委": "epmc_coverage", "业委会党组织": "party_org_coverage"}


@pytest.fixture(scope="module")
def sample_conn(tmp_path_factory):
    path = tmp_path_factory.mktemp("bulletin") / "sample.duckdb"
    conn = store.connect(path)
    load_sample(conn)
    yield conn
    conn.close()


def bulletin(conn, as_of: dt.date) -> str:
    return compose(bulletin_facts(conn, default_campaign(), as_of, ISSUED[as_of]))


def golden_path(as_of: dt.date) -> Path:
    return GOLDEN / f"bulletin_{as_of.isoformat()}.txt"


# ---------------------------------------------------------------- golden text

@pytest.mark.parametrize("as_of", list(ISSUED))
def test_bulletin_text_matches_the_golden_file(sample_conn, as_of):
    text = bulletin(sample_conn, as_of)
    path = golden_path(as_of)
    if os.environ.get("REDPROP_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- every number is right

class Numbers:
    """Checks numbers in the text against their sources, crossing out each checked span; whatever
    digits are left at the end were never checked."""

    def __init__(self, text: str):
        self.text = text

    def take(self, pattern: str, at_least: int = 1) -> list[re.Match]:
        found = list(re.finditer(pattern, self.text))
        assert len(found) >= at_least, f"{pattern!r} not in the bulletin"
        for match in reversed(found):
            self.text = self.text[:match.start()] + "▒" * (match.end() - match.start()) + self.text[match.end():]
        return found

    def unchecked(self) -> list[str]:
        return re.findall(r"[^\n]{0,12}\d[^\n]{0,12}", self.text)


def percent_ok(shown: str, value: float | None) -> bool:
    """The shown percentage is the value rounded to one decimal (trailing .0 dropped)."""
    return value is not None and abs(float(shown) - value * 100) <= 0.05 + 1e-9


def md(text_month: str, text_day: str, year: int) -> dt.date:
    return dt.date(year, int(text_month), int(text_day))


def day_of(text: str, year: int) -> dt.date:
    """'12月15日' (in `year`) or '2022年1月3日' → the date."""
    match = re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日", text)
    return dt.date(int(match[1] or year), int(match[2]), int(match[3]))


def check_change(change: str, now_count, before_count, now_rate, before_rate, previous: dt.date, year: int):
    """'，比12月15日增加1个、提高1个百分点' / '，均与10月31日持平' against the two snapshots."""
    if match := re.fullmatch(r"，均与(.+?)持平", change):
        assert day_of(match[1], year) == previous and now_count == before_count
        assert round(now_rate * 1000) == round(before_rate * 1000)
        return
    match = re.fullmatch(r"，比(.+?)(增加|减少)(\d+)个、(提高|下降)([\d.]+)个百分点", change)
    assert match, change
    assert day_of(match[1], year) == previous
    assert int(match[3]) * (1 if match[2] == "增加" else -1) == now_count - before_count
    diff = (now_rate - before_rate) * 100
    assert (diff > 0) == (match[4] == "提高") and abs(float(match[5]) - abs(diff)) <= 0.05 + 1e-9


def uploaded_at() -> dict[str, dt.datetime]:
    times = json.loads((SAMPLE / "uploaded_at.json").read_text(encoding="utf-8"))
    return {name: dt.datetime.fromisoformat(when) for name, when in times.items()}


@pytest.mark.parametrize("as_of", list(ISSUED))
def test_every_number_in_the_bulletin_is_right(sample_conn, as_of):
    campaign = default_campaign()
    text = bulletin(sample_conn, as_of)
    doc = snapshot_json(snapshot(sample_conn, campaign, as_of))
    snap = snapshot(sample_conn, campaign, as_of)
    before = snapshot_json(snapshot(sample_conn, campaign, snap.previous_date))
    district, prev = doc["district"], before["district"]
    towns = {t["town"]: t for t in doc["towns"]}
    phase = doc["phase"]
    year = campaign.year
    n = Numbers(text)

    # Dates: as-of, issue date, the judged phase's dates and targets.
    n.take(rf"{as_of.year}年{as_of.month}月{as_of.day}日")
    n.take(rf"截至{as_of.month}月{as_of.day}日")
    issued = ISSUED[as_of]
    n.take(rf"\n{issued.year}年{issued.month}月{issued.day}日\n")
    start, end = dt.date.fromisoformat(phase["start"]), dt.date.fromisoformat(phase["end"])
    [m] = n.take(rf"{phase['name']}（{start.month}月{start.day}日至{end.month}月{end.day}日）的目标是："
                 r"(环物委覆盖率)达到(\d+)%，(业委会党组织覆盖率)达到(\d+)%")
    assert int(m[2]) == round(phase["targets"][CODES[m[1]]] * 100)
    assert int(m[4]) == round(phase["targets"][CODES[m[3]]] * 100)

    # 一、总体情况
    [m] = n.take(r"全区(\d+)个镇（街道）均已报送工作台账")
    assert int(m[1]) == district["towns"] == district["towns_reported"]
    [m] = n.take(r"全区共有住宅小区(\d+)个")
    assert int(m[1]) == district["compounds"]
    [m] = n.take(r"全区共有社区(\d+)个")
    assert int(m[1]) == district["communities"]
    for intro, code, count in (("已成立业主委员会", "committee_formation_rate", "committees"),
                               ("其中建立党组织的业主委员会", "party_org_coverage", "party_orgs"),
                               ("已成立环物委", "epmc_coverage", "epmcs")):
        label = next(k for k, v in CODES.items() if v == code)
        [m] = n.take(rf"{intro}(\d+)个，{label}([\d.]+)%(，[^；。]+)")
        assert int(m[1]) == district[count] and percent_ok(m[2], district[code])
        check_change(m[3], district[count], prev[count], district[code], prev[code], snap.previous_date, year)
    [m] = n.take(r"红色业主委(\d+)个，占业主委员会的([\d.]+)%")
    assert int(m[1]) == district["red_committees"] and percent_ok(m[2], district["red_committee_share"])
    [m] = n.take(r"符合规范要求的环物委(\d+)个，占社区总数的([\d.]+)%")
    assert int(m[1]) == district["compliant_epmcs"] and percent_ok(m[2], district["compliant_epmc_share"])
    [m] = n.take(r"物业服务企业(\d+)家，其中建立党组织的(\d+)家，物业企业党组织覆盖率([\d.]+)%")
    assert (int(m[1]), int(m[2])) == (district["property_companies"], district["property_companies_with_party_org"])
    assert percent_ok(m[3], district["property_company_party_coverage"])
    [m] = n.take(r"绿色社区创建验收达标(\d+)个，年度目标(\d+)个(?:，还差(\d+)个)?")
    assert int(m[1]) == district["green_accepted"] and int(m[2]) == campaign.green_target
    assert int(m[3] or 0) == max(0, campaign.green_target - district["green_accepted"])
    [m] = n.take(r"示范品牌(\d+)个")
    assert int(m[1]) == district["district_brands_new"]

    # 二、阶段目标完成情况: the district, then the towns that met and missed the phase.
    for m in n.take(r"(?:全区|；)(环物委覆盖率|业委会党组织覆盖率)([\d.]+)%，(已达到目标|未达到目标，还需(?:成立|建立)(\d+)个)", 2):
        code = CODES[m[1]]
        assert percent_ok(m[2], district[code])
        assert int(m[4] or 0) == district["gaps"][phase["name"]][code]
    met = sorted(t for t, e in towns.items() if e["status"] == "已达标")
    [m] = n.take(rf"((?:[^，。；：]+?、)*[^，。；：]+?)等(\d+)个镇（街道）已完成{phase['name']}全部目标")
    assert sorted(m[1].split("、")) == met and int(m[2]) == len(met)
    unmet = [t for t, e in towns.items() if e["status"] not in ("已达标", "未报送")]
    [m] = n.take(r"((?:[^，。；：]+?、)*[^，。；：]+?)等(\d+)个镇（街道）尚未完成")
    assert sorted(m[1].split("、")) == sorted(unmet) and int(m[2]) == len(unmet)
    lines = n.take(r"\n　　(\S+?)（(已达标|按进度|有风险|滞后)）：([^\n]+)。", len(unmet))
    assert sorted(m[1] for m in lines) == sorted(unmet)
    for m in lines:
        entry = towns[m[1]]
        assert m[2] == entry["status"]
        needs = {}
        for clause in m[3].split("；"):
            c = re.fullmatch(r"(环物委覆盖率|业委会党组织覆盖率)([\d.]+)%，还需(?:成立|建立)(\d+)个(环物委|业委会党组织)", clause)
            assert c, clause
            assert percent_ok(c[2], entry[CODES[c[1]]]) and CODES[c[1]] == ITEMS[c[4]]
            needs[CODES[c[1]]] = int(c[3])
        assert needs == {k: v for k, v in entry["gaps"][phase["name"]].items() if v}

    # 三、考核加分情况
    rules = {r.label: r for r in campaign.bonus_rules}
    for m in n.take(r"(年内[^，（）]+?)(?:的)?加(\d+)分", len(rules)):
        rule = rules[m[1]]
        assert int(m[2]) == rule.points
        if rule.threshold is not None:
            assert f"{round(float(rule.threshold) * 100)}%" in rule.label
    reported = [e for e in towns.values() if e["report_date"]]
    [m] = n.take(r"(\d+)个镇（街道）共获加分(\d+)分")
    assert int(m[1]) == len(reported) and int(m[2]) == sum(e["bonus_points"] for e in reported)
    ranked = sorted(reported, key=lambda e: e["rank"])
    for which, group in (("前", ranked[:3]), ("后", ranked[-3:])):
        [m] = n.take(rf"排名{which}(\d)位的是((?:[^（）；。]+（\d+分）、?)+)")
        assert int(m[1]) == len(group)
        shown = re.findall(r"([^（）、]+)（(\d+)分）", m[2])
        assert shown == [(e["town"], str(e["bonus_points"])) for e in group]
    for m in n.take(r"((?:[^，。；：]+?、)*[^，。；：]+?)再(组建|建立)(\d+)个(业委会|业委会党组织)即可加(\d+)分", 1):
        code = "committee_formation_rate" if m[4] == "业委会" else "party_org_coverage"
        rule = next(r for r in campaign.bonus_rules if r.measure == code)
        assert int(m[5]) == rule.points
        num, den = ("committees", "compounds") if code == "committee_formation_rate" else ("party_orgs", "committees")
        for town in m[1].split("、"):
            entry = towns[town]
            assert entry["bonus"][rule.id] == 0
            assert math.ceil(rule.threshold * entry[den]) - entry[num] == int(m[3]) == 1

    # 四、报送及数据质量情况 — against the sample's own upload times and warnings.
    due = max(d for d in campaign.report_dates if d <= as_of)
    deadline = due + dt.timedelta(days=campaign.grace_days)
    files = {name: at for name, at in uploaded_at().items() if name.startswith(due.isoformat())}
    late = sorted((name[11:-5], at.date()) for name, at in files.items() if at.date() > deadline)
    [m] = n.take(rf"{due.month}月{due.day}日工作台账应报(\d+)个镇（街道），已报(\d+)个，其中按时报送(\d+)个，"
                 r"逾期报送(\d+)个（([^）]+)，报送期限为([^）]+)）")
    assert (int(m[1]), int(m[2])) == (len(campaign.towns), len(files))
    assert (int(m[3]), int(m[4])) == (len(files) - len(late), len(late))
    shown = sorted((town, day_of(day, year)) for town, day in re.findall(r"([^、]+?)((?:\d{4}年)?\d+月\d+日)报送", m[5]))
    assert shown == late and day_of(m[6], year) == deadline
    warned = {}
    for s in snap.towns:
        name = f"{s.report.report_date.isoformat()}_{s.town}.xlsx"
        parsed = read_workbook((SAMPLE / name).read_bytes(), name, campaign)
        if parsed.warnings:
            warned[s.town] = len(parsed.warnings)
    for m in n.take(r"([^：；]+?)(\d+)条（([^）]+)）", len(warned)):
        assert warned.pop(m[1]) == int(m[2]) == sum(int(k) for k in re.findall(r"(\d+)条", m[3]))
    assert not warned

    # 五、下一步工作要求
    later = [p for p in campaign.phases if p.start > end]
    if later:
        following = later[0]
        [m] = n.take(rf"{following.name}（{following.start.month}月{following.start.day}日至{following.end.month}月"
                     rf"{following.end.day}日），目标是(环物委覆盖率)达到(\d+)%，(业委会党组织覆盖率)达到(\d+)%")
        assert int(m[2]) == round(float(following.targets[CODES[m[1]]]) * 100)
        assert int(m[4]) == round(float(following.targets[CODES[m[3]]]) * 100)
        [m] = n.take(r"全区还需成立(\d+)个环物委、建立(\d+)个业委会党组织")
        gaps = district["gaps"][following.name]
        assert (int(m[1]), int(m[2])) == (gaps["epmc_coverage"], gaps["party_org_coverage"])
        needs = n.take(r"(?:：|；)([^（；：]+?)（((?:成立|建立)\d+个[^）]+)）")
        assert {m[1] for m in needs} == {t for t, e in towns.items() if e["gaps"] and any(e["gaps"][following.name].values())}
        for m in needs:
            shown = dict((ITEMS[item], int(k)) for k, item in re.findall(r"(?:成立|建立)(\d+)个(环物委|业委会党组织)", m[2]))
            assert shown == {k: v for k, v in towns[m[1]]["gaps"][following.name].items() if v}
    else:
        [m] = n.take(r"实施方案确定的(\d+)个阶段目标时限已到")
        assert int(m[1]) == len(campaign.phases)
        [m] = n.take(r"全区还有(\d+)个社区未成立环物委，(\d+)个业主委员会尚未达到红色业主委标准")
        assert int(m[1]) == district["communities"] - district["epmcs"]
        assert int(m[2]) == district["committees"] - district["red_committees"]
        [m] = n.take(r"业委会党组织覆盖率已达到(\d+)%以上")
        assert district["gaps"][phase["name"]]["party_org_coverage"] == 0
        assert int(m[1]) == round(phase["targets"]["party_org_coverage"] * 100)
    [m] = n.take(r"在每个报送日期后(\d+)日内")
    assert int(m[1]) == campaign.grace_days

    # 附件: the ranking table, row by row.
    rows = n.take(r"\n([\d—]*)\t([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)\t([^\t\n]+)",
                  len(towns) + 1)
    for m in rows:
        rates = dict(zip(("committee_formation_rate", "party_org_coverage", "epmc_coverage"), m.groups()[4:7]))
        if m[2] == "全区":
            entry, points = district, sum(e["bonus_points"] for e in reported)
            assert day_of(m[3], year).isoformat() == max(e["report_date"] for e in reported)
        else:
            entry, points = towns[m[2]], towns[m[2]]["bonus_points"]
            assert int(m[1]) == entry["rank"] and m[4] == entry["status"]
            assert day_of(m[3], year).isoformat() == entry["report_date"]
        assert int(m[8]) == points
        for code, shown in rates.items():
            assert percent_ok(shown.rstrip("%"), entry[code])
    assert n.unchecked() == []


def test_town_list_and_change_words():
    assert town_list(["西河镇"]) == "西河镇"
    assert town_list(["西河镇", "太河镇"]) == "西河镇、太河镇等2个镇（街道）"
    f = Fraction
    assert change_text(74, 74, f(74, 104), f(74, 104), "10月31日") == "，均与10月31日持平"
    assert change_text(80, 79, f(80, 105), f(79, 105), "12月15日") == "，比12月15日增加1个、提高1个百分点"
    assert change_text(5, 6, f(5, 10), f(6, 10), "12月15日") == "，比12月15日减少1个、下降10个百分点"
    assert change_text(7, 7, f(7, 11), f(7, 10), "12月15日") == "，个数与12月15日持平，比率下降6.4个百分点"
    assert change_text(7, None, f(7, 10), None, "") == ""


def test_a_bulletin_with_missing_and_stale_towns_says_so(tmp_path):
    """般阳路街道 reported for 10-31 and 11-30 (on time), 松龄路街道 for 10-31 only, 钟楼街道 late for 11-30;
    the other ten towns never reported."""
    conn = store.connect(tmp_path / "few.duckdb")
    store_report(conn, "般阳路街道", dt.date(2021, 10, 31), dt.datetime(2021, 11, 1, 9))
    store_report(conn, "般阳路街道", dt.date(2021, 11, 30), dt.datetime(2021, 12, 1, 9), committees=2)
    store_report(conn, "松龄路街道", dt.date(2021, 10, 31), dt.datetime(2021, 11, 1, 9))
    store_report(conn, "钟楼街道", dt.date(2021, 11, 30), dt.datetime(2021, 12, 6, 9))
    text = compose(bulletin_facts(conn, default_campaign(), dt.date(2021, 11, 30), dt.date(2021, 12, 10)))
    assert "全区13个镇（街道）中已有3个报送工作台账" in text
    assert "以下全区数据不含未报送的镇（街道）" in text
    assert "11月30日工作台账应报13个镇（街道），已报2个，其中按时报送1个，逾期报送1个（钟楼街道12月6日报送，报送期限为12月3日）" in text
    assert "；逾期未报11个（松龄路街道、将军路街道、" in text
    assert "松龄路街道按其10月31日报送的数据统计。" in text
    assert "尚未报送工作台账，无法评价。" in text
    assert "\t将军路街道\t未报送\t未报送\t—\t—\t—\t—" in text


def _store(conn, town, day, compounds, communities):
    data = standard(compounds, communities, info=info_sheet(town, day))
    parsed = read_workbook(data, f"{town}{day}.xlsx", default_campaign())
    assert parsed.ok, [i.message for i in parsed.errors]
    store.save(conn, parsed, "测试上传")
    return conn.execute("SELECT upload_id FROM uploads WHERE town = $t AND report_date = $d AND active",
                        {"t": town, "d": day}).fetchone()[0]


def test_decreases_are_counted_for_all_towns_at_once_as_report_changes_flags_them(tmp_path):
    """Two towns whose figures went down (a compound and a community gone, a committee, a party
    organisation and an EPMC lost, some gained too) and one unchanged: the one query agrees with
    report_changes town by town, in its order, and the bulletin names the decreases."""
    conn = store.connect(tmp_path / "down.duckdb")
    d1, d2 = dt.date(2021, 11, 30), dt.date(2021, 12, 15)
    pairs = []
    for town, shrink in (("般阳路街道", True), ("松龄路街道", True), ("昆仑镇", False)):
        before = _store(conn, town, d1,
                        [compound_row("东关社区", "甲", "是", 5, 3, "是"), compound_row("东关社区", "乙", "是", 5, 3, "是"),
                         compound_row("西关社区", "丙", "是", 5, 3, "否"), compound_row("西关社区", "丁")],
                        [community_row("东关社区", "是", 5, 3), community_row("西关社区", "是", 5, 3),
                         community_row("南关社区")])
        after = _store(conn, town, d2,
                       [compound_row("东关社区", "甲", "否"), compound_row("东关社区", "乙", "是", 5, 3, "否"),
                        compound_row("西关社区", "丁", "是", 5, 3, "是"), compound_row("西关社区", "戊")]
                       if shrink else
                       [compound_row("东关社区", "甲", "是", 5, 3, "是"), compound_row("东关社区", "乙", "是", 5, 3, "是"),
                        compound_row("西关社区", "丙", "是", 5, 3, "否"), compound_row("西关社区", "丁")],
                       [community_row("东关社区", "否"), community_row("北关社区", "是", 5, 3)] if shrink else
                       [community_row("东关社区", "是", 5, 3), community_row("西关社区", "是", 5, 3),
                        community_row("南关社区")])
        pairs.append((before, after))
    found = decreases_between(conn, pairs)
    for before, after in pairs:
        changes = report_changes(conn, before, after)
        expected = Counter(changes.loc[changes["需核对"], "类别"])
        assert list(found.get(after, {}).items()) == list(expected.items())
    assert found[pairs[0][1]] == {"减少小区": 1, "业委会减少": 1, "党组织减少": 2, "减少社区": 2, "环物委减少": 1}
    assert found[pairs[2][1]] == {}
    text = compose(bulletin_facts(conn, default_campaign(), d2, dt.date(2021, 12, 20)))
    assert ("与上次报送相比，般阳路街道减少小区1个、业委会减少1个、党组织减少2个、减少社区2个、环物委减少1个；"
            "松龄路街道减少小区1个、业委会减少1个、党组织减少2个、减少社区2个、环物委减少1个，请相关镇（街道）说明原因。") in text


# ---------------------------------------------------------------- downloads

@pytest.fixture(scope="module")
def docx_bytes(sample_conn):
    return bulletin_docx(bulletin(sample_conn, dt.date(2021, 12, 31)))


def test_docx_opens_with_title_headings_body_and_the_ranking_table(sample_conn, docx_bytes):
    text = bulletin(sample_conn, dt.date(2021, 12, 31))
    document = docx.Document(io.BytesIO(docx_bytes))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert [p.text for p in paragraphs[:2]] == ["关于全区红色物业建设工作推进情况的通报", "（截至2021年12月31日）"]
    title = paragraphs[0].runs[0]
    assert title.font.size.pt == 22 and title._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    heading = next(p for p in paragraphs if p.text == "一、总体情况")
    assert heading.runs[0].font.bold and heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    body = next(p for p in paragraphs if p.text.startswith("截至2021年12月31日，全区13个镇"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋" and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.first_line_indent.pt == 32
    assert [p.text for p in paragraphs if p.alignment == 2] == ["淄川区住房保障中心", "2022年1月10日"]  # right
    # The body paragraphs are the text's, without the plain-text indent.
    body_lines = [line.strip() for line in text.split("附件\n")[0].splitlines() if line.strip()]
    assert [p.text for p in paragraphs[:len(body_lines)]] == body_lines
    [table] = document.tables
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == list(TABLE_HEADERS) and len(cells) == 15
    assert cells[1][:2] == ["1", "松龄路街道"] and cells[-1][1] == "全区"
    assert cells == [line.split("\t") for line in text.rstrip("\n").split("\n")[-15:]]
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def test_docx_is_made_from_the_edited_text():
    text = "关于某事的通报\n\n各镇（街道）：\n　　一、情况\n　　改过的正文=1+1。\n\n淄川区住房保障中心\n2022年1月5日\n"
    document = docx.Document(io.BytesIO(bulletin_docx(text)))
    assert [p.text for p in document.paragraphs if p.text.strip()] == [
        "关于某事的通报", "各镇（街道）：", "一、情况", "改过的正文=1+1。", "淄川区住房保障中心", "2022年1月5日"]
    assert not document.tables


def test_plain_text_download_has_a_bom_and_windows_line_ends():
    assert text_bytes("第一行\n第二行\n") == "\ufeff第一行\r\n第二行\r\n".encode("utf-8")


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_docx_converts_to_pdf_with_libreoffice(docx_bytes, tmp_path):
    source = tmp_path / "通报_2021-12-31.docx"
    source.write_bytes(docx_bytes)
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    pdf = source.with_suffix(".pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "bulletin_2021-12-31.pdf")
    if shutil.which("pdftoppm"):  # page images to look at
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(pdf), str(ARTIFACTS / "bulletin_2021-12-31")],
                       check=True, timeout=120)


# ---------------------------------------------------------------- command line

def test_cli_writes_the_bulletin_as_text_and_docx(sample_conn, cli, tmp_path):
    db = tmp_path / "copy.duckdb"
    sample_conn.execute("CHECKPOINT")
    shutil.copy(sample_conn.execute("PRAGMA database_list").fetchall()[0][2], db)
    out = tmp_path / "通报.txt"
    result = cli("bulletin", "--as-of", "2021-12-31", "--issued", "2022-01-10", "--out", out, "--db", db)
    assert result.code == 0, result.stderr
    assert out.read_bytes() == text_bytes(golden_path(dt.date(2021, 12, 31)).read_text(encoding="utf-8"))
    out = tmp_path / "通报.docx"
    assert cli("bulletin", "--as-of", "2021-11-30", "--out", out, "--db", db).code == 0
    assert docx.Document(io.BytesIO(out.read_bytes())).tables
    bad = cli("bulletin", "--as-of", "2021-11-30", "--out", tmp_path / "通报.pdf", "--db", db)
    assert bad.code == 2 and "docx" in bad.stderr and "Traceback" not in bad.stderr
