"""The 报送情况, 台账查询 and 数据管理 pages, run through app.py with Streamlit's AppTest.

Each test gets its own DuckDB file (REDPROP_DB) and empty Streamlit caches: the connection is a
cache_resource and cached reads are keyed on the store's data version, which can repeat between
two test databases.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import store
from core.cli import sample_files
from pages import state
from tests.reports import ledger_counts, store_report, versions

D1031, D1130 = dt.date(2021, 10, 31), dt.date(2021, 11, 30)
APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 120


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "redprop.duckdb"
    monkeypatch.setenv("REDPROP_DB", str(path))
    return path


@pytest.fixture
def small_db(db_path):
    """Real reports of three towns (no sample data): 般阳路街道 on time for 10-31 and 11-30, 松龄路街道 late
    for 10-31, 昆仑镇 twice for 10-31 (3 compounds, 1 committee; then 4 compounds, 2 committees)."""
    with store.connect(db_path) as conn:
        store_report(conn, "般阳路街道", D1031, dt.datetime(2021, 11, 1, 9), compounds=2, committees=2)
        store_report(conn, "般阳路街道", D1130, dt.datetime(2021, 12, 2, 9), compounds=2, committees=2)
        store_report(conn, "松龄路街道", D1031, dt.datetime(2021, 11, 8, 9), compounds=2, committees=0)
        store_report(conn, "昆仑镇", D1031, dt.datetime(2021, 11, 2, 9), compounds=3, committees=1)
        store_report(conn, "昆仑镇", D1031, dt.datetime(2021, 11, 9, 9), compounds=4, committees=2)
    return db_path


def open_page(page: str, as_of: dt.date | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if as_of is not None:
        at.session_state[state.AS_OF] = as_of
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def db_state(path) -> tuple:
    with store.connect(path) as conn:
        return versions(conn), ledger_counts(conn)


# ---------------------------------------------------------------- smoke: the shipped sample data

@pytest.mark.skipif(not sample_files(), reason="sample_data/*.xlsx not generated yet")
def test_every_admin_page_runs_on_the_auto_loaded_sample(db_path):
    for page in ("pages/submissions.py", "pages/ledger.py", "pages/manage.py"):
        at = open_page(page)
        assert not at.error, texts(at.error)
    assert "数据库中有 **52** 份示例报表" in " ".join(texts(at.markdown))


# ---------------------------------------------------------------- 报送情况

def test_submissions_matrix_and_reminder(small_db):
    at = open_page("pages/submissions.py", as_of=D1031)
    assert texts(at.title) == ["报送情况"]
    matrix = at.dataframe[0].value
    assert list(matrix.columns) == ["2021-10-31", "2021-11-30", "2021-12-15", "2021-12-31"]
    assert matrix.loc["般阳路街道"].tolist() == ["按时", "按时", "未报", "未报"]
    assert matrix.loc["松龄路街道"].tolist() == ["逾期", "未报", "未报", "未报"]
    assert matrix.loc["昆仑镇"].tolist() == ["重报", "未报", "未报", "未报"]
    assert matrix.loc["太河镇"].tolist() == ["未报"] * 4

    assert at.selectbox(key=state.SUBMISSIONS_DATE).value == D1031
    assert [(m.label, m.value) for m in at.metric] == [("已报送", "3 / 13"), ("按时", "2"), ("逾期", "1"),
                                                       ("重报", "1"), ("未报", "10")]
    missing = "钟楼街道、将军路街道、岭子镇、西河镇、龙泉镇、寨里镇、罗村镇、洪山镇、双杨镇、太河镇"
    assert any(missing in m for m in texts(at.markdown))
    [code] = at.code
    assert code.value.startswith("各镇（街道）：\n")
    assert f"以下10个单位尚未报送2021年10月31日红色物业建设工作台账：{missing}。" in code.value
    assert "淄川区住房保障中心物业科" in code.value


def test_submissions_for_another_date(small_db):
    at = open_page("pages/submissions.py", as_of=D1031)
    at.selectbox(key=state.SUBMISSIONS_DATE).select(D1130).run()
    assert not at.exception
    [code] = at.code
    assert "以下12个单位尚未报送2021年11月30日" in code.value
    assert "般阳路街道" not in code.value


def test_submissions_when_every_town_reported(db_path):
    with store.connect(db_path) as conn:
        for town in ("般阳路街道", "松龄路街道", "钟楼街道", "将军路街道", "昆仑镇", "岭子镇", "西河镇", "龙泉镇", "寨里镇",
                     "罗村镇", "洪山镇", "双杨镇", "太河镇"):
            store_report(conn, town, D1130, dt.datetime(2021, 12, 1, 9))
    at = open_page("pages/submissions.py", as_of=D1130)
    assert at.selectbox(key=state.SUBMISSIONS_DATE).value == D1130
    assert not at.code
    assert "2021年11月30日的工作台账各镇（街道）均已报送，无需催报。" in texts(at.info)


# ---------------------------------------------------------------- 台账查询

def test_ledger_all_towns_then_one_town_filtered_and_searched(small_db):
    at = open_page("pages/ledger.py", as_of=D1130)
    table = at.dataframe[0].value
    assert len(table) == 8  # 般阳路街道 2 (11-30), 松龄路街道 2, 昆仑镇 4 (its version 2)
    assert list(table.columns[:4]) == ["镇（街道）", "报送日期", "社区", "小区名称"]
    assert table["镇（街道）"].tolist() == ["般阳路街道"] * 2 + ["松龄路街道"] * 2 + ["昆仑镇"] * 4
    assert any("尚无报送数据：钟楼街道、将军路街道" in w for w in texts(at.warning))
    assert len(at.get("download_button")) == 2

    at.selectbox(key=state.LEDGER_TOWN).select("昆仑镇").run()
    at.multiselect(key=state.LEDGER_FILTERS["compounds"]).select("未成立业委会").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["小区名称"].tolist() == ["昆仑镇小区3", "昆仑镇小区4"]
    assert table["已成立业委会"].tolist() == ["否", "否"]

    at.text_input(key=state.LEDGER_SEARCH).input("小区4").run()
    assert at.dataframe[0].value["小区名称"].tolist() == ["昆仑镇小区4"]
    at.text_input(key=state.LEDGER_SEARCH).input("没有这个小区").run()
    assert not at.dataframe
    assert "没有符合条件的记录，请调整搜索词或筛选条件。" in texts(at.info)


def test_ledger_communities_table(small_db):
    at = open_page("pages/ledger.py", as_of=D1130)
    at.selectbox(key=state.LEDGER_TABLE).select("communities").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["社区"].tolist() == ["东关社区"] * 3
    assert table["已成立环物委"].tolist() == ["否"] * 3
    at.multiselect(key=state.LEDGER_FILTERS["communities"]).select("环物委不规范").run()
    assert "没有符合条件的记录，请调整搜索词或筛选条件。" in texts(at.info)


def test_ledger_before_any_report(small_db):
    at = open_page("pages/ledger.py", as_of=dt.date(2021, 10, 1))
    assert "所选范围内还没有台账数据。" in texts(at.info)
    assert not at.dataframe


# ---------------------------------------------------------------- 数据管理

def test_manage_history_and_restore_with_confirmation(small_db):
    at = open_page("pages/manage.py")
    history = at.dataframe[0].value
    assert len(history) == 5
    at.selectbox(key=state.MANAGE_TOWN).select("昆仑镇").run()
    history = at.dataframe[0].value
    assert history[["版本", "状态"]].values.tolist() == [["第2版", "生效"], ["第1版", "已替换"]]

    versions_box = at.selectbox(key=state.MANAGE_VERSION)
    assert versions_box.options == ["昆仑镇 · 2021-10-31 · 第2版", "昆仑镇 · 2021-10-31 · 第1版"]
    assert "这是该镇办该报送日期当前生效的版本。" in texts(at.caption)
    versions_box.select_index(1).run()
    assert at.dataframe[1].value["小区名称"].tolist() == ["昆仑镇小区1", "昆仑镇小区2", "昆仑镇小区3"]

    at.button(key=state.MANAGE_RESTORE).click().run()
    assert any("确认将昆仑镇 2021-10-31 第1版恢复为生效版本？当前生效的第2版将被替换" in w for w in texts(at.warning))
    at.button(key=state.MANAGE_RESTORE_CANCEL).click().run()
    assert not at.warning
    assert ("昆仑镇", D1031, 1, False, False) in db_state(small_db)[0]

    at.button(key=state.MANAGE_RESTORE).click().run()
    at.button(key=state.MANAGE_RESTORE_CONFIRM).click().run()
    assert not at.exception
    assert texts(at.success) == ["已将昆仑镇 2021-10-31 第1版恢复为生效版本（小区 3 个、社区 1 个）。"
                                 "原生效的第2版已被替换，仍保留在历史中。"]
    rows, counts = db_state(small_db)
    assert [r for r in rows if r[0] == "昆仑镇"] == [("昆仑镇", D1031, 1, True, False), ("昆仑镇", D1031, 2, False, False)]
    assert counts["compounds"] == 13  # nothing deleted
    assert at.dataframe[0].value[["版本", "状态"]].values.tolist() == [["第2版", "已替换"], ["第1版", "生效"]]


def test_manage_remove_sample_keeps_real_reports(db_path):
    with store.connect(db_path) as conn:
        store_report(conn, "昆仑镇", D1031, is_sample=True, compounds=2)
        store_report(conn, "昆仑镇", D1031, compounds=3)  # the real report over the sample
        store_report(conn, "太河镇", D1031, compounds=2)  # real, then a sample over it
        store_report(conn, "太河镇", D1031, is_sample=True, compounds=1)
        store_report(conn, "双杨镇", D1130, is_sample=True)
    at = open_page("pages/manage.py")
    assert "数据库中有 **3** 份示例报表" in " ".join(texts(at.markdown))

    at.button(key=state.MANAGE_REMOVE_SAMPLE).click().run()
    assert any("确认删除全部 3 份示例报表及其台账？" in w for w in texts(at.warning))
    at.button(key=state.MANAGE_REMOVE_CONFIRM).click().run()
    assert not at.exception
    assert texts(at.success) == ["已删除示例数据 3 份报表及其全部台账；各镇办正式上传的数据不受影响。"]
    assert "当前没有示例数据。" in texts(at.caption)
    rows, counts = db_state(db_path)
    assert sorted(rows) == sorted([("昆仑镇", D1031, 2, True, False), ("太河镇", D1031, 1, True, False)])
    assert counts == {"compounds": 5, "communities": 2, "brands": 0, "epmc_members": 0}
    assert len(at.dataframe[0].value) == 2


def test_manage_history_of_more_versions_than_a_page_is_paged(db_path):
    with store.connect(db_path) as conn:
        first = store_report(conn, "昆仑镇", D1130, dt.datetime(2021, 12, 1, 9))
        conn.execute("""
            INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, uploaded_at, uploader, town, report_date,
                                 version, active, filled_by, phone, is_sample, warning_count, warnings)
            SELECT nextval('upload_id_seq'), file_name, sha256, size_bytes, uploaded_at - to_days(i::INTEGER),
                   uploader, town, report_date - i::INTEGER, 1, TRUE, filled_by, phone, is_sample, warning_count,
                   warnings
            FROM uploads, range(1, 202) AS days(i) WHERE upload_id = $first""", {"first": first})
    at = open_page("pages/manage.py")
    assert "共 202 个版本。" in " ".join(texts(at.caption))
    assert len(at.dataframe[0].value) == 200
    assert at.dataframe[0].value["报送日期"].iloc[0] == "2021-11-30"
    at.number_input(key=state.MANAGE_HISTORY_PAGE).set_value(2).run()
    assert not at.exception
    assert at.dataframe[0].value["报送日期"].tolist() == ["2021-05-14", "2021-05-13"]  # 200 and 201 days before
    assert at.selectbox(key=state.MANAGE_VERSION).options == ["昆仑镇 · 2021-05-14 · 第1版",
                                                              "昆仑镇 · 2021-05-13 · 第1版"]
