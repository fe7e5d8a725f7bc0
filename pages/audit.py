"""审计日志 — who uploaded, replaced, restored, removed, signed in or failed to, when and from where."""
import datetime as dt

import streamlit as st

from core import audit
from core.config import default_campaign
from core.exports import table_csv, table_xlsx
from pages import state
from pages.common import actor, db, empty_state, offline, require_app

require_app()

ALL = "全部"
SHOWN_ROWS = 1000
campaign = default_campaign()
today = dt.date.today()

st.title("审计日志")
st.caption("每一次上传、替换、恢复、删除、账号变动、登录和登录失败都记录在这里，不能修改。")

# ---------------------------------------------------------------- filters
left, middle, right = st.columns([2, 1, 1])
days = left.date_input("日期范围", value=(today - dt.timedelta(days=30), today), key=state.AUDIT_DAYS,
                       format="YYYY-MM-DD")
user = middle.selectbox("用户", [ALL, *audit.users(db(), actor())], key=state.AUDIT_USER)
town = right.selectbox("镇（街道）", [ALL, *campaign.towns], key=state.AUDIT_TOWN)
actions = st.multiselect("操作", list(audit.ACTIONS), key=state.AUDIT_ACTIONS, format_func=audit.ACTIONS.get,
                         placeholder="（全部操作）")
start, end = (days[0], days[-1]) if days else (None, None)

# ---------------------------------------------------------------- entries
entries = audit.entries(db(), actor(), start, end, None if user == ALL else user, actions,
                        None if town == ALL else town)
if entries.empty:
    empty_state("所选范围内没有记录。")
    st.stop()
table = audit.display_table(entries)
st.caption(f"共 {len(table)} 条" + (f"，下表显示最新 {SHOWN_ROWS} 条；下载文件包含全部。" if len(table) > SHOWN_ROWS else "。"))
st.dataframe(table.head(SHOWN_ROWS), hide_index=True, width="stretch",
             column_config={"说明": st.column_config.TextColumn("说明", width="large")})

# ---------------------------------------------------------------- downloads
span = f"{start:%Y-%m-%d}至{end:%Y-%m-%d}" if start else "全部"
name = f"{campaign.district}红色物业看板审计日志_{span}"
left, right, _ = st.columns([1, 1, 3])
left.download_button("下载（Excel）", offline(table_xlsx, {"审计日志": table}, title=f"审计日志（{span}）"),
                     file_name=f"{name}.xlsx", on_click="ignore", icon=":material/download:",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     key=state.AUDIT_DOWNLOAD_XLSX)
right.download_button("下载（CSV）", offline(table_csv, table), file_name=f"{name}.csv", mime="text/csv", on_click="ignore",
                      icon=":material/description:", key=state.AUDIT_DOWNLOAD_CSV)
