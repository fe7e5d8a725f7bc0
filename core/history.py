"""Figures over time: the district's and each town's measures at every report date.

Set-based: for the district, one query finds the report in force for every (date, town) and sums
their counts from report_counts (kept there once per report) per date; its distinct property
companies come from district_companies (kept once per set of reports). For towns, one query reads
their reports with their counts and each date takes each town's report in force from them. No
per-date or per-town round trips.
"""
from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable

import duckdb
import numpy as np
import pandas as pd

from core.config import Campaign
from core.measures import (COUNTS, MEASURES, companies_of_sets, counts_kept, counts_of_uploads, counts_rules,
                           rate_values, report_dates)
from core.queries import sql

DISTRICT = "全区"
COLUMNS = ["report_date", "unit", *COUNTS, *MEASURES]


def _day(day) -> dt.date:
    return day.date() if isinstance(day, dt.datetime) else day


# The district's property companies (and those with a party organisation) are counted once by name
# across its towns (district_companies), not summed.
COMPANIES = slice(COUNTS.index("property_companies"), COUNTS.index("property_companies_with_party_org") + 1)


def _district_rows(conn: duckdb.DuckDBPyConnection, campaign: Campaign, until: dt.date) -> list[tuple]:
    """(date, 全区, counts) of each report date: the sums over the configured towns' reports in force."""
    parameters = {"until": until, "towns": list(campaign.towns), "rules": counts_rules(campaign)}
    sums = conn.execute(sql("history_district"), parameters).fetchall()
    if any(reports != counted for _, reports, counted, *_ in sums):  # some counts are not kept yet
        if counts_kept(conn, campaign, sorted({uid for _, _, _, ids, *_ in sums for uid in ids})) is None:
            return _summed_here(conn, campaign, sums)  # they could not be kept (read-only)
        sums = conn.execute(sql("history_district"), parameters).fetchall()
    companies = companies_of_sets(conn, [ids for _, _, _, ids, *_ in sums])
    rows = []
    for (day, _, _, _, *counts), companies_of_day in zip(sums, companies):
        counts[COMPANIES] = companies_of_day
        rows.append((_day(day), DISTRICT, counts))
    return rows


def _summed_here(conn: duckdb.DuckDBPyConnection, campaign: Campaign, sums: list[tuple]) -> list[tuple]:
    """_district_rows where report_counts cannot keep the counts: each report counted, summed here."""
    figures = counts_of_uploads(conn, campaign, sorted({uid for _, _, _, ids, *_ in sums for uid in ids}))
    companies = companies_of_sets(conn, [ids for _, _, _, ids, *_ in sums])
    rows = []
    for (day, _, _, ids, *_), companies_of_day in zip(sums, companies):
        counts = [sum(figures[uid].counts[key] for uid in ids) for key in COUNTS]
        counts[COMPANIES] = companies_of_day
        rows.append((_day(day), DISTRICT, counts))
    return rows


def _town_rows(conn: duckdb.DuckDBPyConnection, campaign: Campaign, until: dt.date, wanted: list[str],
               days: list[dt.date]) -> list[tuple]:
    """(date, town, counts) of each wanted town on each of `days` on which it has a report in force
    (its latest report dated on or before that date), in configured order within a date. A town's
    reports are few: picking them here is cheaper than a query that joins every date to them."""
    reports = conn.execute(sql("town_reports_counts"),
                           {"until": until, "towns": wanted, "rules": counts_rules(campaign)}).fetchall()
    missing = counts_of_uploads(conn, campaign, sorted({uid for _, _, uid, counted, *_ in reports if not counted}))
    by_town: dict[str, tuple[list, list]] = {}  # town -> (its report dates, oldest first; their counts)
    for report_date, town, uid, counted, *counts in sorted(reports, key=lambda r: r[0]):
        dates, counts_of_reports = by_town.setdefault(town, ([], []))
        dates.append(report_date)
        counts_of_reports.append(counts if counted else [missing[uid].counts[key] for key in COUNTS])
    rows = []
    for day in days:
        for town in wanted:
            dates, counts_of_reports = by_town.get(town, ((), ()))
            in_force = bisect.bisect_right(dates, day)  # reports dated on or before the day
            if in_force:
                rows.append((day, town, counts_of_reports[in_force - 1]))
    return rows


def _frame(rows: list[tuple], campaign: Campaign) -> pd.DataFrame:
    """The history frame of (date, unit, counts) rows: counts as int64, then each measure's rate as a
    float64 (NaN where the denominator is 0), built column by column."""
    counts = np.array([r[2] for r in rows], dtype="int64").reshape(len(rows), len(COUNTS))
    columns = {"report_date": [r[0] for r in rows], "unit": [r[1] for r in rows],
               **{key: counts[:, i] for i, key in enumerate(COUNTS)}}
    columns.update(rate_values(columns, campaign))
    return pd.DataFrame(columns, columns=COLUMNS)


def measure_history(conn: duckdb.DuckDBPyConnection, campaign: Campaign, until: dt.date,
                    towns: Iterable[str] | None = None, district: bool = True,
                    dates: list[dt.date] | None = None) -> pd.DataFrame:
    """One row per report date (≤ until) and unit (全区 first when `district`, then each reporting town
    of `towns` — default every configured town — in configured order): counts and rates. `dates`:
    report_dates(conn), when the caller has them already (the app caches them for its sidebar).

    Rates are floats for charts only; every comparison with a target uses core.measures.
    """
    wanted = list(campaign.towns) if towns is None else [t for t in campaign.towns if t in set(towns)]
    records = _district_rows(conn, campaign, until) if district and campaign.towns else []
    if wanted:
        days = [day for day in (report_dates(conn) if dates is None else dates) if day <= until]
        town_rows = _town_rows(conn, campaign, until, wanted, days)
        if records:  # each date: 全区, then its towns
            by_day = {}
            for row in town_rows:
                by_day.setdefault(row[0], []).append(row)
            records = [r for district_row in records for r in [district_row, *by_day.pop(district_row[0], [])]]
            records += [r for day in sorted(by_day) for r in by_day[day]]
        else:
            records = town_rows
    if not records:
        return pd.DataFrame(columns=COLUMNS)
    return _frame(records, campaign)
