"""Phase targets: gaps in whole units, pace, and a status word per town and measure."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from core.config import Campaign, Phase
from core.measures import Figures

MET, ON_TRACK, AT_RISK, BEHIND, MISSING = "已达标", "按进度", "有风险", "滞后", "未报送"
STATUS_ORDER = (MET, ON_TRACK, AT_RISK, BEHIND, MISSING)


def gap(target: Fraction, numerator: int, denominator: int) -> int:
    """Additional units that reach the target at today's denominator: max(0, ceil(t × d) − n)."""
    # ceil(p·d / q) in integers: exact, and far cheaper than Fraction arithmetic over many towns.
    return max(0, -(-target.numerator * denominator // target.denominator) - numerator)


def phase_gaps(figures: Figures, campaign: Campaign) -> dict[str, dict[str, int]]:
    """For every phase, the gap of each of its target measures."""
    return {phase.name: {code: gap(target, *figures.parts(code, campaign)) for code, target in phase.targets.items()}
            for phase in campaign.phases}


def judged_phase(campaign: Campaign, as_of: dt.date) -> Phase:
    """The phase a date is judged against: the one in force, else the next, else the last."""
    return campaign.phase_ahead(as_of) or campaign.phases[-1]


@dataclass(frozen=True)
class Progress:
    """Where one town stands on one measure against the judged phase."""
    measure: str
    target: Fraction
    value: Fraction | None
    gap: int
    days_left: int
    needed_per_day: Fraction | None  # units a day still needed to meet the target by the phase end
    achieved_per_day: Fraction | None  # units a day between the town's last two reports
    status: str


def achieved_pace(latest: Figures, latest_date: dt.date, previous: Figures | None, previous_date: dt.date | None,
                  code: str, campaign: Campaign) -> Fraction | None:
    """Units of the measure's numerator gained per day between two reports (None with one report)."""
    if previous is None or previous_date is None or latest_date <= previous_date:
        return None
    gained = latest.parts(code, campaign)[0] - previous.parts(code, campaign)[0]
    return Fraction(gained, (latest_date - previous_date).days)


def progress(code: str, latest: Figures, latest_date: dt.date, previous: Figures | None,
             previous_date: dt.date | None, campaign: Campaign, as_of: dt.date,
             phase: Phase | None = None) -> Progress:
    """Status of one measure: 已达标, 按进度, 有风险 or 滞后, by the rule in campaign.toml [status].

    `phase` is the judged phase of `as_of`, when the caller already has it."""
    phase = phase or judged_phase(campaign, as_of)
    target = phase.targets[code]
    numerator, denominator = latest.parts(code, campaign)
    value = Fraction(numerator, denominator) if denominator else None
    missing = gap(target, numerator, denominator)
    days_left = max(0, (phase.end - as_of).days)
    achieved = achieved_pace(latest, latest_date, previous, previous_date, code, campaign)
    needed = Fraction(missing, days_left) if days_left else None
    if missing == 0:
        status = MET
    elif days_left == 0:
        status = BEHIND
    elif achieved is None:
        status = AT_RISK
    elif achieved >= needed:
        status = ON_TRACK
    elif achieved >= campaign.at_risk_pace_ratio * needed:
        status = AT_RISK
    else:
        status = BEHIND
    return Progress(code, target, value, missing, days_left, needed, achieved, status)


def overall_status(statuses: list[str]) -> str:
    """A town's status across measures: its worst one."""
    return max(statuses, key=STATUS_ORDER.index) if statuses else MISSING


def attainment(figures: Figures, phase: Phase, campaign: Campaign) -> Fraction:
    """Mean over the phase's targets of min(1, value / target): the ranking tie-break.

    Summed in integers (numerator / denominator pairs) and made a Fraction once: exactly the same
    value as Fraction arithmetic, at a fraction of its cost over a thousand towns."""
    total, common = 0, 1  # the running sum total / common
    for code, target in phase.targets.items():
        numerator, denominator = figures.parts(code, campaign)
        if target == 0:
            top, bottom = 1, 1
        elif not denominator:  # no value: counts as 0
            top, bottom = 0, 1
        else:  # (numerator / denominator) / target, at most 1
            top, bottom = numerator * target.denominator, denominator * target.numerator
            if top >= bottom:
                top, bottom = 1, 1
        total, common = total * bottom + top * common, common * bottom
    return Fraction(total, common * len(phase.targets))
