"""台账查询 — the consolidated ledgers as of the sidebar date: choose, search, filter, download.

Searching, filtering, counting and paging happen in DuckDB: only the page of rows on screen is
read and formatted; the downloads build the whole matching table when clicked.
"""
import datetime as dt

import streamlit as st

from core.config import default_campaign
from core.exports import table_csv, table_xlsx
from core.ledger import FILTERS, TABLES, LedgerPage, display_table, for_screen, ledger_page
from pages import state
from pages.common import as_of, data_version, db, deferred, empty_state, require_app, town_choices

require_app()

ALL_TOWNS = "全部"
SHOWN_ROWS = 1000


@st.cache_data(max_entries=32, show_spinner="正在读取台账…")
def cached_page(version: tuple, day: dt.date, table: str, town: str | None, search: str, filters: tuple,
                page: int) -> LedgerPage:
    return ledger_page(db(), default_campaign(), day, table, town, search, filters, (page - 1) * SHOWN_ROWS,
                       SHOWN_ROWS)


def download_file(conn, campaign, day, table, town, search, filters, kind: str, title: str) -> bytes:
    """The whole matching table as .xlsx or .csv (run when a download button is clicked)."""
    shown = display_table(ledger_page(conn, campaign, day, table, town, search, filters).rows, table)
    return table_xlsx({TABLES[table]: shown}, title=title) if kind == "xlsx" else table_csv(shown)


campaign = default_campaign()
day = as_of()
st.title("台账查询")
st.caption(f"统计截至 {day.isoformat()}：各镇（街道）取该日期当天或之前最近一次报送的台账。")

# ---------------------------------------------------------------- choices
left, middle, right = st.columns([1, 1, 2])
town = left.selectbox("镇（街道）", town_choices(campaign, ALL_TOWNS), key=state.LEDGER_TOWN)  # a clerk: their own
table = middle.selectbox("台账", list(TABLES), key=state.LEDGER_TABLE, format_func=TABLES.get)
search = right.text_input("搜索名称", key=state.LEDGER_SEARCH, placeholder="输入社区、小区、物业企业或品牌名称的一部分")
filters = FILTERS[table]
chosen = []
if filters:
    chosen = st.multiselect("只看", [f.label for f in filters], key=state.LEDGER_FILTERS[table],
                            placeholder="（不筛选）", help="；".join(f"{f.label}：{f.help}" for f in filters))

# ---------------------------------------------------------------- rows
scope_town = None if town == ALL_TOWNS else town
query = (day, table, scope_town, search.strip(), tuple(chosen))
if st.session_state.get(state.LEDGER_PAGE_QUERY) != query:  # a new question starts on its first page
    st.session_state[state.LEDGER_PAGE_QUERY] = query
    st.session_state.pop(state.LEDGER_PAGE, None)
number = st.session_state.get(state.LEDGER_PAGE, 1)
data = cached_page(data_version(), *query, number)
if data.matching and not len(data.rows):  # the page asked for is past the end (the data changed)
    number = 1
    st.session_state.pop(state.LEDGER_PAGE, None)
    data = cached_page(data_version(), *query, number)
if data.missing:
    st.warning(f"截至 {day.isoformat()} 尚无报送数据：{'、'.join(data.missing)}（未计入下表）。", icon=":material/warning:")
if not data.total:
    empty_state("所选范围内还没有台账数据。")
    st.stop()
if not data.matching:
    empty_state("没有符合条件的记录，请调整搜索词或筛选条件。")
    st.stop()

if data.matching > SHOWN_ROWS:
    pages = (data.matching + SHOWN_ROWS - 1) // SHOWN_ROWS
    first = (number - 1) * SHOWN_ROWS
    where = f"前 {SHOWN_ROWS} 条" if number == 1 else f"第 {first + 1}–{first + len(data.rows)} 条"
    st.caption(f"共 {data.matching} 条，下表显示{where}；下载文件包含全部 {data.matching} 条。")
    st.number_input(f"页码（共 {pages} 页，每页 {SHOWN_ROWS} 条）", min_value=1, max_value=pages, value=number,
                    step=1, key=state.LEDGER_PAGE)
elif data.matching < data.total:
    st.caption(f"符合条件 {data.matching} 条（共 {data.total} 条）。")
else:
    st.caption(f"共 {data.matching} 条。")
st.dataframe(for_screen(display_table(data.rows, table)), hide_index=True, width="stretch")

# ---------------------------------------------------------------- downloads (built when clicked)
scope = campaign.district if town == ALL_TOWNS else town
name = f"{scope}{TABLES[table]}_{day.isoformat()}"
title = f"{scope}{TABLES[table]}（截至 {day.isoformat()}）"
question = (campaign, day, table, scope_town, search, tuple(chosen))
left, right, _ = st.columns([1, 1, 3])
left.download_button("下载（Excel）", deferred(download_file, *question, "xlsx", title), file_name=f"{name}.xlsx",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
                     icon=":material/download:", key=state.LEDGER_DOWNLOAD_XLSX)
right.download_button("下载（CSV）", deferred(download_file, *question, "csv", title), file_name=f"{name}.csv",
                      mime="text/csv", on_click="ignore", icon=":material/description:", key=state.LEDGER_DOWNLOAD_CSV)
