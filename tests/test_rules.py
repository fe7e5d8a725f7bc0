"""Pure rules with exact expectations worked out by hand from the seed."""
import datetime as dt
from fractions import Fraction

import pytest

from core.config import default_campaign
from core.measures import Figures
from core.milestones import (AT_RISK, BEHIND, MET, ON_TRACK, attainment, gap, judged_phase, overall_status,
                             progress)
from core.report_text import percent, still_needed
from core.scoring import points_ledger, rank_towns, total_points

CAMPAIGN = default_campaign()


def figures(compounds=0, committees=0, party_orgs=0, communities=0, epmcs=0, brands=0, **extra) -> Figures:
    counts = dict(compounds=compounds, eligible_compounds=compounds, committees=committees,
                  eligible_committees=committees, party_orgs=party_orgs, red_committees=0,
                  communities=communities, epmcs=epmcs, compliant_epmcs=0, property_companies=0,
                  property_companies_with_party_org=0, green_accepted=0, district_brands_new=brands)
    counts.update(extra)
    return Figures(counts)


@pytest.mark.parametrize("target, numerator, denominator, expected", [
    (Fraction("0.6"), 3, 7, 2),    # 0.6 × 7 = 4.2 → 5 party organisations, 3 exist
    (Fraction("0.8"), 20, 41, 13),  # seed: 0.8 × 41 = 32.8 → 33 EPMCs, 20 exist
    (Fraction("0.7"), 33, 74, 19),  # seed: 0.7 × 74 = 51.8 → 52
    (Fraction("0.6"), 60, 100, 0),  # exactly met
    (Fraction("0.6"), 61, 100, 0),  # over
    (Fraction("0.6"), 59, 100, 1),
    (Fraction("1"), 0, 0, 0),       # no communities: nothing to add
    (Fraction("0.7"), 7, 10, 0),    # 0.7 × 10 is exactly 7 (a float would say 7.000000000000001)
    (Fraction("0.9"), 0, 3, 3),     # 2.7 → 3
])
def test_gap_is_the_smallest_whole_number_reaching_the_target(target, numerator, denominator, expected):
    assert gap(target, numerator, denominator) == expected


@pytest.mark.parametrize("committees, compounds, points", [
    (59, 100, 0), (60, 100, 3), (61, 100, 3),
    (599, 1000, 0),  # 59.9% does not earn the +3
    (0, 0, 0),       # no compounds: no rate, no points
    (3, 5, 3),       # 60% exactly, as a fraction
])
def test_formation_rate_bonus_threshold_is_exact(committees, compounds, points):
    ledger = points_ledger(figures(compounds=compounds, committees=committees), CAMPAIGN)
    line = next(l for l in ledger if l.rule.id == "formation_rate_60")
    assert line.points == points


@pytest.mark.parametrize("party_orgs, committees, points", [(74, 100, 0), (75, 100, 3), (3, 4, 3), (2, 3, 0), (0, 0, 0)])
def test_party_coverage_bonus_threshold_is_exact(party_orgs, committees, points):
    ledger = points_ledger(figures(compounds=committees, committees=committees, party_orgs=party_orgs), CAMPAIGN)
    assert next(l for l in ledger if l.rule.id == "party_org_coverage_75").points == points


def test_each_new_district_brand_earns_two_points_and_the_ledger_names_them():
    ledger = points_ledger(figures(brands=2), CAMPAIGN, {"district_brands_new": ["幸福物业", "暖心家园"]})
    line = next(l for l in ledger if l.rule.id == "district_brand")
    assert (line.value, line.points, line.basis) == (2, 4, "幸福物业、暖心家园")


def test_next_point_line_counts_the_committees_still_to_form():
    # 10 of 20 compounds: 60% needs 12 committees, so 2 more.
    ledger = points_ledger(figures(compounds=20, committees=10, party_orgs=8), CAMPAIGN)
    lines = {l.rule.id: l for l in ledger}
    assert lines["formation_rate_60"].next_point == "再组建2个业委会即可加3分"
    # 8 of 10 committees already have party organisations: 80% ≥ 75% is earned.
    assert lines["party_org_coverage_75"].next_point is None
    assert total_points(ledger) == 3


def test_seed_baseline_next_point_for_party_coverage():
    # Seed district: 33 of 74 committees; 75% needs ceil(55.5) = 56, so 23 more.
    ledger = points_ledger(figures(compounds=104, committees=74, party_orgs=33), CAMPAIGN)
    line = next(l for l in ledger if l.rule.id == "party_org_coverage_75")
    assert line.next_point == "再建立23个业委会党组织即可加3分"
    assert next(l for l in ledger if l.rule.id == "formation_rate_60").points == 3  # 74/104 = 71%


