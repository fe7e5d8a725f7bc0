"""The dashboard driven through Streamlit's AppTest on the shipped sample data."""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import plotly.graph_objects as go
import plotly.io as pio

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import store
from core.cli import load_sample
from core.config import default_campaign
from core.exports import scorecard_csv, scorecard_xlsx, snapshot_communities, table_csv, table_xlsx
from core.history import measure_history
from core.ledger import display_table, filter_rows, ledger_data
from core.meeting_pack import meeting_pack, pack_file_name
from core.metrics import snapshot
from core.template import template_bytes, template_file_name
from pages import state
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/overview.py", "pages/town.py", "pages/ranking.py", "pages/upload.py", "pages/submissions.py",
         "pages/ledger.py", "pages/manage.py", "pages/accounts.py", "pages/audit.py", "pages/settings.py",
         "pages/presenter.py", "pages/bulletin.py"]
BAD_EXAMPLE = ROOT / "sample_data" / "examples" / "错误示例_岭子镇.xlsx"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A database holding the sample data, built once: each test gets a copy."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    conn = store.connect(path)
    load_sample(conn)
    conn.close()
    return path


def start(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("REDPROP_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def app(sample_db, tmp_path, monkeypatch):
    """The app over its own copy of the sample database."""
    shutil.copy(sample_db, tmp_path / "app.duckdb")
    yield start(tmp_path / "app.duckdb", monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


def test_an_empty_database_gets_the_sample_data_on_first_start(tmp_path, monkeypatch):
    at = start(tmp_path / "empty.duckdb", monkeypatch)
    assert at.date_input(key="as_of").value == dt.date(2021, 12, 31)
    assert len(at.metric) == 4
    st.cache_resource.clear()
    conn = store.connect(tmp_path / "empty.duckdb")
    assert len(store.uploads(conn)) == 52 and store.uploads(conn)["is_sample"].all()


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """File name → what each download button drawn from now on would send: bytes, or the callable
    Streamlit runs (on a thread of its own) when the button is clicked. AppTest has no server to
    click through, so the tests read the bytes from here."""
    from streamlit.elements.widgets import button

    drawn = {}
    real = button.marshall_file

    def record(coordinates, data, proto, mimetype, file_name=None, **kwargs):
        drawn[file_name] = data
        return real(coordinates, data, proto, mimetype, file_name, **kwargs)

    monkeypatch.setattr(button, "marshall_file", record)
    return drawn


def file_bytes(data) -> bytes:
    """The bytes of a download button's data, built now (in this thread) when it is a callable."""
    with ThreadPoolExecutor(1) as pool:  # as Streamlit does: not the thread that ran the page
        return pool.submit(data).result() if callable(data) else data


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [s.value for s in at.subheader] + [e.value for kind in ("info", "warning", "success", "error")
                                                 for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_sample_data(app, page):
    visit(app, page)


def test_as_of_defaults_to_the_latest_report_date_and_marks_sample_data(app):
    assert app.date_input(key="as_of").value == dt.date(2021, 12, 31)
    assert "示例数据" in "\n".join(w.value for w in app.sidebar.warning)
    assert "数据截至 2021-12-31" in "\n".join(c.value for c in app.sidebar.caption)


def test_overview_at_the_seed_baseline_shows_the_seed_figures(app):
    app.date_input(key="as_of").set_value(dt.date(2021, 10, 31)).run()
    values = metric_values(app)
    # Seed: 74/104 = 71%, 33/74 = 45%, 20/41 = 49% (one decimal here).
    assert values["业委会组建率"] == "71.2%"
    assert values["业委会党组织覆盖率"] == "44.6%"
    assert values["环物委覆盖率"] == "48.8%"
    shown = texts(app)
    assert "对照第一阶段" in shown and "已报送 13/13" in shown
    # 80% of 41 communities is 33 EPMCs: 13 more than the 20 of the seed.
    assert "还需成立13个环物委" in shown


def test_overview_change_since_previous_report(app):
    app.date_input(key="as_of").set_value(dt.date(2021, 11, 30)).run()
    epmc = next(m for m in app.metric if m.label == "环物委覆盖率")
    # 20/41 → 30/41: 48.78% → 73.17%, +24.4 points.
    assert (epmc.value, epmc.delta) == ("73.2%", "+24.4 个百分点")


def test_before_any_report_the_overview_explains_what_to_do(app):
    app.date_input(key="as_of").set_value(dt.date(2021, 10, 1)).run()
    assert not app.exception
    assert "还没有任何镇办报送数据" in texts(app)


def test_town_page_shows_the_chosen_town(app):
    visit(app, "pages/town.py")
    app.selectbox(key="town").set_value("西河镇").run()
    assert not app.exception
    shown = texts(app)
    # 西河镇 on 12-31: 2 of 3 EPMCs, 2 of 3 committees with a party organisation; phase 3 needs 100% / 70%.
    assert "还需成立1个环物委" in shown and "还需建立1个业委会党组织" in shown
    assert metric_values(app)["环物委覆盖率"] == "66.7%"
    compounds = app.dataframe[1].value  # 小区情况: 碧水家园 has no committee, so no committee size either
    shown_row = compounds[compounds["小区"] == "碧水家园"].iloc[0]
    assert (shown_row["业委会"], shown_row["提示"], shown_row["成员数"]) == ("否", "未成立业委会", "")


def test_ranking_lists_every_town_and_offers_both_downloads(app, downloads, sample_db):
    visit(app, "pages/ranking.py")
    table = app.dataframe[0].value
    assert len(table) == 13
    labels = [b.label for b in app.download_button]
    assert labels == ["下载排名表（Excel）", "下载排名表（CSV）", "下载推进会材料（Excel）"]
    for index in range(len(labels)):
        app.download_button[index].click().run()
        assert not app.exception
    assert len(app.dataframe[0].value) == 13  # the page kept its state

    # The files are built when clicked, on another thread than the page's: the bytes they make.
    conn = store.connect(sample_db)
    snap = snapshot(conn, default_campaign(), dt.date(2021, 12, 31))
    name = "淄川区红色物业考核排名_2021-12-31"
    assert file_bytes(downloads[f"{name}.csv"]) == scorecard_csv(snap)
    assert file_bytes(downloads[f"{name}.xlsx"]) == scorecard_xlsx(snap, snapshot_communities(conn, snap))
    pack = openpyxl.load_workbook(io.BytesIO(file_bytes(downloads[pack_file_name(snap)])))
    assert pack.sheetnames == openpyxl.load_workbook(io.BytesIO(meeting_pack(conn, snap))).sheetnames
    conn.close()


def test_upload_a_good_workbook_stores_it_after_confirmation(app, tmp_path):
    visit(app, "pages/upload.py")
    data = standard(
        [compound_row("新村社区", "幸福苑", "是", 7, 6, "是"), compound_row("新村社区", "和顺园")],
        [community_row("新村社区", "是", 5, 4)],
        info=info_sheet(town="太河镇", report_date=dt.date(2022, 1, 10)))
    conn = store.connect(tmp_path / "app.duckdb")
    before = len(store.uploads(conn))
    conn.close()
    app.file_uploader[0].upload("太河镇.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    app.run()
    assert not app.exception
    assert "检查通过" in texts(app)
    app.button(key="confirm_upload").click().run()
    assert not app.exception
    assert "太河镇 2022-01-10：已保存为第1版" in texts(app)
    conn = store.connect(tmp_path / "app.duckdb")
    uploads = store.uploads(conn)
    assert len(uploads) == before + 1
    assert uploads.iloc[0]["town"] == "太河镇" and uploads.iloc[0]["uploader"] == "本机用户"  # the single local user


def test_upload_a_bad_workbook_explains_itself_and_stores_nothing(app, tmp_path):
    visit(app, "pages/upload.py")
    app.file_uploader[0].upload(BAD_EXAMPLE.name, BAD_EXAMPLE.read_bytes())
    app.run()
    assert not app.exception
    shown = texts(app)
    assert "不能导入" in shown and "没有可以导入的工作簿" in shown
    assert not [b for b in app.button if b.key == "confirm_upload"]
    problems = app.dataframe[0].value
    assert set(problems["类型"]) >= {"错误"}
    assert {"工作表", "行", "列", "说明"} <= set(problems.columns)
    conn = store.connect(tmp_path / "app.duckdb")
    assert not (store.uploads(conn)["file_name"] == BAD_EXAMPLE.name).any()


def test_template_download_is_offered_on_the_upload_page(app, downloads):
    visit(app, "pages/upload.py")
    button = app.download_button(key="download_template")
    assert button.label == "下载填报模板"
    button.click().run()
    assert not app.exception
    campaign = default_campaign()
    assert file_bytes(downloads[template_file_name(campaign)]) == template_bytes(campaign)


def test_ledger_downloads_hold_every_matching_row(app, downloads, sample_db):
    visit(app, "pages/ledger.py")
    app.multiselect(key=state.LEDGER_FILTERS["compounds"]).select("未建党组织").run()
    assert not app.exception
    shown = app.dataframe[0].value
    conn = store.connect(sample_db)
    campaign = default_campaign()
    rows = filter_rows(ledger_data(conn, campaign, dt.date(2021, 12, 31), "compounds").rows, "compounds", "",
                       ["未建党组织"])
    expected = display_table(rows, "compounds")
    conn.close()
    assert len(shown) == len(expected) > 0
    name = "淄川区小区台账_2021-12-31"
    assert file_bytes(downloads[f"{name}.csv"]) == table_csv(expected)
    assert file_bytes(downloads[f"{name}.xlsx"]) == table_xlsx({"小区台账": expected},
                                                               title="淄川区小区台账（截至 2021-12-31）")


def test_charts_are_valid_plotly_figures(sample_db):
    """The charts are built from dicts without plotly's validation (pages/charts.py): validate them here."""
    from pages.charts import milestone_chart, town_chart, town_trend_chart

    conn = store.connect(sample_db)
    campaign = default_campaign()
    for day in (dt.date(2021, 10, 1), dt.date(2021, 11, 30), dt.date(2021, 12, 31)):
        snap = snapshot(conn, campaign, day)
        history = measure_history(conn, campaign, day)
        figures = [town_trend_chart(history, campaign, "西河镇", list(snap.judged.targets))]
        for code in snap.judged.targets:
            figures += [milestone_chart(history, campaign, code, day), town_chart(snap, code)]
        for figure in figures:
            validated = go.Figure(figure.to_plotly_json())  # raises on an invalid property or value
            assert json.loads(pio.to_json(validated)) == json.loads(pio.to_json(figure, validate=False))
    conn.close()


def test_a_consolidated_workbook_of_many_towns_is_summed_up_not_listed(tmp_path, monkeypatch):
    """A city's workbook of 25 towns: one line with the totals (towns listed on request), and
    after saving one line of counts instead of 25."""
    from bench.datasets import Scale, town_names, write_campaign, write_workbook

    monkeypatch.setenv("REDPROP_CAMPAIGN", str(write_campaign(tmp_path, town_names(25))))
    default_campaign.cache_clear()
    try:
        data = write_workbook(tmp_path / "全市.xlsx", Scale("city", 250, 25), dt.date(2021, 12, 31)).read_bytes()
        at = start(tmp_path / "city.duckdb", monkeypatch)
        at.switch_page("pages/upload.py").run()
        at.file_uploader[0].upload("全市.xlsx", data)
        at.run()
        assert not at.exception
        line = next(m.value for m in at.markdown if "检查通过" in m.value)
        assert "25 个镇（街道）的报表（报送日期 2021-12-31），小区共 250 个、社区共 25 个" in line
        assert "第0001镇（" not in line
        assert at.expander[-1].label == "逐镇（街道）明细"
        details = at.dataframe[-1].value
        assert len(details) == 25 and details["小区"].sum() == 250
        at.button(key="confirm_upload").click().run()
        assert not at.exception
        assert at.success[0].value == "已处理 25 份报表：已保存为新版本 25 份"
        at.file_uploader[0].upload("全市.xlsx", data)
        at.run()
        at.button(key="confirm_upload").click().run()
        assert at.success[0].value == "已处理 25 份报表：与已保存版本相同、未重复保存 25 份"
    finally:
        default_campaign.cache_clear()


def test_the_town_chart_of_many_towns_shows_those_furthest_behind(sample_db):
    from pages.charts import town_bars

    conn = store.connect(sample_db)
    snap = snapshot(conn, default_campaign(), dt.date(2021, 12, 31))
    conn.close()
    rates = {s.town: float(snap.rate("party_org_coverage", s.figures)) for s in snap.towns}
    lowest = sorted(rates, key=lambda t: (rates[t], list(rates).index(t)))[:5]
    bars = town_bars(snap, "party_org_coverage", limit=5)
    assert sorted(bars["towns"]) == sorted(lowest) and len(bars["values"]) == 5
    assert bars["values"] == sorted(bars["values"])  # plotly draws the first bar at the bottom: the lowest
    assert town_bars(snap, "party_org_coverage")["towns"][-1] == max(rates, key=rates.get)
