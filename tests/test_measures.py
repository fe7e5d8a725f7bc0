"""Measures, gaps, points and ranking over real DuckDB files, with numbers worked out by hand."""
from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from core import store
from core.cli import load_sample
from core.config import default_campaign
from core.metrics import snapshot, snapshot_json
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = default_campaign()
EXPECTED = json.loads((ROOT / "sample_data" / "expected.json").read_text(encoding="utf-8"))
D1031, D1130, D1215, D1231 = (dt.date(2021, 10, 31), dt.date(2021, 11, 30), dt.date(2021, 12, 15),
                              dt.date(2021, 12, 31))


def put(conn, parse, town, day, compounds, communities, filled_by="张三"):
    data = standard(compounds, communities, info=info_sheet(town=town, report_date=day, filled_by=filled_by))
    parsed = parse(data, f"{town}.xlsx")
    assert parsed.ok, [i.message for i in parsed.errors]
    return store.save(conn, parsed, "测试")


@pytest.fixture
def conn(tmp_path):
    connection = store.connect(tmp_path / "measures.duckdb")
    yield connection
    connection.close()


def town_json(snap, town):
    return next(t for t in snapshot_json(snap)["towns"] if t["town"] == town)


# ---------------------------------------------------------------- the as-of rule

def test_as_of_takes_each_towns_latest_active_report_and_marks_missing_towns(conn, parse):
    put(conn, parse, "昆仑镇", D1031, [compound_row("甲社区", "一号院")], [community_row("甲社区")])
    put(conn, parse, "昆仑镇", D1130, [compound_row("甲社区", "一号院", "是", 5, 3, "是")],
        [community_row("甲社区", "是", 5, 3)])
    # A second version of 11-30 supersedes the first; a 12-15 report lies after the as-of date.
    put(conn, parse, "昆仑镇", D1130, [compound_row("甲社区", "一号院", "是", 5, 3, "否")],
        [community_row("甲社区", "是", 5, 3)], filled_by="李四")
    put(conn, parse, "昆仑镇", D1215, [compound_row("甲社区", "一号院", "是", 5, 3, "是"),
                                     compound_row("甲社区", "二号院")], [community_row("甲社区", "是", 5, 3)])
    snap = snapshot(conn, CAMPAIGN, dt.date(2021, 12, 1))
    kunlun = town_json(snap, "昆仑镇")
    assert kunlun["report_date"] == "2021-11-30"
    assert (kunlun["compounds"], kunlun["committees"], kunlun["party_orgs"], kunlun["epmcs"]) == (1, 1, 0, 1)
    missing = town_json(snap, "太河镇")
    assert missing["report_date"] is None and missing["compounds"] is None and missing["bonus_points"] is None
    assert missing["status"] == "未报送" and missing["rank"] is None
    assert len(snapshot_json(snap)["towns"]) == 13
    # The district is the sum over reporting towns only: never a zero for 太河镇.
    assert snapshot_json(snap)["district"]["towns_reported"] == 1


def test_before_any_report_every_town_is_missing(conn, parse):
    put(conn, parse, "昆仑镇", D1130, [compound_row("甲社区", "一号院")], [community_row("甲社区")])
    doc = snapshot_json(snapshot(conn, CAMPAIGN, D1031))
    assert all(t["report_date"] is None for t in doc["towns"])
    assert doc["district"]["compounds"] == 0 and doc["district"]["committee_formation_rate"] is None


@pytest.mark.parametrize("day, phase", [(D1031, None), (dt.date(2021, 11, 15), "第一阶段"), (D1215, "第二阶段"),
                                        (D1231, "第三阶段"), (dt.date(2022, 1, 1), None)])
def test_phase_in_the_json_is_the_one_containing_the_date(conn, day, phase):
    doc = snapshot_json(snapshot(conn, CAMPAIGN, day))
    assert (doc["phase"] or {}).get("name") == phase


# ---------------------------------------------------------------- rules on real rows

