"""Signing in, on the Streamlit side: how the app may serve, who is acting in this session, the
pages their role opens, and signing out. Every decision comes from core.access and core.accounts.

Three modes:
- accounts: some account exists, so everyone signs in (password, or the identity provider of
  .streamlit/secrets.toml [auth] mapped to an account by e-mail);
- local: no account yet, and the server listens on this computer only: one local user with
  every right, under a banner;
- refused: no account, but the server listens on the network (or is reached through a proxy):
  only a refusal page, no data.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from core import access, accounts, audit
from core.access import Actor
from pages import state
from pages.common import db

LOCAL, ACCOUNTS, REFUSED = "local", "accounts", "refused"
FORWARDED_HEADERS = ("X-Forwarded-For", "X-Real-Ip")


# ---------------------------------------------------------------- where the session comes from

def client_source() -> str:
    """The client's address for the audit log: the proxy's forwarded address, the socket's, or 本机."""
    headers = st.context.headers
    for name in FORWARDED_HEADERS:
        if headers.get(name):
            return headers[name].split(",")[0].strip()
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "本机"


def _reached_from_network() -> bool:
    """True when this session came from another computer, or through a reverse proxy."""
    headers = st.context.headers  # built anew on every access
    if any(headers.get(name) for name in FORWARDED_HEADERS):
        return True
    address = st.context.ip_address  # None for a browser on this computer
    return isinstance(address, str) and not access.is_local_address(address)


def serving_mode() -> str:
    """ACCOUNTS once an account exists; else LOCAL on a loopback address, else REFUSED."""
    if accounts.has_accounts(db()):
        return ACCOUNTS
    if access.is_local_address(st.get_option("server.address")) and not _reached_from_network():
        return LOCAL
    return REFUSED


# ---------------------------------------------------------------- identity provider (OpenID Connect)

def identity_providers() -> list[str | None]:
    """Providers configured under [auth] in .streamlit/secrets.toml; None is the unnamed one."""
    try:
        section = st.secrets.get("auth")
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return []
    if not isinstance(section, Mapping):
        return []
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return ([None] if "client_id" in section else []) + named


def _identity() -> tuple[str | None, str | None] | None:
    """(e-mail, name) of the identity-provider user of this browser, or None."""
    if not identity_providers() or not st.user.get("is_logged_in"):
        return None
    return st.user.get("email"), st.user.get("preferred_username") or st.user.get("name")


# ---------------------------------------------------------------- signing in and out

def sign_in(actor: Actor) -> None:
    st.session_state[state.AUTH_USER] = actor.name
    st.session_state[state.AUTH_SEEN] = dt.datetime.now()
    st.session_state.pop(state.AUTH_NOTICE, None)


def sign_out(actor: Actor | str | None, action: str = "logout", notice: str = "您已退出登录。") -> None:
    """Forget everything this session knew (a colleague may sign in next) and log it."""
    identity = _identity() is not None
    if actor is not None:
        audit.record(db(), actor, action, source=client_source(),
                     detail="无操作超时，自动退出" if action == "session_expired" else None)
    for key in list(st.session_state.keys()):
        if key != state.CURSOR:
            del st.session_state[key]
    st.session_state[state.AUTH_NOTICE] = notice
    if identity:
        st.logout()


def _expired() -> bool:
    seen = st.session_state.get(state.AUTH_SEEN)
    minutes = accounts.setting(accounts.SESSION_MINUTES)
    return seen is not None and dt.datetime.now() - seen > dt.timedelta(minutes=minutes)


def current_actor(mode: str) -> Actor | None:
    """Who is acting in this session, as their account stands now; None: nobody (sign in first)."""
    if mode == LOCAL:
        return access.local_actor()
    if mode == REFUSED:
        return None
    name, identity = st.session_state.get(state.AUTH_USER), _identity()
    if name is None and identity is None:
        return None
    if _expired():
        sign_out(name or (identity[0] or identity[1]), "session_expired",
                 f"超过 {accounts.setting(accounts.SESSION_MINUTES)} 分钟没有操作，已自动退出，请重新登录。")
        return None
    if name is not None:
        actor = accounts.active_actor(db(), name, client_source())
        if actor is None:
            sign_out(None, notice="您的账号已被停用，请联系区级管理员。")
            return None
    else:
        actor = accounts.identity_actor(db(), *identity, client_source())
        if actor is None:
            st.session_state[state.AUTH_NOTICE] = (f"统一身份认证账号 {identity[0] or identity[1]} 尚未在本系统开通，"
                                                   "请联系区级管理员在“账号管理”中按邮箱添加。")
            return None
        if not st.session_state.get(state.AUTH_IDENTITY_LOGGED):
            audit.record(db(), actor, "login", detail=f"统一身份认证（{identity[0] or identity[1]}）")
            st.session_state[state.AUTH_IDENTITY_LOGGED] = True
    st.session_state[state.AUTH_SEEN] = dt.datetime.now()
    return actor


# ---------------------------------------------------------------- what the session sees

def allowed_pages(pages: dict[str, list], actor: Actor) -> dict[str, list]:
    """The navigation of `actor`: each section's pages that their role opens (empty sections dropped)."""
    shown = {section: [p for p in items if access.can_open(actor, p.url_path)] for section, items in pages.items()}
    return {section: items for section, items in shown.items() if items}


def refusal_page() -> None:
    """Shown alone when the app has no accounts but listens on the network: no data at all."""
    address = st.get_option("server.address") or "（所有网络地址）"
    st.title("无法在网络上开放")
    st.error(f"本看板还没有建立任何账号，只能在本机以单用户模式使用；当前服务地址为 {address}，"
             "其他电脑也能访问，因此不提供任何页面和数据。", icon=":material/block:")
    st.markdown("请管理员在服务器上先建立区级管理员账号，再重新打开本页：\n\n"
                "```\npython -m core user add 管理员 --role admin\n```\n\n"
                "或者只在本机使用：去掉启动参数 `--server.address`（默认只监听 127.0.0.1）。")


def gate_pages(mode: str, pages: dict[str, list]) -> list:
    """What a session without an actor may open: the refusal, or the login form — also under every
    page's address (hidden), so that a deep link shows it and, once signed in, the page asked for."""
    target = refusal_page if mode == REFUSED else "pages/login.py"
    title, icon = ("无法提供服务", ":material/block:") if mode == REFUSED else ("登录", ":material/login:")
    paths = [p.url_path for items in pages.values() for p in items if p.url_path]
    return [st.Page(target, title=title, icon=icon, url_path="login", default=True),
            *[st.Page(target, title=title, icon=icon, url_path=path, visibility="hidden") for path in paths]]


def local_banner() -> None:
    st.info("本机单用户模式：尚未建立账号，只能在本机（127.0.0.1）访问，使用者拥有全部权限。"
            "要在办公网上使用，请先用 `python -m core user add 名称 --role admin` 建立管理员账号。",
            icon=":material/computer:")


def account_box(actor: Actor, mode: str) -> None:
    """Who is signed in, with the sign-out button (sidebar)."""
    with st.sidebar:
        if mode == LOCAL:
            st.caption("本机单用户模式（未设账号）")
            return
        st.caption(f"当前用户：{actor.label}")
        st.button("退出登录", key=state.LOGOUT, icon=":material/logout:", on_click=sign_out, args=(actor,))
