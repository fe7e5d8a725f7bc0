"""The DuckDB store: schema migrations, one transaction per import, versions, reads.

One process owns the database file (DuckDB locks it per process): the dashboard, or a command
run while it is stopped. Inside that process every session has its own cursor, and writers take
turns under one lock (`transaction`), so concurrent uploads are stored one after another, in the
order they reach it. Each write is one explicit transaction, durable at its COMMIT (DuckDB syncs
its write-ahead log), and bumps a write generation that is also kept beside the file
(<db>.generation): a database that comes back from its log with fewer writes than that was not
fully replayed, and is refused rather than served (see `connect`). The log is moved into the
file (CHECKPOINT) once it has grown past CHECKPOINT_LOG_BYTES, and when the database is closed.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import filecmp
import json
import os
import re
import shutil
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from core.fingerprint import unchanged_towns
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


class DatabaseBusy(StoreError):
    """Another process holds the database file (DuckDB's lock); the message is Chinese."""

    def __init__(self, target: Path, pid: int | None):
        holder = f"进程 {pid}" if pid else "另一个进程"
        super().__init__(f"数据库文件 {target} 正被另一个程序（{holder}）使用，通常是正在运行的看板。"
                         "看板运行时请在看板中操作；python -m core import 和 backup 会自动交给看板完成，"
                         "其他命令请先停止看板再运行。")
        self.pid = pid


_LOCK_HELD, _PID = "Could not set lock on file", re.compile(r"PID (\d+)")
FEWER_WRITES = ("数据库文件 {target} 中只有前 {found} 次写入，而最后确认保存的是第 {expected} 次（可能换用了较早的数据库文件，"
                "或预写日志被删除）。为免在不完整的数据上继续工作，程序没有启动。若是有意换用了较早的文件，请删除 {note} 后再启动；"
                "否则请用最近的备份恢复：python -m core restore 备份目录。")
WAL_BROKEN = ("数据库的预写日志（{wal}）无法完整恢复{detail}。为免丢失或错乱数据，程序没有启动，也没有删除或改动该日志"
              "（启动前已另存一份到 {copy}）。请先备份整个 data 文件夹，再用最近的备份恢复：python -m core restore 备份目录；"
              "或联系技术支持处理该日志。")


def _lock_holder(exc: duckdb.Error) -> tuple[bool, int | None]:
    """(is it DuckDB's file lock held by another process, that process's id)."""
    text = str(exc)
    if _LOCK_HELD not in text:
        return False, None
    pid = _PID.search(text)
    return True, int(pid.group(1)) if pid else None


def wal_path(target: Path) -> Path:
    return target.with_name(target.name + ".wal")


def generation_path(target: Path) -> Path:
    return target.with_name(target.name + ".generation")


def _recorded_generation(target: Path) -> int | None:
    """The write generation last committed to this file, as recorded beside it; None if unknown."""
    try:
        return int(generation_path(target).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


WAL_COPIES_KEPT = 10


def _keep_wal_copy(target: Path) -> Path:
    """A copy of the database's write-ahead log in backups/wal/, made before DuckDB replays it."""
    folder = target.parent / "backups" / "wal"
    folder.mkdir(parents=True, exist_ok=True)
    kept = sorted(folder.glob(f"{target.name}-*.wal"))
    if kept and filecmp.cmp(kept[-1], wal_path(target), shallow=False):
        return kept[-1]  # the same log, copied at an earlier attempt to start
    copy = folder / f"{target.name}-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.wal"
    shutil.copy2(wal_path(target), copy)
    kept = sorted(folder.glob(f"{target.name}-*.wal"))
    for old in kept[:-WAL_COPIES_KEPT]:
        old.unlink(missing_ok=True)
    return copy



def _check_wal(target: Path) -> None:
    """Refuse a database whose write-ahead log cannot be replayed in full.

    DuckDB replays a log up to the first entry it cannot read and silently drops the rest (and,
    at the next write, the rest of the file). So the log is copied aside first, then replayed in
    a read-only open (which changes nothing on disk), and the database's write generation is
    compared with the one recorded beside it after the last commit. Raises StoreError.
    """
    wal = wal_path(target)
    if not target.exists() or not wal.exists() or wal.stat().st_size == 0:
        return
    copy = _keep_wal_copy(target)
    try:
        probe = duckdb.connect(str(target), read_only=True)
    except duckdb.ConnectionException:
        return  # this process has it open already: the log was replayed then
    except duckdb.Error as exc:
        if _lock_holder(exc)[0]:
            raise
        raise StoreError(WAL_BROKEN.format(wal=wal, copy=copy, detail=f"（{str(exc).splitlines()[0][:200]}）")) from None
    try:
        found = generation(probe)
    finally:
        probe.close()
    expected = _recorded_generation(target)
    if expected is not None and found < expected:
        raise StoreError(WAL_BROKEN.format(wal=wal, copy=copy,
                                           detail=f"：恢复后只有前 {found} 次写入，而最后确认保存的是第 {expected} 次"))


def _check_generation(conn: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Refuse (closing it) a database holding fewer writes than were committed to it: an older
    file put in its place, or a log removed. (With a log, `_check_wal` has looked already.)"""
    expected, found = _recorded_generation(target), generation(conn)
    if expected is not None and found < expected:
        conn.close()
        raise StoreError(FEWER_WRITES.format(target=target, found=found, expected=expected,
                                             note=generation_path(target)))


def _open(target: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        if not read_only:
            target.parent.mkdir(parents=True, exist_ok=True)
            _check_wal(target)
        return duckdb.connect(str(target), read_only=read_only)
    except duckdb.Error as exc:
        busy, pid = _lock_holder(exc)
        if busy:
            raise DatabaseBusy(target, pid) from None
        raise StoreError(f"无法打开数据库文件 {target}：{exc}") from None
    except OSError as exc:
        raise StoreError(f"无法打开数据库文件 {target}：{exc}") from None


def connect(path: str | os.PathLike | None = None, read_only: bool = False,
            wait_s: float = 0) -> duckdb.DuckDBPyConnection:
    """An open, migrated connection to the database file (created if missing).

    Raises DatabaseBusy when another process holds the file after `wait_s` seconds of retrying
    (a short command may be about to finish), StoreError when the file or its log is unusable.
    """
    target = db_path(path)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn = _open(target, read_only)
            break
        except DatabaseBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.2)
    if not read_only:
        _check_generation(conn, target)
        try:
            migrate(conn)
        except duckdb.Error as exc:
            conn.close()
            raise StoreError(f"数据库文件 {target} 无法升级到本程序的表结构（可能是其他程序的数据库）：{exc}") from None
    _fit_threads(conn, database_file(conn))
    return conn


# DuckDB scans a table in row groups of this many rows (its default), one group per thread. While
# every ledger fits in one group (a district's or a city's year of reports) a second thread has no
# share of any scan and only costs waking it: a district import's store took 12 ms on DuckDB's
# default two threads here and 9.5 ms on one. A province's history (1.2 M rows) keeps the default.
ROW_GROUP_ROWS = 122_880
# Database files (None: in memory) this process has set to one DuckDB thread → their compound rows
# then, plus those stored since (only an import adds ledger rows).
_ONE_THREAD: dict[Path | None, int] = {}


def _fit_threads(conn: duckdb.DuckDBPyConnection, target: Path | None) -> None:
    """One DuckDB thread for a database whose ledgers fit in one row group, DuckDB's default
    beyond (SET threads holds for every connection of this process to the file)."""
    try:
        [(rows,)] = conn.execute(sql("compound_rows")).fetchall()
    except duckdb.CatalogException:  # a read-only open of a database never migrated: no ledgers yet
        rows = 0
    if rows <= ROW_GROUP_ROWS:
        conn.execute("SET threads = 1")
        _ONE_THREAD[target] = rows
    else:
        conn.execute("RESET threads")
        _ONE_THREAD.pop(target, None)


def _count_stored_rows(conn: duckdb.DuckDBPyConnection, stored: list[StoredReport]) -> None:
    """After an import: a database on one thread gets DuckDB's default once its ledgers outgrow a
    row group (counted here, so that a district's import asks the database nothing more)."""
    target = database_file(conn)
    if target in _ONE_THREAD:
        _ONE_THREAD[target] += sum(s.compounds for s in stored if not s.duplicate)
        if _ONE_THREAD[target] > ROW_GROUP_ROWS:
            _fit_threads(conn, target)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# ---------------------------------------------------------------- writes: one at a time, one transaction each

_WRITE_LOCK = threading.RLock()  # writers of this process take turns: a well-defined order, no conflicts
GENERATION_KEY = "write_generation"


def generation(conn: duckdb.DuckDBPyConnection) -> int:
    """How many writes (imports, restores, removals) the database has committed."""
    try:
        rows = conn.execute(sql("get_setting"), {"key": GENERATION_KEY}).fetchall()
    except duckdb.CatalogException:
        return 0
    return int(rows[0][0]) if rows else 0


def _bump_generation(conn: duckdb.DuckDBPyConnection) -> int:
    """The write generation one higher (inside the write's transaction): its new value."""
    bumped = conn.execute(sql("bump_counter"), {"key": GENERATION_KEY}).fetchall()
    if bumped:
        return bumped[0][0]
    conn.execute(sql("put_setting"), {"key": GENERATION_KEY, "value": "1"})  # the database's first write
    return 1


_FILES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection → its file, asked once


def database_file(conn: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's database; None for an in-memory one."""
    if conn not in _FILES:
        [(path,)] = conn.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
        _FILES[conn] = Path(path) if path and path != ":memory:" else None
    return _FILES[conn]


def _record_generation(target: Path | None, value: int) -> None:
    """Note the committed generation beside the file (after the commit, so it never runs ahead)."""
    if target is None:
        return
    temporary = generation_path(target).with_suffix(".generation.tmp")
    try:
        temporary.write_text(str(value), encoding="ascii")
        os.replace(temporary, generation_path(target))
    except OSError:
        pass  # a lower bound only: a missing or older note never refuses a good database


# A checkpoint rewrites the changed row groups and syncs the file: 6–15 ms even for a district's
# 15 kB write, more than the write itself. A log of this size still replays in a fraction of a
# second at the next start (after a crash; a clean close checkpoints), and DuckDB's own
# threshold (16 MiB) stays as a backstop.
CHECKPOINT_LOG_BYTES = 4 * 1024 * 1024


def checkpoint(conn: duckdb.DuckDBPyConnection) -> None:
    """Move the write-ahead log into the database file, unless another transaction prevents it
    now (DuckDB then checkpoints later; the log keeps every commit durable meanwhile)."""
    try:
        conn.execute("CHECKPOINT")
    except (duckdb.TransactionException, duckdb.InvalidInputException):
        pass


def _log_is_long(target: Path | None) -> bool:
    try:
        return target is not None and wal_path(target).stat().st_size >= CHECKPOINT_LOG_BYTES
    except OSError:
        return False  # no log: nothing to move


@contextlib.contextmanager
def writing():
    """Hold this process's write lock (re-entrant): for work that must see no other write
    between its steps, e.g. a backup taken just before a change."""
    with _WRITE_LOCK:
        yield


class Write:
    """The write in progress: a writer that found nothing to change sets `changed` to False."""
    changed = True


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection):
    """One write: under the write lock, BEGIN … COMMIT (ROLLBACK on any error), the write
    generation bumped inside it, then a CHECKPOINT if the log has grown long. Every writer of the
    store goes through here."""
    with _WRITE_LOCK:
        conn.begin()
        write = Write()
        try:
            yield write
            if write.changed:
                count = _bump_generation(conn)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        if write.changed:
            target = database_file(conn)
            _record_generation(target, count)
            if _log_is_long(target):
                checkpoint(conn)


def _warnings_json(parsed: ParsedWorkbook) -> str:
    return json.dumps([w.as_json() for w in parsed.warnings], ensure_ascii=False)


def _report_keys(reports) -> dict[str, list]:
    return {"towns": [r.town for r in reports], "report_dates": [r.report_date for r in reports]}


def _with_upload_ids(table: pa.Table, stored_ids: dict[str, tuple[int, int]]) -> pa.Table:
    """The ledger rows of the towns being stored, each with its report's new upload id (a join
    in SQL would cost more to plan than this does to run)."""
    towns = pa.array(list(stored_ids), pa.string())
    position = pc.index_in(table.column("town"), value_set=towns)
    if position.null_count:  # an unchanged town of the workbook: its rows stay as stored
        table, position = table.filter(position.is_valid()), position.drop_null()
    ids = pa.array([upload_id for upload_id, _ in stored_ids.values()], pa.int64())
    return table.append_column("upload_id", ids.take(position))


def _store_reports(conn, parsed: ParsedWorkbook, uploader: str, is_sample: bool, now) -> list[StoredReport]:
    """Every report of the workbook, set-wise: one statement per table whatever the number of
    towns. A report identical to the version in force is left as it is (a duplicate)."""
    reports = parsed.reports
    if len({r.town for r in reports}) != len(reports):
        raise ValueError("one workbook holds one report per town")
    tables = parsed.arrow_tables()
    # The few report keys and ids go in as list parameters: registering a frame costs ~1 ms each.
    in_force, last_version = {}, {}
    for town, upload_id, version, active, filled_by, phone in conn.execute(
            sql("report_versions"), _report_keys(reports)).fetchall():
        last_version[town] = max(version, last_version.get(town, 0))
        if active:
            in_force[town] = (upload_id, version, (filled_by, phone))
    details = (parsed.filled_by, parsed.phone)
    unchanged = unchanged_towns(conn, tables, {t: v[0] for t, v in in_force.items() if v[2] == details})
    fresh = [r for r in reports if r.town not in unchanged]
    stored_ids: dict[str, tuple[int, int]] = {}
    if fresh:
        if in_force:  # a first report for the date has nothing to supersede
            conn.execute(sql("supersede_reports"), {"now": now, **_report_keys(fresh)})
        inserted = conn.execute(sql("insert_uploads"), {
            "file_name": parsed.file_name, "sha256": parsed.sha256, "size_bytes": parsed.size_bytes, "now": now,
            "uploader": uploader, "filled_by": parsed.filled_by, "phone": parsed.phone, "is_sample": is_sample,
            "warning_count": len(parsed.warnings), "warnings": _warnings_json(parsed), **_report_keys(fresh),
            "versions": [last_version.get(r.town, 0) + 1 for r in fresh]}).fetchall()
        stored_ids = {town: (upload_id, version) for upload_id, town, version in inserted}
        for spec in LEDGERS:
            table = tables.get(spec.key)
            if table is None or not table.num_rows:
                continue
            conn.register("incoming", _with_upload_ids(table, stored_ids))
            conn.execute(sql(f"insert_{spec.key}"))
            conn.unregister("incoming")  # not in `finally`: an aborted transaction refuses it (see save)
    stored = []
    for r in reports:
        previous = in_force.get(r.town, (None, None, None))[1:]
        counts = {"compounds": r.compound_count, "communities": r.community_count}
        if r.town in stored_ids:
            stored.append(StoredReport(r.town, r.report_date, stored_ids[r.town][1], previous[0], False, **counts))
        else:
            stored.append(StoredReport(r.town, r.report_date, previous[0], None, True, **counts))
    return stored


def save(conn: duckdb.DuckDBPyConnection, parsed: ParsedWorkbook, uploader: str,
         is_sample: bool = False, uploaded_at: dt.datetime | None = None) -> list[StoredReport]:
    """Store every report of an error-free workbook in one transaction: all of it, or nothing.

    `uploaded_at` is for the sample data only, whose history predates its import."""
    if not parsed.ok:
        raise ValueError("a workbook with errors is never stored")
    try:
        with transaction(conn) as write:
            # Taken under the write lock: upload times rise with the order of commit.
            stored = _store_reports(conn, parsed, uploader, is_sample, uploaded_at or _now())
            write.changed = not all(s.duplicate for s in stored)  # the same file again stores nothing
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            conn.unregister("incoming")
        raise
    _count_stored_rows(conn, stored)
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


def upload_info(conn: duckdb.DuckDBPyConnection, upload_id: int) -> dict:
    """The uploads row of one stored version, as a dict; VersionError where there is none."""
    cursor = conn.execute(sql("upload_info"), {"upload_id": upload_id})
    rows = cursor.fetchall()  # all, not one: a result left open blocks the connection's next register()
    if not rows:
        raise VersionError(f"找不到编号为 {upload_id} 的报表版本，可能已被删除。")
    return dict(zip([d[0] for d in cursor.description], rows[0]))


def upload_detail(conn: duckdb.DuckDBPyConnection, upload_id: int) -> UploadDetail:
    """The uploads row and every ledger row of one stored version."""
    info = upload_info(conn, upload_id)
    ids = {"upload_ids": [upload_id]}
    tables = {spec.key: conn.execute(sql(f"{spec.key}_of"), ids).df() for spec in LEDGERS}
    return UploadDetail(info, tables)


def _later_than_last_supersede(conn: duckdb.DuckDBPyConnection) -> dt.datetime:
    """Now, but strictly after every recorded superseded_at, so data_version always changes."""
    now = dt.datetime.now()
    (last,) = conn.execute(sql("last_superseded")).fetchone()
    return max(now, last + dt.timedelta(microseconds=1)) if last else now


def restore_version(conn: duckdb.DuckDBPyConnection, upload_id: int, who: str) -> StoredReport:
    """Make an earlier version the one in force for its town and report date, in one transaction,
    after an automatic backup of the database (core/backup.py).

    The version in force until now is superseded (kept, inactive); nothing is deleted. `who`
    (the person restoring) is not stored yet: the uploads table has no column for it.
    """
    from core import backup

    with writing():
        info = upload_info(conn, upload_id)
        if info["active"]:
            raise VersionError(f"{info['town']} {info['report_date']:%Y-%m-%d} 第{info['version']}版"
                               "已经是当前生效的版本，无需恢复。")
        backup.auto_backup(conn, "restore-version")
        with transaction(conn):
            key = {"town": info["town"], "report_date": info["report_date"]}
            current = conn.execute(sql("active_upload"), key).fetchone()
            conn.execute(sql("supersede"), {**key, "now": _later_than_last_supersede(conn)})
            conn.execute(sql("activate_upload"), {"upload_id": upload_id})
            compounds, communities = conn.execute(sql("upload_row_counts"), {"upload_id": upload_id}).fetchone()
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
    from core import backup

    with writing():
        (count,) = conn.execute(sql("sample_count")).fetchone()
        if not count:
            return 0
        backup.auto_backup(conn, "remove-sample")
        with transaction(conn):
            conn.execute(sql("retire_sample_uploads"), {"now": _later_than_last_supersede(conn)})
            conn.execute(sql("reactivate_real_uploads"))
            for name in _SAMPLE_LEDGER_DELETES:
                conn.execute(sql(name))
        with transaction(conn):
            conn.execute(sql("delete_sample_uploads"))
            # Remembered, so that an empty database is not filled with the sample again at the next start.
            conn.execute(sql("put_setting"), {"key": SAMPLE_REMOVED, "value": _now().isoformat()})
    return count
