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
def annotated(data: bytes, file_name: str, town: str | None, report_date: dt.date | None,
              timeout_s: float = ANNOTATE_TIMEOUT_S) -> bytes | None:
    """The town's workbook with its problem cells marked and commented; None when it cannot be opened."""
    try:
        # openpyxl opens the uploaded file: in a limited worker too, and briefly unless the clerk
        # asked for it (it needs ~20 s for a million-row sheet); past that there is no annotated copy.
        return isolation.run(campaign, "annotated_workbook", data, preflight(data, file_name, town, report_date),
                             timeout_s=timeout_s)
    except (AnnotateError, isolation.ParseFailure):
        return None


def issues_frame(parsed) -> pd.DataFrame:
    """Errors first, then warnings, each in sheet and row order."""
    ordered = sorted(parsed.issues, key=lambda i: (i.severity != "error", i.sheet or "", i.row or 0))
    # 行 as text: a problem of the whole file has no row, and an empty cell reads better than "None".
    return pd.DataFrame([{"类型": SEVERITY_LABELS[i.severity], "问题": issue_kind(i.code), "工作表": i.sheet or "（整个文件）",
                          "行": "" if i.row is None else str(i.row), "列": i.column or "", "说明": i.message}
                         for i in ordered])


# Marking a town's own ledger takes openpyxl a fraction of a second, a city's several seconds: the
# copy of a file larger than this is made only when the clerk asks for it.
EAGER_ANNOTATE_BYTES = 1_000_000


def _ask_for_annotated(sha256: str) -> None:
    st.session_state.setdefault(state.UPLOAD_ANNOTATE, set()).add(sha256)


