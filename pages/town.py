"""镇办详情 — one town: its figures, trend, gaps, pace, communities and compounds, and what changed."""
import streamlit as st

from core import town_detail
from core.measures import MEASURES
from core.report_text import needs_sentence, next_phase, pace_sentence, percent, still_needed
from pages import state
from pages.charts import town_trend_chart
from pages.common import (as_of, cached_history, current_snapshot, data_version, db, empty_state, status_label,
                          require_app, town_choices)

require_app()

CARD_MEASURES = ("committee_formation_rate", "party_org_coverage", "epmc_coverage", "red_committee_share")

snap = current_snapshot()
campaign = snap.campaign
phase = snap.judged

st.title("镇办详情")
town = st.selectbox("选择镇（街道）", town_choices(campaign), key=state.TOWN)  # a town clerk: their own
standing = next(s for s in snap.towns if s.town == town)
if not standing.reported:
    empty_state(f"{town}在 {snap.as_of.isoformat()} 之前没有报送数据（未报送）。请提醒该镇办在“数据上报”页上传工作台账。")
    st.stop()

report, previous = standing.report, standing.previous
st.caption(f"报送日期 {report.report_date.isoformat()}（第{report.version}版）"
           + (f" · 上次报送 {previous.report_date.isoformat()}" if previous else " · 首次报送")
           + (" · 示例数据" if report.is_sample else ""))
st.markdown(f"### {status_label(standing.status)} · 排名第 {standing.rank} · 加分 {standing.points}")

# ---------------------------------------------------------------- cards
cards = st.columns(len(CARD_MEASURES))
for card, code in zip(cards, CARD_MEASURES):
    value = snap.rate(code, standing.figures)
    before = snap.rate(code, previous.figures) if previous else None
    delta = f"{(float(value) - float(before)) * 100:+.1f} 个百分点" if value is not None and before is not None else None
    numerator, denominator = standing.figures.parts(code, campaign)
    card.metric(MEASURES[code].label, percent(value), delta, border=True, help=f"{numerator} / {denominator}")

# ---------------------------------------------------------------- gaps and pace
left, right = st.columns([3, 2])
with left:
    history = cached_history(data_version(), as_of(), town)
    left.plotly_chart(town_trend_chart(history, campaign, town, list(phase.targets)), key="town_trend")
with right:
    st.subheader(f"对照{phase.name}目标")
    for code, p in standing.progress.items():
        advice = f"  \n{still_needed(code, p.gap)}。{pace_sentence(p)}" if p.gap else ""
        st.markdown(f"**{MEASURES[code].label}** {percent(p.value)}（目标 {percent(p.target)}）：{status_label(p.status)}"
                    + advice)
    following = next_phase(campaign, phase)
    if following:
        st.markdown(f"**{following.name}**（{following.start:%m月%d日}起）：{needs_sentence(standing, following.name)}")
    st.subheader("考核加分")
    for line in standing.ledger:
        st.markdown(f"- {line.rule.label}：**{line.points} 分**（{line.basis}）" + (f" — {line.next_point}" if line.next_point else ""))

# ---------------------------------------------------------------- communities and compounds

@st.cache_data(max_entries=64, show_spinner=False)
def town_tables(upload_id: int, previous_id: int | None):
    """The tables of one stored report as shown: its communities, its compounds with their flags, and
    what changed since the previous report (None for a first report). A stored report never
    changes, so its upload ids are the whole key."""
    return town_detail.town_tables(db(), campaign, upload_id, previous_id)


communities, compounds, changes = town_tables(report.upload_id, previous.upload_id if previous else None)
st.subheader("社区情况")
st.dataframe(communities, hide_index=True, width="stretch")

st.subheader("小区情况")
st.dataframe(compounds, hide_index=True, width="stretch")

# ---------------------------------------------------------------- change since the previous report
st.subheader("与上次报送相比")
if previous is None:
    st.caption("这是该镇办的第一次报送，没有可比较的上次数据。")
elif changes.empty:
    st.caption(f"与 {previous.report_date.isoformat()} 相比没有变化。")
else:
    drops = int(changes["需核对"].sum())
    if drops:
        st.warning(f"有 {drops} 项数字比上次减少，请与镇办核对。", icon=":material/warning:")
    changes = changes.assign(需核对=changes["需核对"].map({True: "⚠ 请核对", False: ""}))
    st.dataframe(changes, hide_index=True, width="stretch")
