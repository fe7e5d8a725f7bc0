"""What changed in a town between two of its reports, compound by compound."""
from __future__ import annotations

import duckdb
import pandas as pd

from core.queries import sql

CHANGE_KINDS = ("新增小区", "减少小区", "新成立业委会", "新建党组织", "新成立环物委", "业委会减少", "党组织减少", "环物委减少",
                "新增社区", "减少社区")
DECREASES = {"减少小区", "业委会减少", "党组织减少", "环物委减少", "减少社区"}


# The kinds in the order report_changes lists them.
CHANGE_ORDER = ("新增小区", "减少小区", "新成立业委会", "业委会减少", "新建党组织", "党组织减少",
                "新增社区", "减少社区", "新成立环物委", "环物委减少")
_RANK = {kind: i for i, kind in enumerate(CHANGE_ORDER)}


def report_changes(conn: duckdb.DuckDBPyConnection, previous_upload: int, latest_upload: int) -> pd.DataFrame:
    """Rows (类别, 社区, 小区, 需核对) listing every change from one report to the next: by kind in
    CHANGE_ORDER, then by community and compound.

    需核对 is True for anything that went down: a campaign figure should only grow. Compounds are
    matched by community and compound name, communities by name, as decrease_counts matches them; a
    flag missing in a report counts as not set. Two small reads and a few set operations: a report
    holds one town's rows, far cheaper to match here than to plan a query that matches them.
    """
    uploads = {"previous": previous_upload, "latest": latest_upload}
    compounds: dict[int, dict] = {previous_upload: {}, latest_upload: {}}
    for upload_id, community, compound, committee, party_org in conn.execute(sql("change_compounds"),
                                                                             uploads).fetchall():
        compounds[upload_id][community, compound] = (bool(committee), bool(committee) and bool(party_org))
    communities: dict[int, dict] = {previous_upload: {}, latest_upload: {}}
    for upload_id, community, epmc in conn.execute(sql("change_communities"), uploads).fetchall():
        communities[upload_id][community, ""] = (bool(epmc),)
    changes = _changes(compounds[previous_upload], compounds[latest_upload], ("新增小区", "减少小区"),
                       (("新成立业委会", "业委会减少"), ("新建党组织", "党组织减少")))
    changes += _changes(communities[previous_upload], communities[latest_upload], ("新增社区", "减少社区"),
                        (("新成立环物委", "环物委减少"),))
    changes.sort(key=lambda change: (_RANK[change[0]], change[1], change[2]))
    return pd.DataFrame([{"类别": kind, "社区": community, "小区": compound, "需核对": kind in DECREASES}
                         for kind, community, compound in changes], columns=["类别", "社区", "小区", "需核对"])


def _changes(before: dict, after: dict, added_removed: tuple[str, str],
             flags: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str]]:
    """(kind, community, compound) of each item added or removed, and of each flag (gained, lost)
    that changed on an item in both reports; items are keyed (community, compound)."""
    added, removed = added_removed
    changes = [(added, *key) for key in after.keys() - before.keys()]
    changes += [(removed, *key) for key in before.keys() - after.keys()]
    for key in before.keys() & after.keys():
        for (gained, lost), was, now in zip(flags, before[key], after[key]):
            if now and not was:
                changes.append((gained, *key))
            elif was and not now:
                changes.append((lost, *key))
    return changes


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
