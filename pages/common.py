"""What every page shares: the database connection, cached reads keyed on the store's version,
the as-of date, status colours and a few drawing helpers. No rate arithmetic here.
"""
from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from core import isolation, service, store
from core.access import Actor, visible_towns
from core.cli import load_sample
from core.config import default_campaign
from core.history import measure_history
from core.metrics import Snapshot, snapshot
from core.milestones import AT_RISK, BEHIND, MET, MISSING, ON_TRACK
from core.submissions import UploadStamp, upload_stamp
from pages import state

APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"

# One meaning of colour everywhere, always with a word or symbol beside it.
STATUS_COLORS = {MET: "#2e7d32", ON_TRACK: "#1565c0", AT_RISK: "#f9a825", BEHIND: "#c62828", MISSING: "#9e9e9e"}
STATUS_SYMBOLS = {MET: "✔", ON_TRACK: "↗", AT_RISK: "⚠", BEHIND: "✖", MISSING: "○"}


def status_label(status: str) -> str:
    return f"{STATUS_SYMBOLS[status]} {status}"


@st.cache_resource(show_spinner="正在打开数据库…")
def _connection():
    """The one connection this process owns; an empty database gets the sample data. This process
    then also serves imports and backups asked for by other processes (core/service.py), and its
    parse workers are started so that the first upload waits for none."""
    # The caches keep hundreds of thousands of small objects (a province's snapshots: standings,
    # fractions); with Python's default thresholds a full garbage collection over them lands in a
    # page run every few runs and adds 100-200 ms. Collecting the young generation less often keeps
    # full collections rare (nearly everything here is freed by reference counting anyway).
    gc.set_threshold(50_000, 20, 20)
    conn = store.connect()
    if store.wants_sample(conn):
        load_sample(conn)
    service.serve(conn, store.db_path(), default_campaign())
    isolation.pool_for(default_campaign()).warm()
    return conn


def startup_problem() -> str | None:
    """Why the app cannot serve at all, as a Chinese message (defusedxml missing, the database
    unusable or held by another process, its log not replayable); None when it can."""
    problem = isolation.defusedxml_problem()
    if problem:
        return problem
    try:
        _connection()
    except store.StoreError as exc:
        return str(exc)
    return None


def db():
    """This session's own cursor on the shared connection (a session's script runs in one thread)."""
    cursor = st.session_state.get(state.CURSOR)
    if cursor is None:
        cursor = st.session_state[state.CURSOR] = _connection().cursor()
    return cursor


def deferred(build: Callable[..., bytes], *args) -> Callable[[], bytes]:
    """`data` for st.download_button that builds the file only when the button is clicked.

    Streamlit runs it on another thread than this session's script, after the run that drew the
    button: so it takes no session state and not this session's cursor, but a cursor of its own on
    the shared connection (resolved here, in the script thread), and the values it is given now.
    """
    connection = _connection()

    def data() -> bytes:
        cursor = connection.cursor()
        try:
            return build(cursor, *args)
        finally:
            cursor.close()

    return data


def offline(build: Callable[..., bytes], *args, **kwargs) -> Callable[[], bytes]:
    """`data` for st.download_button that builds a file needing no database, only when clicked."""
    return lambda: build(*args, **kwargs)


def actor() -> Actor | None:
    """Who is acting in this session (set by app.py before the page runs); None refuses every action."""
    return st.session_state.get(state.ACTOR)


def town_choices(campaign, all_label: str | None = None) -> list:
    """The towns this session may look into; `all_label` first when it may see every one."""
    towns = visible_towns(actor(), campaign.towns) if actor() else ()
    return ([all_label] if all_label and len(towns) == len(campaign.towns) else []) + list(towns)


def refresh_data_version() -> tuple:
    """Read the store's data version for this run (app.py, at the start of every run)."""
    version = st.session_state[state.DATA_VERSION] = store.data_version(db())
    return version


