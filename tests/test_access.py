"""Access control in core: the role table, argon2 passwords, back-off, account management, and the
guarded actions called directly as each role on real DuckDB files (nothing of ours is mocked)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from core import access, accounts, actions, audit, store
from core.access import ADMIN, TOWN, VIEWER, AccessDenied, Actor
from core.validate import read_workbook
from tests.reports import ledger_counts, store_report, versions
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
D1130 = dt.date(2021, 11, 30)
PASSWORD = "correct-horse-9"
CLI = access.cli_actor("测试命令行")
ADMIN_ACTOR = Actor("区管理员", ADMIN)
CLERK = Actor("昆仑镇填报员", TOWN, "昆仑镇")
OTHER_CLERK = Actor("西河镇填报员", TOWN, "西河镇")
LEADER = Actor("领导", VIEWER)


@pytest.fixture
def conn(tmp_path, campaign):
    """A real database holding one report of 昆仑镇 (two versions) and the three accounts above."""
    with store.connect(tmp_path / "redprop.duckdb") as connection:
        store_report(connection, "昆仑镇", D1130, compounds=2)
        store_report(connection, "昆仑镇", D1130, compounds=3)
        for actor in (ADMIN_ACTOR, CLERK, OTHER_CLERK, LEADER):
            accounts.add_account(connection, CLI, actor.name, actor.role, PASSWORD, campaign.towns, town=actor.town)
        yield connection


def workbook(campaign, *towns: str, file_name: str = "台账.xlsx"):
    """A parsed, error-free workbook with one compound and one community in each of `towns`."""
    compounds = [compound_row("东关社区", f"{town}一号院", town=town) for town in towns]
    communities = [community_row("东关社区", town=town) for town in towns]
    data = standard(compounds, communities, info=info_sheet(town=None, report_date=dt.date(2021, 12, 15)))
    parsed = read_workbook(data, file_name, campaign)
    assert parsed.ok, [i.message for i in parsed.errors]
    return parsed


def log(conn) -> list[tuple]:
    """(user, action) of every audit entry, oldest first."""
    return conn.execute("SELECT user_name, action FROM audit_log ORDER BY audit_id").fetchall()


def snapshot(conn) -> tuple:
    return versions(conn), ledger_counts(conn)


# ---------------------------------------------------------------- the role table

ROLE_TABLE = {  # permission → (admin, town clerk for own town, viewer)
    access.VIEW_SUMMARY: (True, True, True),
    access.VIEW_TOWN: (True, True, True),
    access.VIEW_SUBMISSIONS: (True, False, True),
    access.VIEW_MEETING: (True, False, True),
    access.UPLOAD: (True, True, False),
    access.MANAGE_DATA: (True, False, False),
    access.MANAGE_USERS: (True, False, False),
    access.VIEW_AUDIT: (True, False, False),
    access.VIEW_CONFIG: (True, False, False),
}


@pytest.mark.parametrize("permission", access.PERMISSIONS, ids=lambda p: p.name)
def test_role_table(permission):
    expected = ROLE_TABLE[permission]
    assert (access.can(ADMIN_ACTOR, permission, "昆仑镇"), access.can(CLERK, permission, "昆仑镇"),
            access.can(LEADER, permission, "昆仑镇")) == expected


@pytest.mark.parametrize("town, allowed", [("昆仑镇", True), ("西河镇", False), (["昆仑镇", "西河镇"], False),
                                           (["昆仑镇", "昆仑镇"], True), (None, True)])
def test_a_town_clerk_holds_town_scoped_permissions_for_their_own_town_only(town, allowed):
    assert access.can(CLERK, access.UPLOAD, town) is allowed
    assert access.can(CLERK, access.VIEW_TOWN, town) is allowed
    assert access.can(ADMIN_ACTOR, access.UPLOAD, town)


def test_refusals_are_chinese_sentences_that_say_why():
    assert access.refusal(LEADER, access.UPLOAD) == "您的账号 领导（查看） 无权上报数据。"
    assert access.refusal(CLERK, access.UPLOAD, "西河镇") == (
        "您是昆仑镇的填报员，只能上报数据（限昆仑镇）；这里涉及西河镇，不能办理。")
    assert access.refusal(None, access.VIEW_SUMMARY) == "请先登录后再查看全区汇总和考核排名。"
    assert "未指定所属镇" in access.refusal(Actor("无镇", TOWN), access.UPLOAD)
    with pytest.raises(AccessDenied, match="无权管理账号"):
        access.require(CLERK, access.MANAGE_USERS)


def test_every_page_of_the_app_is_in_the_access_table():
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    paths = set(re.findall(r'url_path="([^"]+)"', app))
    assert paths and paths <= set(access.PAGES), paths - set(access.PAGES)
    assert access.page_permission("") is access.PAGES["overview"]
    assert access.page_permission("a_page_nobody_listed") is access.ADMIN_ONLY  # fails closed


def test_pages_never_call_the_store_writers_directly():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        for writer in ("store.save(", "store.restore_version(", "store.remove_sample("):
            assert writer not in text, f"{page.name} calls {writer} instead of core.actions"


@pytest.mark.parametrize("host, local", [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True),
                                         ("::1", True), ("[::1]", True), ("0.0.0.0", False), ("", False),
                                         (None, False), ("192.168.1.10", False), ("::", False),
                                         ("redprop.example", False)])
def test_local_addresses(host, local):
    assert access.is_local_address(host) is local


def test_access_settings_are_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for item in accounts.SETTINGS:
        assert f"`{item.name}`" in readme and str(item.default) in readme


# ---------------------------------------------------------------- passwords

def test_passwords_are_stored_as_argon2id_hashes_the_library_verifies(conn):
    (stored,) = conn.execute("SELECT password_hash FROM users WHERE user_name = '领导'").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    hasher = PasswordHasher()
    assert hasher.verify(stored, PASSWORD)
    assert not accounts.verify_password(stored, PASSWORD + "x")
    assert not accounts.verify_password(None, "no such account")
    assert not accounts.verify_password("not a hash", PASSWORD)
    # Two accounts with the same password get different hashes (a random salt each).
    hashes = [h for (h,) in conn.execute("SELECT password_hash FROM users").fetchall()]
    assert len(set(hashes)) == len(hashes) == 4


def test_sign_in_with_the_right_password(conn):
    result = accounts.authenticate(conn, " 昆仑镇填报员 ", PASSWORD, source="10.0.0.8")
    assert result.actor == Actor("昆仑镇填报员", TOWN, "昆仑镇", "10.0.0.8")
    assert log(conn)[-1] == ("昆仑镇填报员", "login")
    (last,) = conn.execute("SELECT last_login_at FROM users WHERE user_name = '昆仑镇填报员'").fetchone()
    assert last is not None


def test_wrong_passwords_back_off_with_growing_waits(conn, monkeypatch):
    monkeypatch.delenv("REDPROP_MAX_FAILED_LOGINS", raising=False)
    monkeypatch.delenv("REDPROP_LOCKOUT_MINUTES", raising=False)
    t0 = dt.datetime(2021, 12, 1, 9, 0)
    for left in (4, 3, 2, 1):
        result = accounts.authenticate(conn, "领导", "wrong", now=t0)
        assert result.actor is None and result.message == f"用户名或密码不正确。再输错 {left} 次，该用户名将被暂时锁定。"
    fifth = accounts.authenticate(conn, "领导", "wrong", now=t0)
    assert fifth.locked_until == t0 + dt.timedelta(minutes=5)
    assert fifth.message == "用户名或密码不正确。已连续输错 5 次，账号暂时锁定，请 5 分钟后（09:05 以后）再试。"
    # While locked, even the right password is not checked.
    locked = accounts.authenticate(conn, "领导", PASSWORD, now=t0 + dt.timedelta(minutes=2))
    assert locked.actor is None and "请 3 分钟后（09:05 以后）再试" in locked.message
    # After the wait one more wrong password locks for twice as long, then four times.
    sixth = accounts.authenticate(conn, "领导", "wrong", now=t0 + dt.timedelta(minutes=6))
    assert sixth.locked_until == t0 + dt.timedelta(minutes=16) and "请 10 分钟后" in sixth.message
    seventh = accounts.authenticate(conn, "领导", "wrong", now=t0 + dt.timedelta(minutes=17))
    assert seventh.locked_until == t0 + dt.timedelta(minutes=37)
    # The right password after the wait signs in and clears the count.
    assert accounts.authenticate(conn, "领导", PASSWORD, now=t0 + dt.timedelta(minutes=40)).actor is not None
    assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0
    entries = [a for u, a in log(conn) if u == "领导"]
    assert entries == ["login_failed"] * 8 + ["login"]


def test_unknown_names_back_off_too(conn):
    t0 = dt.datetime(2021, 12, 1, 9, 0)
    for _ in range(5):
        result = accounts.authenticate(conn, "nobody", "guess", now=t0)
    assert result.locked_until == t0 + dt.timedelta(minutes=5)
    assert log(conn)[-1] == ("nobody", "login_failed")


def test_back_off_is_configurable(conn, monkeypatch):
    monkeypatch.setenv("REDPROP_MAX_FAILED_LOGINS", "2")
    monkeypatch.setenv("REDPROP_LOCKOUT_MINUTES", "30")
    t0 = dt.datetime(2021, 12, 1, 9, 0)
    accounts.authenticate(conn, "领导", "wrong", now=t0)
    assert accounts.authenticate(conn, "领导", "wrong", now=t0).locked_until == t0 + dt.timedelta(minutes=30)
    monkeypatch.setenv("REDPROP_LOCKOUT_MINUTES", "zero")
    with pytest.raises(accounts.AccountError, match="REDPROP_LOCKOUT_MINUTES"):
        accounts.setting(accounts.LOCKOUT_MINUTES)


def test_a_disabled_account_cannot_sign_in(conn):
    accounts.set_active(conn, ADMIN_ACTOR, "领导", False)
    result = accounts.authenticate(conn, "领导", PASSWORD)
    assert result.actor is None and result.message == "该账号已停用，请联系区级管理员。"
    assert accounts.active_actor(conn, "领导", "本机") is None
    accounts.set_active(conn, ADMIN_ACTOR, "领导", True)
    assert accounts.authenticate(conn, "领导", PASSWORD).actor is not None


# ---------------------------------------------------------------- managing accounts

@pytest.mark.parametrize("name, role, town, password, message", [
    ("领导", VIEWER, None, PASSWORD, "用户名“领导”已经存在。"),
    ("新人", TOWN, None, PASSWORD, "镇办填报员须指定所属镇（街道）"),
    ("新人", TOWN, "不存在镇", PASSWORD, "镇办填报员须指定所属镇（街道）"),
    ("新人", VIEWER, "昆仑镇", PASSWORD, "只有镇办填报员需要指定镇（街道）。"),
    ("新人", "superuser", None, PASSWORD, "角色应为 admin、town、viewer 之一"),
    ("有 空格", VIEWER, None, PASSWORD, "用户名不能为空、不能含空格"),
    ("新人", VIEWER, None, "short", "密码至少 8 位。"),
    ("新人", VIEWER, None, None, "只通过统一身份认证登录的账号须填写邮箱"),
])
def test_account_requests_that_are_refused(conn, campaign, name, role, town, password, message):
    with pytest.raises(accounts.AccountError, match=re.escape(message)):
        accounts.add_account(conn, ADMIN_ACTOR, name, role, password, campaign.towns, town=town)
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 4


def test_the_last_administrator_and_ones_own_account_stay_enabled(conn):
    with pytest.raises(accounts.AccountError, match="不能停用自己"):
        accounts.set_active(conn, ADMIN_ACTOR, "区管理员", False)
    with pytest.raises(accounts.AccountError, match="最后一个启用的区级管理员"):
        accounts.set_active(conn, CLI, "区管理员", False)


def test_reset_password_lifts_the_lock(conn):
    t0 = dt.datetime.now()
    for _ in range(5):
        accounts.authenticate(conn, "领导", "wrong", now=t0)
    accounts.reset_password(conn, ADMIN_ACTOR, "领导", "a-new-password")
    assert accounts.authenticate(conn, "领导", "a-new-password").actor is not None
    assert accounts.authenticate(conn, "领导", PASSWORD).actor is None


def test_identity_provider_users_map_to_accounts_by_email(conn, campaign):
    accounts.add_account(conn, ADMIN_ACTOR, "张科长", VIEWER, None, campaign.towns, email="Zhang@ZiChuan.gov.cn")
    assert accounts.identity_actor(conn, "zhang@zichuan.gov.cn", "张三", "本机") == Actor("张科长", VIEWER, None, "本机")
    assert accounts.identity_actor(conn, None, "领导", "本机") == Actor("领导", VIEWER, None, "本机")
    assert accounts.identity_actor(conn, "stranger@example.com", "stranger", "本机") is None
    accounts.set_active(conn, ADMIN_ACTOR, "张科长", False)
    assert accounts.identity_actor(conn, "zhang@zichuan.gov.cn", None, "本机") is None
    # Such an account has no password to guess.
    assert accounts.authenticate(conn, "张科长", "").actor is None


# ---------------------------------------------------------------- guarded actions, called directly

def test_a_viewer_can_call_no_writing_function(conn, campaign):
    before = snapshot(conn)
    upload_id = conn.execute("SELECT upload_id FROM uploads WHERE version = 1").fetchone()[0]
    calls = [
        lambda: actions.upload(conn, LEADER, workbook(campaign, "昆仑镇")),
        lambda: actions.restore(conn, LEADER, upload_id),
        lambda: actions.remove_sample(conn, LEADER),
        lambda: accounts.add_account(conn, LEADER, "新人", VIEWER, PASSWORD, campaign.towns),
        lambda: accounts.reset_password(conn, LEADER, "区管理员", "taken-over-1"),
        lambda: accounts.set_active(conn, LEADER, "区管理员", False),
        lambda: accounts.list_accounts(conn, LEADER),
        lambda: audit.entries(conn, LEADER),
    ]
    for call in calls:
        with pytest.raises(AccessDenied, match="领导（查看） 无权"):
            call()
    assert snapshot(conn) == before
    assert conn.execute("SELECT count(*) FROM users WHERE active").fetchone()[0] == 4
    assert accounts.authenticate(conn, "区管理员", PASSWORD).actor is not None
    refused = [a for u, a in log(conn) if u == "领导"]
    assert refused == ["refused"] * 3  # the attempts to change reports are in the audit log


def test_a_town_clerk_cannot_store_another_towns_report(conn, campaign):
    before = snapshot(conn)
    # Built once: openpyxl stamps the time into the file, so a second build may hash differently.
    parsed = workbook(campaign, "昆仑镇", file_name="昆仑镇.xlsx")
    with pytest.raises(AccessDenied) as refused:
        actions.upload(conn, OTHER_CLERK, parsed)
    assert str(refused.value) == (
        "您是西河镇的填报员，只能上报数据（限西河镇）；这里涉及昆仑镇，不能办理。工作簿“昆仑镇.xlsx”含有"
        "昆仑镇（2021-12-15，小区 1 个、社区 1 个）的数据，整个文件都不会保存。请只上传西河镇自己的台账；"
        "其他镇（街道）的数据由该镇（街道）自己上报。")
    # A consolidated workbook with their own town and another: all or nothing, so nothing.
    with pytest.raises(AccessDenied):
        actions.upload(conn, OTHER_CLERK, workbook(campaign, "西河镇", "昆仑镇"))
    with pytest.raises(AccessDenied):
        actions.restore(conn, CLERK, 1)
    assert snapshot(conn) == before
    entry = conn.execute("SELECT user_name, role, action, town, file_name, sha256 FROM audit_log "
                         "WHERE action = 'refused' ORDER BY audit_id LIMIT 1").fetchone()
    assert entry == ("西河镇填报员", TOWN, "refused", "昆仑镇", "昆仑镇.xlsx", parsed.sha256)


def test_a_town_clerk_stores_their_own_towns_report_under_their_name(conn, campaign):
    parsed = workbook(campaign, "西河镇", file_name="西河镇12月.xlsx")
    [stored] = actions.upload(conn, OTHER_CLERK, parsed)
    assert (stored.town, stored.version, stored.duplicate) == ("西河镇", 1, False)
    assert store.uploads(conn).iloc[0][["town", "uploader"]].tolist() == ["西河镇", "西河镇填报员"]
    [again] = actions.upload(conn, OTHER_CLERK, parsed)
    assert again.duplicate
    rows = conn.execute("SELECT user_name, action, town, report_date, file_name, sha256, version FROM audit_log "
                        "WHERE user_name = '西河镇填报员' ORDER BY audit_id").fetchall()
    assert rows == [("西河镇填报员", "upload", "西河镇", dt.date(2021, 12, 15), "西河镇12月.xlsx", parsed.sha256, 1),
                    ("西河镇填报员", "duplicate", "西河镇", dt.date(2021, 12, 15), "西河镇12月.xlsx", parsed.sha256, 1)]


def test_an_administrator_replaces_restores_and_removes_with_each_step_logged(conn, campaign):
    first = conn.execute("SELECT upload_id FROM uploads WHERE version = 1").fetchone()[0]
    restored = actions.restore(conn, ADMIN_ACTOR, first)
    assert (restored.version, restored.replaced_version) == (1, 2)
    store_report(conn, "太河镇", D1130, is_sample=True)
    assert actions.remove_sample(conn, ADMIN_ACTOR) == 1
    assert actions.remove_sample(conn, ADMIN_ACTOR) == 0  # nothing done, nothing logged
    rows = conn.execute("SELECT user_name, action, town, version, detail FROM audit_log "
                        "WHERE user_name = '区管理员' ORDER BY audit_id").fetchall()
    assert rows == [("区管理员", "restore", "昆仑镇", 1, "恢复第1版为生效版本，原生效的第2版转为已替换"),
                    ("区管理员", "remove_sample", None, None, "删除示例数据 1 份报表")]


def test_the_audit_log_filters_and_reads_in_chinese(conn, campaign):
    actions.upload(conn, CLERK, workbook(campaign, "昆仑镇", file_name="k.xlsx"))
    accounts.authenticate(conn, "领导", "wrong")
    everything = audit.entries(conn, ADMIN_ACTOR)
    assert len(everything) == 4 + 2  # four accounts added, one upload, one failed login
    uploads = audit.entries(conn, ADMIN_ACTOR, actions=["upload", "replace"], town="昆仑镇")
    assert uploads["user_name"].tolist() == ["昆仑镇填报员"]
    today = dt.date.today()
    assert len(audit.entries(conn, ADMIN_ACTOR, start=today, end=today, user_name="领导")) == 1
    assert audit.entries(conn, ADMIN_ACTOR, start=today + dt.timedelta(days=1)).empty
    table = audit.display_table(uploads)
    assert list(table.columns) == ["时间", "用户", "角色", "操作", "镇（街道）", "报送日期", "文件", "版本", "文件SHA-256",
                                   "说明", "来源"]
    assert table.iloc[0][["用户", "角色", "操作", "报送日期", "版本"]].tolist() == [
        "昆仑镇填报员", "镇办填报员", "上传", "2021-12-15", "第1版"]
    assert audit.users(conn, ADMIN_ACTOR) == sorted({"测试命令行", "昆仑镇填报员", "领导"})


def test_backups_and_restoring_them_are_for_administrators(conn, tmp_path):
    with pytest.raises(AccessDenied):
        actions.backup(conn, LEADER, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    actions.backup(conn, ADMIN_ACTOR, tmp_path / "backup")
    assert log(conn)[-2:] == [("领导", "refused"), ("区管理员", "backup")]
    restored = tmp_path / "restored.duckdb"
    with pytest.raises(AccessDenied):
        actions.restore_backup(CLERK, tmp_path / "backup", restored)
    assert not restored.exists()
    actions.restore_backup(ADMIN_ACTOR, tmp_path / "backup", restored)
    with store.connect(restored) as copy:
        assert snapshot(copy) == snapshot(conn)
        assert log(copy)[-1] == ("区管理员", "restore_backup")
