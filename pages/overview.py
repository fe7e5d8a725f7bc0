"""总览 — where the district and every town stand against the phase milestones."""
import pandas as pd
import streamlit as st

from core.measures import MEASURES
from core.report_text import needs_sentence, next_phase, percent, still_needed
from pages.charts import milestone_chart, town_bars, town_chart
from pages.common import as_of, cached_history, current_snapshot, data_version, empty_state, status_label, require_app

require_app()

KPI_MEASURES = ("committee_formation_rate", "party_org_coverage", "epmc_coverage", "red_committee_share")
TABLE_ROWS = 30  # the 还需完成 table grows with the towns up to this many rows, then scrolls
# A district's towns are all drawn; a city's or province's chart shows those furthest behind (a
# thousand bars would be a chart taller than any screen: the ranking page lists every town).
TOWN_BARS = 40

snap = current_snapshot()
campaign = snap.campaign
phase = snap.judged

st.title(f"{campaign.district}红色物业建设推进总览")
targets = "，".join(f"{MEASURES[c].label} {percent(t)}" for c, t in phase.targets.items())
when = "进行中" if snap.phase else ("未开始" if snap.as_of < phase.start else "已结束")
st.caption(f"统计截至 {snap.as_of.isoformat()} · 对照{phase.name}（{phase.start:%m月%d日}—{phase.end:%m月%d日}，{when}）"
           f"目标：{targets} · 已报送 {sum(s.reported for s in snap.towns)}/{len(snap.towns)} 个镇办")

if not any(s.reported for s in snap.towns):
    empty_state("所选日期之前还没有任何镇办报送数据。请在左侧调整“统计截至日期”，或到“数据上报”页上传工作台账。")
    st.stop()

# ---------------------------------------------------------------- KPI cards
counts = snap.district.counts
cards = st.columns(len(KPI_MEASURES))
for card, code in zip(cards, KPI_MEASURES):
    measure = MEASURES[code]
    value = snap.rate(code)
    before = snap.rate(code, snap.district_previous) if snap.district_previous else None
    delta = None
    if value is not None and before is not None:
        delta = f"{(float(value) - float(before)) * 100:+.1f} 个百分点"
    numerator, denominator = snap.district.parts(code, campaign)
    card.metric(measure.label, percent(value), delta, border=True,
                help=f"{numerator} / {denominator}" + (f"；与 {snap.previous_date.isoformat()} 相比" if delta else ""))

# ---------------------------------------------------------------- milestone charts
history = cached_history(data_version(), as_of())
left, right = st.columns(2)
for column, code in zip((left, right), phase.targets):
    column.plotly_chart(milestone_chart(history, campaign, code, snap.as_of), key=f"milestone_{code}")
    progress = snap.district_progress[code]
    column.markdown(f"**全区{MEASURES[code].short}：{status_label(progress.status)}** — "
                    f"{still_needed(code, progress.gap)}（对照{phase.name}目标 {percent(progress.target)}）")

# ---------------------------------------------------------------- towns against the phase target

@st.cache_data(max_entries=16, show_spinner=False)
def town_tables(version: tuple, day, _snap) -> tuple[dict, pd.DataFrame]:
    """The towns' bars of each judged measure and the 还需完成 table, worked out once per data version."""
    phase = _snap.judged
    following = next_phase(_snap.campaign, phase)
    rows = []
    for s in _snap.ranked():
        row = {"镇（街道）": s.town, "状态": status_label(s.status),
               "报送日期": s.report.report_date.isoformat() if s.report else "未报送"}
        for code in phase.targets:
            row[MEASURES[code].short] = percent(s.progress[code].value) if s.report else "—"
        row[f"{phase.name}还需"] = needs_sentence(s, phase.name)
        if following:
            row[f"{following.name}还需"] = needs_sentence(s, following.name)
        rows.append(row)
    return {code: town_bars(_snap, code, TOWN_BARS) for code in phase.targets}, pd.DataFrame(rows)


bars, still = town_tables(data_version(), snap.as_of, snap)
st.subheader(f"各镇办对照{phase.name}目标")
if len(snap.towns) > TOWN_BARS:
    st.caption(f"共 {len(snap.towns):,} 个镇办，图中为各项指标最落后的 {TOWN_BARS} 个（含未报送）；全部镇办见“考核排名”。")
left, right = st.columns(2)
for column, code in zip((left, right), phase.targets):
    column.plotly_chart(town_chart(snap, code, bars[code]), key=f"towns_{code}")

# ---------------------------------------------------------------- still needed
st.subheader("还需完成")
st.dataframe(still, hide_index=True, width="stretch", height=35 * (min(len(still), TABLE_ROWS) + 1) + 3)
