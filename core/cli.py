"""The command line of ../shared/spec/CLI.md: `python -m core COMMAND …`.

Exit codes: 0 all went well; 1 at least one file was rejected; 2 usage error.
Bad input never ends in a traceback: every failure becomes a Chinese message.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
import time
from pathlib import Path

from core.access import AccessDenied
from core.accounts import AccountError
from core.backup import BackupError
from core.cli_user import add_user_commands
from core.config import ConfigError, default_campaign
from core.store import StoreError

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


class UsageError(Exception):
    """A bad option, a missing file or an unusable database (exit 2)."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，应为 YYYY-MM-DD（如 2021-11-30）") from None


def _existing_files(names: list[str]) -> list[Path]:
    paths = [Path(n) for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"找不到文件：{'、'.join(missing)}")
    return paths


def _print_issues(parsed) -> None:
    for issue in parsed.issues:
        where = "，".join(x for x in (
            f"工作表“{issue.sheet}”" if issue.sheet else "",
            f"第{issue.row}行" if issue.row else "",
            f"“{issue.column}”列" if issue.column else "") if x)
        kind = "错误" if issue.severity == "error" else "提醒"
        print(f"  [{kind}] {where + '：' if where else ''}{issue.message}")


def _file_json(parsed, status: str, stored=None) -> dict:
    if stored is not None:
        reports = [s.as_json() for s in stored]
    else:
        reports = [{"town": r.town, "report_date": r.report_date.isoformat(), "compounds": r.compound_count,
                    "communities": r.community_count, "version": None} for r in parsed.reports]
    return {"file": parsed.file_name, "status": status, "reports": reports,
            "errors": [i.as_json() for i in parsed.errors], "warnings": [i.as_json() for i in parsed.warnings]}