def data_version() -> tuple:
    """The store's data version as read at the start of this run: the key of every cached read.
    (Writes happen in callbacks, before the run, or are followed by st.rerun().)"""
    version = st.session_state.get(state.DATA_VERSION)
    return version if version is not None else refresh_data_version()


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_snapshot(version: tuple, as_of: dt.date) -> Snapshot:
    """The snapshot of a date under a data version, shared by every session and never copied:
    cache_data would unpickle a province's snapshot (a thousand towns of exact fractions) on every
    rerun, which cost more than the rest of the page. Pages only read it."""
    return snapshot(db(), default_campaign(), as_of, cached_report_dates(version))  # the sidebar's, not a query again


def clear_data_caches() -> None:
    """Forget every cached read (st.cache_data and the shared snapshots), as a new data version does."""
    st.cache_data.clear()
    cached_snapshot.clear()


@st.cache_data(max_entries=32, show_spinner=False)
def cached_history(version: tuple, until: dt.date, town: str | None = None) -> pd.DataFrame:
    """The district's rows of core.history.measure_history (town None), or one town's."""
    if town is None:
        return measure_history(db(), default_campaign(), until, towns=(), district=True)
    return measure_history(db(), default_campaign(), until, towns=[town], district=False,
                           dates=cached_report_dates(version))  # the sidebar's, not a query again


def cached_report_dates(version: tuple) -> list[dt.date]:
    """Every report date, oldest first: read with the sidebar's stamp, not by a query of its own."""
    return cached_stamp(version).report_dates


@st.cache_data(max_entries=8, show_spinner=False)
def cached_uploads(version: tuple) -> pd.DataFrame:
    return store.uploads(db())


@st.cache_data(max_entries=8, show_spinner=False)
def cached_stamp(version: tuple) -> UploadStamp:
    """The report dates, the time of the latest upload and whether sample data is in force: what the
    sidebar says, in one query, without copying the whole upload list into every page run."""
    return upload_stamp(db())


def as_of() -> dt.date:
    """The as-of date chosen in the sidebar."""
    return st.session_state.get(state.AS_OF) or dt.date.today()


def current_snapshot() -> Snapshot:
    return cached_snapshot(data_version(), as_of())


def sidebar() -> None:
    """The as-of date (default: the latest report date) and the data stamp."""
    dates, latest_upload, sample_in_force = cached_stamp(data_version())
    campaign = default_campaign()
    if state.AS_OF not in st.session_state:
        st.session_state[state.AS_OF] = dates[-1] if dates else dt.date.today()
    with st.sidebar:
        st.date_input("统计截至日期", key=state.AS_OF, format="YYYY-MM-DD",
                      help="各镇办取该日期当天或之前最近一次报送的数据。")
        if latest_upload is None:
            st.caption("尚无数据。")
        else:
            st.caption(f"数据截至 {dates[-1].isoformat()}；最近上传 {latest_upload:%Y-%m-%d %H:%M}")
            if sample_in_force:
                st.warning("当前显示的是**示例数据**，可在“数据管理”中删除。", icon=":material/science:")
        st.caption(f"{campaign.district} · {campaign.year}年红色物业建设")


def require_app() -> None:
    """Rerun through app.py when Streamlit ran this page on its own.

    Streamlit 1.67 runs the first session after a server start in its old pages/-folder mode
    until some session has called st.navigation; a deep link such as /town would then show the
    folder's file list and no sidebar. One rerun through app.py puts the real navigation back.
    (AppTest starts every run in that mode.) It also matters for access: only app.py signs the
    session in and chooses the pages its role opens (pages/auth.py), so no page runs without it.
    app.py runs within this same run, not in a rerun, so that a button clicked in this run still
    counts; its navigation runs this page again, and this run of it stops here.
    """
    import runpy

    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or not st.session_state.get(state.APP_RAN):
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(APP_SCRIPT), run_name="__main__")
        st.stop()


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")
