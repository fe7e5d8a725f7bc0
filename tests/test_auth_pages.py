"""Signing in through the real login form and what each role then sees and may do (AppTest, real DuckDB)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

from core import access, accounts, store
from core.cli import load_sample
from pages import state
from tests.reports import ledger_counts, versions
from tests.workbooks import community_row, compound_row, info_sheet, standard

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 120
PASSWORD = "correct-horse-9"
CLI = access.cli_actor("测试命令行")
USERS = {"区管理员": (access.ADMIN, None), "昆仑镇填报员": (access.TOWN, "昆仑镇"), "领导": (access.VIEWER, None)}
# Page file → its title; and the pages each role's navigation holds.
TITLES = {"pages/overview.py": "淄川区红色物业建设推进总览", "pages/town.py": "镇办详情", "pages/ranking.py": "考核排名",
          "pages/upload.py": "数据上报", "pages/submissions.py": "报送情况", "pages/ledger.py": "台账查询",
          "pages/manage.py": "数据管理", "pages/accounts.py": "账号管理", "pages/audit.py": "审计日志",
          "pages/settings.py": "系统配置"}
SEES = {
    "区管理员": set(TITLES),
    "昆仑镇填报员": {"pages/overview.py", "pages/town.py", "pages/ranking.py", "pages/upload.py", "pages/ledger.py"},
    "领导": {"pages/overview.py", "pages/town.py", "pages/ranking.py", "pages/submissions.py", "pages/ledger.py"},
}


@pytest.fixture(scope="module")
def accounts_db(tmp_path_factory, campaign) -> Path:
    """The sample data and three accounts (one per role), built once: each test gets a copy."""
    path = tmp_path_factory.mktemp("auth") / "accounts.duckdb"
    with store.connect(path) as conn:
        load_sample(conn)
        for name, (role, town) in USERS.items():
            accounts.add_account(conn, CLI, name, role, PASSWORD, campaign.towns, town=town)
    return path


@pytest.fixture
def db(accounts_db, tmp_path, monkeypatch):
    path = tmp_path / "app.duckdb"
    shutil.copy(accounts_db, path)
    monkeypatch.setenv("REDPROP_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [e.value for kind in ("info", "warning", "success", "error") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def login(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Fill 用户名 and 密码 on the login page and click 登录."""
    [user_field] = [t for t in at.text_input if t.label == "用户名"]
    [password_field] = [t for t in at.text_input if t.label == "密码"]
    [button] = [b for b in at.button if b.label == "登录"]
    user_field.input(name)
    password_field.input(password)
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def signed_in(name: str) -> AppTest:
    at = login(open_app(), name)
    assert f"当前用户：{name}" in "\n".join(c.value for c in at.sidebar.caption)
    return at


def visit(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def log(path: Path) -> list[tuple]:
    with store.connect(path) as conn:
        return conn.execute("SELECT user_name, action FROM audit_log WHERE user_name <> '示例数据' "
                            "AND user_name <> '测试命令行' ORDER BY audit_id").fetchall()


def db_state(path: Path) -> tuple:
    with store.connect(path) as conn:
        return versions(conn), ledger_counts(conn)


# ---------------------------------------------------------------- before signing in

def test_the_login_page_is_all_there_is_before_signing_in(db):
    at = open_app()
    assert [t.value for t in at.title] == ["红色物业建设推进看板"]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert at.text_input(key=state.LOGIN_PASSWORD).proto.type == at.text_input(key=state.LOGIN_PASSWORD).proto.PASSWORD
    assert [b.label for b in at.button] == ["登录"]
    # No data at all: no figures, no tables, no as-of date, no other page to switch to.
    assert not at.metric and not at.dataframe and not at.date_input
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/overview.py")
    assert "本机单用户模式" not in texts(at)


# ---------------------------------------------------------------- what each role sees

@pytest.mark.parametrize("name", list(USERS))
def test_each_role_sees_only_its_pages(db, name):
    at = signed_in(name)
    assert [t.value for t in at.title] == [TITLES["pages/overview.py"]]
    for page, title in TITLES.items():
        if page in SEES[name]:
            visit(at, page)
            assert [t.value for t in at.title][:1] == [title], page
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)
    assert log(db) == [(name, "login")]