def _parse_files(args) -> list:
    """Each file gated, then parsed in the worker pool (core/isolation.py), as many at once as it
    has workers; results in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    from core import isolation

    campaign = default_campaign()
    paths = _existing_files(args.files)

    def parse(path: Path):
        return isolation.read_workbook(path.read_bytes(), path.name, campaign, town=args.town, report_date=args.date)

    with ThreadPoolExecutor(max_workers=max(1, min(campaign.parse_workers, len(paths)))) as threads:
        return list(threads.map(parse, paths))


def cmd_validate(args) -> int:
    if args.annotated and len(args.files) != 1:
        raise UsageError("--annotated 只能用于一个工作簿：请每次检查一个文件。")
    results = _parse_files(args)
    if args.json:
        print(json.dumps({"files": [_file_json(p, "valid" if p.ok else "rejected") for p in results]},
                         ensure_ascii=False, indent=2))
    else:
        for parsed in results:
            verdict = "可以导入" if parsed.ok else f"有 {len(parsed.errors)} 处错误，不能导入"
            print(f"{parsed.file_name}：{verdict}（提醒 {len(parsed.warnings)} 条）")
            _print_issues(parsed)
    if args.annotated:
        _write_annotated(results[0], Path(args.files[0]), Path(args.annotated), quiet=args.json)
    return EXIT_OK if all(p.ok for p in results) else EXIT_REJECTED


def _write_annotated(parsed, source: Path, out: Path, quiet: bool) -> None:
    """The workbook with its problem cells marked (core.annotate), written to `out`."""
    from core.annotate import AnnotateError, annotated_workbook

    from core.issues import WHOLE_FILE_CODES

    if any(i.code in WHOLE_FILE_CODES for i in parsed.issues):
        print(f"无法生成标注版：{parsed.errors[0].message}", file=sys.stderr)
        return
    try:
        _write_bytes(out, annotated_workbook(source.read_bytes(), parsed))
    except AnnotateError as exc:
        print(f"无法生成标注版：{exc}", file=sys.stderr)
        return
    print(f"已生成标注版：{out}（错误 {len(parsed.errors)} 处、提醒 {len(parsed.warnings)} 条已标出）",
          file=sys.stderr if quiet else sys.stdout)


def _output(name: str, *suffixes: str) -> tuple[Path, str]:
    """The --out path and its lower-case suffix, which must be one of `suffixes`."""
    out = Path(name)
    suffix = out.suffix.lower()
    if suffix not in suffixes:
        raise UsageError(f"--out 须以 {' 或 '.join(suffixes)} 结尾：{out}")
    return out, suffix


def _write_bytes(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"无法写入 {out}：{exc.strerror}") from None


def import_files(conn, parsed_files, uploader: str, is_sample: bool = False,
                 uploaded_at: dict[str, dt.datetime] | None = None, source: str = "命令行") -> list[dict]:
    """Store every error-free workbook (each in its own transaction, logged as `uploader`); JSON entries per file."""
    from core import access, actions

    actor = access.cli_actor(uploader, source)
    entries = []
    for parsed in parsed_files:
        if parsed.ok:
            when = (uploaded_at or {}).get(parsed.file_name)
            stored = actions.upload(conn, actor, parsed, is_sample=is_sample, uploaded_at=when)
            entries.append(_file_json(parsed, "stored", stored))
        else:
            entries.append(_file_json(parsed, "rejected"))
    return entries


def _print_import(entries) -> None:
    for entry in entries:
        if entry["status"] == "rejected":
            print(f"{entry['file']}：未导入，有 {len(entry['errors'])} 处错误（提醒 {len(entry['warnings'])} 条）")
            for e in entry["errors"]:
                where = "，".join(x for x in (f"工作表“{e['sheet']}”" if e["sheet"] else "",
                                             f"第{e['row']}行" if e["row"] else "",
                                             f"“{e['column']}”列" if e["column"] else "") if x)
                print(f"  [错误] {where + '：' if where else ''}{e['message']}")
            continue
        for r in entry["reports"]:
            if r["duplicate"]:
                note = f"与第{r['version']}版内容完全相同，已导入过，未重复保存"
            elif r["replaced_version"]:
                note = f"保存为第{r['version']}版，替换第{r['replaced_version']}版（旧版保留在历史中）"
            else:
                note = f"保存为第{r['version']}版"
            print(f"{entry['file']}：{r['town']} {r['report_date']}，小区 {r['compounds']} 个、社区 {r['communities']} 个，{note}")


# How long a command waits for another short command to release the database (REDPROP_LOCK_WAIT_S).
LOCK_WAIT_S = float(os.environ.get("REDPROP_LOCK_WAIT_S") or 15)


def _connect(args):
    """The database, for a command that must open it itself. Another command holding it briefly is
    waited for; the dashboard holding it is not (its message says what to do instead)."""
    from core import service, store

    try:
        return store.connect(args.db)
    except store.DatabaseBusy as busy:
        if service.owner_answers(store.db_path(args.db)):
            raise UsageError(str(busy)) from None
        try:
            return store.connect(args.db, wait_s=LOCK_WAIT_S)
        except StoreError as exc:
            raise UsageError(str(exc)) from None
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def _default_uploader() -> str:
    try:
        return f"命令行（{getpass.getuser()}）"
    except (KeyError, OSError):  # a container user with no passwd entry
        return "命令行"


def _import_via_owner(args, uploader: str) -> list[dict] | None:
    """Hand each file to the process that owns the database (the running dashboard); its JSON
    entries, or None where no process answers."""
    from core import service, store

    target = store.db_path(args.db)
    entries = []
    for path in _existing_files(args.files):
        header = {"op": "import", "file_name": path.name, "town": args.town, "uploader": uploader,
                  "date": args.date.isoformat() if args.date else None}
        try:
            reply = service.request(target, header, path.read_bytes())
        except service.OwnerUnavailable:
            if entries:
                raise UsageError(f"看板进程在导入过程中停止响应；{path.name} 及其后的文件未导入，请重新运行。") from None
            return None
        if not reply.get("ok"):
            raise UsageError(reply.get("error") or "看板进程未能完成导入。")
        entries.append(reply["entry"])
    return entries


def _import_here(args, uploader: str) -> list[dict]:
    from core import store

    with store.connect(args.db) as conn:  # DatabaseBusy when another process holds it
        return import_files(conn, _parse_files(args), uploader)


def cmd_import(args) -> int:
    """Import into the database directly, or — while the dashboard (or another import) holds it —
    through the dashboard's process, or after the other import is done."""
    from core import store

    _existing_files(args.files)
    uploader = args.uploader or _default_uploader()
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            entries = _import_here(args, uploader)
            break
        except store.DatabaseBusy as busy:
            entries = _import_via_owner(args, uploader)
            if entries is not None:
                break
            if time.monotonic() >= deadline:
                raise UsageError(str(busy)) from None
            time.sleep(0.3)
        except StoreError as exc:
            raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps({"files": entries}, ensure_ascii=False, indent=2))
    else:
        _print_import(entries)
    return EXIT_OK if all(e["status"] == "stored" for e in entries) else EXIT_REJECTED


