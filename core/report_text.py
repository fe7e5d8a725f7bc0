"""Figures in words: percentages, "还需…" sentences and the plain-text metrics summary."""
from __future__ import annotations

from fractions import Fraction

from core.measures import MEASURES


def percent(value: Fraction | None, digits: int = 1) -> str:
    """71/104 → '68.3%'; None → '—'. For display only: never compare these strings."""
    if value is None:
        return "—"
    text = f"{float(value) * 100:.{digits}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def still_needed(code: str, units: int) -> str:
    """'还需成立2个环物委' or '已达标'."""
    measure = MEASURES[code]
    return f"还需{measure.action}{units}个{measure.item}" if units else "已达标"


def metrics_lines(snap) -> list[str]:
    """A short Chinese summary of a snapshot for the terminal."""
    campaign = snap.campaign
    phase = snap.judged
    lines = [f"{campaign.district}红色物业建设推进情况（截至 {snap.as_of.isoformat()}，对照{phase.name}目标）"]
    d = snap.district
    lines.append(f"全区：小区 {d.counts['compounds']} 个，业委会 {d.counts['committees']} 个"
                 f"（组建率 {percent(snap.rate('committee_formation_rate'))}），建立党组织 {d.counts['party_orgs']} 个"
                 f"（覆盖率 {percent(snap.rate('party_org_coverage'))}）；社区 {d.counts['communities']} 个，"
                 f"环物委 {d.counts['epmcs']} 个（覆盖率 {percent(snap.rate('epmc_coverage'))}）。")
    for s in snap.ranked():
        if not s.report:
            lines.append(f"  —  {s.town}：未报送")
            continue
        needs = "；".join(f"{MEASURES[c].short} {percent(p.value)}（{p.status}"
                         + (f"，{still_needed(c, p.gap)}）" if p.gap else "）") for c, p in s.progress.items())
        lines.append(f"{s.rank:>3}. {s.town}（{s.report.report_date.isoformat()}）加分 {s.points}：{needs}")
    return lines