def offer_annotated(data: bytes, parsed) -> None:
    """The download of the town's workbook with its problem cells marked (made at once for a
    town-sized file, on request for a large one)."""
    asked = parsed.sha256 in st.session_state.get(state.UPLOAD_ANNOTATE, set())
    if len(data) > EAGER_ANNOTATE_BYTES and not asked:
        st.button("生成标注版工作簿（问题单元格已标出并加批注）", key=f"annotate_{parsed.sha256}",
                  on_click=_ask_for_annotated, args=(parsed.sha256,), icon=":material/rule:")
        return
    marked = annotated(data, parsed.file_name, town, report_date,
                       campaign.parse_timeout_s if asked else ANNOTATE_TIMEOUT_S)
    if marked:  # the town's own workbook back: problem cells red / yellow, each with a comment
        st.download_button("下载标注版工作簿（问题单元格已标出并加批注）", marked,
                           file_name=annotated_file_name(parsed.file_name), on_click="ignore",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/rule:", key=f"download_annotated_{parsed.sha256}")
    elif asked:
        st.caption("标注版工作簿未能生成（文件过大，或无法用 Excel 方式打开），请按上表逐条修改。")


# A workbook of more towns than this (a city's or a province's) is summed up, its towns listed on request.
LISTED_REPORTS = 20


def reports_frame(parsed) -> pd.DataFrame:
    return pd.DataFrame({"镇（街道）": [r.town for r in parsed.reports],
                         "报送日期": [r.report_date.isoformat() for r in parsed.reports],
                         "小区": [r.compound_count for r in parsed.reports],
                         "社区": [r.community_count for r in parsed.reports]})


def result_counts(stored: list, refused: int) -> dict[str, int]:
    """How many reports of each outcome (new version, replaced, unchanged), and workbooks not stored."""
    counts = {"已保存为新版本": sum(not s.duplicate for s in stored),
              "其中替换了旧版": sum(not s.duplicate and s.replaced_version is not None for s in stored),
              "与已保存版本相同、未重复保存": sum(s.duplicate for s in stored), "未保存": refused}
    return {kind: n for kind, n in counts.items() if n}


def describe(stored) -> str:
    if stored.duplicate:
        return f"{stored.town} {stored.report_date.isoformat()}：与已保存的第{stored.version}版完全相同，已导入过，未重复保存"
    replaced = f"，替换了第{stored.replaced_version}版（旧版保留在历史中）" if stored.replaced_version else ""
    return (f"{stored.town} {stored.report_date.isoformat()}：已保存为第{stored.version}版{replaced}；"
            f"小区 {stored.compounds} 个、社区 {stored.communities} 个")


# ---------------------------------------------------------------- upload and preflight
st.markdown("**第二步：上传工作台账（可一次选多个文件）。** 系统会先检查，确认无误后再保存。")
result, counts = st.session_state.pop(state.UPLOAD_RESULT, (None, None))
if result:
    if len(result) <= LISTED_REPORTS:
        st.success("\n\n".join(result), icon=":material/check_circle:")
    else:  # a city's or province's consolidated workbook: the count, then every line on request
        st.success(f"已处理 {len(result)} 份报表：" + "；".join(f"{kind} {n} 份" for kind, n in counts.items()),
                   icon=":material/check_circle:")
        with st.expander("逐份结果"):
            st.dataframe(pd.DataFrame({"结果": result}), hide_index=True, width="stretch")

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
            more = f"；另有 {warnings} 条提醒" if warnings else ""
            if len(parsed.reports) <= LISTED_REPORTS:
                towns = "、".join(f"{r.town}（{r.report_date.isoformat()}，小区 {r.compound_count} 个、社区 {r.community_count} 个）"
                                 for r in parsed.reports)
                st.markdown(f":green[:material/check_circle:] **{parsed.file_name}**：检查通过，可以导入 — {towns}{more}")
            else:
                dates = "、".join(sorted({r.report_date.isoformat() for r in parsed.reports}))
                st.markdown(f":green[:material/check_circle:] **{parsed.file_name}**：检查通过，可以导入 — "
                            f"{len(parsed.reports)} 个镇（街道）的报表（报送日期 {dates}），小区共 "
                            f"{sum(r.compound_count for r in parsed.reports):,} 个、社区共 "
                            f"{sum(r.community_count for r in parsed.reports):,} 个{more}")
                with st.expander("逐镇（街道）明细"):
                    st.dataframe(reports_frame(parsed), hide_index=True, width="stretch")
        else:
            st.markdown(f":red[:material/cancel:] **{parsed.file_name}**：有 **{errors}** 处错误" + (f"、{warnings} 条提醒" if warnings else "")
                        + "，不能导入。请按下表逐条修改后重新上传（整个文件都不会保存）。")
        if parsed.issues:
            frame = issues_frame(parsed)
            counts = frame.groupby(["类型", "问题"]).size().sort_values(ascending=False)
            st.caption("按问题统计：" + "；".join(f"{kind}·{problem} {n} 条" for (kind, problem), n in counts.items()))
            st.dataframe(frame, hide_index=True, width="stretch",
                         column_config={"说明": st.column_config.TextColumn("说明", width="large")})
            upload = next(f for f, p in zip(files, checked) if p is parsed)
            if can_annotate(parsed):
                offer_annotated(upload.getvalue(), parsed)

# ---------------------------------------------------------------- confirm and store
if ready:
    label = f"确认导入 {len(ready)} 个检查通过的工作簿"
    if st.button(label, type="primary", key="confirm_upload", icon=":material/save:"):
        conn = db()
        lines, stored, refused = [], [], 0
        for parsed in ready:
            try:
                reports = actions.upload(conn, me, parsed)
            except AccessDenied as exc:  # the role changed since the check above
                lines.append(f"{parsed.file_name}：未保存。{exc}")
                refused += 1
                continue
            stored += reports
            lines += [describe(s) for s in reports]
        st.session_state[state.UPLOAD_RESULT] = (lines, result_counts(stored, refused))
        st.session_state["upload_round"] = upload_round + 1  # a fresh, empty uploader
        st.rerun()
else:
    st.warning("没有可以导入的工作簿：请修改上面列出的错误后重新上传。", icon=":material/warning:")