def sample_files() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("*.xlsx"))


def load_sample(conn) -> list[dict]:
    """Import the shipped sample workbooks, marked as sample data."""
    from core.validate import read_workbook

    campaign = default_campaign()
    parsed = [read_workbook(p.read_bytes(), p.name, campaign) for p in sample_files()]
    # When each sample report was handed in, so the submission tracker has a history to show.
    times = json.loads((SAMPLE_DIR / "uploaded_at.json").read_text(encoding="utf-8"))
    uploaded_at = {name: dt.datetime.fromisoformat(when) for name, when in times.items()}
    return import_files(conn, parsed, "示例数据", is_sample=True, uploaded_at=uploaded_at, source="系统")


def cmd_sample(args) -> int:
    with _connect(args) as conn:
        entries = load_sample(conn)
    stored = sum(1 for e in entries for r in e["reports"] if not r["duplicate"])
    rejected = [e["file"] for e in entries if e["status"] == "rejected"]
    print(f"示例数据：{len(entries)} 个工作簿，新保存 {stored} 份报表" + (f"；未导入：{'、'.join(rejected)}" if rejected else "。"))
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_template(args) -> int:
    from core.template import template_bytes

    out = Path(args.out)
    _write_bytes(out, template_bytes(default_campaign()))
    print(f"已生成填报模板：{out}")
    return EXIT_OK


def _snapshot(args):
    from core.metrics import snapshot

    with _connect(args) as conn:
        return snapshot(conn, default_campaign(), args.as_of or dt.date.today())


def cmd_metrics(args) -> int:
    from core.metrics import snapshot_json
    from core.report_text import metrics_lines

    snap = _snapshot(args)
    if args.json:
        print(json.dumps(snapshot_json(snap), ensure_ascii=False, indent=2))
    else:
        print("\n".join(metrics_lines(snap)))
    return EXIT_OK


def cmd_scorecard(args) -> int:
    from core.exports import scorecard_csv, scorecard_xlsx, snapshot_communities
    from core.metrics import snapshot

    out, suffix = _output(args.out, ".xlsx", ".csv")
    with _connect(args) as conn:
        snap = snapshot(conn, default_campaign(), args.as_of or dt.date.today())
        communities = snapshot_communities(conn, snap) if suffix == ".xlsx" else None
    _write_bytes(out, scorecard_xlsx(snap, communities) if suffix == ".xlsx" else scorecard_csv(snap))
    print(f"已生成考核排名表：{out}（截至 {snap.as_of.isoformat()}）")
    return EXIT_OK


def cmd_bulletin(args) -> int:
    from core.bulletin import bulletin_docx, bulletin_facts, compose, text_bytes

    out, suffix = _output(args.out, ".docx", ".txt")
    with _connect(args) as conn:
        text = compose(bulletin_facts(conn, default_campaign(), args.as_of or dt.date.today(), args.issued))
    _write_bytes(out, bulletin_docx(text) if suffix == ".docx" else text_bytes(text))
    print(f"已生成通报：{out}")
    return EXIT_OK


def cmd_pack(args) -> int:
    from core.meeting_pack import meeting_pack
    from core.metrics import snapshot

    out, _ = _output(args.out, ".xlsx")
    with _connect(args) as conn:
        snap = snapshot(conn, default_campaign(), args.as_of or dt.date.today())
        data = meeting_pack(conn, snap)
    _write_bytes(out, data)
    print(f"已生成会议材料：{out}（截至 {snap.as_of.isoformat()}）")
    return EXIT_OK


def cmd_backup(args) -> int:
    """A consistent snapshot of the database into a new folder — through the dashboard's process
    while it runs (it owns the file)."""
    from core import access, actions, backup, service, store

    out = Path(args.out).expanduser().resolve()
    try:
        with store.connect(args.db) as conn:
            manifest = actions.backup(conn, access.cli_actor(_default_uploader()), out)
    except store.DatabaseBusy as busy:
        try:
            reply = service.request(store.db_path(args.db),
                                    {"op": "backup", "folder": str(out), "uploader": _default_uploader()})
        except service.OwnerUnavailable:
            raise UsageError(str(busy)) from None
        if not reply.get("ok"):
            raise UsageError(reply.get("error") or "看板进程未能完成备份。")
        manifest = reply["backup"]
    counts = manifest["tables"]
    print(f"已备份数据库到 {out}（报表版本 {counts.get('uploads', 0)} 个，共 {sum(counts.values())} 行）")
    return EXIT_OK


