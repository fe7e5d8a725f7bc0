"""登录 — user name and password (用户名, 密码, 登录), or the identity provider where one is configured."""
import streamlit as st

from core import accounts
from core.config import default_campaign
from pages import auth, state
from pages.common import db, require_app

require_app()

campaign = default_campaign()
st.title("红色物业建设推进看板")
st.caption(f"{campaign.district}住房保障中心物业科 · 请先登录")
notice = st.session_state.pop(state.AUTH_NOTICE, None)
if notice:
    st.info(notice, icon=":material/info:")

# ---------------------------------------------------------------- user name and password
left, _ = st.columns([2, 3])
with left.form("login_form", clear_on_submit=True):
    name = st.text_input("用户名", key=state.LOGIN_NAME, autocomplete="username")
    password = st.text_input("密码", type="password", key=state.LOGIN_PASSWORD, autocomplete="current-password")
    submitted = st.form_submit_button("登录", type="primary", key=state.LOGIN_SUBMIT, icon=":material/login:")
if submitted:
    result = accounts.authenticate(db(), name, password, auth.client_source())
    if result.actor is not None:
        auth.sign_in(result.actor)
        st.rerun()
    left.error(result.message, icon=":material/error:")

# ---------------------------------------------------------------- identity provider
providers = auth.identity_providers()
if providers:
    left.divider()
    for index, provider in enumerate(providers):
        left.button("使用统一身份认证登录" + (f"（{provider}）" if provider else ""), key=f"{state.LOGIN_OIDC}_{index}",
                    on_click=st.login, args=(provider,), icon=":material/badge:")
left.caption("忘记密码或账号被锁定，请联系区级管理员重置。")
