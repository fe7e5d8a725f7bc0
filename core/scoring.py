"""Assessment bonus points (工作要求 3): the rules engine, the points ledger, next-point lines, ranking."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from core.config import BonusRule, Campaign
from core.measures import MEASURES, Figures
from core.milestones import gap


@dataclass(frozen=True)
class LedgerLine:
    """One bonus rule applied to one town."""
    rule: BonusRule
    value: Fraction | int | None  # the measure's value (a rate, or a count of items)
    points: int
    basis: str  # the figures behind the value, in words
    next_point: str | None  # how to earn this rule's (next) points, or None when earned


def _threshold_line(rule: BonusRule, figures: Figures, campaign: Campaign) -> LedgerLine:
    measure = MEASURES[rule.measure]
    numerator, denominator = figures.parts(rule.measure, campaign)
    value = Fraction(numerator, denominator) if denominator else None
    earned = value is not None and value >= rule.threshold
    basis = f"{measure.item} {numerator} / {denominator}"
    if earned:
        return LedgerLine(rule, value, rule.points, basis, None)
    if denominator == 0:
        hint = f"尚无可计算的{measure.label}（分母为 0）"
    else:
        more = gap(rule.threshold, numerator, denominator)
        hint = f"再{measure.action}{more}个{measure.item}即可加{rule.points}分"
    return LedgerLine(rule, value, 0, basis, hint)


def _per_item_line(rule: BonusRule, figures: Figures, items: list[str]) -> LedgerLine:
    count = figures.counts[rule.measure]
    basis = "、".join(items) if items else "无"
    return LedgerLine(rule, count, count * rule.points, basis, f"每新培育1个即可再加{rule.points}分")


def points_ledger(figures: Figures, campaign: Campaign, items: dict[str, list[str]] | None = None) -> list[LedgerLine]:
    """Every bonus rule applied to a town's figures; `items` names what per-item rules counted."""
    items = items or {}
    return [_threshold_line(r, figures, campaign) if r.kind == "threshold"
            else _per_item_line(r, figures, items.get(r.measure, [])) for r in campaign.bonus_rules]


def total_points(ledger: list[LedgerLine]) -> int:
    return sum(line.points for line in ledger)


def rank_towns(entries: list[tuple[str, int | None, Fraction | None]], campaign: Campaign) -> dict[str, int | None]:
    """Town → rank. entries: (town, points or None when missing, attainment).

    Order: total points, high to low; then mean attainment of the judged phase's targets; then
    the towns' order in the configuration. Towns with no report come last, unranked (None).
    """
    order = {town: i for i, town in enumerate(campaign.towns)}
    reported = sorted((e for e in entries if e[1] is not None),
                      key=lambda e: (-e[1], -(e[2] or 0), order.get(e[0], len(order))))
    ranks: dict[str, int | None] = {town: i + 1 for i, (town, _, _) in enumerate(reported)}
    ranks.update({town: None for town, points, _ in entries if points is None})
    return ranks
