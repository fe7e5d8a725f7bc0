"""Accounts kept in the database: argon2 password hashes, sign-in with back-off, and their management.

Passwords are hashed and checked by argon2-cffi's PasswordHasher (argon2id, its default
parameters); no other hashing is done here. Managing accounts requires MANAGE_USERS
(core/access.py) and every change is written to the audit log.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

import duckdb
import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core import access, audit
from core.access import Actor
from core.queries import sql

# ---------------------------------------------------------------- settings (environment variables)


@dataclass(frozen=True)
class Setting:
    name: str
    default: int
    help: str


SESSION_MINUTES = Setting("REDPROP_SESSION_MINUTES", 120,
                          "a signed-in session with no activity for this many minutes is signed out")
MAX_FAILED_LOGINS = Setting("REDPROP_MAX_FAILED_LOGINS", 5,
                            "consecutive wrong passwords for one user name before it is locked for a while")
LOCKOUT_MINUTES = Setting("REDPROP_LOCKOUT_MINUTES", 5,
                          "the first lock-out; each further wrong password doubles it, up to one day")
MIN_PASSWORD_LENGTH = Setting("REDPROP_MIN_PASSWORD_LENGTH", 8, "shortest password accepted")
SETTINGS = (SESSION_MINUTES, MAX_FAILED_LOGINS, LOCKOUT_MINUTES, MIN_PASSWORD_LENGTH)
MAX_LOCKOUT = dt.timedelta(days=1)


class AccountError(ValueError):
    """An account request that cannot be carried out; the message is Chinese."""


def setting(item: Setting) -> int:
    """The setting's value from its environment variable, else its default."""
    raw = os.environ.get(item.name, "").strip()
    if not raw:
        return item.default
    if not raw.isdigit() or int(raw) < 1:
        raise AccountError(f"环境变量 {item.name} 应为正整数（{item.help}），实际为 {raw!r}。")
    return int(raw)


# ---------------------------------------------------------------- passwords

_HASHER = PasswordHasher()
# Checked against when a name has no account, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("no such account")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches the stored argon2 hash."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str | None) -> str | None:
    """Why a new password cannot be used (Chinese), else None."""
    shortest = setting(MIN_PASSWORD_LENGTH)
    if not password or len(password) < shortest:
        return f"密码至少 {shortest} 位。"
    if password.strip() != password:
        return "密码首尾不能有空格。"
    return None


# ---------------------------------------------------------------- reading accounts

NAME_PATTERN = re.compile(r"^[^\s]{1,64}$")


@dataclass(frozen=True)
class Account:
    user_name: str
    role: str
    town: str | None
    password_hash: str | None
    email: str | None
    active: bool

    def actor(self, source: str) -> Actor:
        return Actor(self.user_name, self.role, self.town, source)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def has_accounts(conn: duckdb.DuckDBPyConnection) -> bool:
    """True once any account exists: the app then asks everyone to sign in."""
    return conn.execute(sql("account_count")).fetchone()[0] > 0


def account(conn: duckdb.DuckDBPyConnection, user_name: str) -> Account | None:
    row = conn.execute(sql("account"), {"user_name": user_name}).fetchone()
    return Account(*row[:6]) if row else None


def active_actor(conn: duckdb.DuckDBPyConnection, user_name: str, source: str) -> Actor | None:
    """The signed-in person as they stand now (role, town), or None once their account is disabled."""
    found = account(conn, user_name)
    return found.actor(source) if found and found.active else None


def identity_actor(conn: duckdb.DuckDBPyConnection, email: str | None, name: str | None, source: str) -> Actor | None:
    """The active account an identity provider's user maps to: by e-mail, else by user name."""
    row = conn.execute(sql("account_by_email"), {"email": email or "", "name": name or ""}).fetchone()
    return active_actor(conn, row[0], source) if row else None


def list_accounts(conn: duckdb.DuckDBPyConnection, actor: Actor) -> pd.DataFrame:
    """Every account with its lock-out state (never the hashes); administrators only."""
    access.require(actor, access.MANAGE_USERS)
    return conn.execute(sql("accounts")).df()


# ---------------------------------------------------------------- signing in

@dataclass(frozen=True)
class SignIn:
    actor: Actor | None  # None: refused
    message: str | None = None  # why, in Chinese
    locked_until: dt.datetime | None = None


