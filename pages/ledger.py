"""台账查询 — the consolidated ledgers as of the sidebar date: choose, search, filter, download."""
import datetime as dt

import streamlit as st

from core.config import default_campaign
from core.exports import table_csv, table_xlsx
from core.ledger import FILTERS, TABLES, LedgerData, display_table, filter_rows, for_screen, ledger_data
from pages import state
from pages.common import require_app, as_of, data_version, db, empty_state, town_choices

require_app()

ALL_TOWNS = "全部"
SHOWN_ROWS = 1000


@st.cache_data(max_entries=32, show_spinner="正在读取台账…")
def cached_ledger(version: tuple, day: dt.date, table: str, town: str | None) -> LedgerData:
    return ledger_data(db(), default_campaign(), day, table, town)


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
data = cached_ledger(data_version(), day, table, None if town == ALL_TOWNS else town)
if data.missing:
    st.warning(f"截至 {day.isoformat()} 尚无报送数据：{'、'.join(data.missing)}（未计入下表）。", icon=":material/warning:")
rows = filter_rows(data.rows, table, search, chosen)
shown = display_table(rows, table)
if data.rows.empty:
    empty_state("所选范围内还没有台账数据。")
    st.stop()
if shown.empty:
    empty_state("没有符合条件的记录，请调整搜索词或筛选条件。")
    st.stop()

if len(shown) > SHOWN_ROWS:
    st.caption(f"共 {len(shown)} 条，下表显示前 {SHOWN_ROWS} 条；下载文件包含全部 {len(shown)} 条。")
elif len(shown) < len(data.rows):
    st.caption(f"符合条件 {len(shown)} 条（共 {len(data.rows)} 条）。")
else:
    st.caption(f"共 {len(shown)} 条。")
st.dataframe(for_screen(shown.head(SHOWN_ROWS)), hide_index=True, width="stretch")

# ---------------------------------------------------------------- downloads
scope = campaign.district if town == ALL_TOWNS else town
name = f"{scope}{TABLES[table]}_{day.isoformat()}"
title = f"{scope}{TABLES[table]}（截至 {day.isoformat()}）"
left, right, _ = st.columns([1, 1, 3])
left.download_button("下载（Excel）", table_xlsx({TABLES[table]: shown}, title=title), file_name=f"{name}.xlsx",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore",
                     icon=":material/download:", key=state.LEDGER_DOWNLOAD_XLSX)
right.download_button("下载（CSV）", table_csv(shown), file_name=f"{name}.csv", mime="text/csv", on_click="ignore",
                      icon=":material/description:", key=state.LEDGER_DOWNLOAD_CSV)
