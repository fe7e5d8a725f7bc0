"""The consolidated ledgers as of a date: each town's rows from its report in force, searchable,
filterable, and laid out under the template's Chinese headers for display and download.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from core import store
from core.config import Campaign
from core.layout import BRANDS, COMMUNITIES, COMPOUNDS, EPMC_MEMBERS, Sheet
from core.measures import GREEN_ACCEPTED, _rule_parameters, community_figures, ledger_rows, reports_as_of
from core.queries import sql

SHEETS = {sheet.key: sheet for sheet in (COMPOUNDS, COMMUNITIES, BRANDS, EPMC_MEMBERS)}
TABLES = {"compounds": "小区台账", "communities": "社区台账", "brands": "示范品牌"}  # what the ledger page offers
SEARCHED = {  # columns a search looks in
    "compounds": ("community", "compound", "property_company"),
    "communities": ("community",),
    "brands": ("name", "community", "compound"),
    "epmc_members": ("community", "name"),
}
EXTRA_HEADERS = {
    "report_date": "报送日期",
    "compounds": "小区数",
    "committees": "已成立业委会数",
    "party_orgs": "业委会党组织数",
    "red_committees": "红色业主委数",
    "epmc_compliant": "环物委符合规范",
    "source_row": "原表行号",
}
COMMUNITY_FIGURES = ("compounds", "committees", "party_orgs", "red_committees", "epmc_compliant")


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].fillna(False).astype(bool)


@dataclass(frozen=True)
class LedgerFilter:
    label: str
    help: str
    mask: Callable[[pd.DataFrame], pd.Series]
    param: str  # the boolean parameter of the same filter in core/sql/ledger.sql


FILTERS: dict[str, tuple[LedgerFilter, ...]] = {
    "compounds": (
        LedgerFilter("未成立业委会", "尚未成立业主委员会的小区",
                     lambda f: ~_flag(f, "has_committee"), "no_committee"),
        LedgerFilter("未建党组织", "已成立业委会、但业委会尚未建立党组织的小区",
                     lambda f: _flag(f, "has_committee") & ~_flag(f, "committee_party_org"), "no_party_org"),
        LedgerFilter("物业企业未建党组织", "物业服务企业尚未建立党组织的小区（无物业的不计）",
                     lambda f: f["property_company"].notna() & ~_flag(f, "company_party_org"), "no_company_org"),
    ),
    "communities": (
        LedgerFilter("未成立环物委", "尚未成立环境和物业管理委员会的社区",
                     lambda f: ~_flag(f, "has_epmc"), "no_epmc"),
        LedgerFilter("环物委不规范", "已成立环物委、但人数、党员比例或任职回避不符合要求的社区",
                     lambda f: _flag(f, "has_epmc") & ~_flag(f, "epmc_compliant"), "epmc_not_compliant"),
        LedgerFilter("绿色社区未达标", "绿色社区创建尚未达标的社区",
                     lambda f: f["green_status"] != GREEN_ACCEPTED, "green_not_accepted"),
    ),
    "brands": (),
}


@dataclass(frozen=True)
class LedgerData:
    rows: pd.DataFrame  # canonical columns plus report_date, towns in configured order
    missing: list[str]  # towns asked for that have no report in force


def ledger_data(conn: duckdb.DuckDBPyConnection, campaign: Campaign, as_of: dt.date, table: str,
                town: str | None = None) -> LedgerData:
    """The rows of `table` (compounds, communities or brands) from each town's report in force on
    `as_of` (one town, or all when `town` is None), and the towns with no report."""
    if table not in TABLES:
        raise ValueError(f"unknown ledger table {table!r}")
    latest, _ = reports_as_of(conn, campaign, as_of)
    towns = [town] if town else list(campaign.towns)
    reports = {t: latest[t] for t in towns if t in latest}
    missing = [t for t in towns if t not in latest]
    rows = ledger_rows(conn, reports, table) if reports else _empty(table)
    if table == "communities" and reports:
        figures = community_figures(conn, campaign, reports)[["town", "community", *COMMUNITY_FIGURES]]
        rows = rows.merge(figures, on=["town", "community"], how="left")
    rows.insert(1, "report_date", rows["town"].map({t: r.report_date for t, r in reports.items()}))
    order = {t: i for i, t in enumerate(campaign.towns)}
    rows = rows.sort_values(["town", "source_row"], key=lambda s: s.map(order) if s.name == "town" else s,
                            kind="stable").reset_index(drop=True)
    return LedgerData(rows, missing)


@dataclass(frozen=True)
class LedgerPage:
    rows: pd.DataFrame  # one page of the matching rows, columns as LedgerData.rows
    matching: int  # rows that meet the search and filters
    total: int  # rows in scope before searching and filtering
    missing: list[str]  # towns asked for that have no report in force


def _query(campaign: Campaign, as_of: dt.date, table: str, town: str | None, search: str, filters) -> tuple[str, dict]:
    """The named ledger query of `table` (every row in scope, with `matches` and `town_order`) and its
    parameters."""
    if table not in TABLES:
        raise ValueError(f"unknown ledger table {table!r}")
    chosen = set(filters)
    unknown = chosen - {f.label for f in FILTERS[table]}
    if unknown:
        raise KeyError(sorted(unknown)[0])
    params = {"as_of": as_of, "towns": [town] if town else list(campaign.towns), "order": list(campaign.towns),
              "search": search.strip(), **{f.param: f.label in chosen for f in FILTERS[table]}}
    if table == "communities":
        params |= {k: v for k, v in _rule_parameters(campaign).items() if k.startswith(("red_", "epmc_"))}
        params["green_accepted"] = GREEN_ACCEPTED
    return sql(f"ledger_{table}"), params


def ledger_page(conn: duckdb.DuckDBPyConnection, campaign: Campaign, as_of: dt.date, table: str,
                town: str | None = None, search: str = "", filters: list[str] | tuple = (), offset: int = 0,
                limit: int | None = None) -> LedgerPage:
    """What `ledger_data` then `filter_rows` give, done in the database: the matching rows from
    `offset` (at most `limit`, all when None) in the same order, and the counts. Only the rows
    asked for leave the database, so a page of a province's ledger costs what a district's does."""
    # Plain statements around the named query (our own SQL text; every value stays a bound parameter):
    # DuckDB 2's relation API spent more in Python building the count and the page than the
    # database spent answering them (a district's page: 18 -> 10 ms).
    query, params = _query(campaign, as_of, table, town, search, filters)
    [(total, matching)] = conn.execute(f"SELECT count(*), count(*) FILTER (matches) FROM ({query})",
                                       params).fetchall()
    if matching:
        rows = conn.execute(f"SELECT * EXCLUDE (town_order, matches) FROM ({query}) WHERE matches "
                            "ORDER BY town_order, source_row LIMIT $limit OFFSET $offset",
                            {**params, "limit": matching if limit is None else limit, "offset": offset}).df()
        rows["report_date"] = [_day(v) for v in rows["report_date"]]
    else:
        rows = _empty(table)
        rows.insert(1, "report_date", pd.Series(dtype=object))
    towns = [town] if town else list(campaign.towns)
    present = {t for (t,) in conn.execute(sql("ledger_in_force"), {"as_of": as_of, "towns": towns}).fetchall()}
    return LedgerPage(rows.reset_index(drop=True), int(matching), int(total), [t for t in towns if t not in present])


def _empty(table: str) -> pd.DataFrame:
    columns = [c.code for c in SHEETS[table].columns]
    if table == "communities":
        columns += list(COMMUNITY_FIGURES)
    return pd.DataFrame(columns=[*columns, "source_row"])


def filter_rows(rows: pd.DataFrame, table: str, search: str = "", filters: list[str] | tuple = ()) -> pd.DataFrame:
    """Rows whose searched columns contain `search` (ignoring case) and that meet every named filter."""
    keep = pd.Series(True, index=rows.index)
    text = search.strip()
    if text:
        found = pd.Series(False, index=rows.index)
        for column in SEARCHED[table]:
            found |= rows[column].astype("string").str.contains(text, case=False, regex=False).fillna(False)
        keep &= found
    by_label = {f.label: f for f in FILTERS.get(table, ())}
    for label in filters:
        keep &= by_label[label].mask(rows)
    return rows[keep.astype(bool)]


COUNT_COLUMNS = ("compounds", "committees", "party_orgs", "red_committees", "source_row")


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _cell(value):
    """A stored value as shown: 是/否 for yes/no, blank when missing."""
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    return value


def _day(value) -> dt.date | None:
    if _missing(value):
        return None
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def display_table(rows: pd.DataFrame | dict[str, list], table: str) -> pd.DataFrame:
    """The rows (a DataFrame, or its columns as lists) under Chinese headers (the template's, then
    报送日期 and the derived columns): 是/否 for yes/no, blank for missing text; dates stay dates and
    counts stay numbers."""
    sheet: Sheet = SHEETS[table]
    headers = {**EXTRA_HEADERS, **{c.code: c.header for c in sheet.columns}}
    numbers = {c.code for c in sheet.columns if c.kind == "int"} | set(COUNT_COLUMNS)
    dates = {c.code for c in sheet.columns if c.kind == "date"} | {"report_date"}
    codes = list(dict.fromkeys(c for c in ("town", "report_date", *(c.code for c in sheet.columns if c.code != "town"),
                                           *COMMUNITY_FIGURES, "source_row") if c in rows))
    out = {}
    for code in codes:
        column = rows[code]
        if code in numbers:
            out[headers[code]] = pd.array(column, dtype="Int64")
        elif code in dates:
            out[headers[code]] = pd.array([_day(v) for v in column], dtype=object)
        else:
            out[headers[code]] = [_cell(v) for v in column]
    return pd.DataFrame(out, columns=[headers[c] for c in codes])


def for_screen(table: pd.DataFrame) -> pd.DataFrame:
    """A display table for the screen, where a missing value is a blank cell rather than "None":
    columns with a missing value become text (dates as YYYY-MM-DD); full columns keep their type."""
    out = {}
    for column in table.columns:
        values = table[column].tolist()  # a pass over plain values: pandas' per-column calls cost more here
        if any(_missing(v) or isinstance(v, dt.date) for v in values):
            out[column] = [("" if _missing(v) else v.isoformat() if isinstance(v, dt.date) else str(v))
                           for v in values]
        else:
            out[column] = table[column].array
    return pd.DataFrame(out, index=table.index, columns=table.columns)


def version_tables(conn: duckdb.DuckDBPyConnection, upload_id: int) -> dict[str, pd.DataFrame | None]:
    """Each sheet of one stored version as the screen shows it (display_table, then for_screen), None
    for a sheet the version lacks: store.upload_detail's tables, read in one query as plain lists,
    because four queries and DuckDB's conversion of each small result to pandas cost more than the
    rest of the page. Raises store.VersionError for a version that is no longer stored."""
    store.upload_info(conn, upload_id)  # raises VersionError, as store.upload_detail does
    result = conn.execute(sql("version_rows"), {"upload_id": upload_id})
    position = {d[0]: i for i, d in enumerate(result.description)}
    rows = result.fetchall()
    tables = {}
    for key, sheet in SHEETS.items():
        mine = [row for row in rows if row[0] == key]
        codes = [*(c.code for c in sheet.columns), "source_row"]  # the columns of its *_of statement
        columns = {code: [row[position[code]] for row in mine] for code in codes}
        tables[key] = for_screen(display_table(columns, key)) if mine else None
    return tables