def test_a_town_clerk_sees_the_district_summary_and_only_their_towns_details(db):
    at = signed_in("昆仑镇填报员")
    assert len(at.metric) == 4  # the district's figures
    visit(at, "pages/town.py")
    assert at.selectbox(key=state.TOWN).options == ["昆仑镇"]
    visit(at, "pages/ledger.py")
    assert at.selectbox(key=state.LEDGER_TOWN).options == ["昆仑镇"]
    assert set(at.dataframe[0].value["镇（街道）"]) == {"昆仑镇"}
    visit(at, "pages/upload.py")
    assert at.selectbox(key=state.UPLOAD_TOWN).options == ["昆仑镇"]


def test_a_viewer_sees_every_town(db):
    at = signed_in("领导")
    visit(at, "pages/ledger.py")
    assert at.selectbox(key=state.LEDGER_TOWN).options[0] == "全部"
    assert len(set(at.dataframe[0].value["镇（街道）"])) == 13
    visit(at, "pages/ranking.py")
    for button in at.download_button:
        button.click().run()
        assert not at.exception


# ---------------------------------------------------------------- uploads by a town clerk

def town_workbook(town: str) -> bytes:
    return standard([compound_row("新村社区", "幸福苑", "是", 7, 6, "是", town=town)],
                    [community_row("新村社区", "是", 5, 4, town=town)],
                    info=info_sheet(town=None, report_date=dt.date(2022, 1, 10)))


def test_a_town_clerk_uploading_another_towns_workbook_is_refused_and_nothing_is_stored(db):
    before = db_state(db)
    at = signed_in("昆仑镇填报员")
    visit(at, "pages/upload.py")
    at.file_uploader[0].upload("西河镇.xlsx", town_workbook("西河镇"))
    at.run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("您是昆仑镇的填报员，只能上报数据（限昆仑镇）；这里涉及西河镇，不能办理。"
                                  "工作簿“西河镇.xlsx”含有西河镇（2022-01-10，小区 1 个、社区 1 个）的数据，整个文件都不会保存。")
    assert not [b for b in at.button if b.key == "confirm_upload"]
    at.run()  # a rerun does not log the same refusal twice
    assert db_state(db) == before
    assert log(db) == [("昆仑镇填报员", "login"), ("昆仑镇填报员", "refused")]


def test_a_town_clerk_uploads_their_own_towns_workbook(db):
    at = signed_in("昆仑镇填报员")
    visit(at, "pages/upload.py")
    at.file_uploader[0].upload("昆仑镇.xlsx", town_workbook("昆仑镇"))
    at.run()
    at.button(key="confirm_upload").click().run()
    assert not at.exception
    assert "昆仑镇 2022-01-10：已保存为第1版" in texts(at)
    with store.connect(db) as conn:
        latest = store.uploads(conn).iloc[0]
        entry = conn.execute("SELECT user_name, action, town, file_name, sha256 FROM audit_log "
                             "ORDER BY audit_id DESC LIMIT 1").fetchone()
    assert (latest["town"], latest["uploader"]) == ("昆仑镇", "昆仑镇填报员")
    assert entry == ("昆仑镇填报员", "upload", "昆仑镇", "昆仑镇.xlsx", latest["sha256"])


# ---------------------------------------------------------------- wrong passwords, sign-out, expiry

