"""Backups of the database: consistent snapshots taken while the dashboard runs, and restores.

A backup is a folder written by DuckDB's EXPORT DATABASE inside one read transaction (so it is a
consistent snapshot however many sessions are writing): schema.sql, load.sql and one Parquet
file per table, plus `redprop-backup.json` with the row counts it must restore to. Parquet and
SQL outlive DuckDB's file format, so an old backup still restores after an upgrade.

- `python -m core backup --out DIR` writes one; while the dashboard runs, it asks the dashboard's
  process to write it (core/service.py), since that process owns the file.
- Before every restore of a version, every removal of the sample data and every whole-database
  restore, an automatic backup goes to data/backups/auto-…; the newest `limits.backups_kept` are
  kept, older automatic ones deleted. Backups written with --out are never deleted.
- `python -m core restore DIR` builds the backup into a new file beside the database, checks its
  counts, backs up the current database automatically, moves the current file (and any log) into
  that automatic backup, and puts the restored file in its place. It needs the database to itself:
  stop the dashboard first.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import duckdb

from core import store

MANIFEST = "redprop-backup.json"
AUTO_PREFIX = "auto-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is Chinese."""


def sql_string(text: str) -> str:
    """`text` as an SQL string literal (for the folder of EXPORT/IMPORT DATABASE, which takes no
    bound parameter): quotes doubled; control characters refused."""
    if re.search(r"[\x00-\x1f]", text):
        raise BackupError(f"路径中含有控制字符，无法使用：{text!r}")
    return "'" + text.replace("'", "''") + "'"


def backups_dir(target: Path) -> Path:
    """Where a database's automatic backups go: data/backups/ beside data/redprop.duckdb."""
    return target.parent / "backups"


def _empty_folder(folder: Path) -> Path:
    folder = folder.expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"备份目录 {folder} 已存在且不是空目录；请换一个新目录名。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {folder}：{exc.strerror}") from None
    return folder


def _tables(conn) -> list[str]:
    return [t for (t,) in conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1").fetchall()]


def _row_counts(conn) -> dict[str, int]:
    """Rows of every table. Table names come from the catalogue, never from a person, and an
    identifier cannot be a bound parameter: it is quoted, with any quote inside doubled."""
    counts = {}
    for table in _tables(conn):
        quoted = '"' + table.replace('"', '""') + '"'
        counts[table] = conn.execute("SELECT count(*) FROM " + quoted).fetchone()[0]
    return counts


def export(conn: duckdb.DuckDBPyConnection, folder: str | os.PathLike) -> dict:
    """Write a consistent snapshot of the database into `folder` (new or empty); its manifest."""
    folder = _empty_folder(Path(folder))
    cursor = conn.cursor()  # its own transaction, whatever the caller's connection is doing
    cursor.begin()
    try:
        counts = _row_counts(cursor)
        cursor.execute(f"EXPORT DATABASE {sql_string(str(folder))} (FORMAT parquet)")
        manifest = {"format": 1, "created_at": dt.datetime.now().isoformat(timespec="seconds"),
                    "database": str(store.database_file(cursor) or ":memory:"), "generation": store.generation(cursor),
                    "duckdb": duckdb.__version__, "tables": counts}
        cursor.commit()
    except duckdb.Error as exc:
        cursor.rollback()
        raise BackupError(f"备份失败：{exc}") from None
    finally:
        cursor.close()
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return {**manifest, "folder": str(folder)}


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` automatic backups under `root`; the folders deleted."""
    autos = sorted(p for p in root.glob(f"{AUTO_PREFIX}*") if p.is_dir())
    doomed = autos[:-keep] if keep else autos
    for folder in doomed:
        shutil.rmtree(folder, ignore_errors=True)
    return doomed


def auto_backup(conn: duckdb.DuckDBPyConnection, reason: str, keep: int | None = None) -> Path | None:
    """An automatic backup into data/backups/auto-<time>-<reason>, then the oldest ones pruned to
    `keep` (default `limits.backups_kept`). None for an in-memory database."""
    target = store.database_file(conn)
    if target is None:
        return None
    if keep is None:
        from core.config import default_campaign

        keep = default_campaign().backups_kept
    root = backups_dir(target)
    folder = root / f"{AUTO_PREFIX}{dt.datetime.now():%Y%m%d-%H%M%S-%f}-{reason}"
    export(conn, folder)
    prune(root, max(keep, 1))
    return folder


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder; BackupError where it is not one."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} 不是本系统的备份目录（缺少 {MANIFEST}）。") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"备份目录 {folder} 的说明文件无法读取：{exc}") from None
    if not isinstance(manifest.get("tables"), dict) or not (folder / "schema.sql").is_file():
        raise BackupError(f"备份目录 {folder} 不完整（缺少表清单或 schema.sql）。")
    return manifest


def _build(source: Path, staging: Path, manifest: dict) -> int:
    """Import the backup into a new database file `staging`; its write generation."""
    for leftover in (staging, store.wal_path(staging)):
        leftover.unlink(missing_ok=True)
    try:
        conn = duckdb.connect(str(staging))
    except duckdb.Error as exc:
        raise BackupError(f"无法在 {staging.parent} 建立恢复用的数据库文件：{exc}") from None
    try:
        conn.execute(f"IMPORT DATABASE {sql_string(str(source))}")
        found = _row_counts(conn)
        if {t: found.get(t) for t in manifest["tables"]} != manifest["tables"]:
            raise BackupError(f"备份目录 {source} 的数据与其说明文件不符（可能不完整或被改动过），未恢复。")
        store.migrate(conn)  # a backup from an older release gets this release's tables
        conn.execute("CHECKPOINT")
        return store.generation(conn)
    except duckdb.Error as exc:
        raise BackupError(f"备份目录 {source} 无法导入：{exc}") from None
    finally:
        conn.close()


def _build_or_clean(source: Path, staging: Path, manifest: dict) -> int:
    try:
        return _build(source, staging, manifest)
    except BaseException:
        for leftover in (staging, store.wal_path(staging)):
            leftover.unlink(missing_ok=True)
        raise


def restore(source: str | os.PathLike, path: str | os.PathLike | None = None) -> dict:
    """Replace the database with the backup in `source`. Raises store.DatabaseBusy while another
    process (the dashboard) has the database open."""
    source = Path(source).expanduser().resolve()
    manifest = read_manifest(source)
    target = store.db_path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".restoring")
    previous = None
    if target.exists():
        current = store.connect(target)  # DatabaseBusy while the dashboard runs
        try:
            previous = auto_backup(current, "before-restore")
        finally:
            current.close()
    count = _build_or_clean(source, staging, manifest)
    if previous is not None:  # the replaced file itself is kept too, inside that automatic backup
        for old in (target, store.wal_path(target)):
            if old.exists():
                shutil.move(str(old), previous / f"replaced-{old.name}")
    os.replace(staging, target)
    store.generation_path(target).write_text(str(count), encoding="ascii")
    return {"restored_from": str(source), "database": str(target), "tables": manifest["tables"],
            "previous_backup": str(previous) if previous else None}
