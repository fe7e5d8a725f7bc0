"""The command line of ../shared/spec/CLI.md: `python -m core COMMAND …`.

Exit codes: 0 all went well; 1 at least one file was rejected; 2 usage error.
Bad input never ends in a traceback: every failure becomes a Chinese message.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

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
    from core.validate import read_workbook

    campaign = default_campaign()
    return [read_workbook(p.read_bytes(), p.name, campaign, town=args.town, report_date=args.date)
            for p in _existing_files(args.files)]


def cmd_validate(args) -> int:
    results = _parse_files(args)
    if args.json:
        print(json.dumps({"files": [_file_json(p, "valid" if p.ok else "rejected") for p in results]},
                         ensure_ascii=False, indent=2))
    else:
        for parsed in results:
            verdict = "可以导入" if parsed.ok else f"有 {len(parsed.errors)} 处错误，不能导入"
            print(f"{parsed.file_name}：{verdict}（提醒 {len(parsed.warnings)} 条）")
            _print_issues(parsed)
    return EXIT_OK if all(p.ok for p in results) else EXIT_REJECTED


def import_files(conn, parsed_files, uploader: str, is_sample: bool = False,
                 uploaded_at: dict[str, dt.datetime] | None = None) -> list[dict]:
    """Store every error-free workbook (each in its own transaction); JSON entries per file."""
    from core import store

    entries = []
    for parsed in parsed_files:
        if parsed.ok:
            when = (uploaded_at or {}).get(parsed.file_name)
            entries.append(_file_json(parsed, "stored", store.save(conn, parsed, uploader, is_sample, when)))
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


def _connect(args):
    from core import store

    try:
        return store.connect(args.db)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def _default_uploader() -> str:
    try:
        return f"命令行（{getpass.getuser()}）"
    except (KeyError, OSError):  # a container user with no passwd entry
        return "命令行"


def cmd_import(args) -> int:
    results = _parse_files(args)
    with _connect(args) as conn:
        entries = import_files(conn, results, args.uploader or _default_uploader())
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
    return import_files(conn, parsed, "示例数据", is_sample=True, uploaded_at=uploaded_at)


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
    try:
        out.write_bytes(template_bytes(default_campaign()))
    except OSError as exc:
        raise UsageError(f"无法写入 {out}：{exc.strerror}") from None
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

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UsageError(f"--out 须以 .xlsx 或 .csv 结尾：{out}")
    with _connect(args) as conn:
        snap = snapshot(conn, default_campaign(), args.as_of or dt.date.today())
        communities = snapshot_communities(conn, snap) if suffix == ".xlsx" else None
    data = scorecard_xlsx(snap, communities) if suffix == ".xlsx" else scorecard_csv(snap)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"无法写入 {out}：{exc.strerror}") from None
    print(f"已生成考核排名表：{out}（截至 {snap.as_of.isoformat()}）")
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

    files_command("validate", "检查工作簿，不保存", cmd_validate)
    imp = files_command("import", "检查并导入工作簿", cmd_import)
    imp.add_argument("--db", help="数据库文件（默认 REDPROP_DB 或 data/redprop.duckdb）")
    imp.add_argument("--uploader", help="记录为上传人（默认：命令行及系统用户名）")

    sample = commands.add_parser("sample", help="导入随附的示例数据")
    sample.add_argument("--db")
    sample.set_defaults(handler=cmd_sample)

    metrics = commands.add_parser("metrics", help="各镇办及全区指标、差距与加分")
    metrics.add_argument("--db")
    metrics.add_argument("--as-of", type=_date, help="统计截至日期（默认今天）")
    metrics.add_argument("--json", action="store_true", help="以 JSON 输出")
    metrics.set_defaults(handler=cmd_metrics)

    scorecard = commands.add_parser("scorecard", help="导出考核排名表（.xlsx 或 .csv）")
    scorecard.add_argument("--db")
    scorecard.add_argument("--as-of", type=_date, help="统计截至日期（默认今天）")
    scorecard.add_argument("--out", required=True, help="输出文件（.xlsx 或 .csv）")
    scorecard.set_defaults(handler=cmd_scorecard)

    template = commands.add_parser("template", help="生成空白填报模板")
    template.add_argument("--out", required=True, help="输出文件（.xlsx）")
    template.set_defaults(handler=cmd_template)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with argparse's message on a bad option
    try:
        return args.handler(args)
    except (UsageError, ConfigError, StoreError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