def test_wrong_passwords_back_off_on_the_login_page(db):
    at = open_app()
    for left in (4, 3, 2, 1):
        login(at, "领导", "wrong-password")
        assert [e.value for e in at.error] == [f"用户名或密码不正确。再输错 {left} 次，该用户名将被暂时锁定。"]
    login(at, "领导", "wrong-password")
    [error] = at.error
    assert "已连续输错 5 次，账号暂时锁定，请 5 分钟后" in error.value
    login(at, "领导")  # the right password, but still locked
    assert "账号已暂时锁定，请 5 分钟后" in at.error[0].value
    assert [t.label for t in at.text_input] == ["用户名", "密码"]  # still on the login page
    assert log(db) == [("领导", "login_failed")] * 6


def test_sign_out_returns_to_the_login_page(db):
    at = signed_in("领导")
    at.button(key=state.LOGOUT).click().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "您已退出登录。" in texts(at)
    assert not at.metric
    assert log(db) == [("领导", "login"), ("领导", "logout")]


def test_an_idle_session_expires(db, monkeypatch):
    monkeypatch.setenv("REDPROP_SESSION_MINUTES", "30")
    at = signed_in("领导")
    at.session_state[state.AUTH_SEEN] = dt.datetime.now() - dt.timedelta(minutes=31)
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "超过 30 分钟没有操作，已自动退出，请重新登录。" in texts(at)
    assert log(db) == [("领导", "login"), ("领导", "session_expired")]


def test_a_disabled_account_is_signed_out_at_its_next_step(db):
    at = signed_in("领导")
    with store.connect(db) as conn:
        accounts.set_active(conn, CLI, "领导", False)
    st.cache_resource.clear()
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "您的账号已被停用，请联系区级管理员。" in texts(at)


# ---------------------------------------------------------------- the administrator's pages

def test_the_administrator_adds_disables_and_resets_accounts(db):
    at = signed_in("区管理员")
    visit(at, "pages/accounts.py")
    assert at.dataframe[0].value["用户名"].tolist() == ["区管理员", "昆仑镇填报员", "领导"]
    at.text_input(key=state.ACCOUNTS_NAME).input("西河镇填报员")
    at.selectbox(key=state.ACCOUNTS_ROLE).select(access.TOWN)
    at.selectbox(key=state.ACCOUNTS_TOWN).select("西河镇")
    at.text_input(key=state.ACCOUNTS_PASSWORD).input("first-password")
    at.text_input(key=state.ACCOUNTS_PASSWORD2).input("first-password")
    at.button(key=state.ACCOUNTS_ADD).click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["已新增账号 西河镇填报员（镇办填报员·西河镇）。请把用户名和初始密码当面或电话告知本人。"]
    assert "西河镇填报员" in at.dataframe[0].value["用户名"].tolist()

    at.selectbox(key=state.ACCOUNTS_PICK).select("西河镇填报员").run()
    at.button(key=state.ACCOUNTS_TOGGLE).click().run()
    assert "已停用账号 西河镇填报员" in at.success[0].value
    at.button(key=state.ACCOUNTS_TOGGLE).click().run()
    assert "已启用账号 西河镇填报员" in at.success[0].value
    at.text_input(key=state.ACCOUNTS_NEW_PASSWORD).input("second-password")
    at.text_input(key=state.ACCOUNTS_NEW_PASSWORD2).input("second-password")
    at.button(key=state.ACCOUNTS_RESET).click().run()
    assert at.success[0].value == "已重置账号 西河镇填报员 的密码，并解除了锁定。"

    at.selectbox(key=state.ACCOUNTS_PICK).select("区管理员").run()
    at.button(key=state.ACCOUNTS_TOGGLE).click().run()
    assert at.error[0].value == "不能停用自己正在使用的账号。"

    clerk = login(open_app(), "西河镇填报员", "second-password")
    assert "当前用户：西河镇填报员（镇办填报员·西河镇）" in "\n".join(c.value for c in clerk.sidebar.caption)
    assert log(db) == [("区管理员", "login"), ("区管理员", "user_add"), ("区管理员", "user_disable"),
                       ("区管理员", "user_enable"), ("区管理员", "password_reset"), ("西河镇填报员", "login")]


