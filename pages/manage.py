"""数据管理 — upload history, an earlier version's rows, restoring it, and removing the sample data."""
import datetime as dt

import duckdb
import streamlit as st

from core import actions, store
from core.access import AccessDenied
from core.config import default_campaign
from core.ledger import SHEETS, version_tables
from core.submissions import upload_history, version_label, version_summary
from pages import state
from pages.common import actor, require_app, cached_uploads, data_version, db, empty_state

require_app()

ALL_TOWNS = "全部"
DB_BUSY = "数据库暂时无法写入，请稍后再试。"
HISTORY_ROWS = 200  # versions listed (and offered for choosing) at a time


@st.cache_data(max_entries=16, show_spinner=False)
def cached_screen_tables(version: tuple, upload_id: int) -> dict:
    """Each sheet of one stored version as the tabs show it (None for a sheet the version lacks),
    formatted once rather than on every rerun of the page."""
    return version_tables(db(), upload_id)


def town_uploads(uploads, town: str | None):
    """The versions of one town (None: of all), newest first."""
    return uploads if town is None else uploads[uploads["town"] == town]


@st.cache_data(max_entries=16, show_spinner=False)
def cached_history(version: tuple, town: str | None, number: int):
    """Page `number` of the history (HISTORY_ROWS versions, newest first) as the table shows it.
    Only the versions shown are formatted: a province's year is 12,000 versions, and formatting
    them all took ~90 ms of every uncached run."""
    picked = town_uploads(cached_uploads(version), town)  # the page's cached list: no second query
    return upload_history(picked.iloc[(number - 1) * HISTORY_ROWS:number * HISTORY_ROWS])


