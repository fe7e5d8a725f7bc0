"""Counts and rates as of a date, per town and district-wide (PRODUCT.md, Measures).

Counts come from DuckDB; rates are exact Fractions (None where the denominator is 0), so a
comparison with a target is never made on a rounded figure.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from dataclasses import dataclass
from fractions import Fraction

import duckdb

from core.config import Campaign
from core.queries import sql

COUNTS = ("compounds", "eligible_compounds", "committees", "eligible_committees", "party_orgs", "red_committees",
          "communities", "epmcs", "compliant_epmcs", "property_companies", "property_companies_with_party_org",
          "green_accepted", "district_brands_new")
GREEN_ACCEPTED = "已达标"
DISTRICT_LEVEL = "区级"


@dataclass(frozen=True)
class Measure:
    code: str
    label: str  # UI name
    short: str  # short UI name for chart axes and cards
    numerator: str
    denominator: str
    item: str  # what one more unit of the numerator is, for "还需…" sentences
    action: str  # the verb that adds one


MEASURES = {m.code: m for m in (
    Measure("committee_formation_rate", "业委会组建率", "组建率", "committees", "compounds", "业委会", "组建"),
    Measure("party_org_coverage", "业委会党组织覆盖率", "党组织覆盖率", "party_orgs", "committees", "业委会党组织", "建立"),
    Measure("epmc_coverage", "环物委覆盖率", "环物委覆盖率", "epmcs", "communities", "环物委", "成立"),
    Measure("red_committee_share", "红色业主委占比", "红色业主委占比", "red_committees", "committees", "红色业主委", "创建"),
    Measure("compliant_epmc_share", "规范环物委占比", "规范环物委占比", "compliant_epmcs", "communities", "规范环物委", "规范"),
    Measure("property_company_party_coverage", "物业企业党组织覆盖率", "物业企业党组织覆盖率",
            "property_companies_with_party_org", "property_companies", "物业企业党组织", "建立"),
)}


@dataclass(frozen=True)
class Figures:
    """Counts of one town (or the district) as of a date."""
    counts: dict[str, int]

    def parts(self, code: str, campaign: Campaign) -> tuple[int, int]:
        """(numerator, denominator) of a rate measure under the campaign's settings."""
        measure = MEASURES[code]
        if code == "committee_formation_rate" and campaign.formation_denominator == "eligible":
            return self.counts["eligible_committees"], self.counts["eligible_compounds"]
        return self.counts[measure.numerator], self.counts[measure.denominator]

    def rate(self, code: str, campaign: Campaign) -> Fraction | None:
        numerator, denominator = self.parts(code, campaign)
        return Fraction(numerator, denominator) if denominator else None


@dataclass(frozen=True)
class TownReport:
    town: str
    report_date: dt.date
    upload_id: int
    version: int
    uploaded_at: dt.datetime
    is_sample: bool
    figures: Figures


def _rule_parameters(campaign: Campaign) -> dict:
    return {
        "red_num": campaign.red_min_party_share.numerator, "red_den": campaign.red_min_party_share.denominator,
        "epmc_min": campaign.epmc_min_members, "epmc_odd": campaign.epmc_odd_members,
        "epmc_num": campaign.epmc_min_party_share.numerator, "epmc_den": campaign.epmc_min_party_share.denominator,
        "green_accepted": GREEN_ACCEPTED, "district_level": DISTRICT_LEVEL, "year": campaign.year,
    }


def _rules_key(parameters: dict) -> str:
    return json.dumps(parameters, sort_keys=True)


def counts_rules(campaign: Campaign) -> str:
    """The key under which report_counts keeps counts made by the campaign's rules."""
    return _rules_key(_rule_parameters(campaign))


def _computed_counts(conn: duckdb.DuckDBPyConnection, parameters: dict, rules: str, missing: list[int]):
    """Counts of reports not yet in report_counts, computed and kept (as a DataFrame)."""
    computed = conn.execute(sql("town_counts"), {"upload_ids": missing, **parameters}).df()
    conn.register("computed", computed)
    try:
        conn.execute(sql("cache_counts"), {"rules": rules})
    except duckdb.Error:
        pass  # a read-only connection, or another session cached them first: the counts are still right
    finally:
        conn.unregister("computed")
    return computed


def counts_of_uploads(conn: duckdb.DuckDBPyConnection, campaign: Campaign, upload_ids: list[int]) -> dict[int, Figures]:
    """Figures of each given stored report: read from report_counts, computed (and kept) where missing."""
    if not upload_ids:
        return {}
    parameters = _rule_parameters(campaign)
    rules = _rules_key(parameters)
    rows = conn.execute(sql("cached_counts"), {"rules": rules, "upload_ids": upload_ids}).fetchall()
    figures = {row[0]: Figures(dict(zip(COUNTS, row[1:]))) for row in rows}  # INTEGER columns: Python ints
    missing = sorted(set(upload_ids) - figures.keys())
    if missing:
        for row in _computed_counts(conn, parameters, rules, missing).itertuples(index=False, name=None):
            figures[int(row[0])] = Figures(dict(zip(COUNTS, map(int, row[1:]))))
    return figures


