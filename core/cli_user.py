"""`python -m core user …`: accounts from the command line (the first administrator is made here).

    user add NAME --role admin|town|viewer [--town T] [--email E] [--db PATH]   password on stdin
    user list [--db PATH] [--json]
    user disable NAME · user enable NAME · user passwd NAME (password on stdin)

Whoever runs the command line holds the database file, so they act as an administrator; every
change is written to the audit log with the system user's name.
"""
from __future__ import annotations

import getpass
import json
import sys

from core import access, accounts
from core.config import default_campaign

EXIT_OK = 0


def read_password(stream=None, prompt: str = "密码：") -> str:
    """The new password: asked twice without echo at a terminal, else the first line of standard input."""
    from core.cli import UsageError

    stream = stream or sys.stdin
    if stream.isatty():
        password = getpass.getpass(prompt)
        if getpass.getpass("再输入一次：") != password:
            raise UsageError("两次输入的密码不一致。")
    else:
        password = stream.readline().rstrip("\r\n")
    if not password:
        raise UsageError("没有读到密码：请在提示后输入，或从标准输入传入（如 echo 密码 | python -m core user add …）。")
    return password


def _actor() -> access.Actor:
    from core.cli import _default_uploader

    return access.cli_actor(_default_uploader())


def _town(name: str | None) -> str | None:
    """The configured town a spelling means; an unknown one is kept so the check names it."""
    from core.validate import resolve_town

    return resolve_town(name, default_campaign()) or name if name else None


def cmd_user_add(args) -> int:
    from core.cli import _connect

    towns, town = default_campaign().towns, _town(args.town)
    with _connect(args) as conn:
        accounts.check_new_account(conn, args.name.strip(), args.role, town, towns)  # before asking for a password
        password = None if args.no_password else read_password()
        created = accounts.add_account(conn, _actor(), args.name, args.role, password, towns, town=town,
                                       email=args.email)
    print(f"已新增账号：{created.label}")
    return EXIT_OK


def cmd_user_list(args) -> int:
    from core.cli import _connect

    with _connect(args) as conn:
        table = accounts.list_accounts(conn, _actor())
    rows = [{"user_name": r.user_name, "role": r.role, "town": r.town if isinstance(r.town, str) else None,
             "email": r.email if isinstance(r.email, str) else None, "active": bool(r.active),
             "failures": int(r.failures)} for r in table.itertuples()]
    if args.json:
        print(json.dumps({"users": rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("还没有账号（本机单用户模式）。用 python -m core user add 名称 --role admin 建立第一个管理员。")
    for r in rows:
        town = f"·{r['town']}" if r["town"] else ""
        state = "启用" if r["active"] else "停用"
        email = f"  {r['email']}" if r["email"] else ""
        print(f"{r['user_name']}\t{access.ROLE_LABELS[r['role']]}{town}\t{state}{email}")
    return EXIT_OK


def cmd_user_active(args) -> int:
    from core.cli import _connect

    with _connect(args) as conn:
        accounts.set_active(conn, _actor(), args.name, args.active)
    print(f"已{'启用' if args.active else '停用'}账号：{args.name}")
    return EXIT_OK


def cmd_user_passwd(args) -> int:
    from core.cli import _connect

    password = read_password(prompt="新密码：")
    with _connect(args) as conn:
        accounts.reset_password(conn, _actor(), args.name, password)
    print(f"已重置账号 {args.name} 的密码，并解除锁定。")
    return EXIT_OK


def add_user_commands(commands) -> None:
    """The `user` command and its subcommands, on the main parser's subparsers."""
    user = commands.add_parser("user", help="账号管理（新增、列出、停用、启用、重置密码）")
    sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")

    add = sub.add_parser("add", help="新增账号；密码从标准输入读取（终端中不回显，需输入两次）")
    add.add_argument("name", metavar="NAME", help="用户名")
    add.add_argument("--role", required=True, choices=access.ROLES,
                     help="admin 区级管理员 · town 镇办填报员 · viewer 查看")
    add.add_argument("--town", help="镇办填报员所属的镇（街道）")
    add.add_argument("--email", help="统一身份认证（OpenID Connect）登录时用来对应账号的邮箱")
    add.add_argument("--no-password", action="store_true", help="不设密码，只能通过统一身份认证登录（须填 --email）")
    add.set_defaults(handler=cmd_user_add)

    listing = sub.add_parser("list", help="列出全部账号")
    listing.add_argument("--json", action="store_true", help="以 JSON 输出")
    listing.set_defaults(handler=cmd_user_list)

    for name, active, help_text in (("disable", False, "停用账号（不删除，审计记录保留）"), ("enable", True, "重新启用账号")):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("name", metavar="NAME")
        cmd.set_defaults(handler=cmd_user_active, active=active)

    passwd = sub.add_parser("passwd", help="重置密码并解除锁定；新密码从标准输入读取")
    passwd.add_argument("name", metavar="NAME")
    passwd.set_defaults(handler=cmd_user_passwd)

    for cmd in sub.choices.values():
        cmd.add_argument("--db", help="数据库文件（默认 REDPROP_DB 或 data/redprop.duckdb）")
