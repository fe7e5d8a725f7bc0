"""Backups (core/backup.py): `python -m core backup` and `restore`, consistent while the owner is
writing, automatic before every restore and removal, pruned to `limits.backups_kept`."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core import backup, isolation, service, store
from core.cli import import_files
from core.config import default_campaign
from core.validate import read_workbook
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("uploads", "compounds", "communities", "brands", "epmc_members", "app_settings")


def workbook(town: str, n: int) -> bytes:
    return standard([compound_row("东社区", f"小区{i}") for i in range(n)], [community_row("东社区")],
                    info=info_sheet(town=town, report_date=dt.date(2021, 11, 30)))


def save(conn, town: str, n: int, sample: bool = False):
    return store.save(conn, read_workbook(workbook(town, n), f"{town}{n}.xlsx", default_campaign()), "测试", sample)


def cli(*args, env_extra=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}
    return subprocess.run([sys.executable, "-m", "core", *map(str, args)], cwd=ROOT, env={**env, **(env_extra or {})},
                          capture_output=True, text=True, timeout=300)


def dump(conn) -> dict:
    return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in TABLES}


def consistent(conn) -> None:
    """Every version has its rows, and each town and date has exactly one version in force."""
    bad = conn.execute("SELECT u.upload_id FROM uploads u WHERE NOT EXISTS "
                       "(SELECT 1 FROM compounds c WHERE c.upload_id = u.upload_id)").fetchall()
    assert not bad
    assert conn.execute("SELECT count(*) FROM (SELECT town, report_date FROM uploads GROUP BY ALL "
                        "HAVING count(*) FILTER (WHERE active) <> 1)").fetchone() == (0,)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "data" / "redprop.duckdb"
    with store.connect(path) as conn:
        save(conn, "般阳路街道", 2)
        save(conn, "般阳路街道", 3)
        save(conn, "昆仑镇", 4, sample=True)
    return path


def test_backup_and_restore_from_the_command_line(db, tmp_path):
    out = tmp_path / "备份 it's 2021-11-30"  # a space, CJK and a quote in the path
    result = cli("backup", "--out", out, "--db", db)
    assert result.returncode == 0, result.stderr
    assert "已备份数据库" in result.stdout
    manifest = json.loads((out / backup.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tables"]["uploads"] == 3 and manifest["generation"] == 3

    with store.connect(db) as conn:
        before = dump(conn)
        save(conn, "昆仑镇", 9)  # a change made after the backup …
    result = cli("restore", out, "--db", db)
    assert result.returncode == 0, result.stderr
    with store.connect(db) as conn:  # … is undone, and the store opens and works as before
        assert dump(conn) == before
        consistent(conn)
        assert save(conn, "昆仑镇", 9)[0].version == 2
    automatic = [p for p in (db.parent / "backups").iterdir() if p.name.endswith("before-restore")]
    assert len(automatic) == 1 and (automatic[0] / "replaced-redprop.duckdb").exists()
    assert json.loads((automatic[0] / backup.MANIFEST).read_text())["tables"]["uploads"] == 4


def test_a_backup_restores_into_a_new_place(db, tmp_path):
    with store.connect(db) as conn:
        backup.export(conn, tmp_path / "b")
        expected = dump(conn)
    result = backup.restore(tmp_path / "b", tmp_path / "elsewhere" / "new.duckdb")
    assert result["previous_backup"] is None
    with store.connect(tmp_path / "elsewhere" / "new.duckdb") as conn:
        assert dump(conn) == expected


def test_a_backup_is_a_consistent_snapshot_while_the_owner_writes(db, tmp_path):
    conn = store.connect(db)
    service.serve(conn, db, default_campaign())
    isolation.pool_for(default_campaign()).warm()
    stop = threading.Event()

    def keep_importing():
        cursor = conn.cursor()
        n = 5
        while not stop.is_set():
            parsed = isolation.read_workbook(workbook("西河镇", n), f"西河镇{n}.xlsx", default_campaign())
            import_files(cursor, [parsed], "网页上传")
            n += 1
        cursor.close()
    writer = threading.Thread(target=keep_importing)
    writer.start()
    try:
        outs = [tmp_path / f"live{i}" for i in range(3)]
        for out in outs:  # through the owner: this process holds the file
            result = cli("backup", "--out", out, "--db", db)
            assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        writer.join()
        service.stop(db)
        conn.close()
    for i, out in enumerate(outs):
        manifest = json.loads((out / backup.MANIFEST).read_text(encoding="utf-8"))
        target = tmp_path / f"restored{i}.duckdb"
        backup.restore(out, target)
        with store.connect(target) as restored:
            consistent(restored)
            counts = {t: restored.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in manifest["tables"]}
            assert counts == manifest["tables"]
            assert store.generation(restored) == manifest["generation"] == counts["uploads"]


def test_restore_is_refused_while_the_dashboard_holds_the_database(db, tmp_path):
    with store.connect(db) as conn:
        backup.export(conn, tmp_path / "b")
    conn = store.connect(db)
    service.serve(conn, db, default_campaign())
    try:
        before = dump(conn)
        result = cli("restore", tmp_path / "b", "--db", db)
        assert result.returncode == 2 and "停止看板" in result.stderr and "Traceback" not in result.stderr
        assert dump(conn) == before
    finally:
        service.stop(db)
        conn.close()


def test_restoring_a_version_and_removing_the_sample_back_up_first(db):
    with store.connect(db) as conn:
        first = conn.execute("SELECT upload_id FROM uploads WHERE town = '般阳路街道' AND version = 1").fetchone()[0]
        before = dump(conn)
        store.restore_version(conn, first, "管理员")
        after_restore = dump(conn)
        store.remove_sample(conn)
    folders = sorted((db.parent / "backups").glob("auto-*"))
    assert [f.name.split("-", 4)[-1] for f in folders] == ["restore-version", "remove-sample"]
    for folder, expected in zip(folders, (before, after_restore)):
        target = folder.parent / f"{folder.name}.duckdb"
        backup.restore(folder, target)
        with store.connect(target) as restored:
            assert dump(restored) == expected


def test_automatic_backups_are_pruned_to_the_newest_kept(db, tmp_path):
    root = db.parent / "backups"
    with store.connect(db) as conn:
        backup.export(conn, root / "manual-keep-me")
        made = [backup.auto_backup(conn, f"test{i}", keep=3) for i in range(5)]
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("auto-")) == [p.name for p in made[2:]]
    assert (root / "manual-keep-me" / backup.MANIFEST).exists()


def test_backup_refuses_a_folder_that_is_not_empty(db, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    result = cli("backup", "--out", tmp_path / "full", "--db", db)
    assert result.returncode == 2 and "不是空目录" in result.stderr


def test_restore_refuses_a_folder_that_is_not_a_backup(db, tmp_path):
    (tmp_path / "nothing").mkdir()
    result = cli("restore", tmp_path / "nothing", "--db", db)
    assert result.returncode == 2 and "不是本系统的备份目录" in result.stderr
    with store.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (3,)


def test_a_tampered_backup_is_not_restored(db, tmp_path):
    with store.connect(db) as conn:
        backup.export(conn, tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / backup.MANIFEST).read_text())
    manifest["tables"]["uploads"] = 99
    (tmp_path / "b" / backup.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match="不符"):
        backup.restore(tmp_path / "b", db)
    with store.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (3,)


def test_sql_string_quotes_and_refuses_control_characters():
    assert backup.sql_string("a'b") == "'a''b'"
    with pytest.raises(backup.BackupError):
        backup.sql_string("a\nb")
