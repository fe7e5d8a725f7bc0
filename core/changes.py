"""What changed in a town between two of its reports, compound by compound."""
from __future__ import annotations

import duckdb
import pandas as pd

from core.queries import sql

CHANGE_KINDS = ("新增小区", "减少小区", "新成立业委会", "新建党组织", "新成立环物委", "业委会减少", "党组织减少", "环物委减少",
                "新增社区", "减少社区")
DECREASES = {"减少小区", "业委会减少", "党组织减少", "环物委减少", "减少社区"}


def _flag(before: pd.Series, after: pd.Series) -> tuple[pd.Series, pd.Series]:
    before, after = before.fillna(False).astype(bool), after.fillna(False).astype(bool)
    return after & ~before, before & ~after


def report_changes(conn: duckdb.DuckDBPyConnection, previous_upload: int, latest_upload: int) -> pd.DataFrame:
    """Rows (类别, 社区, 小区, 需核对) listing every change from one report to the next.

    需核对 is True for anything that went down: a campaign figure should only grow.
    """
    params = {"previous": previous_upload, "latest": latest_upload}
    compounds = conn.execute(sql("compound_changes"), params).df()
    communities = conn.execute(sql("community_changes"), params).df()
    out: list[dict] = []

    def add(kind, frame, name_column):
        for row in frame.itertuples(index=False):
            out.append({"类别": kind, "社区": row.community, "小区": getattr(row, name_column) if name_column else "",
                        "需核对": kind in DECREASES})

    add("新增小区", compounds[compounds["in_before"].isna()], "compound")
    add("减少小区", compounds[compounds["in_after"].isna()], "compound")
    both = compounds[compounds["in_before"].notna() & compounds["in_after"].notna()]
    gained, lost = _flag(both["committee_before"], both["committee_after"])
    add("新成立业委会", both[gained], "compound")
    add("业委会减少", both[lost], "compound")
    gained, lost = _flag(both["party_before"], both["party_after"])
    add("新建党组织", both[gained], "compound")
    add("党组织减少", both[lost], "compound")

    add("新增社区", communities[communities["in_before"].isna()], None)
    add("减少社区", communities[communities["in_after"].isna()], None)
    both = communities[communities["in_before"].notna() & communities["in_after"].notna()]
    gained, lost = _flag(both["epmc_before"], both["epmc_after"])
    add("新成立环物委", both[gained], None)
    add("环物委减少", both[lost], None)
    return pd.DataFrame(out, columns=["类别", "社区", "小区", "需核对"])


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
