"""Who may do what: roles, permissions, the pages each permission opens, and the one check.

Everything that decides access reads the tables below; pages, navigation and the guarded
actions in core/actions.py and core/accounts.py all call `require` or `can`, never their own `if`s.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

# ---------------------------------------------------------------- roles

ADMIN, TOWN, VIEWER = "admin", "town", "viewer"
ROLE_LABELS = {ADMIN: "区级管理员", TOWN: "镇办填报员", VIEWER: "查看"}
ROLES = tuple(ROLE_LABELS)

# ---------------------------------------------------------------- permissions


@dataclass(frozen=True)
class Permission:
    name: str
    label: str  # what it allows, in Chinese (used in refusals)
    roles: frozenset[str]
    town_scoped: bool = False  # a town clerk holds it for their own town only


def _permission(name: str, label: str, roles: Iterable[str], town_scoped: bool = False) -> Permission:
    return Permission(name, label, frozenset(roles), town_scoped)


VIEW_SUMMARY = _permission("view_summary", "查看全区汇总和考核排名", (ADMIN, TOWN, VIEWER))
VIEW_TOWN = _permission("view_town", "查看镇办详情和台账", (ADMIN, TOWN, VIEWER), town_scoped=True)
VIEW_SUBMISSIONS = _permission("view_submissions", "查看各镇办报送情况", (ADMIN, VIEWER))
VIEW_MEETING = _permission("view_meeting", "会议展示和通报", (ADMIN, VIEWER))
UPLOAD = _permission("upload", "上报数据", (ADMIN, TOWN), town_scoped=True)
MANAGE_DATA = _permission("manage_data", "管理数据（历史版本、恢复、删除示例数据、备份与还原）", (ADMIN,))
MANAGE_USERS = _permission("manage_users", "管理账号", (ADMIN,))
VIEW_AUDIT = _permission("view_audit", "查看审计日志", (ADMIN,))
VIEW_CONFIG = _permission("view_config", "查看系统配置", (ADMIN,))
PERMISSIONS = (VIEW_SUMMARY, VIEW_TOWN, VIEW_SUBMISSIONS, VIEW_MEETING, UPLOAD, MANAGE_DATA, MANAGE_USERS,
               VIEW_AUDIT, VIEW_CONFIG)

# Page (its url path in app.py; the default page is "overview") → the permission that opens it.
# A page missing here opens for the administrator only.
PAGES: dict[str, Permission] = {
    "overview": VIEW_SUMMARY,
    "ranking": VIEW_SUMMARY,
    "town": VIEW_TOWN,
    "ledger": VIEW_TOWN,
    "upload": UPLOAD,
    "submissions": VIEW_SUBMISSIONS,
    "presenter": VIEW_MEETING,
    "bulletin": VIEW_MEETING,
    "manage": MANAGE_DATA,
    "accounts": MANAGE_USERS,
    "audit": VIEW_AUDIT,
    "settings": VIEW_CONFIG,
}
HOME = "overview"
ADMIN_ONLY = _permission("admin_only", "使用此功能", (ADMIN,))

# ---------------------------------------------------------------- who is acting


@dataclass(frozen=True)
class Actor:
    """A person (or the command line) acting now: their account name, role and, for a clerk, town."""
    name: str
    role: str
    town: str | None = None
    source: str = "本机"  # where from: 本机, 命令行 or the client's address (for the audit log)

    @property
    def label(self) -> str:
        """“张三（镇办填报员·昆仑镇）”."""
        town = f"·{self.town}" if self.role == TOWN and self.town else ""
        return f"{self.name}（{ROLE_LABELS[self.role]}{town}）"


LOCAL_USER = "本机用户"


def local_actor() -> Actor:
    """The single local user of an installation without accounts: every right, on this computer only."""
    return Actor(LOCAL_USER, ADMIN, None, "本机")


def cli_actor(name: str, source: str = "命令行") -> Actor:
    """Whoever runs the command line: they hold the database file, so they hold every right."""
    return Actor(name, ADMIN, None, source)


class AccessDenied(PermissionError):
    """An action the actor's role does not allow; the message is Chinese and says why."""


def _towns(town: str | Iterable[str] | None) -> list[str]:
    if town is None:
        return []
    if isinstance(town, str):
        return [town]
    return list(dict.fromkeys(town))


def refusal(actor: Actor | None, permission: Permission, town: str | Iterable[str] | None = None) -> str | None:
    """Why `actor` may not use `permission` (for `town`, where scoped), in Chinese; None when allowed."""
    if actor is None:
        return f"请先登录后再{permission.label}。"
    if actor.role not in permission.roles:
        return f"您的账号 {actor.label} 无权{permission.label}。"
    if permission.town_scoped and actor.role == TOWN:
        if not actor.town:
            return f"您的账号 {actor.name} 未指定所属镇（街道），无法{permission.label}，请联系区级管理员。"
        others = [t for t in _towns(town) if t != actor.town]
        if others:
            return (f"您是{actor.town}的填报员，只能{permission.label}（限{actor.town}）；"
                    f"这里涉及{'、'.join(others)}，不能办理。")
    return None


def can(actor: Actor | None, permission: Permission, town: str | Iterable[str] | None = None) -> bool:
    return refusal(actor, permission, town) is None


def require(actor: Actor | None, permission: Permission, town: str | Iterable[str] | None = None) -> None:
    """Raise AccessDenied (with a Chinese reason) unless `actor` holds `permission` for `town`."""
    reason = refusal(actor, permission, town)
    if reason is not None:
        raise AccessDenied(reason)


def page_permission(page: str) -> Permission:
    """The permission that opens a page (by url path; "" is the home page)."""
    return PAGES.get(page or HOME, ADMIN_ONLY)


def can_open(actor: Actor | None, page: str) -> bool:
    return can(actor, page_permission(page))


def visible_towns(actor: Actor, towns: Iterable[str]) -> tuple[str, ...]:
    """The towns whose details and ledgers `actor` may see, in the given order."""
    return tuple(t for t in towns if can(actor, VIEW_TOWN, t))


# ---------------------------------------------------------------- serving

def is_local_address(host: str | None) -> bool:
    """True for an address that only this computer can reach (127.x, ::1, localhost).

    An empty or missing address means every interface, so it is not local."""
    if not host:
        return False
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False
