"""报送情况 — who reported for which date (on time, late, resubmitted, missing) and the reminder to send."""
import datetime as dt

import pandas as pd
import streamlit as st

from core.config import default_campaign
from core.submissions import (LATE, MISSING, NOT_REQUIRED, NOT_YET_DUE, ON_TIME, RESUBMITTED, chinese_date,
                              date_summary, deadline, missing_towns, reminder_text, status_matrix,
                              submission_status)
from pages import state
from pages.common import require_app, as_of, data_version, db, empty_state

require_app()

TOWNS_PER_PAGE = 25  # towns shown at a time in the matrix and the detail, when there are more (cell colouring
# costs per cell)

# Background and text colour of each status; the word is always in the cell.
CELL_STYLES = {
    ON_TIME: ("#c8e6c9", "#1b5e20"),
    LATE: ("#ffe082", "#6d4c00"),
    RESUBMITTED: ("#bbdefb", "#0d47a1"),
    MISSING: ("#ffcdd2", "#b71c1c"),
    NOT_YET_DUE: ("#eeeeee", "#424242"),
    NOT_REQUIRED: ("#ffffff", "#9e9e9e"),
}
LEGEND = {
    ON_TIME: "首次上传不晚于报送日期后{grace}天",
    LATE: "首次上传晚于期限",
    RESUBMITTED: "上传过多个版本（是否按时见下方明细）",
    MISSING: "期限已过仍未上传",
    NOT_YET_DUE: "尚未到期、尚未上传",
    NOT_REQUIRED: "非规定报送日期（个别镇办临时报送），无需报送",
}


@st.cache_data(max_entries=16, show_spinner=False)
def cached_status(version: tuple, today: dt.date) -> tuple[pd.DataFrame, dict, list, set]:
    """The long status frame, and what the page reads from all of it (worked out once, not on every
    rerun): whether each date is a due date, the dates in order, the status words present."""
    status = submission_status(db(), default_campaign(), today)
    return (status, dict(zip(status["report_date"], status["scheduled"])), list(dict.fromkeys(status["report_date"])),
            set(status["status"]))


@st.cache_data(max_entries=32, show_spinner=False)
def cached_missing(version: tuple, report_date: dt.date) -> list[str]:
    return missing_towns(db(), default_campaign(), report_date)


def cell_style(value: str) -> str:
    background, color = CELL_STYLES.get(value, ("#ffffff", "#000000"))
    return f"background-color: {background}; color: {color}; text-align: center"


def date_heading(day: dt.date, scheduled: bool) -> str:
    return day.isoformat() if scheduled else f"{day.isoformat()}（临时）"


campaign = default_campaign()
today = dt.date.today()
status, scheduled, dates, present = cached_status(data_version(), today)

st.title("报送情况")
st.caption(f"规定报送日期：{'、'.join(d.isoformat() for d in campaign.report_dates)}。"
           f"报送日期后 {campaign.grace_days} 天内（含当天）首次上传为按时。")

# ---------------------------------------------------------------- matrix
@st.cache_data(max_entries=16, show_spinner=False)
def cached_page(version: tuple, today: dt.date, number: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The status rows of one page of towns (all towns: `number` None) and its matrix as shown:
    filtering a province's status frame and pivoting it cost more than drawing the page."""
    campaign = default_campaign()
    status, scheduled, _, _ = cached_status(version, today)
    shown_towns = list(campaign.towns)
    if number is None:
        status_shown = status
    else:
        shown_towns = shown_towns[(number - 1) * TOWNS_PER_PAGE:number * TOWNS_PER_PAGE]
        status_shown = status[status["town"].isin(set(shown_towns))]
    matrix = status_matrix(status_shown, campaign).reindex(shown_towns)
    matrix.columns = [date_heading(d, scheduled[d]) for d in matrix.columns]
    matrix.index.name = "镇（街道）"
    return status_shown, matrix


number = None
if len(campaign.towns) > TOWNS_PER_PAGE:  # a province: colouring every cell of a thousand towns takes seconds
    pages = (len(campaign.towns) + TOWNS_PER_PAGE - 1) // TOWNS_PER_PAGE
    number = st.number_input(f"第几页（共 {pages} 页，每页 {TOWNS_PER_PAGE} 个镇（街道），按镇办顺序；下方明细同页）",
                             min_value=1, max_value=pages, value=1, step=1, key=state.SUBMISSIONS_PAGE)
status_shown, matrix = cached_page(data_version(), today, number)
st.dataframe(matrix.style.map(cell_style), width="stretch", height=35 * (len(matrix) + 1) + 3)
legend = present | {ON_TIME, LATE, RESUBMITTED, MISSING}
st.caption("　".join(f"**{word}**：{text.format(grace=campaign.grace_days)}"
                     for word, text in LEGEND.items() if word in legend))

# ---------------------------------------------------------------- one date
st.subheader("按报送日期查看")
if not dates:
    empty_state("活动配置中没有规定报送日期，也还没有任何上传。")
    st.stop()
past = [d for d in dates if d <= as_of()]
if st.session_state.get(state.SUBMISSIONS_DATE) not in dates:  # e.g. an ad-hoc date whose reports were removed
    st.session_state.pop(state.SUBMISSIONS_DATE, None)
chosen = st.selectbox("报送日期", dates, index=dates.index(past[-1] if past else dates[0]),
                      key=state.SUBMISSIONS_DATE, format_func=lambda d: date_heading(d, scheduled[d]))

summary = date_summary(status, chosen)
cols = st.columns(5)
cols[0].metric("已报送", f"{summary['reported']} / {summary['towns']}")
cols[1].metric("按时", summary["on_time"])
cols[2].metric("逾期", summary["late"])
cols[3].metric("重报", summary["resubmitted"])
cols[4].metric("未报", summary["missing"])

day = status_shown[status_shown["report_date"] == chosen]
detail = pd.DataFrame({
    "镇（街道）": day["town"],
    "状态": day["status"],
    "版本数": day["versions"],
    "首次上传": [f"{t:%Y-%m-%d %H:%M}" if pd.notna(t) else "" for t in day["first_uploaded_at"]],
    "最近上传": [f"{t:%Y-%m-%d %H:%M}" if pd.notna(t) and v > 1 else "" for t, v in
             zip(day["last_uploaded_at"], day["versions"])],
    "首次上传是否按时": ["" if v is None or pd.isna(v) else ("按时" if v else "逾期") for v in day["on_time"]],
})
with st.expander(f"{chosen.isoformat()} 各镇（街道）明细（期限 {deadline(campaign, chosen).isoformat()}）"):
    st.dataframe(detail.style.map(cell_style, subset=["状态"]), hide_index=True, width="stretch")

# ---------------------------------------------------------------- missing towns and reminder
st.subheader("尚未报送")
if not scheduled[chosen]:
    empty_state(f"{chosen.isoformat()} 不是规定报送日期（个别镇办临时报送），无需催报。")
    st.stop()
missing = cached_missing(data_version(), chosen)
if not missing:
    empty_state(f"{chinese_date(chosen)}的工作台账各镇（街道）均已报送，无需催报。")
    st.stop()
st.markdown(f"截至今天，**{len(missing)}** 个镇（街道）尚未报送{chinese_date(chosen)}的工作台账："
            + "、".join(missing))
st.caption("催报通知（点击右上角按钮复制）：")
st.code(reminder_text(campaign, chosen, missing, today), language=None, wrap_lines=True)
