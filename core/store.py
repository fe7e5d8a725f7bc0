"""The DuckDB store: schema migrations, one transaction per import, versions, reads."""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.layout import LEDGERS
from core.queries import sql
from core.schema import MIGRATIONS
from core.validate import ParsedWorkbook

DEFAULT_DB = Path("data") / "redprop.duckdb"


class StoreError(Exception):
    """The database cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class StoredReport:
    town: str
    report_date: dt.date
    version: int
    replaced_version: int | None  # the version this one superseded
    duplicate: bool  # byte-identical to the version in force: nothing new stored
    compounds: int
    communities: int

    def as_json(self) -> dict:
        return {"town": self.town, "report_date": self.report_date.isoformat(), "compounds": self.compounds,
                "communities": self.communities, "version": self.version,
                "replaced_version": self.replaced_version, "duplicate": self.duplicate}


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: `path`, else REDPROP_DB, else data/redprop.duckdb."""
    return Path(path or os.environ.get("REDPROP_DB") or DEFAULT_DB)


def migrate(conn: duckdb.DuckDBPyConnection) -> None:
    """Apply every migration the database has not seen, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                 "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)")
    applied = {v for (v,) in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, description, statements in MIGRATIONS:
        if version in applied:
            continue
        conn.begin()
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, description, _now()])
            conn.commit()
        except Exception:
            conn.rollback()
            raise


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An open, migrated connection to the database file (created if missing)."""
    target = db_path(path)
    try:
        if not read_only:
            target.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(target), read_only=read_only)
    except (duckdb.Error, OSError) as exc:
        raise StoreError(f"无法打开数据库文件 {target}：{exc}") from None
    if not read_only:
        try:
            migrate(conn)
        except duckdb.Error as exc:
            conn.close()
            raise StoreError(f"数据库文件 {target} 无法升级到本程序的表结构（可能是其他程序的数据库）：{exc}") from None
    return conn


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _warnings_json(parsed: ParsedWorkbook) -> str:
    return json.dumps([w.as_json() for w in parsed.warnings], ensure_ascii=False)


def _store_report(conn, parsed: ParsedWorkbook, report, uploader: str, is_sample: bool, now) -> StoredReport:
    key = {"town": report.town, "report_date": report.report_date}
    active = conn.execute(sql("active_upload"), key).fetchone()
    counts = {"compounds": report.compound_count, "communities": report.community_count}
    content = report.content_sha256(parsed.filled_by, parsed.phone)
    if active and active[2] == content:
        return StoredReport(report.town, report.report_date, active[1], None, True, **counts)
    version = conn.execute(sql("next_version"), key).fetchone()[0]
    conn.execute(sql("supersede"), {**key, "now": now})
    upload_id = conn.execute(sql("insert_upload"), {
        **key, "file_name": parsed.file_name, "sha256": parsed.sha256, "size_bytes": parsed.size_bytes,
        "now": now, "uploader": uploader, "version": version, "filled_by": parsed.filled_by,
        "phone": parsed.phone, "is_sample": is_sample, "warning_count": len(parsed.warnings),
        "warnings": _warnings_json(parsed), "content_sha256": content,
    }).fetchone()[0]
    for spec in LEDGERS:
        frame = report.tables[spec.key]
        if frame.empty:
            continue
        conn.register("incoming", frame)
        conn.execute(sql(f"insert_{spec.key}"), {"upload_id": upload_id})
        conn.unregister("incoming")  # not in `finally`: an aborted transaction refuses it (see save)
    return StoredReport(report.town, report.report_date, version, active[1] if active else None, False, **counts)


def save(conn: duckdb.DuckDBPyConnection, parsed: ParsedWorkbook, uploader: str,
         is_sample: bool = False, uploaded_at: dt.datetime | None = None) -> list[StoredReport]:
    """Store every report of an error-free workbook in one transaction: all of it, or nothing.

    `uploaded_at` is for the sample data only, whose history predates its import."""
    if not parsed.ok:
        raise ValueError("a workbook with errors is never stored")
    now = uploaded_at or _now()
    conn.begin()
    try:
        stored = [_store_report(conn, parsed, r, uploader, is_sample, now) for r in parsed.reports]
        conn.commit()
    except BaseException:
        conn.rollback()
        conn.unregister("incoming")
        raise
    conn.execute("CHECKPOINT")
    return stored


def uploads(conn: duckdb.DuckDBPyConnection):
    """Every stored report with its version history, newest first, as a DataFrame."""
    return conn.execute(sql("uploads")).df()


def data_version(conn: duckdb.DuckDBPyConnection) -> tuple:
    """A value that changes whenever anything is stored: the key for cached reads."""
    return tuple(conn.execute(sql("data_version")).fetchall()[0])