def test_red_committee_and_compliant_epmc_rules(conn, parse):
    compounds = [
        compound_row("甲社区", "红一", "是", 5, 4, "是"),   # 4/5 = 80% with a party organisation: red
        compound_row("甲社区", "红二", "是", 4, 3, "是"),   # 3/4 = 75%: not red
        compound_row("甲社区", "红三", "是", 5, 5, "否"),   # 100% but no party organisation: not red
        compound_row("乙社区", "红四", "是", 9, 8, "是"),   # 8/9 ≥ 80%: red
        compound_row("乙社区", "无委", "否"),
    ]
    communities = [
        community_row("甲社区", "是", 5, 3),             # 5 members, 60%: compliant
        community_row("乙社区", "是", 7, 4),             # 4/7 = 57%: not compliant
        community_row("丙社区", "是", 6, 6),             # even: not compliant
        community_row("丁社区", "是", 5, 5, conflict="是"),  # conflict of office: not compliant
        community_row("戊社区", "否"),
    ]
    put(conn, parse, "岭子镇", D1130, compounds, communities)
    t = town_json(snapshot(conn, CAMPAIGN, D1130), "岭子镇")
    assert (t["committees"], t["party_orgs"], t["red_committees"]) == (4, 3, 2)
    assert (t["communities"], t["epmcs"], t["compliant_epmcs"]) == (5, 4, 1)
    assert t["red_committee_share"] == 0.5 and t["compliant_epmc_share"] == 0.2
    assert t["committee_formation_rate"] == 0.8 and t["party_org_coverage"] == 0.75
    # 第一阶段: EPMC 80% of 5 = 4 (met); party 60% of 4 = 2.4 → 3 (met). 第三阶段: 100% → 1 more EPMC.
    assert t["gaps"]["第一阶段"] == {"epmc_coverage": 0, "party_org_coverage": 0}
    assert t["gaps"]["第三阶段"] == {"epmc_coverage": 1, "party_org_coverage": 0}
    # 80% formation ≥ 60% (+3), 75% party coverage ≥ 75% (+3).
    assert t["bonus"] == {"formation_rate_60": 3, "party_org_coverage_75": 3, "district_brand": 0}
    assert t["bonus_points"] == 6


def test_property_companies_are_counted_once_across_towns(conn, parse):
    put(conn, parse, "罗村镇", D1130, [
        compound_row("甲社区", "一号院", company="淄博金鼎物业管理有限公司", company_org="是"),
        compound_row("甲社区", "二号院", company="淄博金鼎物业管理有限公司", company_org="否"),
        compound_row("甲社区", "三号院", company="罗村物业公司", company_org="否"),
        compound_row("甲社区", "四号院")], [community_row("甲社区")])
    put(conn, parse, "洪山镇", D1130, [
        compound_row("乙社区", "五号院", company="淄博金鼎物业管理有限公司", company_org="否"),
        compound_row("乙社区", "六号院", company="洪山物业公司", company_org="否")], [community_row("乙社区")])
    doc = snapshot_json(snapshot(conn, CAMPAIGN, D1130))
    luocun = next(t for t in doc["towns"] if t["town"] == "罗村镇")
    hongshan = next(t for t in doc["towns"] if t["town"] == "洪山镇")
    assert (luocun["property_companies"], luocun["property_companies_with_party_org"]) == (2, 1)
    assert (hongshan["property_companies"], hongshan["property_companies_with_party_org"]) == (2, 0)
    # District: 金鼎 (party organisation in one of its compounds), 罗村物业, 洪山物业 = 3 companies, 1 with.
    district = doc["district"]
    assert (district["property_companies"], district["property_companies_with_party_org"]) == (3, 1)
    assert district["property_company_party_coverage"] == pytest.approx(1 / 3)


def test_new_district_brands_count_only_district_level_in_the_year_up_to_the_report(conn, parse):
    from tests.workbooks import BRAND_HEADER, Sheet
    brands = Sheet("示范品牌", [BRAND_HEADER,
                              ["寨里镇", "红管家", "区级", dt.date(2021, 6, 1), None, None],
                              ["寨里镇", "暖心驿站", "区级", dt.date(2021, 11, 20), None, None],
                              ["寨里镇", "老品牌", "区级", dt.date(2020, 5, 1), None, None],
                              ["寨里镇", "市级品牌", "市级", dt.date(2021, 7, 1), None, None]])
    data = standard([compound_row("甲社区", "一号院")], [community_row("甲社区")],
                    info=info_sheet(town="寨里镇", report_date=D1130), extra=[brands])
    parsed = parse(data, "寨里镇.xlsx")
    assert parsed.ok
    store.save(conn, parsed, "测试")
    snap = snapshot(conn, CAMPAIGN, D1130)
    t = town_json(snap, "寨里镇")
    assert t["district_brands_new"] == 2 and t["bonus"]["district_brand"] == 4
    line = next(l for l in next(s for s in snap.towns if s.town == "寨里镇").ledger if l.rule.id == "district_brand")
    assert line.basis == "红管家、暖心驿站"


def test_ranking_uses_points_then_attainment(conn, parse):
    # Both towns earn 3 (formation ≥ 60%, party coverage < 75%); 西河镇 attains more of phase 1's targets.
    put(conn, parse, "西河镇", D1130, [compound_row("甲社区", "一", "是", 5, 3, "是"), compound_row("甲社区", "二", "是", 5, 3)],
        [community_row("甲社区", "是", 5, 3)])
    put(conn, parse, "昆仑镇", D1130, [compound_row("甲社区", "一", "是", 5, 3), compound_row("甲社区", "二", "是", 5, 3)],
        [community_row("甲社区", "否")])
    doc = snapshot_json(snapshot(conn, CAMPAIGN, D1130))
    ranks = {t["town"]: (t["rank"], t["bonus_points"]) for t in doc["towns"] if t["report_date"]}
    assert ranks == {"西河镇": (1, 3), "昆仑镇": (2, 3)}