def test_the_administrator_reads_filters_and_downloads_the_audit_log(db):
    login(open_app(), "领导", "wrong-password")
    at = signed_in("区管理员")
    visit(at, "pages/manage.py")
    at.button(key=state.MANAGE_REMOVE_SAMPLE).click().run()
    at.button(key=state.MANAGE_REMOVE_CONFIRM).click().run()
    visit(at, "pages/audit.py")
    table = at.dataframe[0].value
    assert table[["用户", "操作"]].values.tolist()[:3] == [["区管理员", "删除示例数据"], ["区管理员", "登录"],
                                                        ["领导", "登录失败"]]
    at.selectbox(key=state.AUDIT_USER).select("领导").run()
    assert at.dataframe[0].value["操作"].tolist() == ["登录失败"]
    at.selectbox(key=state.AUDIT_USER).select("全部").run()
    at.multiselect(key=state.AUDIT_ACTIONS).select("upload").run()
    assert set(at.dataframe[0].value["用户"]) == {"示例数据"}  # the sample loaded at first start
    for button in at.download_button:
        button.click().run()
        assert not at.exception
    visit(at, "pages/settings.py")
    assert "REDPROP_SESSION_MINUTES" in "\n".join(at.dataframe[0].value["项目"])


# ---------------------------------------------------------------- identity provider

OIDC_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                         "client_id": "redprop", "client_secret": "secret",
                         "server_metadata_url": "https://sso.example/.well-known/openid-configuration"}}


def test_identity_provider_users_get_the_role_of_their_account(db, campaign):
    with store.connect(db) as conn:
        accounts.add_account(conn, CLI, "张科长", access.VIEWER, None, campaign.towns, email="zhang@zichuan.gov.cn")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["登录", "使用统一身份认证登录"]
    at.user = {"is_logged_in": True, "email": "Zhang@zichuan.gov.cn", "name": "张三"}
    at.run()
    assert not at.exception
    assert "当前用户：张科长（查看）" in "\n".join(c.value for c in at.sidebar.caption)
    with pytest.raises(ValueError):
        at.switch_page("pages/upload.py")
    at.run()
    assert log(db) == [("张科长", "login")]  # once per session


def test_an_identity_without_an_account_is_not_let_in(db):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "统一身份认证账号 stranger@example.com 尚未在本系统开通" in texts(at)
    assert not at.metric


# ---------------------------------------------------------------- serving

@pytest.fixture
def network_address():
    """The server configured as by `streamlit run app.py --server.address 0.0.0.0`."""
    configured = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", configured)


def test_without_accounts_on_a_network_address_only_a_refusal_is_served(tmp_path, monkeypatch, network_address):
    monkeypatch.setenv("REDPROP_DB", str(tmp_path / "open.duckdb"))
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["无法在网络上开放"]
    assert "当前服务地址为 0.0.0.0" in at.error[0].value
    assert not at.metric and not at.dataframe and not at.text_input and not at.date_input
    with pytest.raises(ValueError):
        at.switch_page("pages/upload.py")
    st.cache_resource.clear()


def test_with_accounts_a_network_address_serves_the_login_page(db, network_address):
    at = open_app()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]


def test_without_accounts_on_this_computer_the_single_user_has_every_page_under_a_banner(tmp_path, monkeypatch,
                                                                                           sample_copy):
    monkeypatch.setenv("REDPROP_DB", str(sample_copy))
    st.cache_resource.clear()
    at = open_app()
    assert "本机单用户模式：尚未建立账号，只能在本机（127.0.0.1）访问" in at.info[0].value
    for page in TITLES:
        visit(at, page)
    st.cache_resource.clear()


@pytest.fixture
def sample_copy(accounts_db, tmp_path) -> Path:
    """The sample data without any account."""
    path = tmp_path / "local.duckdb"
    shutil.copy(accounts_db, path)
    with store.connect(path) as conn:
        conn.execute("DELETE FROM users")
    return path
