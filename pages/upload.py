"""数据上报 — template download, upload, a preflight report, and storing only after confirmation."""
import datetime as dt

import pandas as pd
import streamlit as st

from core import actions, isolation
from core.access import AccessDenied
from core.annotate import AnnotateError, annotated_file_name, can_annotate
from core.config import default_campaign
from core.issues import SEVERITY_LABELS, issue_kind
from core.template import template_bytes, template_file_name
from pages import state
from pages.common import actor, db, offline, require_app, town_choices

require_app()

campaign = default_campaign()
me = actor()
st.title("数据上报")

# ---------------------------------------------------------------- template
with st.container(border=True):
    st.markdown("**第一步：下载模板，按月填写。** 模板第一页“填报说明”写明了每一列怎么填。"
                "也可以直接上传本镇自己的台账，只要表头能对应上即可。")
    st.download_button("下载填报模板", offline(template_bytes, campaign), file_name=template_file_name(campaign),
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", icon=":material/download:", key="download_template")


@st.cache_data(max_entries=64, show_spinner="正在检查工作簿…")
def preflight(data: bytes, file_name: str, town: str | None, report_date: dt.date | None):
    # Gate here, parse in a limited worker process: a hostile file fails this upload, not the server.
    return isolation.read_workbook(data, file_name, campaign, town=town, report_date=report_date)


ANNOTATE_TIMEOUT_S = 5


@st.cache_data(max_entries=16, show_spinner="正在生成标注版工作簿…")
def annotated(data: bytes, file_name: str, town: str | None, report_date: dt.date | None) -> bytes | None:
    """The town's workbook with its problem cells marked and commented; None when it cannot be opened."""
    try:
        # openpyxl opens the uploaded file: in a limited worker too, and briefly (it needs ~20 s for
        # a million-row sheet); past that the page offers no annotated copy rather than waiting.
        return isolation.run(campaign, "annotated_workbook", data, preflight(data, file_name, town, report_date),
                             timeout_s=ANNOTATE_TIMEOUT_S)
    except (AnnotateError, isolation.ParseFailure):
        return None


def issues_frame(parsed) -> pd.DataFrame:
    """Errors first, then warnings, each in sheet and row order."""
    ordered = sorted(parsed.issues, key=lambda i: (i.severity != "error", i.sheet or "", i.row or 0))
    return pd.DataFrame([{"类型": SEVERITY_LABELS[i.severity], "问题": issue_kind(i.code), "工作表": i.sheet or "（整个文件）",
                          "行": i.row, "列": i.column or "", "说明": i.message} for i in ordered])


def describe(stored) -> str:
    if stored.duplicate:
        return f"{stored.town} {stored.report_date.isoformat()}：与已保存的第{stored.version}版完全相同，已导入过，未重复保存"
    replaced = f"，替换了第{stored.replaced_version}版（旧版保留在历史中）" if stored.replaced_version else ""
    return (f"{stored.town} {stored.report_date.isoformat()}：已保存为第{stored.version}版{replaced}；"
            f"小区 {stored.compounds} 个、社区 {stored.communities} 个")


# ---------------------------------------------------------------- upload and preflight
st.markdown("**第二步：上传工作台账（可一次选多个文件）。** 系统会先检查，确认无误后再保存。")
result = st.session_state.pop(state.UPLOAD_RESULT, None)
if result:
    st.success("\n\n".join(result), icon=":material/check_circle:")

upload_round = st.session_state.setdefault("upload_round", 0)
# Older and other spreadsheet formats are accepted here so that the gate can say what to do with
# them (save as .xlsx) instead of the browser refusing them without a word.
files = st.file_uploader("选择 .xlsx 工作簿", type=["xlsx", "xlsm", "xltx", "xls", "xlsb", "et", "ods", "csv"],
                         accept_multiple_files=True,
                         key=f"{state.UPLOAD_FILES}_{upload_round}",
                         max_upload_size=campaign.max_upload_mb)
with st.expander("工作簿中没有写明镇（街道）或报送日期时，在这里选择"):
    left, right = st.columns(2)
    my_towns = town_choices(campaign)  # a town clerk: their own town only
    town = left.selectbox("镇（街道）", [None, *my_towns] if len(my_towns) > 1 else my_towns, key=state.UPLOAD_TOWN,
                          format_func=lambda t: "（按工作簿填写）" if t is None else t)
    report_date = right.date_input("报送日期", value=None, key=state.UPLOAD_DATE, format="YYYY-MM-DD")

if not files:
    st.info("请选择要上传的工作簿。每个镇办每个报送日期一个文件；区里汇总的多镇台账也可以，每行写明镇（街道）即可。", icon=":material/info:")
    st.stop()

checked = [preflight(f.getvalue(), f.name, town, report_date) for f in files]
refusals = [actions.upload_refusal(me, p) if p.ok else None for p in checked]  # e.g. another town's rows
logged = st.session_state.setdefault(state.UPLOAD_REFUSALS_LOGGED, set())
for parsed, refused in zip(checked, refusals):
    if refused and parsed.sha256 not in logged:  # the attempt goes to the audit log once per file
        actions.log_upload_refusal(db(), me, parsed, refused)
        logged.add(parsed.sha256)
ready = [p for p, refused in zip(checked, refusals) if p.ok and not refused]
for parsed, refused in zip(checked, refusals):
    errors, warnings = len(parsed.errors), len(parsed.warnings)
    with st.container(border=True):
        if refused:
            st.markdown(f":red[:material/block:] **{parsed.file_name}**：不能导入。")
            st.error(refused, icon=":material/block:")
        elif parsed.ok:
            towns = "、".join(f"{r.town}（{r.report_date.isoformat()}，小区 {r.compound_count} 个、社区 {r.community_count} 个）"
                             for r in parsed.reports)
            st.markdown(f":green[:material/check_circle:] **{parsed.file_name}**：检查通过，可以导入 — {towns}" + (f"；另有 {warnings} 条提醒" if warnings else ""))
        else:
            st.markdown(f":red[:material/cancel:] **{parsed.file_name}**：有 **{errors}** 处错误" + (f"、{warnings} 条提醒" if warnings else "")
                        + "，不能导入。请按下表逐条修改后重新上传（整个文件都不会保存）。")
        if parsed.issues:
            frame = issues_frame(parsed)
            counts = frame.groupby(["类型", "问题"]).size().sort_values(ascending=False)
            st.caption("按问题统计：" + "；".join(f"{kind}·{problem} {n} 条" for (kind, problem), n in counts.items()))
            st.dataframe(frame, hide_index=True, width="stretch",
                         column_config={"行": st.column_config.NumberColumn("行", format="%d"),
                                        "说明": st.column_config.TextColumn("说明", width="large")})
            upload = next(f for f, p in zip(files, checked) if p is parsed)
            marked = annotated(upload.getvalue(), parsed.file_name, town, report_date) if can_annotate(parsed) else None
            if marked:  # the town's own workbook back: problem cells red / yellow, each with a comment
                st.download_button("下载标注版工作簿（问题单元格已标出并加批注）", marked,
                                   file_name=annotated_file_name(parsed.file_name), on_click="ignore",
                                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   icon=":material/rule:", key=f"download_annotated_{parsed.sha256}")

# ---------------------------------------------------------------- confirm and store
if ready:
    label = f"确认导入 {len(ready)} 个检查通过的工作簿"
    if st.button(label, type="primary", key="confirm_upload", icon=":material/save:"):
        conn = db()
        lines = []
        for parsed in ready:
            try:
                lines += [describe(s) for s in actions.upload(conn, me, parsed)]
            except AccessDenied as exc:  # the role changed since the check above
                lines.append(f"{parsed.file_name}：未保存。{exc}")
        st.session_state[state.UPLOAD_RESULT] = lines
        st.session_state["upload_round"] = upload_round + 1  # a fresh, empty uploader
        st.rerun()
else:
    st.warning("没有可以导入的工作簿：请修改上面列出的错误后重新上传。", icon=":material/warning:")
