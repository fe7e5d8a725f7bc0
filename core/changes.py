"""What changed in a town between two of its reports, compound by compound."""
from __future__ import annotations

import duckdb
import pandas as pd

from core.queries import sql

CHANGE_KINDS = ("新增小区", "减少小区", "新成立业委会", "新建党组织", "新成立环物委", "业委会减少", "党组织减少", "环物委减少",
                "新增社区", "减少社区")
DECREASES = {"减少小区", "业委会减少", "党组织减少", "环物委减少", "减少社区"}


# The kinds in the order report_changes lists them (the `change` number of the report_changes query).
CHANGE_ORDER = ("新增小区", "减少小区", "新成立业委会", "业委会减少", "新建党组织", "党组织减少",
                "新增社区", "减少社区", "新成立环物委", "环物委减少")


def report_changes(conn: duckdb.DuckDBPyConnection, previous_upload: int, latest_upload: int) -> pd.DataFrame:
    """Rows (类别, 社区, 小区, 需核对) listing every change from one report to the next.

    需核对 is True for anything that went down: a campaign figure should only grow. One query
    matches both reports' compounds and communities and lists the changes in order.
    """
    rows = conn.execute(sql("report_changes"), {"previous": previous_upload, "latest": latest_upload}).fetchall()
    return pd.DataFrame([{"类别": CHANGE_ORDER[change], "社区": community, "小区": compound,
                          "需核对": CHANGE_ORDER[change] in DECREASES} for change, community, compound in rows],
                        columns=["类别", "社区", "小区", "需核对"])


def decreases_between(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[int, int]]) -> dict[int, dict[str, int]]:
    """For each (previous upload, latest upload), the decreases report_changes would flag 需核对,
    counted by kind in its order (kinds with none left out), keyed by the latest upload: one query
    for any number of towns."""
    if not pairs:
        return {}
    rows = conn.execute(sql("decrease_counts"), {"previous": [p for p, _ in pairs],
                                                 "latest": [latest for _, latest in pairs]}).fetchall()
    # report_changes lists compounds first (removed, committees lost, party organisations lost),
    # then communities (removed, EPMCs lost).
    kinds = ("减少小区", "业委会减少", "党组织减少", "减少社区", "环物委减少")
    return {latest: {kind: int(n) for kind, n in zip(kinds, counts) if n} for latest, *counts in rows}