def day_text(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


# ---------------------------------------------------------------- actions (run before the page redraws)

def finish(kind: str, message: str) -> None:
    st.session_state[state.MANAGE_RESULT] = (kind, message)


def ask_restore(upload_id: int) -> None:
    st.session_state[state.MANAGE_PENDING_RESTORE] = upload_id


def cancel_restore() -> None:
    st.session_state.pop(state.MANAGE_PENDING_RESTORE, None)


def restore(upload_id: int) -> None:
    cancel_restore()
    try:
        restored = actions.restore(db(), actor(), upload_id)
    except (store.VersionError, AccessDenied) as exc:
        finish("error", str(exc))
        return
    except duckdb.Error:
        finish("error", f"恢复失败，数据未作任何改动：{DB_BUSY}")
        return
    replaced = f"原生效的第{restored.replaced_version}版已被替换，仍保留在历史中。" if restored.replaced_version else ""
    finish("success", f"已将{restored.town} {day_text(restored.report_date)} 第{restored.version}版恢复为生效版本"
                      f"（小区 {restored.compounds} 个、社区 {restored.communities} 个）。{replaced}")


def ask_remove() -> None:
    st.session_state[state.MANAGE_PENDING_REMOVE] = True


def cancel_remove() -> None:
    st.session_state.pop(state.MANAGE_PENDING_REMOVE, None)


def remove_sample() -> None:
    cancel_remove()
    try:
        removed = actions.remove_sample(db(), actor())
    except AccessDenied as exc:
        finish("error", str(exc))
        return
    except duckdb.Error:
        finish("error", f"删除示例数据未能完成：{DB_BUSY}再点一次“删除示例数据”即可继续。")
        return
    if removed:
        finish("success", f"已删除示例数据 {removed} 份报表及其全部台账；各镇办正式上传的数据不受影响。")
    else:
        finish("info", "没有示例数据需要删除。")


# ---------------------------------------------------------------- sections

def version_section(uploads, history, version: tuple) -> None:
    """Choose one version of the history (of the rows shown): its details, its rows, and restoring it."""
    options = [int(i) for i in history.index]
    records = {int(r["upload_id"]): r for r in uploads[uploads["upload_id"].isin(options)].to_dict("records")}
    if st.session_state.get(state.MANAGE_VERSION) not in options:
        st.session_state.pop(state.MANAGE_VERSION, None)
    upload_id = st.selectbox("版本", options, key=state.MANAGE_VERSION,
                             format_func=lambda i: version_label(records[i]))
    record = records[upload_id]
    st.caption(version_summary(record))
    try:
        tables = cached_screen_tables(version, upload_id)
    except store.VersionError as exc:
        st.error(str(exc))
        return
    tabs = st.tabs([SHEETS[key].name for key in tables])
    for tab, (key, rows) in zip(tabs, tables.items()):
        with tab:
            if rows is None:
                st.caption("（本版本无此表）")
            else:
                st.dataframe(rows, hide_index=True, width="stretch")

    if record["active"]:
        st.caption("这是该镇办该报送日期当前生效的版本。")
    elif st.session_state.get(state.MANAGE_PENDING_RESTORE) == upload_id:
        current = uploads[(uploads["town"] == record["town"]) & (uploads["report_date"] == record["report_date"])
                          & uploads["active"]]
        replaced = f"当前生效的第{int(current['version'].iloc[0])}版将被替换（仍保留在历史中）。" if len(current) else ""
        st.warning(f"确认将{record['town']} {day_text(record['report_date'])} 第{record['version']}版恢复为生效版本？"
                   f"{replaced}各页面的统计将随之改变。", icon=":material/warning:")
        left, right, _ = st.columns([1, 1, 4])
        left.button("确认恢复", type="primary", key=state.MANAGE_RESTORE_CONFIRM, on_click=restore, args=(upload_id,))
        right.button("取消", key=state.MANAGE_RESTORE_CANCEL, on_click=cancel_restore)
    else:
        st.button("恢复为生效版本", key=state.MANAGE_RESTORE, on_click=ask_restore, args=(upload_id,),
                  help="把这个旧版本重新设为生效版本；当前生效的版本转为“已替换”，不删除任何数据。")


def sample_section(uploads) -> None:
    """How much sample data there is, and removing it after a confirmation."""
    samples = int(uploads["is_sample"].sum())
    if not samples:
        st.caption("当前没有示例数据。")
    elif st.session_state.get(state.MANAGE_PENDING_REMOVE):
        st.warning(f"确认删除全部 {samples} 份示例报表及其台账？删除后不能恢复；各镇办正式上传的数据保留不动，"
                   "同一镇办同一报送日期如有正式数据，以正式数据为准。", icon=":material/warning:")
        left, right, _ = st.columns([1, 1, 4])
        left.button("确认删除", type="primary", key=state.MANAGE_REMOVE_CONFIRM, on_click=remove_sample)
        right.button("取消", key=state.MANAGE_REMOVE_CANCEL, on_click=cancel_remove)
    else:
        st.markdown(f"数据库中有 **{samples}** 份示例报表（上传人为“示例数据”），仅供演示，正式使用前请删除。")
        st.button("删除示例数据", key=state.MANAGE_REMOVE_SAMPLE, on_click=ask_remove)


# ---------------------------------------------------------------- page
campaign = default_campaign()
st.title("数据管理")
result = st.session_state.pop(state.MANAGE_RESULT, None)
if result:
    kind, message = result
    {"success": st.success, "error": st.error, "info": st.info}[kind](message)

version = data_version()
uploads = cached_uploads(version)
if uploads.empty:
    empty_state("还没有任何上传记录。请在“数据上报”页上传各镇（街道）的工作台账。")
    st.stop()

st.subheader("上传历史")
town = st.selectbox("镇（街道）", [ALL_TOWNS, *campaign.towns], key=state.MANAGE_TOWN)
chosen = None if town == ALL_TOWNS else town
count = len(town_uploads(uploads, chosen))
if not count:
    empty_state(f"{town}还没有上传记录。")
else:
    st.caption(f"共 {count} 个版本。同一镇办同一报送日期以“生效”的版本为准，已替换的旧版本保留备查。")
    number = 1
    if count > HISTORY_ROWS:  # a province's year: one page of versions at a time, newest first
        pages = (count + HISTORY_ROWS - 1) // HISTORY_ROWS
        number = st.number_input(f"第几页（共 {pages} 页，每页 {HISTORY_ROWS} 个版本，新的在前）", min_value=1,
                                 max_value=pages, value=1, step=1, key=state.MANAGE_HISTORY_PAGE)
    history = cached_history(version, chosen, int(number))
    st.dataframe(history, hide_index=True, width="stretch")
    st.subheader("查看或恢复某个版本")
    version_section(uploads, history, version)

st.subheader("示例数据")
sample_section(uploads)
