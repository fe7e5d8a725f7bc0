"""Everything leadership asks about one date, in one object: the snapshot behind every page,
the metrics JSON of the command line, the scorecard and the bulletin.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

import duckdb

from core.config import Campaign, Phase
from core.measures import (COUNTS, DISTRICT_LEVEL, MEASURES, Figures, TownReport, district_figures,
                           district_figures_as_of, district_figures_of, report_dates, reports_as_of,
                           reports_in_force_on)
from core.milestones import MISSING, Progress, attainment, judged_phase, overall_status, phase_gaps, progress
from core.queries import sql
from core.scoring import LedgerLine, points_ledger, rank_towns, total_points


@dataclass
class TownStanding:
    town: str
    report: TownReport | None  # None: 未报送
    previous: TownReport | None
    progress: dict[str, Progress] = field(default_factory=dict)  # judged phase's measures
    gaps: dict[str, dict[str, int]] = field(default_factory=dict)
    ledger: list[LedgerLine] = field(default_factory=list)
    attainment: Fraction | None = None
    rank: int | None = None

    @property
    def reported(self) -> bool:
        return self.report is not None

    @property
    def figures(self) -> Figures | None:
        return self.report.figures if self.report else None

    @property
    def status(self) -> str:
        return overall_status([p.status for p in self.progress.values()]) if self.report else MISSING

    @property
    def points(self) -> int | None:
        return total_points(self.ledger) if self.report else None


@dataclass
class Snapshot:
    as_of: dt.date
    campaign: Campaign
    phase: Phase | None  # the phase whose dates contain as_of
    judged: Phase  # the phase targets are judged against (in force, else next, else last)
    district: Figures
    district_previous: Figures | None  # as of the previous report date, for "change since"
    previous_date: dt.date | None
    district_progress: dict[str, Progress]
    towns: list[TownStanding]  # in the configuration's order

    def rate(self, code: str, figures: Figures | None = None) -> Fraction | None:
        return (figures or self.district).rate(code, self.campaign)

    def ranked(self) -> list[TownStanding]:
        """Towns by rank; towns with no report last, in configuration order."""
        order = {t: i for i, t in enumerate(self.campaign.towns)}
        return sorted(self.towns, key=lambda s: (s.rank is None, s.rank or 0, order[s.town]))

    @property
    def latest_report_date(self) -> dt.date | None:
        dates = [s.report.report_date for s in self.towns if s.report]
        return max(dates) if dates else None


def _brand_names(conn, campaign: Campaign, latest: dict[str, TownReport]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    if not latest:
        return names
    rows = conn.execute(sql("brands_of"), {"upload_ids": [r.upload_id for r in latest.values()]}).fetchall()
    for town, name, level, recognized, *_ in rows:  # in brands_of order: town, recognized, source row
        if isinstance(recognized, dt.datetime):
            recognized = recognized.date()
        if level == DISTRICT_LEVEL and recognized.year == campaign.year and recognized <= latest[town].report_date:
            names.setdefault(town, []).append(name)
    return names


def _standing(town, latest, previous, campaign, as_of, phase, brand_names) -> TownStanding:
    report = latest.get(town)
    standing = TownStanding(town, report, previous.get(town))
    if report is None:
        return standing
    before = standing.previous
    standing.progress = {
        code: progress(code, report.figures, report.report_date, before.figures if before else None,
                       before.report_date if before else None, campaign, as_of, phase)
        for code in phase.targets}
    standing.gaps = phase_gaps(report.figures, campaign)
    standing.ledger = points_ledger(report.figures, campaign, {"district_brands_new": brand_names.get(town, [])})
    standing.attainment = attainment(report.figures, phase, campaign)
    return standing


def snapshot(conn: duckdb.DuckDBPyConnection, campaign: Campaign, as_of: dt.date,
             dates: list[dt.date] | None = None) -> Snapshot:
    """Where the district and every configured town stand on `as_of`. `dates`: report_dates(conn),
    when the caller has them already (the app caches them for its sidebar)."""
    latest, previous = reports_as_of(conn, campaign, as_of)
    brand_names = _brand_names(conn, campaign, latest)
    phase = judged_phase(campaign, as_of)
    towns = [_standing(t, latest, previous, campaign, as_of, phase, brand_names) for t in campaign.towns]
    ranks = rank_towns([(s.town, s.points, s.attainment) for s in towns], campaign)
    for standing in towns:
        standing.rank = ranks[standing.town]

    latest_date = max((r.report_date for r in latest.values()), default=None)
    earlier = [d for d in (report_dates(conn) if dates is None else dates) if latest_date and d < latest_date]
    previous_date = earlier[-1] if earlier else None
    # No report date lies between previous_date and latest_date, so what was in force on previous_date
    # follows from each town's two newest reports, read above: no second round of queries.
    in_force_before = reports_in_force_on(previous_date, latest, previous) if previous_date else None
    if in_force_before is None:
        district = district_figures(conn, latest)
        district_previous = district_figures_as_of(conn, campaign, previous_date) if previous_date else None
    else:
        district, district_previous = district_figures_of(conn, [latest, in_force_before])
    district_progress = {
        code: progress(code, district, latest_date or as_of, district_previous, previous_date, campaign, as_of, phase)
        for code in phase.targets}
    return Snapshot(as_of, campaign, campaign.phase_on(as_of), phase, district, district_previous, previous_date,
                    district_progress, towns)


# ---------------------------------------------------------------- JSON (CLI.md)

def _number(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _rate_number(figures: Figures, code: str, campaign: Campaign) -> float | None:
    """float(figures.rate(code)) without making the Fraction: int / int is correctly rounded, as is
    float(Fraction), so the two are the same float."""
    numerator, denominator = figures.parts(code, campaign)
    return numerator / denominator if denominator else None


def _figures_json(figures: Figures | None, campaign: Campaign, gaps: dict | None) -> dict:
    if figures is None:
        return {**{k: None for k in COUNTS}, **{m: None for m in MEASURES}, "gaps": None}
    return {**figures.counts, **{m: _rate_number(figures, m, campaign) for m in MEASURES}, "gaps": gaps}


def snapshot_json(snap: Snapshot) -> dict:
    """The `python -m core metrics --json` document."""
    campaign = snap.campaign
    phase = snap.phase
    towns = []
    for s in snap.towns:
        entry = {"town": s.town, "report_date": s.report.report_date.isoformat() if s.report else None,
                 **_figures_json(s.figures, campaign, s.gaps or None),
                 "status": s.status, "rank": s.rank,
                 "statuses": {code: p.status for code, p in s.progress.items()},
                 "bonus_points": s.points,
                 "bonus": {line.rule.id: line.points for line in s.ledger} if s.report else None}
        towns.append(entry)
    return {
        "as_of": snap.as_of.isoformat(),
        "phase": None if phase is None else {
            "name": phase.name, "start": phase.start.isoformat(), "end": phase.end.isoformat(),
            "targets": {k: float(v) for k, v in phase.targets.items()}},
        "district": {**_figures_json(snap.district, campaign, phase_gaps(snap.district, campaign)),
                     "towns_reported": sum(1 for s in snap.towns if s.report), "towns": len(snap.towns),
                     "statuses": {code: p.status for code, p in snap.district_progress.items()}},
        "towns": towns,
    }
