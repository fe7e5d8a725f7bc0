"""Versions in the store: viewing one, restoring an earlier one, removing the sample data.

Real workbooks through the real importer into DuckDB files; the shipped sample_data/ for the
sample removal.
"""
from __future__ import annotations

import datetime as dt

import pytest

from core import store
from core.cli import load_sample, sample_files
from core.measures import district_figures, reports_as_of
from core.store import StoredReport, VersionError
from tests.reports import ledger_counts, store_report, versions

D1031, D1130 = dt.date(2021, 10, 31), dt.date(2021, 11, 30)
TOWN = "昆仑镇"


@pytest.fixture
def conn(tmp_path):
    with store.connect(tmp_path / "redprop.duckdb") as connection:
        yield connection


def upload_id_of(conn, town, report_date, version) -> int:
    return conn.execute("SELECT upload_id FROM uploads WHERE town = $t AND report_date = $d AND version = $v",
                        {"t": town, "d": report_date, "v": version}).fetchone()[0]


# ---------------------------------------------------------------- upload_detail

def test_upload_detail_holds_the_version_and_its_rows(conn):
    first = store_report(conn, TOWN, D1130, committees=1, compounds=2)
    store_report(conn, TOWN, D1130, committees=2, compounds=3)
    detail = store.upload_detail(conn, first)
    assert {k: detail.info[k] for k in ("town", "report_date", "version", "active", "file_name", "is_sample")} == {
        "town": TOWN, "report_date": D1130, "version": 1, "active": False, "file_name": "2021-11-30_昆仑镇.xlsx",
        "is_sample": False}
    assert list(detail.tables) == ["compounds", "communities", "brands", "epmc_members"]
    compounds = detail.tables["compounds"]
    assert compounds[["compound", "has_committee"]].values.tolist() == [["昆仑镇小区1", True], ["昆仑镇小区2", False]]
    assert detail.tables["communities"]["community"].tolist() == ["东关社区"]
    assert detail.tables["brands"].empty and detail.tables["epmc_members"].empty


def test_upload_detail_of_an_unknown_version(conn):
    with pytest.raises(VersionError, match="找不到编号为 99 的报表版本"):
        store.upload_detail(conn, 99)


def test_version_tables_are_upload_details_tables_as_the_screen_shows_them(conn):
    """The manage page's tables, read in one query as lists, are those of upload_detail through
    display_table and for_screen: the same values and column types, for every sample version."""
    import pandas as pd

    from core.ledger import display_table, for_screen, version_tables

    load_sample(conn)
    for (upload_id,) in conn.execute("SELECT upload_id FROM uploads ORDER BY upload_id").fetchall():
        detail = store.upload_detail(conn, upload_id)
        tables = version_tables(conn, upload_id)
        assert list(tables) == list(detail.tables)
        for key, rows in detail.tables.items():
            if rows.empty:
                assert tables[key] is None
            else:
                pd.testing.assert_frame_equal(tables[key], for_screen(display_table(rows, key)), check_exact=True)
    with pytest.raises(VersionError, match="找不到编号为 9999 的报表版本"):
        version_tables(conn, 9999)


# ---------------------------------------------------------------- restore_version

def test_restore_makes_the_earlier_version_the_one_in_force(conn, campaign):
    first = store_report(conn, TOWN, D1130, committees=1, compounds=2)
    second = store_report(conn, TOWN, D1130, committees=2, compounds=3)
    rows_before = ledger_counts(conn)
    latest, _ = reports_as_of(conn, campaign, D1130)
    assert latest[TOWN].upload_id == second
    assert latest[TOWN].figures.counts["committees"] == 2

    restored = store.restore_version(conn, first, "物业科")

    assert restored == StoredReport(TOWN, D1130, 1, 2, False, 2, 1)
    assert versions(conn) == [(TOWN, D1130, 1, True, False), (TOWN, D1130, 2, False, False)]
    assert ledger_counts(conn) == rows_before  # nothing deleted
    latest, _ = reports_as_of(conn, campaign, D1130)
    assert latest[TOWN].upload_id == first
    assert latest[TOWN].figures.counts["committees"] == 1
    superseded = conn.execute("SELECT upload_id, superseded_at IS NOT NULL FROM uploads ORDER BY upload_id").fetchall()
    assert superseded == [(first, False), (second, True)]


def test_restore_back_and_forth_changes_the_data_version_every_time(conn):
    first = store_report(conn, TOWN, D1130)
    second = store_report(conn, TOWN, D1130)
    seen = [store.data_version(conn)]
    for upload_id in (first, second, first, second):
        store.restore_version(conn, upload_id, "物业科")
        seen.append(store.data_version(conn))
    # Every change is seen by the cache; the same versions in force give the same key (same data).
    assert all(a != b for a, b in zip(seen, seen[1:]))
    assert seen[1] == seen[3] and seen[2] == seen[4]


def test_a_new_upload_after_a_restore_supersedes_the_restored_version(conn):
    first = store_report(conn, TOWN, D1130)
    store_report(conn, TOWN, D1130)
    store.restore_version(conn, first, "物业科")
    store_report(conn, TOWN, D1130)
    assert versions(conn) == [(TOWN, D1130, 1, False, False), (TOWN, D1130, 2, False, False),
                              (TOWN, D1130, 3, True, False)]