def counts_frame(conn: duckdb.DuckDBPyConnection, campaign: Campaign, upload_ids: list[int]):
    """The counts of the given stored reports as a DataFrame (upload_id, then COUNTS as int64), for
    set-based work over many reports; computed and kept where missing, as `counts_of_uploads`."""
    import pandas as pd

    columns = ["upload_id", *COUNTS]
    if not upload_ids:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    parameters = _rule_parameters(campaign)
    rules = _rules_key(parameters)
    frame = conn.execute(sql("cached_counts"), {"rules": rules, "upload_ids": upload_ids}).df()
    missing = sorted(set(upload_ids) - set(frame["upload_id"].tolist()))
    if missing:
        frame = pd.concat([frame, _computed_counts(conn, parameters, rules, missing)[columns]], ignore_index=True)
    return frame[columns].astype("int64")


def rate_values(counts, campaign: Campaign) -> dict:
    """Each measure's rate as a float column (NaN where the denominator is 0) from a frame (or a dict
    of columns) of COUNTS: for charts only. Each value equals float(Figures.rate(...)): int / int is
    correctly rounded, as is float(Fraction)."""
    import numpy as np

    out = {}
    for code, measure in MEASURES.items():
        numerator, denominator = measure.numerator, measure.denominator
        if code == "committee_formation_rate" and campaign.formation_denominator == "eligible":
            numerator, denominator = "eligible_committees", "eligible_compounds"
        top = np.asarray(counts[numerator], dtype="float64")
        bottom = np.asarray(counts[denominator], dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            out[code] = np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)
    return out


def reports_as_of(conn: duckdb.DuckDBPyConnection, campaign: Campaign,
                  as_of: dt.date) -> tuple[dict[str, TownReport], dict[str, TownReport]]:
    """(latest, previous): each configured town's report in force on `as_of`, and the one before it.

    Towns with no report are absent from `latest`; towns with one report are absent from `previous`.
    """
    towns = set(campaign.towns)
    rows = conn.execute(sql("reports_as_of"), {"as_of": as_of, "rules": counts_rules(campaign)}).fetchall()
    rows = [row for row in rows if row[0] in towns]
    uncounted = counts_of_uploads(conn, campaign, [uid for _, uid, _, _, _, _, _, counted, *_ in rows if not counted])
    latest: dict[str, TownReport] = {}
    previous: dict[str, TownReport] = {}
    for town, uid, date, at, version, sample, recency, counted, *counts in rows:
        figures = Figures(dict(zip(COUNTS, counts))) if counted else uncounted[uid]  # INTEGER columns: Python ints
        (latest if recency == 1 else previous)[town] = TownReport(town, date, uid, version, at, bool(sample), figures)
    return latest, previous


def _set_key(upload_ids) -> str:
    return hashlib.sha256(",".join(map(str, sorted(upload_ids))).encode()).hexdigest()


def companies_of_sets(conn: duckdb.DuckDBPyConnection, sets: list[list[int]]) -> list[tuple[int, int]]:
    """(property companies, those with a party organisation), counted once by name, for each set of
    stored reports: read from district_companies, counted (and kept) where missing. A set of stored
    reports never changes, so neither do its counts."""
    if not sets:
        return []
    keys = [_set_key(ids) for ids in sets]
    found = {key: (int(a), int(b)) for key, a, b in
             conn.execute(sql("district_companies_cached"), {"keys": sorted(set(keys))}).fetchall()}
    for key, ids in zip(keys, sets):
        if key in found:
            continue
        counted = tuple(map(int, conn.execute(sql("district_companies"), {"upload_ids": list(ids)}).fetchone()))
        found[key] = counted
        try:
            conn.execute(sql("district_companies_keep"), {"key": key, "property_companies": counted[0],
                                                          "property_companies_with_party_org": counted[1]})
        except duckdb.Error:
            pass  # a read-only connection, or another session kept it first: the counts are still right
    return [found[key] for key in keys]


def district_figures(conn: duckdb.DuckDBPyConnection, reports: dict[str, TownReport]) -> Figures:
    """The district's figures: the sum over towns, property companies counted once by name."""
    [figures] = district_figures_of(conn, [reports])
    return figures


def district_figures_of(conn: duckdb.DuckDBPyConnection, report_sets: list[dict[str, TownReport]]) -> list[Figures]:
    """`district_figures` of each set of reports, the property companies of every set read at once."""
    pick = operator.itemgetter(*COUNTS)
    companies = iter(companies_of_sets(conn, [[r.upload_id for r in reports.values()]
                                              for reports in report_sets if reports]))
    out = []
    for reports in report_sets:
        if not reports:
            out.append(Figures(dict.fromkeys(COUNTS, 0)))
            continue
        totals = dict(zip(COUNTS, map(sum, zip(*(pick(r.figures.counts) for r in reports.values())))))
        totals["property_companies"], totals["property_companies_with_party_org"] = next(companies)
        out.append(Figures(totals))
    return out


