"""An import killed at any point leaves exactly the committed versions, and the database opens
cleanly; a write-ahead log that cannot be replayed in full stops the app instead of losing data,
and is never deleted; a database held by another process gives a Chinese message."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from core import schema, store
from core.queries import _all as all_named_sql
from tests.test_app import start
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
BY = "般阳路街道"


def workbook(n: int, town: str = BY, day: str = "2021-11-30") -> bytes:
    """A valid workbook whose content differs with `n` (so each is a new version)."""
    import datetime as dt

    compounds = [compound_row("东社区", f"小区{i}") for i in range(n + 1)]
    return standard(compounds, [community_row("东社区")], info=info_sheet(town=town, report_date=dt.date.fromisoformat(day)))


def env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}


def versions(db: Path) -> list[tuple]:
    with store.connect(db) as conn:
        return conn.execute("SELECT town, version, active, (SELECT count(*) FROM compounds c WHERE c.upload_id = u.upload_id) "
                            "FROM uploads u ORDER BY town, version").fetchall()


@pytest.fixture
def db_with_v1(tmp_path) -> Path:
    db = tmp_path / "store.duckdb"
    v1 = tmp_path / "v1.xlsx"
    v1.write_bytes(workbook(1))
    with store.connect(db) as conn:
        from core.validate import read_workbook
        from core.config import default_campaign

        store.save(conn, read_workbook(v1.read_bytes(), v1.name, default_campaign()), "测试")
    return db


def kill_at(db: Path, file: Path, point: str) -> None:
    """Run tests/kill_helper.py until it reports `point`, then SIGKILL it."""
    process = subprocess.Popen([sys.executable, "-m", "tests.kill_helper", str(db), str(file), point], cwd=ROOT,
                               env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line == point, (line, process.stderr.read() if process.poll() is not None else "")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("point, stored", [("inserting", False), ("before_commit", False),
                                           ("after_commit", True), ("before_checkpoint", True)])
def test_sigkill_leaves_exactly_the_committed_versions(db_with_v1, tmp_path, point, stored):
    v2 = tmp_path / "v2.xlsx"
    v2.write_bytes(workbook(2))
    kill_at(db_with_v1, v2, point)
    expected = [(BY, 1, False, 2), (BY, 2, True, 3)] if stored else [(BY, 1, True, 2)]
    assert versions(db_with_v1) == expected  # opens cleanly: the log is replayed (or empty)
    # and goes on: the next import gets the next version
    result = subprocess.run([sys.executable, "-m", "core", "import", str(tmp_path / "v2.xlsx"), "--db", str(db_with_v1),
                             "--json"], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert versions(db_with_v1)[-1][:3] == (BY, 2, True)


def log_bytes(db: Path) -> int:
    wal = store.wal_path(db)
    return wal.stat().st_size if wal.exists() else 0


def test_a_short_log_waits_for_a_later_checkpoint_and_a_long_one_is_moved_at_once(tmp_path, monkeypatch):
    from core.config import default_campaign
    from core.validate import read_workbook

    db = tmp_path / "store.duckdb"
    conn = store.connect(db)
    store.save(conn, read_workbook(workbook(1), "v1.xlsx", default_campaign()), "测试")
    assert 0 < log_bytes(db) < store.CHECKPOINT_LOG_BYTES  # durable in the log, not yet in the file
    monkeypatch.setattr(store, "CHECKPOINT_LOG_BYTES", log_bytes(db) + 1)
    store.save(conn, read_workbook(workbook(2), "v2.xlsx", default_campaign()), "测试")
    assert log_bytes(db) == 0  # the log had grown past the threshold: moved into the file
    store.save(conn, read_workbook(workbook(3), "v3.xlsx", default_campaign()), "测试")
    assert log_bytes(db) > 0
    conn.close()  # a clean close checkpoints too
    assert log_bytes(db) == 0
    assert versions(db) == [(BY, 1, False, 2), (BY, 2, False, 3), (BY, 3, True, 4)]


def test_imports_killed_at_random_moments_never_leave_half_a_version(tmp_path):
    files = []
    for n in range(8):
        path = tmp_path / f"{n}.xlsx"
        path.write_bytes(workbook(n, town=("般阳路街道", "昆仑镇")[n % 2]))
        files.append(path)
    db = tmp_path / "store.duckdb"
    chance = random.Random(5)
    for _ in range(4):
        process = subprocess.Popen([sys.executable, "-m", "core", "import", *map(str, files), "--db", str(db)],
                                   cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(1.0, 3.0))
        process.kill()
        process.wait(10)
        with store.connect(db) as conn:
            rows = conn.execute("SELECT town, version, active, compounds_in_file, compounds_stored FROM ("
                                " SELECT u.town, u.version, u.active, u.file_name,"
                                "  CAST(regexp_extract(u.file_name, '(\\d+)', 1) AS INTEGER) + 1 AS compounds_in_file,"
                                "  (SELECT count(*) FROM compounds c WHERE c.upload_id = u.upload_id) AS compounds_stored"
                                " FROM uploads u) ORDER BY town, version").fetchall()
        assert all(r[3] == r[4] for r in rows), rows  # every stored version has all its rows
        for town in {r[0] for r in rows}:
            mine = [r for r in rows if r[0] == town]
            assert [r[1] for r in mine] == list(range(1, len(mine) + 1))
            assert sum(r[2] for r in mine) == 1 and mine[-1][2]


# ---------------------------------------------------------------- a log that cannot be replayed

@pytest.fixture
def unreplayed_log(db_with_v1, tmp_path) -> Path:
    """v2 committed and noted, its log not yet moved into the file (killed before the checkpoint)."""
    v2 = tmp_path / "v2.xlsx"
    v2.write_bytes(workbook(2))
    kill_at(db_with_v1, v2, "before_checkpoint")
    assert store.wal_path(db_with_v1).stat().st_size > 0
    assert store.generation_path(db_with_v1).read_text() == "2"
    return db_with_v1


def damage(path: Path, how: str) -> bytes:
    data = bytearray(path.read_bytes())
    if how == "tail overwritten":
        half = len(data) // 2
        data[half:] = b"\x41" * (len(data) - half)
    else:  # "bytes flipped in the middle"
        middle = len(data) // 2
        for i in range(middle, middle + 64):
            data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return bytes(data)


@pytest.mark.parametrize("how", ["tail overwritten", "bytes flipped in the middle"])
def test_a_log_that_cannot_be_replayed_in_full_is_refused_and_kept(unreplayed_log, how):
    wal = store.wal_path(unreplayed_log)
    damaged = damage(wal, how)
    with pytest.raises(store.StoreError, match="预写日志") as info:
        store.connect(unreplayed_log)
    assert "没有删除" in str(info.value) and "python -m core restore" in str(info.value)
    assert wal.read_bytes() == damaged  # never deleted, never truncated
    copies = list((unreplayed_log.parent / "backups" / "wal").glob("*.wal"))
    assert [c.read_bytes() for c in copies] == [damaged]
    with pytest.raises(store.StoreError):  # and again at the next attempt: nothing was changed
        store.connect(unreplayed_log)
    assert len(list((unreplayed_log.parent / "backups" / "wal").glob("*.wal"))) == 1


def test_an_intact_log_is_replayed(unreplayed_log):
    assert versions(unreplayed_log) == [(BY, 1, False, 2), (BY, 2, True, 3)]


def test_the_app_refuses_to_start_on_an_unreplayable_log(unreplayed_log, monkeypatch):
    damage(store.wal_path(unreplayed_log), "tail overwritten")
    at = start(unreplayed_log, monkeypatch)  # starts without an exception, and says why it cannot show data
    assert "看板无法启动" in at.error[0].value and "预写日志" in at.error[0].value
    assert not at.metric and store.wal_path(unreplayed_log).exists()
    st.cache_resource.clear()


# ---------------------------------------------------------------- another process holds the file

@pytest.fixture
def held(tmp_path):
    """A database held open by another process for a few seconds (DuckDB's lock)."""
    db = tmp_path / "held.duckdb"
    store.connect(db).close()

    def hold(seconds: float) -> subprocess.Popen:
        code = f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep({seconds})"
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "held"
        return process
    yield db, hold


def test_a_database_held_by_another_process_is_named_in_chinese(held):
    db, hold = held
    holder = hold(30)
    try:
        with pytest.raises(store.DatabaseBusy) as info:
            store.connect(db)
        assert f"进程 {holder.pid}" in str(info.value) and "正被另一个程序" in str(info.value)
        result = subprocess.run([sys.executable, "-m", "core", "metrics", "--db", str(db)], cwd=ROOT,
                                env={**env(), "REDPROP_LOCK_WAIT_S": "1"}, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "正被另一个程序" in result.stderr and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_an_import_waits_for_a_short_command_to_finish(held, tmp_path):
    db, hold = held
    file = tmp_path / "v1.xlsx"
    file.write_bytes(workbook(1))
    holder = hold(3)
    result = subprocess.run([sys.executable, "-m", "core", "import", str(file), "--db", str(db), "--json"], cwd=ROOT,
                            env=env(), capture_output=True, text=True, timeout=120)
    holder.wait()
    assert result.returncode == 0, result.stderr
    assert versions(db) == [(BY, 1, True, 2)]


def test_the_app_refuses_to_start_while_another_process_holds_the_database(held, monkeypatch):
    db, hold = held
    holder = hold(60)
    try:
        at = start(db, monkeypatch)
        assert "正被另一个程序" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()
        st.cache_resource.clear()


# ---------------------------------------------------------------- one statement per execute

def test_every_named_statement_and_migration_step_is_a_single_statement():
    """DuckDB runs a multi-statement string in auto-commit: a failure half-way would leave the first
    statements committed. So no string the store executes holds more than one."""
    conn = duckdb.connect()
    texts = list(all_named_sql().values()) + [s for _, _, steps in schema.MIGRATIONS for s in steps]
    assert texts
    for text in texts:
        assert len(conn.extract_statements(text)) == 1, text[:200]


def test_the_app_refuses_to_start_on_a_file_that_is_not_a_database(tmp_path, monkeypatch):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    at = start(junk, monkeypatch)
    assert "看板无法启动" in at.error[0].value and "无法打开数据库文件" in at.error[0].value
    assert junk.read_bytes() == b"not a database" * 100
    st.cache_resource.clear()


def test_an_older_file_put_in_place_is_refused_until_its_note_is_removed(db_with_v1, tmp_path):
    import shutil

    older = tmp_path / "older.duckdb"
    shutil.copy(db_with_v1, older)  # v1 only, checkpointed: no log
    v2 = tmp_path / "v2.xlsx"
    v2.write_bytes(workbook(2))
    result = subprocess.run([sys.executable, "-m", "core", "import", str(v2), "--db", str(db_with_v1)], cwd=ROOT,
                            env=env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    shutil.copy(older, db_with_v1)  # someone copies the old file back over the database
    with pytest.raises(store.StoreError, match="只有前 1 次写入") as info:
        store.connect(db_with_v1)
    assert str(store.generation_path(db_with_v1)) in str(info.value)
    store.generation_path(db_with_v1).unlink()  # "it was deliberate"
    assert versions(db_with_v1) == [(BY, 1, True, 2)]
