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


def needs_sentence(standing, phase_name: str) -> str:
    """What a town still needs for a phase: '还需成立2个环物委；还需建立1个业委会党组织', '已达标' or '未报送'."""
    if not standing.reported:
        return "未报送"
    gaps = standing.gaps.get(phase_name, {})
    needs = [still_needed(code, units) for code, units in gaps.items() if units]
    return "；".join(needs) if needs else "已达标"


def next_phase(campaign, phase):
    """The phase after `phase`, or None."""
    phases = list(campaign.phases)
    index = phases.index(phase)
    return phases[index + 1] if index + 1 < len(phases) else None


def pace_sentence(progress) -> str:
    """The pace still needed against the pace achieved, in words."""
    if progress.gap == 0:
        return ""
    if progress.days_left == 0:
        return "本阶段已结束，目标未完成。"
    needed = f"距阶段结束还有 {progress.days_left} 天，平均每天需增加 {float(progress.needed_per_day):.2f} 个"
    if progress.achieved_per_day is None:
        return needed + "；只有一次报送，尚无法计算进度。"
    return needed + f"；近两次报送之间平均每天增加 {float(progress.achieved_per_day):.2f} 个。"