# ---------------------------------------------------------------- the shipped sample data

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    connection = store.connect(tmp_path_factory.mktemp("sample") / "sample.duckdb")
    load_sample(connection)
    yield connection
    connection.close()


def test_sample_baseline_reproduces_the_seed(sample):
    doc = snapshot_json(snapshot(sample, CAMPAIGN, D1031))
    d = doc["district"]
    assert (d["compounds"], d["committees"], d["party_orgs"], d["communities"], d["epmcs"]) == (104, 74, 33, 41, 20)
    # The seed rounds to whole percent: 71%, 45%, 49%.
    assert [round(d[m] * 100) for m in ("committee_formation_rate", "party_org_coverage", "epmc_coverage")] == [71, 45, 49]
    assert d["committee_formation_rate"] == 74 / 104


COUNT_KEYS = ("compounds", "eligible_compounds", "committees", "party_orgs", "red_committees", "communities", "epmcs",
              "compliant_epmcs", "green_accepted", "district_brands_new", "property_companies",
              "property_companies_with_party_org")


@pytest.mark.parametrize("day", [D1031, D1130, D1215, D1231])
def test_sample_metrics_match_the_generators_own_counts(sample, day):
    doc = snapshot_json(snapshot(sample, CAMPAIGN, day))
    expected = EXPECTED["reports"][day.isoformat()]
    for town in doc["towns"]:
        assert {k: town[k] for k in COUNT_KEYS} == {k: expected[town["town"]][k] for k in COUNT_KEYS}, town["town"]
    district = EXPECTED["district"][day.isoformat()]
    assert {k: doc["district"][k] for k in district} == district


def _independent_town_counts(path: Path) -> dict:
    """One template-style workbook counted straight from its cells with openpyxl."""
    book = openpyxl.load_workbook(path, data_only=True)
    compounds = list(book["小区台账"].iter_rows(min_row=2, values_only=True))
    communities = list(book["社区台账"].iter_rows(min_row=2, values_only=True))
    compounds = [r for r in compounds if r[2]]
    communities = [r for r in communities if r[1]]
    committee = [r for r in compounds if r[4] == "是"]
    return {"compounds": len(compounds), "committees": len(committee),
            "party_orgs": sum(1 for r in committee if r[8] == "是"),
            "red_committees": sum(1 for r in committee if r[8] == "是" and int(r[7]) * 5 >= int(r[6]) * 4),
            "communities": len(communities), "epmcs": sum(1 for r in communities if r[2] == "是")}