def is_empty(conn: duckdb.DuckDBPyConnection) -> bool:
    """True when no report has ever been stored."""
    return conn.execute("SELECT count(*) FROM uploads").fetchall()[0][0] == 0


SAMPLE_REMOVED = "sample_removed"


def setting(conn: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = conn.execute(sql("get_setting"), {"key": key}).fetchall()
    return rows[0][0] if rows else None


def wants_sample(conn: duckdb.DuckDBPyConnection) -> bool:
    """True for a new, empty database: one whose sample data was never removed by a person."""
    return is_empty(conn) and setting(conn, SAMPLE_REMOVED) is None


# ---------------------------------------------------------------- versions: view, restore, remove sample


class VersionError(ValueError):
    """A version action that cannot be done; the message is Chinese."""


@dataclass(frozen=True)
class UploadDetail:
    """One stored version: its uploads row (as a dict) and its ledger rows per sheet key."""
    info: dict
    tables: dict  # sheet key (compounds, communities, brands, epmc_members) -> DataFrame


def _upload_info(conn: duckdb.DuckDBPyConnection, upload_id: int) -> dict:
    cursor = conn.execute(sql("upload_info"), {"upload_id": upload_id})
    row = cursor.fetchone()
    if row is None:
        raise VersionError(f"找不到编号为 {upload_id} 的报表版本，可能已被删除。")
    return dict(zip([d[0] for d in cursor.description], row))


def upload_detail(conn: duckdb.DuckDBPyConnection, upload_id: int) -> UploadDetail:
    """The uploads row and every ledger row of one stored version."""
    info = _upload_info(conn, upload_id)
    ids = {"upload_ids": [upload_id]}
    tables = {spec.key: conn.execute(sql(f"{spec.key}_of"), ids).df() for spec in LEDGERS}
    return UploadDetail(info, tables)


def _later_than_last_supersede(conn: duckdb.DuckDBPyConnection) -> dt.datetime:
    """Now, but strictly after every recorded superseded_at, so data_version always changes."""
    now = dt.datetime.now()
    (last,) = conn.execute(sql("last_superseded")).fetchone()
    return max(now, last + dt.timedelta(microseconds=1)) if last else now


def restore_version(conn: duckdb.DuckDBPyConnection, upload_id: int, who: str) -> StoredReport:
    """Make an earlier version the one in force for its town and report date, in one transaction.

    The version in force until now is superseded (kept, inactive); nothing is deleted. `who`
    (the person restoring) is not stored yet: the uploads table has no column for it.
    """
    conn.begin()
    try:
        info = _upload_info(conn, upload_id)
        if info["active"]:
            raise VersionError(f"{info['town']} {info['report_date']:%Y-%m-%d} 第{info['version']}版"
                               "已经是当前生效的版本，无需恢复。")
        key = {"town": info["town"], "report_date": info["report_date"]}
        current = conn.execute(sql("active_upload"), key).fetchone()
        conn.execute(sql("supersede"), {**key, "now": _later_than_last_supersede(conn)})
        conn.execute(sql("activate_upload"), {"upload_id": upload_id})
        compounds, communities = conn.execute(sql("upload_row_counts"), {"upload_id": upload_id}).fetchone()
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return StoredReport(info["town"], info["report_date"], info["version"], current[1] if current else None,
                        False, compounds, communities)


_SAMPLE_LEDGER_DELETES = tuple(f"delete_sample_{spec.key}" for spec in LEDGERS)


def remove_sample(conn: duckdb.DuckDBPyConnection) -> int:
    """Delete every sample report (is_sample) with its ledger rows; the number of reports deleted.

    Where a real report exists for the same town and date, its latest version is (or stays) the
    one in force. DuckDB cannot delete a row and the rows referencing it in one transaction (its
    foreign-key check does not see deletes of the same transaction), so this takes two: the first
    retires the sample versions, hands their town and date back to the real data and deletes their
    ledger rows; the second deletes the emptied uploads rows. After the first, readers already see
    no sample data; if the second fails, calling again finishes the job.
    """
    conn.begin()
    try:
        (count,) = conn.execute(sql("sample_count")).fetchone()
        if count:
            conn.execute(sql("retire_sample_uploads"), {"now": _later_than_last_supersede(conn)})
            conn.execute(sql("reactivate_real_uploads"))
            for name in _SAMPLE_LEDGER_DELETES:
                conn.execute(sql(name))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    if not count:
        return 0
    conn.begin()
    try:
        conn.execute(sql("delete_sample_uploads"))
        # Remembered, so that an empty database is not filled with the sample again at the next start.
        conn.execute(sql("put_setting"), {"key": SAMPLE_REMOVED, "value": _now().isoformat()})
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.execute("CHECKPOINT")
    except duckdb.TransactionException:
        pass  # an older transaction of another cursor still sees the deleted rows; DuckDB checkpoints later
    return count
