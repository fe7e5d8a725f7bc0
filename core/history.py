"""Figures over time: the district's and each town's measures at every report date.

Set-based: one query finds the report in force for every (date, town); the per-report counts come
from report_counts (kept there once per report), the district's sums are one grouped query and its
distinct property companies come from district_companies (kept once per set of reports) — no
per-date or per-town round trips.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import duckdb
import pandas as pd

from core.config import Campaign
from core.measures import COUNTS, MEASURES, Figures, companies_of_sets, counts_kept, counts_of_uploads
from core.queries import sql

DISTRICT = "全区"
COLUMNS = ["report_date", "unit", *COUNTS, *MEASURES]


def _record(day, unit: str, figures: Figures, campaign: Campaign) -> dict:
    """One row: counts, then each measure's rate as a float (NaN where the denominator is 0);
    n / d is float(Fraction(n, d)), both being correctly rounded."""
    rates = {}
    for code in MEASURES:
        numerator, denominator = figures.parts(code, campaign)
        rates[code] = numerator / denominator if denominator else float("nan")
    return {"report_date": day.date() if isinstance(day, dt.datetime) else day, "unit": unit, **figures.counts,
            **rates}


def _district_rows(conn: duckdb.DuckDBPyConnection, campaign: Campaign, rows: list[tuple]) -> list[dict]:
    """The district's row of each date from (date, town, upload_id) of the reports in force."""
    days = [day for day, _, _ in rows]
    ids = [uid for _, _, uid in rows]
    rules = counts_kept(conn, campaign, sorted(set(ids)))
    if rules is None:  # the counts could not be kept (read-only): sum them here
        figures = counts_of_uploads(conn, campaign, sorted(set(ids)))
        totals: dict = {}
        for day, uid in zip(days, ids):
            totals.setdefault(day, []).append([figures[uid].counts[key] for key in COUNTS])
        sums = [(day, len(lists), *map(sum, zip(*lists))) for day, lists in sorted(totals.items())]
    else:
        sums = conn.execute(sql("history_district_sums"), {"days": days, "upload_ids": ids, "rules": rules}).fetchall()
    in_force = defaultdict(list)
    for day, uid in zip(days, ids):
        in_force[day].append(uid)
    companies = companies_of_sets(conn, [in_force[day] for day, *_ in sums])
    records = []
    for (day, _, *counts), (property_companies, with_party_org) in zip(sums, companies):
        figures = Figures(dict(zip(COUNTS, map(int, counts))))
        figures.counts["property_companies"] = property_companies
        figures.counts["property_companies_with_party_org"] = with_party_org
        records.append(_record(day, DISTRICT, figures, campaign))
    return records


def _town_rows(conn: duckdb.DuckDBPyConnection, campaign: Campaign, rows: list[tuple],
               wanted: list[str]) -> list[dict]:
    """Each wanted town's row of each date, in configured order within a date."""
    order = {t: i for i, t in enumerate(campaign.towns)}
    chosen = set(wanted)
    mine = sorted(((day, town, uid) for day, town, uid in rows if town in chosen), key=lambda r: (r[0], order[r[1]]))
    figures = counts_of_uploads(conn, campaign, sorted({uid for *_, uid in mine}))
    return [_record(day, town, figures[uid], campaign) for day, town, uid in mine]


def measure_history(conn: duckdb.DuckDBPyConnection, campaign: Campaign, until: dt.date,
                    towns: Iterable[str] | None = None, district: bool = True) -> pd.DataFrame:
    """One row per report date (≤ until) and unit (全区 first when `district`, then each reporting town
    of `towns` — default every configured town — in configured order): counts and rates.

    Rates are floats for charts only; every comparison with a target uses core.measures.
    """
    wanted = list(campaign.towns) if towns is None else [t for t in campaign.towns if t in set(towns)]
    scope = list(campaign.towns) if district else wanted  # the district sums every configured town
    rows = conn.execute(sql("history_reports"), {"until": until, "towns": scope}).fetchall() if scope else []
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    records = _district_rows(conn, campaign, rows) if district else []
    if wanted:
        towns = _town_rows(conn, campaign, rows, wanted)
        if records:  # each date: 全区, then its towns
            by_day = {}
            for record in towns:
                by_day.setdefault(record["report_date"], []).append(record)
            records = [r for district_row in records for r in [district_row, *by_day.pop(district_row["report_date"], [])]]
            records += [r for day in sorted(by_day) for r in by_day[day]]
        else:
            records = towns
    frame = pd.DataFrame(records, columns=COLUMNS)
    frame[list(COUNTS)] = frame[list(COUNTS)].astype("int64")
    frame[list(MEASURES)] = frame[list(MEASURES)].astype("float64")
    return frame