def reports_in_force_on(day: dt.date, latest: dict[str, TownReport],
                        previous: dict[str, TownReport]) -> dict[str, TownReport] | None:
    """Each town's report in force on `day`, from the two newest reports of `reports_as_of` (of a
    later date): its latest where dated on or before `day`, else the one before it; a town whose
    latest is its first and is later than `day` had none. None when some town's two newest are both
    later than `day`: its report then in force is older still, and only a query finds it."""
    in_force = {}
    for town, report in latest.items():
        before = previous.get(town)
        if report.report_date <= day:
            in_force[town] = report
        elif before is not None and before.report_date <= day:
            in_force[town] = before
        elif before is not None:
            return None
    return in_force


def district_figures_as_of(conn: duckdb.DuckDBPyConnection, campaign: Campaign, as_of: dt.date) -> Figures:
    """`district_figures` of the reports in force on `as_of`, summed without building each town's report."""
    towns = set(campaign.towns)
    rows = conn.execute(sql("reports_as_of"), {"as_of": as_of, "rules": counts_rules(campaign)}).fetchall()
    ids = [uid for town, uid, _, _, _, _, recency, *_ in rows if recency == 1 and town in towns]
    if not ids:
        return Figures(dict.fromkeys(COUNTS, 0))
    rules = counts_kept(conn, campaign, ids)
    if rules is None:  # the counts could not be kept (read-only): sum them here
        sums = counts_frame(conn, campaign, ids)[list(COUNTS)].sum()
        totals = {key: int(sums[key]) for key in COUNTS}
    else:
        [(_, _, *sums)] = conn.execute(sql("history_district_sums"),
                                       {"days": [as_of] * len(ids), "upload_ids": ids, "rules": rules}).fetchall()
        totals = {key: int(value) for key, value in zip(COUNTS, sums)}
    [companies] = companies_of_sets(conn, [ids])
    totals["property_companies"], totals["property_companies_with_party_org"] = companies
    return Figures(totals)


def counts_kept(conn: duckdb.DuckDBPyConnection, campaign: Campaign, upload_ids: list[int]) -> str | None:
    """Make sure report_counts holds the counts of these reports under the campaign's rules; the
    rules key when it does (so that SQL may join it), None when they could not be kept (a read-only
    connection)."""
    parameters = _rule_parameters(campaign)
    rules = _rules_key(parameters)
    if not upload_ids:
        return rules
    missing = [uid for (uid,) in conn.execute(sql("missing_counts"), {"upload_ids": upload_ids,
                                                                      "rules": rules}).fetchall()]
    if missing:
        _computed_counts(conn, parameters, rules, sorted(missing))
        if conn.execute(sql("missing_counts"), {"upload_ids": missing, "rules": rules}).fetchall():
            return None
    return rules


def report_dates(conn: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Every date some town has reported for, oldest first."""
    return [d for (d,) in conn.execute(sql("report_dates")).fetchall()]


def ledger_rows(conn: duckdb.DuckDBPyConnection, reports: dict[str, TownReport], table: str):
    """The stored rows behind the given reports: table is compounds, communities or brands."""
    return conn.execute(sql(f"{table}_of"), {"upload_ids": [r.upload_id for r in reports.values()]}).df()


def ledger_columns(conn: duckdb.DuckDBPyConnection, upload_ids: list[int], table: str) -> dict[str, list]:
    """`ledger_rows` of the given stored reports as plain lists, column by column: for a page's few
    rows, building a DataFrame from lists costs a fraction of DuckDB's conversion to pandas."""
    return _columns(conn.execute(sql(f"{table}_of"), {"upload_ids": upload_ids}))


def community_figures(conn: duckdb.DuckDBPyConnection, campaign: Campaign, reports: dict[str, TownReport]):
    """Per community of the given reports: compounds, committees, party organisations, red committees,
    its EPMC (members, party members, compliant or not) and green-community status, as a DataFrame."""
    return _community_figures(conn, campaign, [r.upload_id for r in reports.values()]).df()


def community_figure_columns(conn: duckdb.DuckDBPyConnection, campaign: Campaign,
                             upload_ids: list[int]) -> dict[str, list]:
    """`community_figures` of the given stored reports as plain lists, column by column (see
    `ledger_columns`)."""
    return _columns(_community_figures(conn, campaign, upload_ids))


def _community_figures(conn: duckdb.DuckDBPyConnection, campaign: Campaign, upload_ids: list[int]):
    params = {k: v for k, v in _rule_parameters(campaign).items()
              if k.startswith(("red_", "epmc_"))}
    return conn.execute(sql("community_figures"), {"upload_ids": upload_ids, **params})


def _columns(result: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """The rows of an executed query as {column name: list of its values}."""
    names = [d[0] for d in result.description]
    rows = result.fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}