def _wait_text(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return f"请 {minutes} 分钟后（{until:%H:%M} 以后）再试"


def _lock_for(failures: int) -> dt.timedelta | None:
    """How long a name is locked after this many consecutive failures (doubling), or None."""
    extra = failures - setting(MAX_FAILED_LOGINS)
    if extra < 0:
        return None
    return min(MAX_LOCKOUT, dt.timedelta(minutes=setting(LOCKOUT_MINUTES)) * 2 ** min(extra, 20))


def authenticate(conn: duckdb.DuckDBPyConnection, user_name: str, password: str, source: str = "本机",
                 now: dt.datetime | None = None) -> SignIn:
    """Check a name and password; record the attempt; back off after repeated failures."""
    now = now or _now()
    name = (user_name or "").strip()
    if not name or not password:
        return SignIn(None, "请输入用户名和密码。")
    failed = conn.execute(sql("login_failure"), {"user_name": name}).fetchone()
    failures, locked_until = failed if failed else (0, None)
    if locked_until and locked_until > now:
        audit.record(conn, name, "login_failed", source=source, at=now, detail="账号暂时锁定，未核对密码")
        return SignIn(None, f"密码连续输错 {failures} 次，账号已暂时锁定，{_wait_text(locked_until, now)}。",
                      locked_until)
    found = account(conn, name)
    if verify_password(found.password_hash if found else None, password):
        if not found.active:
            audit.record(conn, name, "login_failed", source=source, at=now, detail="账号已停用")
            return SignIn(None, "该账号已停用，请联系区级管理员。")
        if _HASHER.check_needs_rehash(found.password_hash):
            conn.execute(sql("set_password_hash"), {"user_name": name, "password_hash": hash_password(password),
                                                   "now": now})
        conn.execute(sql("clear_login_failures"), {"user_name": name})
        conn.execute(sql("set_last_login"), {"user_name": name, "now": now})
        actor = found.actor(source)
        audit.record(conn, actor, "login", at=now, detail="用户名和密码")
        return SignIn(actor)
    failures += 1
    lock = _lock_for(failures)
    locked_until = now + lock if lock else None
    conn.execute(sql("put_login_failure"), {"user_name": name, "failures": failures, "now": now,
                                            "locked_until": locked_until})
    audit.record(conn, name, "login_failed", source=source, at=now,
                 detail=f"用户名或密码不正确（连续第 {failures} 次）")
    if locked_until:
        return SignIn(None, f"用户名或密码不正确。已连续输错 {failures} 次，账号暂时锁定，"
                            f"{_wait_text(locked_until, now)}。", locked_until)
    left = setting(MAX_FAILED_LOGINS) - failures
    return SignIn(None, f"用户名或密码不正确。再输错 {left} 次，该用户名将被暂时锁定。")


# ---------------------------------------------------------------- managing accounts (administrators)

def check_new_account(conn, user_name: str, role: str, town: str | None, towns: tuple[str, ...]) -> None:
    if not NAME_PATTERN.match(user_name or ""):
        raise AccountError("用户名不能为空、不能含空格，最长 64 个字符。")
    if role not in access.ROLES:
        raise AccountError(f"角色应为 {'、'.join(access.ROLES)} 之一（{'、'.join(access.ROLE_LABELS.values())}）。")
    if role == access.TOWN and town not in towns:
        raise AccountError(f"镇办填报员须指定所属镇（街道），为 {'、'.join(towns)} 之一。")
    if role != access.TOWN and town:
        raise AccountError("只有镇办填报员需要指定镇（街道）。")
    if account(conn, user_name):
        raise AccountError(f"用户名“{user_name}”已经存在。")


def add_account(conn: duckdb.DuckDBPyConnection, actor: Actor, user_name: str, role: str, password: str | None,
                towns: tuple[str, ...], town: str | None = None, email: str | None = None) -> Actor:
    """Create an account. Without a password it can only sign in through the identity provider (by e-mail)."""
    access.require(actor, access.MANAGE_USERS)
    user_name, email = (user_name or "").strip(), (email or "").strip() or None
    check_new_account(conn, user_name, role, town, towns)
    if password is None and not email:
        raise AccountError("请设置密码；只通过统一身份认证登录的账号须填写邮箱。")
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)
    now = _now()
    conn.execute(sql("insert_account"), {
        "user_name": user_name, "role": role, "town": town if role == access.TOWN else None,
        "password_hash": hash_password(password) if password is not None else None, "email": email,
        "now": now, "created_by": actor.name})
    created = Actor(user_name, role, town if role == access.TOWN else None)
    audit.record(conn, actor, "user_add", town=created.town, at=now, detail=f"新增账号 {created.label}")
    return created


def _existing(conn, user_name: str) -> Account:
    found = account(conn, user_name)
    if found is None:
        raise AccountError(f"没有名为“{user_name}”的账号。")
    return found


def reset_password(conn: duckdb.DuckDBPyConnection, actor: Actor, user_name: str, password: str) -> None:
    """Set a new password and lift any lock-out of the name."""
    access.require(actor, access.MANAGE_USERS)
    found = _existing(conn, user_name)
    if problem := password_problem(password):
        raise AccountError(problem)
    now = _now()
    conn.execute(sql("set_password_hash"), {"user_name": found.user_name, "password_hash": hash_password(password),
                                           "now": now})
    conn.execute(sql("clear_login_failures"), {"user_name": found.user_name})
    audit.record(conn, actor, "password_reset", town=found.town, at=now, detail=f"重置 {found.user_name} 的密码")


def set_active(conn: duckdb.DuckDBPyConnection, actor: Actor, user_name: str, active: bool) -> None:
    """Disable or enable an account; the last active administrator and one's own account stay enabled."""
    access.require(actor, access.MANAGE_USERS)
    found = _existing(conn, user_name)
    if found.active == active:
        raise AccountError(f"账号“{user_name}”已经是{'启用' if active else '停用'}状态。")
    if not active:
        if found.user_name == actor.name:
            raise AccountError("不能停用自己正在使用的账号。")
        if found.role == access.ADMIN and conn.execute(sql("active_admins")).fetchone()[0] <= 1:
            raise AccountError("这是最后一个启用的区级管理员账号，不能停用。")
    now = _now()
    conn.execute(sql("set_active"), {"user_name": found.user_name, "active": active, "now": now})
    audit.record(conn, actor, "user_enable" if active else "user_disable", town=found.town, at=now,
                 detail=f"{'启用' if active else '停用'}账号 {found.user_name}")