@pytest.mark.parametrize("day", [D1130, D1215, D1231])
def test_one_town_recomputed_independently_from_its_workbook(sample, day):
    town = "龙泉镇"  # a template-style sample file
    counts = _independent_town_counts(ROOT / "sample_data" / f"{day.isoformat()}_{town}.xlsx")
    t = town_json(snapshot(sample, CAMPAIGN, day), town)
    assert {k: t[k] for k in counts} == counts
    assert t["party_org_coverage"] == counts["party_orgs"] / counts["committees"]
    phase = snapshot_json(snapshot(sample, CAMPAIGN, day))["phase"]
    target = Fraction(str(phase["targets"]["party_org_coverage"]))
    assert t["gaps"][phase["name"]]["party_org_coverage"] == max(
        0, -(-target.numerator * counts["committees"] // target.denominator) - counts["party_orgs"])


def test_metrics_json_has_the_cli_contract_keys(sample, cli, tmp_path):
    db = tmp_path / "copy.duckdb"
    sample.execute("CHECKPOINT")
    import shutil
    shutil.copy(Path(sample.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
                     .fetchone()[0]), db)
    result = cli("metrics", "--db", db, "--as-of", "2021-11-30", "--json")
    assert result.code == 0, result.stderr
    doc = result.json()
    assert doc["as_of"] == "2021-11-30"
    assert doc["phase"] == {"name": "第一阶段", "start": "2021-11-15", "end": "2021-11-30",
                            "targets": {"epmc_coverage": 0.8, "party_org_coverage": 0.6}}
    rates = {"committee_formation_rate", "party_org_coverage", "epmc_coverage", "red_committee_share",
             "compliant_epmc_share", "property_company_party_coverage"}
    for unit in [doc["district"], *doc["towns"]]:
        assert set(COUNT_KEYS) | rates | {"gaps"} <= set(unit)
        assert set(unit["gaps"]) == {"第一阶段", "第二阶段", "第三阶段"}
    assert [t["town"] for t in doc["towns"]] == list(CAMPAIGN.towns)
    assert all({"town", "report_date", "bonus_points", "bonus"} <= set(t) for t in doc["towns"])
    # 11-30 district: 30 of 41 communities have EPMCs; 80% needs 33 → 3 more. 43 of 74 party orgs; 60% → 45 → 2 more.
    assert doc["district"]["gaps"]["第一阶段"] == {"epmc_coverage": 3, "party_org_coverage": 2}


def test_metrics_text_and_bad_options(sample, cli, tmp_path):
    assert cli("metrics", "--as-of", "2021-02-30", "--db", tmp_path / "x.duckdb").code == 2
    result = cli("metrics", "--db", tmp_path / "empty.duckdb", "--as-of", "2021-11-30")
    assert result.code == 0 and "未报送" in result.stdout and "Traceback" not in result.stderr


def test_history_rows_are_each_dates_snapshot(sample):
    """measure_history, set-based, agrees with a snapshot of every report date: the district row and
    each town's row; asking for the district only or for one town gives those same rows."""
    import math

    from core.history import DISTRICT, measure_history
    from core.measures import MEASURES

    campaign = default_campaign()
    until = dt.date(2021, 12, 31)
    history = measure_history(sample, campaign, until)
    assert list(dict.fromkeys(history["report_date"])) == [dt.date(2021, 10, 31), dt.date(2021, 11, 30),
                                                           dt.date(2021, 12, 15), dt.date(2021, 12, 31)]
    for day, rows in history.groupby("report_date", sort=False):
        snap = snapshot(sample, campaign, day)
        assert rows["unit"].tolist() == [DISTRICT] + [s.town for s in snap.towns if s.report]
        for row in rows.itertuples(index=False):
            figures = snap.district if row.unit == DISTRICT else next(s.figures for s in snap.towns if s.town == row.unit)
            assert {k: getattr(row, k) for k in figures.counts} == figures.counts
            for code in MEASURES:
                rate = figures.rate(code, campaign)
                assert (math.isnan(getattr(row, code)) if rate is None else getattr(row, code) == float(rate))
    district = measure_history(sample, campaign, until, towns=())
    assert district.equals(history[history["unit"] == DISTRICT].reset_index(drop=True))
    town = measure_history(sample, campaign, until, towns=["西河镇"], district=False)
    assert town.equals(history[history["unit"] == "西河镇"].reset_index(drop=True))
    from core.measures import report_dates  # the app passes the report dates it has cached

    assert town.equals(measure_history(sample, campaign, until, towns=["西河镇"], district=False,
                                       dates=report_dates(sample)))


def test_previous_district_figures_are_those_in_force_on_the_previous_report_date(sample):
    """The snapshot takes the district's previous figures from each town's two newest reports: the
    same as summing the reports in force on the previous report date."""
    from core.measures import district_figures_as_of, report_dates

    days = report_dates(sample)
    for day in [*days, *(d + dt.timedelta(days=1) for d in days)]:
        snap = snapshot(sample, CAMPAIGN, day)
        if snap.previous_date is None:
            assert snap.district_previous is None
        else:
            assert snap.district_previous == district_figures_as_of(sample, CAMPAIGN, snap.previous_date)


def test_town_tables_keep_the_values_and_types_of_the_stored_rows(sample):
    """The town page's tables are built from plain lists: each column shown from a stored one keeps
    its values and the type DuckDB's own conversion to pandas gives it (text, counts, nullable counts)."""
    import pandas as pd

    from core.measures import community_figures, ledger_rows
    from core.town_detail import community_table, compound_table

    for standing in snapshot(sample, CAMPAIGN, D1231).towns:
        reports = {standing.town: standing.report}
        compounds = compound_table(sample, standing.report.upload_id)
        rows = ledger_rows(sample, reports, "compounds")
        for shown, stored in (("社区", "community"), ("小区", "compound"), ("成员数", "committee_members"),
                              ("党员数", "committee_party_members"), ("物业服务企业", "property_company")):
            pd.testing.assert_series_equal(compounds[shown], rows[stored], check_names=False)
        communities = community_table(sample, CAMPAIGN, standing.report.upload_id)
        figures = community_figures(sample, CAMPAIGN, reports)
        for shown, stored in (("社区", "community"), ("小区数", "compounds"), ("业委会", "committees"),
                              ("党组织", "party_orgs"), ("红色业主委", "red_committees"),
                              ("环物委人数", "epmc_members"), ("其中党员", "epmc_party_members"),
                              ("绿色社区", "green_status")):
            pd.testing.assert_series_equal(communities[shown], figures[stored], check_names=False)
