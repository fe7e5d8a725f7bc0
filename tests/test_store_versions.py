"""The DuckDB store: one transaction per import, versions per town and report date, migrations."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from core import store
from core.schema import MIGRATIONS
from core.validate import ParsedWorkbook, Report
from tests.workbooks import (BRAND_HEADER, COMMUNITY_HEADER, COMPOUND_HEADER, Sheet, community_row, compound_row,
                       info_sheet, standard, xlsx)

D = dt.date
BY, KL = "般阳路街道", "昆仑镇"


def dump(conn) -> dict:
    """Every table, every row, in a stable order."""
    tables = [t for (t,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
    return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables}


def v1_bytes() -> bytes:
    return standard([compound_row("东社区", "阳光花园", "是", 7, 6, "是", founded=D(2021, 6, 1)),
                     compound_row("东社区", "幸福里", company="甲物业")],
                    [community_row("东社区", "是", 7, 5)], info=info_sheet(filled_by="张三", phone="13800000000"))


def v2_bytes() -> bytes:
    return standard([compound_row("东社区", "阳光花园", "是", 7, 6, "是", founded=D(2021, 6, 1)),
                     compound_row("东社区", "幸福里", "是", 5, 3, "是")],
                    [community_row("东社区", "是", 7, 5)])


@pytest.fixture
def conn(tmp_path):
    with store.connect(tmp_path / "store.duckdb") as connection:
        yield connection


@pytest.fixture
def importer(conn, parse):
    def run(data: bytes, name="台账.xlsx", **kwargs):
        parsed = parse(data, name, **kwargs)
        assert parsed.errors == []
        return store.save(conn, parsed, "测试")
    return run


def compounds_of(conn, version, town=BY, report_date=D(2021, 11, 30)):
    return conn.execute("""
        SELECT c.source_row, c.town, c.community, c.compound, c.eligible, c.has_committee, c.committee_founded,
               c.committee_members, c.committee_party_members, c.committee_party_org, c.party_org_founded,
               c.property_company, c.company_party_org
        FROM compounds c JOIN uploads u USING (upload_id)
        WHERE u.town = ? AND u.report_date = ? AND u.version = ?
        ORDER BY c.source_row""", [town, report_date, version]).fetchall()


V1_COMPOUNDS = [
    (2, BY, "东社区", "阳光花园", True, True, D(2021, 6, 1), 7, 6, True, None, None, None),
    (3, BY, "东社区", "幸福里", True, False, None, None, None, False, None, "甲物业", None),
]
V2_COMPOUNDS = [
    (2, BY, "东社区", "阳光花园", True, True, D(2021, 6, 1), 7, 6, True, None, None, None),
    (3, BY, "东社区", "幸福里", True, True, None, 5, 3, True, None, None, None),
]


def versions(conn):
    return conn.execute("SELECT town, report_date, version, active, superseded_at IS NOT NULL FROM uploads "
                        "ORDER BY town, report_date, version").fetchall()


# ---------------------------------------------------------------- what a first import stores

def test_first_import_stores_the_canonical_rows(conn, importer):
    [stored] = importer(v1_bytes())
    assert (stored.town, stored.report_date, stored.version, stored.replaced_version, stored.duplicate) == (
        BY, D(2021, 11, 30), 1, None, False)
    assert (stored.compounds, stored.communities) == (2, 1)
    assert compounds_of(conn, 1) == V1_COMPOUNDS
    assert conn.execute("SELECT source_row, town, community, has_epmc, epmc_founded, epmc_members, "
                        "epmc_party_members, epmc_chair_from_rc, epmc_conflict, green_status FROM communities"
                        ).fetchall() == [(2, BY, "东社区", True, None, 7, 5, None, None, "未创建")]
    upload = conn.execute("SELECT file_name, uploader, filled_by, phone, is_sample, warning_count, warnings, active "
                          "FROM uploads").fetchall()
    assert upload == [("台账.xlsx", "测试", "张三", "13800000000", False, 0, "[]", True)]


def test_warnings_are_kept_with_the_upload(conn, importer):
    importer(standard([compound_row("东社区", "阳光花园")], [community_row("东社区", "是", 6, 4)]))
    count, warnings = conn.execute("SELECT warning_count, warnings FROM uploads").fetchone()
    assert count == 1
    assert [(w["sheet"], w["row"], w["column"]) for w in json.loads(warnings)] == [("社区台账", 2, "环物委成员数")]


def test_brands_and_members_are_stored(conn, importer):
    brands = Sheet("示范品牌", [BRAND_HEADER, [None, "红心物业", "区级", "2021-09-10", None, None]])
    importer(standard([compound_row("东社区", "阳光花园")], [community_row("东社区")], extra=[brands]))
    assert conn.execute("SELECT source_row, town, name, level, recognized, community, compound FROM brands"
                        ).fetchall() == [(2, BY, "红心物业", "区级", D(2021, 9, 10), None, None)]


# ---------------------------------------------------------------- versions

def test_same_file_twice_stores_one_version(conn, importer):
    data = v1_bytes()
    importer(data)
    before = dump(conn)
    [again] = importer(data, name="重新上传.xlsx")
    assert (again.version, again.duplicate, again.replaced_version) == (1, True, None)
    assert dump(conn) == before
    assert versions(conn) == [(BY, D(2021, 11, 30), 1, True, False)]


def test_changed_file_for_the_same_town_and_date_is_version_two(conn, importer):
    importer(v1_bytes())
    [stored] = importer(v2_bytes())
    assert (stored.version, stored.replaced_version, stored.duplicate) == (2, 1, False)
    assert versions(conn) == [(BY, D(2021, 11, 30), 1, False, True), (BY, D(2021, 11, 30), 2, True, False)]
    assert compounds_of(conn, 1) == V1_COMPOUNDS  # history is kept
    assert compounds_of(conn, 2) == V2_COMPOUNDS


def test_reimporting_version_one_after_version_two_is_version_three(conn, importer):
    first = v1_bytes()
    importer(first)
    importer(v2_bytes())
    [stored] = importer(first)
    assert (stored.version, stored.replaced_version, stored.duplicate) == (3, 2, False)
    assert versions(conn) == [(BY, D(2021, 11, 30), 1, False, True), (BY, D(2021, 11, 30), 2, False, True),
                              (BY, D(2021, 11, 30), 3, True, False)]
    assert compounds_of(conn, 3) == V1_COMPOUNDS


def test_other_report_dates_and_towns_are_separate_histories(conn, importer):
    importer(v1_bytes())
    [later] = importer(standard([compound_row("东社区", "阳光花园")], [community_row("东社区")],
                                info=info_sheet(report_date=D(2021, 12, 15))))
    [other] = importer(standard([compound_row("东社区", "阳光花园")], [community_row("东社区")],
                                info=info_sheet(town=KL)))
    assert (later.version, other.version) == (1, 1)
    assert versions(conn) == sorted([(BY, D(2021, 11, 30), 1, True, False), (BY, D(2021, 12, 15), 1, True, False),
                                     (KL, D(2021, 11, 30), 1, True, False)])
    assert conn.execute("SELECT count(*) FROM uploads WHERE active").fetchone() == (3,)


def test_consolidated_workbook_is_one_upload_per_town(conn, importer):
    data = xlsx(info_sheet(town=None),
                Sheet("小区台账", [COMPOUND_HEADER, compound_row("东社区", "阳光花园", town=BY),
                                   compound_row("北社区", "矿务局宿舍", town=KL), compound_row("北社区", "新村", town=KL)]),
                Sheet("社区台账", [COMMUNITY_HEADER, community_row("东社区", town=BY), community_row("北社区", town=KL)]))
    stored = importer(data, name="全区汇总.xlsx")
    assert sorted((s.town, s.version, s.compounds, s.communities) for s in stored) == sorted(
        [(BY, 1, 1, 1), (KL, 1, 2, 1)])
    rows = conn.execute("SELECT u.town, u.file_name, count(c.compound) FROM uploads u "
                        "LEFT JOIN compounds c USING (upload_id) GROUP BY ALL ORDER BY 1").fetchall()
    assert sorted(rows) == sorted([(BY, "全区汇总.xlsx", 1), (KL, "全区汇总.xlsx", 2)])
    again = importer(data, name="全区汇总.xlsx")
    assert all(s.duplicate for s in again) and len(again) == 2


# ---------------------------------------------------------------- schema and transactions

def test_schema_migration_is_idempotent(tmp_path):
    path = tmp_path / "twice.duckdb"
    for _ in range(3):
        with store.connect(path) as connection:
            rows = connection.execute("SELECT version, description FROM schema_migrations ORDER BY 1").fetchall()
    assert rows == [(version, description) for version, description, _ in MIGRATIONS]


def test_db_path_prefers_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REDPROP_DB", str(tmp_path / "env.duckdb"))
    assert store.db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert store.db_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("REDPROP_DB")
    assert str(store.db_path()) == "data/redprop.duckdb"


def test_unusable_database_path_is_a_store_error(tmp_path):
    with pytest.raises(store.StoreError, match="无法打开数据库"):
        store.connect(tmp_path)  # a directory
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(store.StoreError, match="无法打开数据库"):
        store.connect(junk)


def _report(town, compounds: list[dict]) -> Report:
    empty = {"source_row": [], "town": [], "community": [], "has_epmc": [], "epmc_founded": [], "epmc_members": [],
             "epmc_party_members": [], "epmc_chair_from_rc": [], "epmc_conflict": [], "green_status": []}
    return Report(town, D(2021, 11, 30), {
        "compounds": pd.DataFrame(compounds),
        "communities": pd.DataFrame(empty),
        "brands": pd.DataFrame({"source_row": [], "town": [], "name": [], "level": [], "recognized": [],
                                "community": [], "compound": []}),
        "epmc_members": pd.DataFrame({"source_row": [], "town": [], "community": [], "name": [], "role": [],
                                      "member_type": [], "party_member": [], "conflict": []}),
    })


def _compound(town, compound):
    return {"source_row": 2, "town": town, "community": "东社区", "compound": compound, "eligible": True,
            "has_committee": False, "committee_founded": None, "committee_members": None,
            "committee_party_members": None, "committee_party_org": False, "party_org_founded": None,
            "property_company": None, "company_party_org": None}


def test_failure_half_way_through_save_rolls_back_everything(conn, importer):
    from core.issues import IssueList

    importer(v1_bytes())
    before = dump(conn)
    parsed = ParsedWorkbook("坏.xlsx", "0" * 64, 10, IssueList(), reports=[
        _report(KL, [_compound(KL, "矿务局宿舍")]),  # fine
        _report(BY, [_compound(BY, None)]),  # compound NOT NULL: fails after the first report is written
    ])
    with pytest.raises(duckdb.ConstraintException):
        store.save(conn, parsed, "测试")
    assert dump(conn) == before
    # The connection is still usable, and the good part alone stores.
    parsed.reports = parsed.reports[:1]
    [stored] = store.save(conn, parsed, "测试")
    assert (stored.town, stored.version) == (KL, 1)
    assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (2,)


def test_save_refuses_a_workbook_with_errors(conn, parse):
    parsed = parse(b"not a workbook")
    with pytest.raises(ValueError):
        store.save(conn, parsed, "测试")


def test_data_version_changes_with_every_stored_report(conn, importer):
    first = store.data_version(conn)
    data = v1_bytes()
    importer(data)
    second = store.data_version(conn)
    importer(data)  # duplicate: nothing new
    assert store.data_version(conn) == second
    importer(v2_bytes())
    assert len({first, second, store.data_version(conn)}) == 3


def test_uploads_lists_history_newest_first(conn, importer):
    importer(v1_bytes(), name="第一次.xlsx")
    importer(v2_bytes(), name="第二次.xlsx")
    frame = store.uploads(conn)
    assert list(frame["file_name"]) == ["第二次.xlsx", "第一次.xlsx"]
    assert list(frame["version"]) == [2, 1] and list(frame["active"]) == [True, False]


def test_a_consolidated_workbook_resent_with_one_town_changed_versions_that_town_only(tmp_path, parse):
    from tests.workbooks import community_row, compound_row, info_sheet, standard

    def workbook(taihe_committee: str) -> bytes:
        return standard(
            [compound_row("东关社区", "幸福苑", "是", 5, 3, "是", town="般阳路街道"),
             compound_row("新村社区", "和顺园", taihe_committee, *((5, 3) if taihe_committee == "是" else ()),
                          town="太河镇")],
            [community_row("东关社区", "否", town="般阳路街道"), community_row("新村社区", "否", town="太河镇")],
            info=info_sheet(town=None))

    conn = store.connect(tmp_path / "db.duckdb")
    first = store.save(conn, parse(workbook("否"), "全区.xlsx"), "物业科")
    again = store.save(conn, parse(workbook("是"), "全区.xlsx"), "物业科")
    assert [(s.town, s.version, s.duplicate) for s in first] == [("般阳路街道", 1, False), ("太河镇", 1, False)]
    assert [(s.town, s.version, s.duplicate) for s in again] == [("般阳路街道", 1, True), ("太河镇", 2, False)]


def _threads(conn) -> int:
    return conn.execute("SELECT current_setting('threads')").fetchall()[0][0]


def test_a_database_within_one_row_group_runs_on_one_duckdb_thread(tmp_path, parse, monkeypatch):
    default = duckdb.connect().execute("SELECT current_setting('threads')").fetchall()[0][0]
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 2)  # instead of DuckDB's 122,880 rows
    conn = store.connect(tmp_path / "store.duckdb")
    assert _threads(conn) == 1  # empty
    store.save(conn, parse(v1_bytes()), "测试")  # two compounds: still within one group
    assert _threads(conn) == 1
    store.save(conn, parse(v2_bytes()), "测试")  # four compound rows (two versions): beyond it
    assert _threads(conn) == default
    conn.close()
    with store.connect(tmp_path / "store.duckdb", read_only=True) as again:
        assert _threads(again) == default
    monkeypatch.setattr(store, "ROW_GROUP_ROWS", 4)
    with store.connect(tmp_path / "store.duckdb") as again:
        assert _threads(again) == 1
