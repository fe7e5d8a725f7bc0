"""Real reports stored through the real importer, for the submission, version and page tests.

Each report is a template-shaped workbook (tests/workbooks.py) parsed by core.validate and saved by
core.store; a test may then set its uploaded_at by SQL to play a late upload.
"""
from __future__ import annotations

import datetime as dt
import itertools

from core import store
from core.config import default_campaign
from core.validate import read_workbook
from tests.workbooks import community_row, compound_row, info_sheet, standard

_serial = itertools.count(1)


def report_workbook(town: str, report_date: dt.date, committees: int = 1, compounds: int = 2,
                    filled_by: str | None = None) -> bytes:
    """A workbook of one town: `compounds` compounds in 东关社区 (the first `committees` with an owners'
    committee, each with a party organisation), and 东关社区 without an EPMC. Each call differs in its
    填报人 unless one is given, so storing it twice makes two versions."""
    rows = [compound_row("东关社区", f"{town}小区{i + 1}", *(("是", 5, 3, "是") if i < committees else ("否",)))
            for i in range(compounds)]
    info = info_sheet(town, report_date, filled_by=filled_by or f"填报人{next(_serial)}", phone="0533-5100000")
    return standard(rows, [community_row("东关社区", "否")], info=info)


def store_report(conn, town: str, report_date: dt.date, uploaded_at: dt.datetime | None = None, *,
                 is_sample: bool = False, committees: int = 1, compounds: int = 2) -> int:
    """Parse and store one town's report; set its uploaded_at when given. Its upload_id."""
    data = report_workbook(town, report_date, committees, compounds)
    parsed = read_workbook(data, f"{report_date.isoformat()}_{town}.xlsx", default_campaign())
    assert parsed.ok, [i.message for i in parsed.errors]
    [stored] = store.save(conn, parsed, "示例数据" if is_sample else "测试上传", is_sample=is_sample)
    assert not stored.duplicate
    (upload_id,) = conn.execute("SELECT upload_id FROM uploads WHERE town = $town AND report_date = $day "
                                "AND version = $version",
                                {"town": town, "day": report_date, "version": stored.version}).fetchone()
    if uploaded_at is not None:
        conn.execute("UPDATE uploads SET uploaded_at = $at WHERE upload_id = $id", {"at": uploaded_at, "id": upload_id})
    return upload_id


def versions(conn) -> list[tuple]:
    """(town, report_date, version, active, is_sample) of every stored report, in that order."""
    return conn.execute("SELECT town, report_date, version, active, is_sample FROM uploads "
                        "ORDER BY town, report_date, version").fetchall()


def ledger_counts(conn) -> dict[str, int]:
    """Rows in each ledger table."""
    statements = {"compounds": "SELECT count(*) FROM compounds", "communities": "SELECT count(*) FROM communities",
                  "brands": "SELECT count(*) FROM brands", "epmc_members": "SELECT count(*) FROM epmc_members"}
    return {table: conn.execute(statement).fetchone()[0] for table, statement in statements.items()}