def test_restore_touches_no_other_town_or_date(conn):
    first = store_report(conn, TOWN, D1130)
    store_report(conn, TOWN, D1130)
    store_report(conn, TOWN, D1031)
    store_report(conn, "太河镇", D1130)
    store.restore_version(conn, first, "物业科")
    assert versions(conn) == [("太河镇", D1130, 1, True, False), (TOWN, D1031, 1, True, False),
                              (TOWN, D1130, 1, True, False), (TOWN, D1130, 2, False, False)]


def test_restoring_the_version_in_force_is_refused(conn):
    store_report(conn, TOWN, D1130)
    second = store_report(conn, TOWN, D1130)
    before = store.data_version(conn)
    with pytest.raises(VersionError, match="昆仑镇 2021-11-30 第2版已经是当前生效的版本，无需恢复。"):
        store.restore_version(conn, second, "物业科")
    assert store.data_version(conn) == before
    assert versions(conn) == [(TOWN, D1130, 1, False, False), (TOWN, D1130, 2, True, False)]


def test_restoring_an_unknown_version_is_refused(conn):
    store_report(conn, TOWN, D1130)
    with pytest.raises(VersionError, match="找不到编号为 42 的报表版本"):
        store.restore_version(conn, 42, "物业科")
    assert versions(conn) == [(TOWN, D1130, 1, True, False)]


# ---------------------------------------------------------------- remove_sample

@pytest.fixture(scope="module")
def sample_count():
    files = sample_files()
    if not files:
        pytest.skip("sample_data/*.xlsx not generated yet")
    return len(files)


def test_remove_sample_keeps_real_data_in_force(conn, campaign, sample_count):
    real_first = store_report(conn, TOWN, D1031, committees=2, compounds=2)  # real, then the sample over it
    load_sample(conn)
    real_later = store_report(conn, "太河镇", D1130, committees=1, compounds=2)  # the sample, then real over it
    real_only = store_report(conn, "般阳路街道", dt.date(2021, 11, 20), committees=1, compounds=1)
    assert conn.execute("SELECT count(*) FROM uploads").fetchone()[0] == sample_count + 3
    assert (TOWN, D1031, 2, True, True) in versions(conn)  # the sample is in force over the real 昆仑镇 report
    assert ledger_counts(conn)["brands"] > 0
    before = store.data_version(conn)

    removed = store.remove_sample(conn)

    assert removed == sample_count
    assert sorted(versions(conn)) == sorted([("太河镇", D1130, 2, True, False), (TOWN, D1031, 1, True, False),
                                             ("般阳路街道", dt.date(2021, 11, 20), 1, True, False)])
    assert ledger_counts(conn) == {"compounds": 5, "communities": 3, "brands": 0, "epmc_members": 0}
    ids = {r[0] for r in conn.execute("SELECT DISTINCT upload_id FROM compounds").fetchall()}
    assert real_first in ids and real_later in ids
    assert store.data_version(conn) != before
    latest, _ = reports_as_of(conn, campaign, D1130)
    assert {t: r.upload_id for t, r in latest.items()} == {TOWN: real_first, "太河镇": real_later,
                                                           "般阳路街道": real_only}
    assert district_figures(conn, latest).counts["compounds"] == 5


def test_remove_sample_of_sample_only_data_empties_the_store(conn, sample_count):
    load_sample(conn)
    assert store.remove_sample(conn) == sample_count
    assert store.is_empty(conn)
    assert ledger_counts(conn) == {"compounds": 0, "communities": 0, "brands": 0, "epmc_members": 0}


def test_remove_sample_twice_removes_nothing_the_second_time(conn):
    store_report(conn, TOWN, D1031, is_sample=True)
    store_report(conn, TOWN, D1130)
    assert store.remove_sample(conn) == 1
    before = store.data_version(conn)
    assert store.remove_sample(conn) == 0
    assert store.data_version(conn) == before
    assert versions(conn) == [(TOWN, D1130, 1, True, False)]


def test_remove_sample_reactivates_the_latest_real_version(conn):
    store_report(conn, TOWN, D1031)
    store_report(conn, TOWN, D1031)
    store_report(conn, TOWN, D1031, is_sample=True)
    assert versions(conn) == [(TOWN, D1031, 1, False, False), (TOWN, D1031, 2, False, False),
                              (TOWN, D1031, 3, True, True)]
    assert store.remove_sample(conn) == 1
    assert versions(conn) == [(TOWN, D1031, 1, False, False), (TOWN, D1031, 2, True, False)]


def test_remove_sample_while_another_session_has_a_read_open(conn):
    store_report(conn, TOWN, D1031, is_sample=True)
    store_report(conn, TOWN, D1031)
    reader = conn.cursor()
    reader.execute("SELECT upload_id FROM uploads ORDER BY upload_id").fetchone()  # result left open, as a page may
    assert store.remove_sample(conn.cursor()) == 1
    assert versions(conn) == [(TOWN, D1031, 2, True, False)]
    assert ledger_counts(conn)["compounds"] == 2


def test_an_emptied_database_does_not_get_the_sample_again(conn):
    assert store.wants_sample(conn)
    from core.cli import load_sample
    load_sample(conn)
    assert not store.wants_sample(conn)
    store.remove_sample(conn)
    assert store.is_empty(conn) and not store.wants_sample(conn)
