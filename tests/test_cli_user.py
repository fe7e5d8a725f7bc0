"""`python -m core user …`: the first administrator from the command line, password on standard input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from argon2 import PasswordHasher

from core import accounts, store
from tests.conftest import ROOT

PASSWORD = "first-admin-pass"


def user(db, *args, password: str | None = None):
    """`python -m core user ARGS --db DB`, with `password` (and a newline) piped to standard input."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}
    return subprocess.run([sys.executable, "-m", "core", "user", *args, "--db", str(db)], cwd=ROOT, env=env,
                          input=None if password is None else password + "\n", capture_output=True, text=True,
                          timeout=120)


def test_the_first_administrator_then_a_clerk_and_a_viewer(tmp_path):
    db = tmp_path / "redprop.duckdb"
    added = user(db, "add", "管理员", "--role", "admin", password=PASSWORD)
    assert (added.returncode, added.stdout, added.stderr) == (0, "已新增账号：管理员（区级管理员）\n", "")
    assert user(db, "add", "kl", "--role", "town", "--town", "昆仑", password="clerk-password").stdout == \
        "已新增账号：kl（镇办填报员·昆仑镇）\n"  # the town's short name is understood
    assert user(db, "add", "leader", "--role", "viewer", "--email", "Leader@example.gov.cn",
                "--no-password").returncode == 0
    listing = user(db, "list", "--json")
    assert json.loads(listing.stdout) == {"users": [
        {"user_name": "管理员", "role": "admin", "town": None, "email": None, "active": True, "failures": 0},
        {"user_name": "kl", "role": "town", "town": "昆仑镇", "email": None, "active": True, "failures": 0},
        {"user_name": "leader", "role": "viewer", "town": None, "email": "Leader@example.gov.cn", "active": True,
         "failures": 0}]}
    with store.connect(db) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE user_name = '管理员'").fetchone()
        assert PasswordHasher().verify(stored, PASSWORD)
        assert accounts.authenticate(conn, "管理员", PASSWORD).actor.role == "admin"
        entries = conn.execute("SELECT user_name, action, source FROM audit_log ORDER BY audit_id").fetchall()
    assert [(a, s) for _, a, s in entries] == [("user_add", "命令行")] * 3 + [("login", "本机")]
    assert entries[0][0].startswith("命令行")


def test_disable_enable_and_reset(tmp_path):
    db = tmp_path / "redprop.duckdb"
    user(db, "add", "管理员", "--role", "admin", password=PASSWORD)
    user(db, "add", "kl", "--role", "town", "--town", "昆仑镇", password="clerk-password")
    assert user(db, "disable", "kl").stdout == "已停用账号：kl\n"
    assert "kl\t镇办填报员·昆仑镇\t停用" in user(db, "list").stdout
    assert user(db, "enable", "kl").returncode == 0
    assert user(db, "passwd", "kl", password="new-clerk-password").returncode == 0
    with store.connect(db) as conn:
        assert accounts.authenticate(conn, "kl", "new-clerk-password").actor is not None


def test_refusals_exit_2_with_a_chinese_message_and_store_nothing(tmp_path):
    db = tmp_path / "redprop.duckdb"
    cases = [
        (("add", "x", "--role", "admin"), None, "错误：没有读到密码"),
        (("add", "x", "--role", "admin"), "short", "错误：密码至少 8 位。"),
        (("add", "x", "--role", "town"), PASSWORD, "错误：镇办填报员须指定所属镇（街道）"),
        (("add", "x", "--role", "town", "--town", "火星镇"), PASSWORD, "错误：镇办填报员须指定所属镇（街道）"),
        (("disable", "nobody"), None, "错误：没有名为“nobody”的账号。"),
    ]
    for args, password, message in cases:
        result = user(db, *args, password=password)
        assert result.returncode == 2 and result.stderr.startswith(message), (args, result.stderr)
    assert user(db, "add", "x", "--role", "superuser", password=PASSWORD).returncode == 2  # argparse
    user(db, "add", "管理员", "--role", "admin", password=PASSWORD)
    last = user(db, "disable", "管理员")
    assert (last.returncode, last.stderr) == (2, "错误：这是最后一个启用的区级管理员账号，不能停用。\n")
    assert user(db, "add", "管理员", "--role", "viewer", password=PASSWORD).stderr == "错误：用户名“管理员”已经存在。\n"
    with store.connect(db) as conn:
        assert conn.execute("SELECT user_name FROM users").fetchall() == [("管理员",)]
