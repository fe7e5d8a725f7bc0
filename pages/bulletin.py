"""通报 — the bulletin of the as-of date, written from the figures by rules and templates; edit it
here, then download it as Word (.docx) or plain text."""
import datetime as dt

import streamlit as st

from core.bulletin import bulletin_docx, bulletin_file_name, bulletin_text, text_bytes
from core.config import default_campaign
from pages.common import current_snapshot, data_version, db, empty_state, offline, require_app

require_app()

# Session-state and widget keys of this page.
ISSUED = "bulletin_issued"
TEXT = "bulletin_text"  # + the as-of date, data version and signature date the text was written for
DOWNLOAD_DOCX, DOWNLOAD_TXT = "bulletin_download_docx", "bulletin_download_txt"

campaign = default_campaign()
snap = current_snapshot()

st.title("工作推进情况通报")
st.caption(f"统计截至 {snap.as_of.isoformat()}（在左侧栏更改）· 对照{snap.judged.name}目标 · "
           "全文由系统按数据和固定规则生成（不联网、不用大模型），可在下面直接修改后下载。")
if not any(s.reported for s in snap.towns):
    empty_state("所选日期之前还没有任何镇办报送数据，无法生成通报。请在左侧调整“统计截至日期”。")
    st.stop()


@st.cache_data(max_entries=16, show_spinner="正在生成通报…")
def cached_text(version: tuple, as_of: dt.date, issued: dt.date) -> str:
    return bulletin_text(db(), campaign, as_of, issued, current_snapshot())  # the snapshot the page shows


issued = st.date_input("落款日期", value=dt.date.today(), key=ISSUED, format="YYYY-MM-DD",
                       help="通报末尾署名下的日期。")
written = cached_text(data_version(), snap.as_of, issued)
key = f"{TEXT}_{snap.as_of.isoformat()}_{issued.isoformat()}_{hash(data_version())}"
text = st.text_area("通报全文（可修改；下载的文件以这里的文字为准）", value=written, height=560, key=key,
                    help="第一段（第一个空行之前）为标题；以“一、”等开头的行为小标题；末尾“附件”之后以制表符分隔的各行生成表格。")
st.caption("修改后请先点击文本框外任意处（或按 Ctrl+Enter）使修改生效，再下载。")

# ---------------------------------------------------------------- downloads
left, middle, right, _ = st.columns([1.3, 1.3, 1.3, 2])
left.download_button("下载 Word 文档", offline(bulletin_docx, text), file_name=bulletin_file_name(campaign, snap.as_of),
                     mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     on_click="ignore", type="primary", icon=":material/description:", key=DOWNLOAD_DOCX)
middle.download_button("下载纯文本", offline(text_bytes, text), file_name=bulletin_file_name(campaign, snap.as_of, ".txt"),
                       mime="text/plain", on_click="ignore", icon=":material/text_snippet:", key=DOWNLOAD_TXT)
if text != written:
    right.button("恢复系统生成的文字", key="bulletin_restore", icon=":material/restart_alt:",
                 on_click=lambda: st.session_state.pop(key, None))
