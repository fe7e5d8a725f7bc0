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
        migrate(conn)
    return conn


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _warnings_json(parsed: ParsedWorkbook) -> str:
    return json.dumps([w.as_json() for w in parsed.warnings], ensure_ascii=False)


def _store_report(conn, parsed: ParsedWorkbook, report, uploader: str, is_sample: bool, now) -> StoredReport:
    key = {"town": report.town, "report_date": report.report_date}
    active = conn.execute(sql("active_upload"), key).fetchone()
    counts = {"compounds": report.compound_count, "communities": report.community_count}
    if active and active[2] == parsed.sha256:
        return StoredReport(report.town, report.report_date, active[1], None, True, **counts)
    version = conn.execute(sql("next_version"), key).fetchone()[0]
    conn.execute(sql("supersede"), {**key, "now": now})
    upload_id = conn.execute(sql("insert_upload"), {
        **key, "file_name": parsed.file_name, "sha256": parsed.sha256, "size_bytes": parsed.size_bytes,
        "now": now, "uploader": uploader, "version": version, "filled_by": parsed.filled_by,
        "phone": parsed.phone, "is_sample": is_sample, "warning_count": len(parsed.warnings),
        "warnings": _warnings_json(parsed),
    }).fetchone()[0]
    for spec in LEDGERS:
        frame = report.tables[spec.key]
        if frame.empty:
            continue
        conn.register("incoming", frame)
        try:
            conn.execute(sql(f"insert_{spec.key}"), {"upload_id": upload_id})
        finally:
            conn.unregister("incoming")
    return StoredReport(report.town, report.report_date, version, active[1] if active else None, False, **counts)


def save(conn: duckdb.DuckDBPyConnection, parsed: ParsedWorkbook, uploader: str,
         is_sample: bool = False) -> list[StoredReport]:
    """Store every report of an error-free workbook in one transaction: all of it, or nothing."""
    if not parsed.ok:
        raise ValueError("a workbook with errors is never stored")
    now = _now()
    conn.begin()
    try:
        stored = [_store_report(conn, parsed, r, uploader, is_sample, now) for r in parsed.reports]
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    conn.execute("CHECKPOINT")
    return stored


def uploads(conn: duckdb.DuckDBPyConnection):
    """Every stored report with its version history, newest first, as a DataFrame."""
    return conn.execute(sql("uploads")).df()


def data_version(conn: duckdb.DuckDBPyConnection) -> tuple:
    """A value that changes whenever anything is stored: the key for cached reads."""
    return conn.execute(sql("data_version")).fetchone()