@pytest.mark.parametrize("day, phase", [
    (dt.date(2021, 10, 31), "第一阶段"),  # before the campaign: the next phase
    (dt.date(2021, 11, 15), "第一阶段"), (dt.date(2021, 11, 30), "第一阶段"),
    (dt.date(2021, 12, 1), "第二阶段"), (dt.date(2021, 12, 15), "第二阶段"),
    (dt.date(2021, 12, 16), "第三阶段"), (dt.date(2022, 1, 31), "第三阶段"),  # after: the last
])
def test_judged_phase(day, phase):
    assert judged_phase(CAMPAIGN, day).name == phase


def test_phase_on_is_none_outside_the_phases():
    assert CAMPAIGN.phase_on(dt.date(2021, 11, 14)) is None
    assert CAMPAIGN.phase_on(dt.date(2021, 12, 31)).name == "第三阶段"


def test_status_met_when_the_target_is_reached():
    latest = figures(communities=10, epmcs=8)
    p = progress("epmc_coverage", latest, dt.date(2021, 11, 20), None, None, CAMPAIGN, dt.date(2021, 11, 20))
    assert (p.status, p.gap, p.value) == (MET, 0, Fraction(4, 5))


def test_status_by_pace():
    # Phase 1 ends 11-30. On 11-20, 10 days left; 10 communities, 80% needs 8 EPMCs.
    as_of, before = dt.date(2021, 11, 20), dt.date(2021, 11, 10)
    now = figures(communities=10, epmcs=5)  # gap 3 → 0.3 a day needed
    cases = [(figures(communities=10, epmcs=2), ON_TRACK),  # 3 in 10 days = 0.3 a day
             (figures(communities=10, epmcs=3), AT_RISK),   # 0.2 a day ≥ 0.5 × 0.3
             (figures(communities=10, epmcs=4), BEHIND)]    # 0.1 a day
    for previous, status in cases:
        p = progress("epmc_coverage", now, as_of, previous, before, CAMPAIGN, as_of)
        assert (p.gap, p.days_left, p.needed_per_day, p.status) == (3, 10, Fraction(3, 10), status)


def test_status_unknown_pace_is_at_risk_and_phase_end_missed_is_behind():
    now = figures(communities=10, epmcs=5)
    one_report = progress("epmc_coverage", now, dt.date(2021, 11, 20), None, None, CAMPAIGN, dt.date(2021, 11, 20))
    assert one_report.status == AT_RISK
    at_end = progress("epmc_coverage", now, dt.date(2021, 11, 30), None, None, CAMPAIGN, dt.date(2021, 11, 30))
    assert at_end.status == BEHIND


def test_overall_status_is_the_worst():
    assert overall_status([MET, AT_RISK]) == AT_RISK
    assert overall_status([MET, MET]) == MET
    assert overall_status([ON_TRACK, BEHIND, MET]) == BEHIND


def test_attainment_caps_each_target_at_one():
    phase = judged_phase(CAMPAIGN, dt.date(2021, 11, 30))  # 80% EPMC, 60% party
    # EPMC 10/10 → 1 (capped); party 3/10 = 30% → 0.5 of 60%.
    assert attainment(figures(communities=10, epmcs=10, committees=10, party_orgs=3), phase, CAMPAIGN) == Fraction(3, 4)


def test_ranking_points_then_attainment_then_configured_order_missing_last():
    towns = CAMPAIGN.towns
    entries = [(towns[0], 3, Fraction(1, 2)), (towns[1], 6, Fraction(1, 3)), (towns[2], 3, Fraction(3, 4)),
               (towns[3], None, None), (towns[4], 3, Fraction(1, 2))]
    ranks = rank_towns(entries, CAMPAIGN)
    assert ranks == {towns[1]: 1, towns[2]: 2, towns[0]: 3, towns[4]: 4, towns[3]: None}


@pytest.mark.parametrize("value, text", [
    (Fraction(74, 104), "71.2%"), (Fraction(33, 74), "44.6%"), (Fraction(20, 41), "48.8%"),
    (Fraction(1), "100%"), (Fraction(0), "0%"), (None, "—"), (Fraction(599, 1000), "59.9%")])
def test_percent_has_at_most_one_decimal(value, text):
    assert percent(value) == text


def test_still_needed_sentence():
    assert still_needed("epmc_coverage", 2) == "还需成立2个环物委"
    assert still_needed("party_org_coverage", 0) == "已达标"
