"""Figures over time: the district's and each town's measures at every report date."""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from core.config import Campaign
from core.measures import MEASURES, district_figures, report_dates, reports_as_of

DISTRICT = "全区"


def measure_history(conn: duckdb.DuckDBPyConnection, campaign: Campaign, until: dt.date) -> pd.DataFrame:
    """One row per report date (≤ until) and unit (each reporting town, and 全区): counts and rates.

    Rates are floats for charts only; every comparison with a target uses core.measures.
    """
    rows = []
    for day in (d for d in report_dates(conn) if d <= until):
        latest, _ = reports_as_of(conn, campaign, day)
        units = {DISTRICT: district_figures(conn, latest), **{t: r.figures for t, r in latest.items()}}
        for unit, figures in units.items():
            rates = {code: figures.rate(code, campaign) for code in MEASURES}
            rows.append({"report_date": day, "unit": unit, **figures.counts,
                         **{code: None if v is None else float(v) for code, v in rates.items()}})
    return pd.DataFrame(rows)
