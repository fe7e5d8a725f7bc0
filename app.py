"""红色物业建设推进看板 — page configuration, who is signed in, the navigation their role opens
(core/access.py PAGES) and the shared sidebar."""
import streamlit as st

from core.config import default_campaign
from pages import auth, state
from pages.common import refresh_data_version, sidebar, startup_problem

st.set_page_config(page_title="红色物业建设推进看板", page_icon=":material/apartment:", layout="wide",
                   initial_sidebar_state="expanded")
if problem := startup_problem():  # no defusedxml, or a database that cannot be opened or replayed
    st.error(f"看板无法启动：{problem}", icon=":material/error:")
    st.stop()

PAGES = {  # every page; each role sees those core.access.PAGES opens for it
    "推进看板": [
        st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
        st.Page("pages/town.py", title="镇办详情", icon=":material/location_city:", url_path="town"),
        st.Page("pages/ranking.py", title="考核排名", icon=":material/leaderboard:", url_path="ranking"),
    ],
    "推进会": [
        st.Page("pages/presenter.py", title="会议模式", icon=":material/slideshow:", url_path="presenter"),
        st.Page("pages/bulletin.py", title="通报", icon=":material/article:", url_path="bulletin"),
    ],
    "数据报送": [
        st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:", url_path="upload"),
        st.Page("pages/submissions.py", title="报送情况", icon=":material/event_available:", url_path="submissions"),
        st.Page("pages/ledger.py", title="台账查询", icon=":material/search:", url_path="ledger"),
    ],
    "系统": [
        st.Page("pages/manage.py", title="数据管理", icon=":material/folder_managed:", url_path="manage"),
        st.Page("pages/accounts.py", title="账号管理", icon=":material/manage_accounts:", url_path="accounts"),
        st.Page("pages/audit.py", title="审计日志", icon=":material/history:", url_path="audit"),
        st.Page("pages/settings.py", title="系统配置", icon=":material/settings:", url_path="settings"),
    ],
}

mode = auth.serving_mode()
actor = auth.current_actor(mode)
st.session_state[state.APP_RAN] = True
st.session_state[state.ACTOR] = actor
if actor is None:  # not signed in, or refused: one page and no data
    st.navigation(auth.gate_pages(mode, PAGES)).run()
    st.stop()
navigation = st.navigation(auth.allowed_pages(PAGES, actor))
if mode == auth.LOCAL:
    auth.local_banner()
refresh_data_version()  # once per run: every cached read of the page is keyed on it
sidebar()
auth.account_box(actor, mode)
navigation.run()
