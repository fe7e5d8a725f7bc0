"""账号管理 — every account, adding one, disabling or enabling it, resetting its password."""
import pandas as pd
import streamlit as st

from core import access, accounts
from core.config import default_campaign
from pages import state
from pages.common import actor, db, empty_state, require_app

require_app()

NO_TOWN = "（不适用）"
campaign = default_campaign()


# ---------------------------------------------------------------- actions (run before the page redraws)

def finish(kind: str, message: str) -> None:
    st.session_state[state.ACCOUNTS_RESULT] = (kind, message)


def add_account() -> None:
    values = st.session_state
    password = values[state.ACCOUNTS_PASSWORD]
    if password != values[state.ACCOUNTS_PASSWORD2]:
        finish("error", "两次输入的密码不一致，账号未新增。")
        return
    town = values[state.ACCOUNTS_TOWN]
    try:
        created = accounts.add_account(db(), actor(), values[state.ACCOUNTS_NAME], values[state.ACCOUNTS_ROLE],
                                       password or None, campaign.towns, town=None if town == NO_TOWN else town,
                                       email=values[state.ACCOUNTS_EMAIL])
    except (accounts.AccountError, access.AccessDenied) as exc:
        finish("error", f"账号未新增：{exc}")
        return
    for key in (state.ACCOUNTS_NAME, state.ACCOUNTS_EMAIL, state.ACCOUNTS_PASSWORD, state.ACCOUNTS_PASSWORD2):
        values[key] = ""
    finish("success", f"已新增账号 {created.label}。请把用户名和初始密码当面或电话告知本人。")


def toggle(user_name: str, active: bool) -> None:
    try:
        accounts.set_active(db(), actor(), user_name, active)
    except (accounts.AccountError, access.AccessDenied) as exc:
        finish("error", str(exc))
        return
    finish("success", f"已{'启用' if active else '停用'}账号 {user_name}。"
                      + ("" if active else "该账号正在使用的页面会在下一次操作时退出。"))


def reset(user_name: str) -> None:
    values = st.session_state
    password = values[state.ACCOUNTS_NEW_PASSWORD]
    if password != values[state.ACCOUNTS_NEW_PASSWORD2]:
        finish("error", "两次输入的新密码不一致，密码未修改。")
        return
    try:
        accounts.reset_password(db(), actor(), user_name, password)
    except (accounts.AccountError, access.AccessDenied) as exc:
        finish("error", f"密码未修改：{exc}")
        return
    values[state.ACCOUNTS_NEW_PASSWORD] = values[state.ACCOUNTS_NEW_PASSWORD2] = ""
    finish("success", f"已重置账号 {user_name} 的密码，并解除了锁定。")


def accounts_table(frame: pd.DataFrame) -> pd.DataFrame:
    def when(value) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if pd.notna(value) else ""

    return pd.DataFrame({
        "用户名": frame["user_name"], "角色": frame["role"].map(access.ROLE_LABELS),
        "镇（街道）": frame["town"].fillna(""), "邮箱": frame["email"].fillna(""),
        "状态": frame["active"].map({True: "启用", False: "停用"}),
        "密码登录": frame["has_password"].map({True: "有", False: "无（仅统一身份认证）"}),
        "最近登录": frame["last_login_at"].map(when), "连续输错": frame["failures"],
        "锁定至": frame["locked_until"].map(when), "创建时间": frame["created_at"].map(when), "创建人": frame["created_by"],
    })


# ---------------------------------------------------------------- page
st.title("账号管理")
st.caption("区级管理员：全部功能（含账号、恢复旧版本、删除示例数据、审计日志、系统配置）；"
           "镇办填报员：只能上报和查看本镇（街道）的数据，可看全区汇总和排名；查看：各看板和下载，不能上报、不能管理。")
result = st.session_state.pop(state.ACCOUNTS_RESULT, None)
if result:
    kind, message = result
    {"success": st.success, "error": st.error}[kind](message)

table = accounts.list_accounts(db(), actor())
if table.empty:
    empty_state("还没有账号：当前是本机单用户模式。新增第一个区级管理员后，所有人都须登录。")
else:
    st.dataframe(accounts_table(table), hide_index=True, width="stretch")

# ---------------------------------------------------------------- add
st.subheader("新增账号")
with st.form("accounts_add_form", border=True):
    left, middle, right = st.columns(3)
    left.text_input("用户名", key=state.ACCOUNTS_NAME, help="登录时输入，不能含空格。")
    middle.selectbox("角色", access.ROLES, key=state.ACCOUNTS_ROLE, format_func=access.ROLE_LABELS.get)
    right.selectbox("镇（街道）", [NO_TOWN, *campaign.towns], key=state.ACCOUNTS_TOWN, help="仅镇办填报员需要选择。")
    left.text_input("初始密码", type="password", key=state.ACCOUNTS_PASSWORD,
                    help=f"至少 {accounts.setting(accounts.MIN_PASSWORD_LENGTH)} 位；只用统一身份认证登录的账号可留空。")
    middle.text_input("再输入一次", type="password", key=state.ACCOUNTS_PASSWORD2)
    right.text_input("邮箱（统一身份认证用，可不填）", key=state.ACCOUNTS_EMAIL)
    st.form_submit_button("新增账号", type="primary", key=state.ACCOUNTS_ADD, on_click=add_account,
                          icon=":material/person_add:")

# ---------------------------------------------------------------- disable, enable, reset
if not table.empty:
    st.subheader("停用、启用或重置密码")
    records = {r["user_name"]: r for r in table.to_dict("records")}
    picked = st.selectbox("账号", list(records), key=state.ACCOUNTS_PICK,
                          format_func=lambda n: f"{n}（{access.ROLE_LABELS[records[n]['role']]}"
                                                f"{'·' + records[n]['town'] if isinstance(records[n]['town'], str) else ''}"
                                                f"{'' if records[n]['active'] else '，已停用'}）")
    active = bool(records[picked]["active"])
    st.button("停用账号" if active else "启用账号", key=state.ACCOUNTS_TOGGLE, on_click=toggle, args=(picked, not active),
              icon=":material/person_off:" if active else ":material/person_check:",
              help="停用后不能登录，历史记录保留；可随时重新启用。")
    with st.form("accounts_reset_form", border=True):
        left, right = st.columns(2)
        left.text_input("新密码", type="password", key=state.ACCOUNTS_NEW_PASSWORD)
        right.text_input("再输入一次", type="password", key=state.ACCOUNTS_NEW_PASSWORD2)
        st.form_submit_button("重置密码", key=state.ACCOUNTS_RESET, on_click=reset, args=(picked,),
                              icon=":material/lock_reset:")
