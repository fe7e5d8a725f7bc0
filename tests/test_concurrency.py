"""Twenty imports at once — ten threads of the owning process (as sessions of the dashboard) and ten
`python -m core import` processes, which find the database held and hand their file to the
owner (core/service.py) — including many versions of the same town and date and the same file
sent three times. Every version ends up stored exactly once, numbered in the order it was
committed; a file sent again while it is the version in force is stored once (已导入过)."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core import isolation, service, store
from core.cli import import_files
from core.config import default_campaign
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent


def workbook(town: str, day: str, compounds: int) -> bytes:
    rows = [compound_row("东社区", f"小区{i}") for i in range(compounds)]
    return standard(rows, [community_row("东社区")], info=info_sheet(town=town, report_date=dt.date.fromisoformat(day)))


def submissions() -> list[tuple[str, bytes]]:
    """(file name, bytes) of the 20 uploads: 10 versions of 般阳路街道 11-30, 4 of 昆仑镇 11-30, and
    one file each of 洪山镇 and 太河镇 sent three times."""
    files = [(f"般阳路街道_{n}.xlsx", workbook("般阳路街道", "2021-11-30", n + 1)) for n in range(10)]
    files += [(f"昆仑镇_{n}.xlsx", workbook("昆仑镇", "2021-11-30", n + 1)) for n in range(4)]
    for town, day in (("洪山镇", "2021-12-15"), ("太河镇", "2021-12-31")):
        data = workbook(town, day, 3)
        files += [(f"{town}_第{k}次.xlsx", data) for k in range(1, 4)]
    return files


@pytest.fixture
def owner(tmp_path):
    """This test process as the dashboard would be: it owns the database and listens for others."""
    db = tmp_path / "shared.duckdb"
    conn = store.connect(db)
    assert service.serve(conn, db, default_campaign()) is not None
    isolation.pool_for(default_campaign()).warm()
    yield db, conn
    service.stop(db)
    conn.close()


def test_twenty_concurrent_imports_store_every_version_exactly_once(owner, tmp_path):
    db, conn = owner
    files = submissions()
    campaign = default_campaign()
    env = {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}
    processes = []
    for name, data in files[1::2]:
        path = tmp_path / name
        path.write_bytes(data)
        processes.append(subprocess.Popen([sys.executable, "-m", "core", "import", str(path), "--db", str(db), "--json"],
                                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    entries, failures = [], []
    start = threading.Barrier(len(files[0::2]))

    def session(name: str, data: bytes) -> None:
        cursor = conn.cursor()  # each session its own cursor
        try:
            start.wait()
            parsed = isolation.read_workbook(data, name, campaign)
            entries.extend(import_files(cursor, [parsed], "网页上传"))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            cursor.close()
    threads = [threading.Thread(target=session, args=f) for f in files[0::2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
        entries.extend(json.loads(stdout)["files"])
    assert not failures

    # Every submission answered, as stored.
    assert len(entries) == 20 and all(e["status"] == "stored" for e in entries)
    reports = [r for e in entries for r in e["reports"]]
    assert sum(r["duplicate"] for r in reports) == 4  # the 2nd and 3rd sending of 洪山镇 and 太河镇

    rows = conn.execute("SELECT upload_id, town, report_date, version, active, file_name, uploaded_at, "
                        "(SELECT count(*) FROM compounds c WHERE c.upload_id = u.upload_id) "
                        "FROM uploads u ORDER BY upload_id").fetchall()
    assert len(rows) == 16
    by_town = {}
    for upload_id, town, day, version, active, file_name, uploaded_at, compounds in rows:
        by_town.setdefault((town, day), []).append((upload_id, version, active, file_name, uploaded_at, compounds))
    assert {k: len(v) for k, v in by_town.items()} == {
        ("般阳路街道", dt.date(2021, 11, 30)): 10, ("昆仑镇", dt.date(2021, 11, 30)): 4,
        ("洪山镇", dt.date(2021, 12, 15)): 1, ("太河镇", dt.date(2021, 12, 31)): 1}
    for (town, _), stored in by_town.items():
        # Versions 1, 2, … in the order of commit (upload ids and times rise with them); the last in force.
        assert [s[1] for s in stored] == list(range(1, len(stored) + 1))
        assert [s[4] for s in stored] == sorted(s[4] for s in stored)
        assert [s[2] for s in stored] == [False] * (len(stored) - 1) + [True]
        # Each distinct file exactly once, with all its rows.
        assert len({s[3] for s in stored}) == len(stored) or town in ("洪山镇", "太河镇")
        for _, _, _, file_name, _, compounds in stored:
            n = int(file_name.split("_")[1].split(".")[0]) + 1 if town in ("般阳路街道", "昆仑镇") else 3
            assert compounds == n
    names = {s[3] for v in by_town.values() for s in v}
    assert {f"般阳路街道_{n}.xlsx" for n in range(10)} | {f"昆仑镇_{n}.xlsx" for n in range(4)} <= names
    assert store.generation(conn) == 16
    # The processes' files were stored by the owner (they could not open the file themselves).
    uploaders = {u for (u,) in conn.execute("SELECT DISTINCT uploader FROM uploads").fetchall()}
    assert "网页上传" in uploaders and any(u.startswith("命令行") for u in uploaders), uploaders


def test_the_same_file_sent_twice_through_the_owner_is_stored_once(owner, tmp_path):
    db, conn = owner
    data = workbook("西河镇", "2021-11-30", 2)
    header = {"op": "import", "file_name": "西河镇.xlsx", "uploader": "命令行"}
    first = service.request(db, header, data)["entry"]
    again = service.request(db, {**header, "file_name": "西河镇（重传）.xlsx"}, data)["entry"]
    assert first["reports"][0]["duplicate"] is False and again["reports"][0]["duplicate"] is True
    assert again["reports"][0]["version"] == 1
    assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (1,)


def test_a_rejected_file_through_the_owner_stores_nothing(owner):
    db, conn = owner
    reply = service.request(db, {"op": "import", "file_name": "坏.xlsx"}, b"not a workbook")
    assert reply["ok"] and reply["entry"]["status"] == "rejected"
    assert reply["entry"]["errors"][0]["code"] == "text_renamed"
    assert conn.execute("SELECT count(*) FROM uploads").fetchone() == (0,)


def test_the_owners_socket_is_private(owner):
    db, _ = owner
    assert oct(service.socket_path(db).stat().st_mode & 0o777) == "0o600"
    assert service.request(db, {"op": "ping"})["pid"] == os.getpid()


def test_the_same_file_confirmed_in_two_sessions_is_stored_once(tmp_path, monkeypatch):
    """Two browser tabs (or a reconnect) confirming the same upload: the second is told 已导入过."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "pages.duckdb"
    with store.connect(db) as conn:
        store.save(conn, isolation.read_workbook(workbook("昆仑镇", "2021-10-31", 1), "旧.xlsx", default_campaign()), "x")
    monkeypatch.setenv("REDPROP_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    data = workbook("太河镇", "2021-11-30", 2)
    sessions = []
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("pages/upload.py")
        at.run()
        at.file_uploader[0].set_value(("太河镇.xlsx", data, "application/octet-stream"))
        at.run()
        assert at.button(key="confirm_upload")
        sessions.append(at)
    shown = []
    for at in sessions:  # both had the button on screen; both click it
        at.button(key="confirm_upload").click().run()
        assert not at.exception
        shown.append("\n".join(s.value for s in at.success))
    assert "已保存为第1版" in shown[0] and "已导入过" in shown[1], shown
    with store.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM uploads WHERE town = '太河镇'").fetchone() == (1,)
    st.cache_resource.clear()
    service.stop(db)