def cmd_restore(args) -> int:
    """Replace the database with a backup (the dashboard must be stopped); the current database
    is backed up automatically first."""
    from core import access, actions, backup, store

    try:
        result = actions.restore_backup(access.cli_actor(_default_uploader()), Path(args.folder), args.db)
    except store.DatabaseBusy as busy:
        raise UsageError(f"{busy} 恢复会替换整个数据库，须先停止看板（在运行看板的窗口按 Ctrl+C），再运行本命令。") from None
    kept = f"；原数据库已自动备份到 {result['previous_backup']}" if result["previous_backup"] else ""
    print(f"已从 {result['restored_from']} 恢复数据库 {result['database']}"
          f"（报表版本 {result['tables'].get('uploads', 0)} 个）{kept}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="红色物业建设推进看板 命令行")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def files_command(name, help_text, handler):
        cmd = commands.add_parser(name, help=help_text)
        cmd.add_argument("files", nargs="+", metavar="FILE", help="镇办月报工作簿（.xlsx）")
        cmd.add_argument("--town", help="工作簿未写明镇（街道）时使用")
        cmd.add_argument("--date", type=_date, help="工作簿未写明报送日期时使用（YYYY-MM-DD）")
        cmd.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        cmd.set_defaults(handler=handler)
        return cmd

    validate = files_command("validate", "检查工作簿，不保存", cmd_validate)
    validate.add_argument("--annotated", metavar="OUT.xlsx",
                          help="另存一份标注版：有问题的单元格标红（错误）或标黄（提醒）并加批注，首页为问题清单")
    imp = files_command("import", "检查并导入工作簿", cmd_import)
    imp.add_argument("--db", help="数据库文件（默认 REDPROP_DB 或 data/redprop.duckdb）")
    imp.add_argument("--uploader", help="记录为上传人（默认：命令行及系统用户名）")

    sample = commands.add_parser("sample", help="导入随附的示例数据")
    sample.add_argument("--db")
    sample.set_defaults(handler=cmd_sample)

    def as_of_command(name, help_text, handler, out_help=None):
        """A command over the store as of a date (default today), writing --out where it makes a file."""
        cmd = commands.add_parser(name, help=help_text)
        cmd.add_argument("--db")
        cmd.add_argument("--as-of", type=_date, help="统计截至日期（默认今天）")
        if out_help:
            cmd.add_argument("--out", required=True, help=out_help)
        cmd.set_defaults(handler=handler)
        return cmd

    metrics = as_of_command("metrics", "各镇办及全区指标、差距与加分", cmd_metrics)
    metrics.add_argument("--json", action="store_true", help="以 JSON 输出")
    as_of_command("scorecard", "导出考核排名表（.xlsx 或 .csv）", cmd_scorecard, "输出文件（.xlsx 或 .csv）")
    bulletin = as_of_command("bulletin", "生成工作推进情况通报（.docx 或 .txt）", cmd_bulletin, "输出文件（.docx 或 .txt）")
    bulletin.add_argument("--issued", type=_date, help="落款日期（默认今天）")
    as_of_command("pack", "导出推进会会议材料（.xlsx，每部分一个工作表）", cmd_pack, "输出文件（.xlsx）")

    backup = commands.add_parser("backup", help="备份数据库（看板运行时也可以）")
    backup.add_argument("--out", required=True, metavar="DIR", help="备份到的新目录")
    backup.add_argument("--db")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser("restore", help="用备份替换数据库（须先停止看板；替换前自动备份当前数据库）")
    restore.add_argument("folder", metavar="DIR", help="backup 命令写出的备份目录")
    restore.add_argument("--db")
    restore.set_defaults(handler=cmd_restore)

    template = commands.add_parser("template", help="生成空白填报模板")
    template.add_argument("--out", required=True, help="输出文件（.xlsx）")
    template.set_defaults(handler=cmd_template)

    add_user_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with argparse's message on a bad option
    try:
        return args.handler(args)
    except (UsageError, ConfigError, StoreError, AccountError, AccessDenied, BackupError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
