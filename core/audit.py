"""The audit log: who did what, when, from where, to which town's report and from which file."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from core import access
from core.access import Actor
from core.queries import sql

# Action codes kept in the log → how the log page names them.
ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "session_expired": "登录超时退出",
    "upload": "上传",
    "replace": "上传（替换旧版本）",
    "duplicate": "重复上传（未保存）",
    "restore": "恢复旧版本",
    "remove_sample": "删除示例数据",
    "backup": "备份数据库",
    "restore_backup": "从备份还原",
    "user_add": "新增账号",
    "user_disable": "停用账号",
    "user_enable": "启用账号",
    "password_reset": "重置密码",
    "refused": "越权操作被拒绝",
}

COLUMNS = {  # log column → heading on screen and in downloads
    "happened_at": "时间", "user_name": "用户", "role": "角色", "action": "操作", "town": "镇（街道）",
    "report_date": "报送日期", "file_name": "文件", "version": "版本", "sha256": "文件SHA-256",
    "detail": "说明", "source": "来源",
}


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def record(conn: duckdb.DuckDBPyConnection, who: Actor | str, action: str, *, town: str | None = None,
           report_date: dt.date | None = None, file_name: str | None = None, sha256: str | None = None,
           upload_id: int | None = None, version: int | None = None, detail: str | None = None,
           source: str | None = None, at: dt.datetime | None = None) -> None:
    """Append one entry. `who` is the acting account, or the bare name typed at a failed login."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    name, role = (who.name, who.role) if isinstance(who, Actor) else (who, None)
    conn.execute(sql("insert_audit"), {
        "at": at or _now(), "user_name": name, "role": role, "action": action, "town": town,
        "report_date": report_date, "file_name": file_name, "sha256": sha256, "upload_id": upload_id,
        "version": version, "detail": detail,
        "source": source or (who.source if isinstance(who, Actor) else None),
    })


def entries(conn: duckdb.DuckDBPyConnection, actor: Actor, start: dt.date | None = None, end: dt.date | None = None,
            user_name: str | None = None, actions: list[str] | None = None, town: str | None = None) -> pd.DataFrame:
    """Log entries from `start` to `end` (whole days, both included), newest first; administrators only."""
    access.require(actor, access.VIEW_AUDIT)
    return conn.execute(sql("audit_entries"), {
        "start": dt.datetime.combine(start, dt.time()) if start else None,
        "end": dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) if end else None,
        "user_name": user_name, "town": town, "actions": list(actions) if actions else None,
    }).df()


def users(conn: duckdb.DuckDBPyConnection, actor: Actor) -> list[str]:
    """Every name that appears in the log (for the page's filter)."""
    access.require(actor, access.VIEW_AUDIT)
    return [name for (name,) in conn.execute(sql("audit_users")).fetchall()]


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The log with Chinese headings and labels, as shown and downloaded."""
    table = frame[list(COLUMNS)].copy()
    table["action"] = table["action"].map(lambda a: ACTIONS.get(a, a))
    table["role"] = table["role"].map(lambda r: access.ROLE_LABELS.get(r, "") if isinstance(r, str) else "")
    table["happened_at"] = table["happened_at"].map(lambda t: f"{t:%Y-%m-%d %H:%M:%S}")
    table["report_date"] = table["report_date"].map(lambda d: f"{d:%Y-%m-%d}" if pd.notna(d) else "")
    table["version"] = table["version"].map(lambda v: f"第{int(v)}版" if pd.notna(v) else "")
    table = table.fillna("")
    return table.rename(columns=COLUMNS)
