"""The tables of the town page (镇办详情): one stored report's communities and compounds as shown,
and what changed since the town's previous report.

Built from plain lists of the few rows of one report: DuckDB's conversion to pandas and pandas'
per-column operations cost milliseconds each on frames this small. Each column gets the type
DuckDB's own conversion would give it, so the tables are the same as when built that way.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from core.changes import report_changes
from core.config import Campaign
from core.ledger import for_screen
from core.measures import community_figure_columns, ledger_columns

YES_NO = {True: "是", False: "否"}


def _text(values: list) -> pd.api.extensions.ExtensionArray:
    """A text column as DuckDB converts it: str, or object where no value is filled."""
    return pd.array(values, dtype="str" if any(v is not None for v in values) else object)


def _integers(values: list, dtype: str = "int32"):
    """An integer column as DuckDB converts it: `dtype`, or its nullable form where a value is missing."""
    return pd.array(values, dtype=dtype.capitalize()) if None in values else np.array(values, dtype=dtype)


def community_table(conn: duckdb.DuckDBPyConnection, campaign: Campaign, upload_id: int) -> pd.DataFrame:
    """社区情况: each community of the report with its compounds' committees and its EPMC."""
    c = community_figure_columns(conn, campaign, [upload_id])
    epmc = ["未成立" if not has_epmc else "规范" if compliant else "不规范"
            for has_epmc, compliant in zip(c["has_epmc"], c["epmc_compliant"])]
    return pd.DataFrame({
        "社区": _text(c["community"]), "小区数": _integers(c["compounds"], "int64"),
        "业委会": _integers(c["committees"], "int64"), "党组织": _integers(c["party_orgs"], "int64"),
        "红色业主委": _integers(c["red_committees"], "int64"), "环物委": pd.array(epmc, dtype="str"),
        "环物委人数": _integers(c["epmc_members"]), "其中党员": _integers(c["epmc_party_members"]),
        "绿色社区": _text(c["green_status"])})


def compound_table(conn: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """小区情况: each compound of the report, flagged where it lacks a committee or its party organisation."""
    c = ledger_columns(conn, [upload_id], "compounds")
    committees, party_orgs = c["has_committee"], c["committee_party_org"]
    flags = ["未成立业委会" if not committee else "" if party_org else "未建党组织"
             for committee, party_org in zip(committees, party_orgs)]
    return pd.DataFrame({
        "社区": _text(c["community"]), "小区": _text(c["compound"]), "提示": pd.array(flags, dtype="str"),
        "业委会": pd.array([YES_NO[v] for v in committees], dtype="str"),
        "成员数": _integers(c["committee_members"]), "党员数": _integers(c["committee_party_members"]),
        "党组织": pd.array([YES_NO[v] for v in party_orgs], dtype="str"),
        "物业服务企业": _text(c["property_company"])})


def town_tables(conn: duckdb.DuckDBPyConnection, campaign: Campaign, upload_id: int,
                previous_id: int | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(社区情况, 小区情况, 与上次报送相比) of one stored report, a missing value shown as a blank cell
    (as on the ledger and manage pages) rather than "None"; the changes are None for a first report."""
    changes = report_changes(conn, previous_id, upload_id) if previous_id is not None else None
    return for_screen(community_table(conn, campaign, upload_id)), for_screen(compound_table(conn, upload_id)), changes
