"""考核排名 — the ranked scorecard, the points ledger with next-point lines, and the downloads."""
import pandas as pd
import streamlit as st

from core.access import VIEW_MEETING, can
from core.exports import scorecard_csv, scorecard_file, scorecard_rows
from core.meeting_pack import meeting_pack, pack_file_name
from core.report_text import percent
from pages import state
from pages.common import (actor, current_snapshot, data_version, deferred, empty_state, offline, require_app,
                          status_label)

require_app()

LEDGER_PAGE = 20  # points ledgers shown at a time when there are more towns than this
TABLE_ROWS = 30  # the ranked table grows with the towns up to this many rows, then scrolls

snap = current_snapshot()
campaign = snap.campaign

st.title("考核排名")
st.caption(f"统计截至 {snap.as_of.isoformat()} · 按加分合计排名；同分时比较{snap.judged.name}目标的平均完成度，再按镇办顺序。"
           "未报送的镇办排在最后。")
if not any(s.reported for s in snap.towns):
    empty_state("所选日期之前还没有任何镇办报送数据，暂无排名。")
    st.stop()

# ---------------------------------------------------------------- ranked table

@st.cache_data(max_entries=16, show_spinner=False)
def ranked_table(version: tuple, day, _snap) -> pd.DataFrame:
    """The scorecard rows as shown (statuses with their symbols, rates as one-decimal percentages)."""
    table = pd.DataFrame(scorecard_rows(_snap))
    table["状态"] = table["状态"].map(status_label)
    for column in [c for c in table.columns if c.endswith(("率", "占比", "目标"))]:
        table[column] = table[column].map(lambda v: percent(None if pd.isna(v) else v))  # one decimal at most
    return table


table = ranked_table(data_version(), snap.as_of, snap)
st.dataframe(table, hide_index=True, width="stretch", height=35 * (min(len(table), TABLE_ROWS) + 1) + 3)

# ---------------------------------------------------------------- downloads (built when clicked)
name = f"{campaign.district}红色物业考核排名_{snap.as_of.isoformat()}"
left, right, pack, _ = st.columns([1, 1, 1, 2])
left.download_button("下载排名表（Excel）", deferred(scorecard_file, snap),
                     file_name=f"{name}.xlsx", on_click="ignore", type="primary", icon=":material/download:",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_xlsx")
right.download_button("下载排名表（CSV）", offline(scorecard_csv, snap), file_name=f"{name}.csv", on_click="ignore",
                      mime="text/csv", icon=":material/description:", key="download_csv")
if can(actor(), VIEW_MEETING):  # the pack shows every town's communities: for the district office
    pack.download_button("下载推进会材料（Excel）", deferred(meeting_pack, snap), file_name=pack_file_name(snap),
                         on_click="ignore", icon=":material/folder_zip:", key="download_pack",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         help="一个工作簿：总体情况、考核排名、加分明细、差距、报送情况、社区明细，均带图表，可直接打印。")

# ---------------------------------------------------------------- points ledger
st.subheader("加分明细与下一步")
ranked = [s for s in snap.ranked() if s.report]
if len(ranked) > LEDGER_PAGE:  # a province: one page of towns at a time
    pages = (len(ranked) + LEDGER_PAGE - 1) // LEDGER_PAGE
    number = st.number_input(f"第几页（共 {pages} 页，每页 {LEDGER_PAGE} 个镇办，按排名）", min_value=1, max_value=pages,
                             value=1, step=1, key=state.RANKING_LEDGER_PAGE)
    ranked = ranked[(number - 1) * LEDGER_PAGE:number * LEDGER_PAGE]
for s in ranked:
    header = f"第{s.rank}名 {s.town} — {s.points} 分 · {status_label(s.status)}"
    with st.expander(header, expanded=False):
        ledger = pd.DataFrame([{
            "加分项": line.rule.label,
            "当前值": percent(line.value) if line.rule.kind == "threshold" else f"{line.value} 个",
            "标准": percent(line.rule.threshold) if line.rule.threshold is not None else f"每个 {line.rule.points} 分",
            "得分": line.points, "依据": line.basis, "下一步": line.next_point or "已得分"} for line in s.ledger])
        st.dataframe(ledger, hide_index=True, width="stretch")
missing = [s.town for s in snap.towns if not s.report]
if missing:
    st.caption("未报送：" + "、".join(missing))
