"""Every change a person makes to the reports: checked against their role, done, and logged.

Pages and the command line call these, never the store's writers directly: each checks the
actor's permission (core/access.py), refuses with AccessDenied before anything is stored, and
writes the audit log entry of what it did (or of the refusal).
"""
from __future__ import annotations

import datetime as dt

import duckdb

from core import access, audit, store
from core.access import AccessDenied, Actor
from core.queries import sql
from core.validate import ParsedWorkbook


def _report_towns(parsed: ParsedWorkbook) -> list[str]:
    return list(dict.fromkeys(r.town for r in parsed.reports))


def upload_refusal(actor: Actor, parsed: ParsedWorkbook) -> str | None:
    """Why `actor` may not store this workbook (e.g. a clerk's workbook holding another town's rows), else None."""
    reason = access.refusal(actor, access.UPLOAD, _report_towns(parsed))
    if reason is None:
        return None
    if not access.can(actor, access.UPLOAD):  # may not upload at all
        return reason
    foreign = [r for r in parsed.reports if not access.can(actor, access.UPLOAD, r.town)]
    listed = "、".join(f"{r.town}（{r.report_date:%Y-%m-%d}，小区 {r.compound_count} 个、社区 {r.community_count} 个）"
                      for r in foreign)
    return (f"{reason}工作簿“{parsed.file_name}”含有{listed}的数据，整个文件都不会保存。"
            f"请只上传{actor.town}自己的台账；其他镇（街道）的数据由该镇（街道）自己上报。")


def _refused(conn, actor: Actor, message: str, **fields) -> AccessDenied:
    audit.record(conn, actor, "refused", detail=message, **fields)
    return AccessDenied(message)


def log_upload_refusal(conn: duckdb.DuckDBPyConnection, actor: Actor, parsed: ParsedWorkbook,
                       reason: str) -> AccessDenied:
    """Write a refused upload to the audit log; the AccessDenied to raise."""
    towns = _report_towns(parsed)
    return _refused(conn, actor, reason, town=towns[0] if len(towns) == 1 else None,
                    file_name=parsed.file_name, sha256=parsed.sha256)


def upload(conn: duckdb.DuckDBPyConnection, actor: Actor, parsed: ParsedWorkbook, *, is_sample: bool = False,
           uploaded_at: dt.datetime | None = None) -> list[store.StoredReport]:
    """Store an error-free workbook as `actor` (recorded as its uploader), all or nothing; log each report."""
    reason = upload_refusal(actor, parsed)
    if reason is not None:
        raise log_upload_refusal(conn, actor, parsed, reason)
    stored = store.save(conn, parsed, actor.name, is_sample, uploaded_at)
    for report in stored:
        (upload_id,) = conn.execute(sql("upload_id_of"), {"town": report.town, "report_date": report.report_date,
                                                          "version": report.version}).fetchone()
        action = "duplicate" if report.duplicate else ("replace" if report.replaced_version else "upload")
        detail = (f"与第{report.version}版完全相同，未重复保存" if report.duplicate else
                  f"保存为第{report.version}版" + (f"，替换第{report.replaced_version}版" if report.replaced_version else "")
                  + f"；小区 {report.compounds} 个、社区 {report.communities} 个" + ("（示例数据）" if is_sample else ""))
        audit.record(conn, actor, action, town=report.town, report_date=report.report_date,
                     file_name=parsed.file_name, sha256=parsed.sha256, upload_id=upload_id, version=report.version,
                     detail=detail)
    return stored


def restore(conn: duckdb.DuckDBPyConnection, actor: Actor, upload_id: int) -> store.StoredReport:
    """Make an earlier version the one in force (administrators only)."""
    if reason := access.refusal(actor, access.MANAGE_DATA):
        raise _refused(conn, actor, reason, upload_id=upload_id)
    restored = store.restore_version(conn, upload_id, actor.name)
    replaced = f"，原生效的第{restored.replaced_version}版转为已替换" if restored.replaced_version else ""
    file_name, sha256 = conn.execute(sql("upload_file_of"), {"upload_id": upload_id}).fetchone()
    audit.record(conn, actor, "restore", town=restored.town, report_date=restored.report_date,
                 file_name=file_name, sha256=sha256, upload_id=upload_id, version=restored.version,
                 detail=f"恢复第{restored.version}版为生效版本{replaced}")
    return restored


def remove_sample(conn: duckdb.DuckDBPyConnection, actor: Actor) -> int:
    """Delete the sample data (administrators only); the number of reports deleted."""
    if reason := access.refusal(actor, access.MANAGE_DATA):
        raise _refused(conn, actor, reason)
    removed = store.remove_sample(conn)
    if removed:
        audit.record(conn, actor, "remove_sample", detail=f"删除示例数据 {removed} 份报表")
    return removed


def backup(conn: duckdb.DuckDBPyConnection, actor: Actor, folder) -> dict:
    """A consistent copy of the database into a new folder (administrators only); its manifest."""
    from core import backup as backups

    if reason := access.refusal(actor, access.MANAGE_DATA):
        raise _refused(conn, actor, reason)
    manifest = backups.export(conn, folder)
    audit.record(conn, actor, "backup", detail=f"备份到 {folder}")
    return manifest


def restore_backup(actor: Actor, folder, path=None) -> dict:
    """Replace the database with a backup (administrators only); logged in the restored database."""
    from core import backup as backups

    access.require(actor, access.MANAGE_DATA)
    result = backups.restore(folder, path)
    with store.connect(path) as conn:
        audit.record(conn, actor, "restore_backup", detail=f"从 {result['restored_from']} 还原整个数据库")
    return result
