"""红色物业建设推进看板 — page configuration, navigation and the shared sidebar."""
import streamlit as st

from core.config import default_campaign
from pages import state
from pages.common import sidebar

st.set_page_config(page_title="红色物业建设推进看板", page_icon=":material/apartment:", layout="wide",
                   initial_sidebar_state="expanded")

navigation = st.navigation({
    "推进看板": [
        st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
        st.Page("pages/town.py", title="镇办详情", icon=":material/location_city:", url_path="town"),
        st.Page("pages/ranking.py", title="考核排名", icon=":material/leaderboard:", url_path="ranking"),
    ],
    "数据报送": [
        st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:", url_path="upload"),
        st.Page("pages/submissions.py", title="报送情况", icon=":material/event_available:", url_path="submissions"),
        st.Page("pages/ledger.py", title="台账查询", icon=":material/search:", url_path="ledger"),
    ],
    "系统": [
        st.Page("pages/manage.py", title="数据管理", icon=":material/folder_managed:", url_path="manage"),
    ],
})
st.session_state[state.APP_RAN] = True
sidebar()
navigation.run()
