"""The campaign rules, loaded once from campaign.toml (or REDPROP_CAMPAIGN) and validated."""
from __future__ import annotations

import datetime as dt
import functools
import os
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("campaign.toml")

# Measures a phase target or a bonus rule may name (code names of PRODUCT.md).
RATE_MEASURES = (
    "committee_formation_rate",
    "party_org_coverage",
    "epmc_coverage",
    "red_committee_share",
    "compliant_epmc_share",
    "property_company_party_coverage",
)
COUNT_MEASURES = ("district_brands_new", "green_accepted")


class ConfigError(ValueError):
    """A campaign file that cannot be used; the message is Chinese and names the key."""


@dataclass(frozen=True)
class Phase:
    name: str
    start: dt.date
    end: dt.date
    targets: dict[str, Fraction]


@dataclass(frozen=True)
class BonusRule:
    id: str
    label: str
    kind: str  # "threshold" | "per_item"
    measure: str
    points: int
    threshold: Fraction | None = None


@dataclass(frozen=True)
class Campaign:
    district: str
    year: int
    formation_denominator: str
    towns: tuple[str, ...]
    phases: tuple[Phase, ...]
    red_min_party_share: Fraction
    min_party_members_for_org: int
    epmc_min_members: int
    epmc_odd_members: bool
    epmc_min_party_share: Fraction
    green_target: int
    bonus_rules: tuple[BonusRule, ...]
    at_risk_pace_ratio: Fraction
    report_dates: tuple[dt.date, ...]
    grace_days: int
    max_upload_mb: int
    max_rows_per_sheet: int
    max_columns: int
    # Hardening (issue 5): what the gate admits, and the limits of the parse workers.
    max_unpacked_mb: int
    max_zip_entries: int
    max_compression_ratio: int
    parse_workers: int
    parse_memory_mb: int
    parse_timeout_s: int
    backups_kept: int

    def phase_on(self, day: dt.date) -> Phase | None:
        """The phase whose dates contain `day`, else None."""
        return next((p for p in self.phases if p.start <= day <= p.end), None)

    def phase_ahead(self, day: dt.date) -> Phase | None:
        """The phase in force on `day`, else the next one to start, else None (campaign over)."""
        return self.phase_on(day) or next((p for p in self.phases if p.start > day), None)


# Text a spreadsheet would run as a formula (core/exports.py FORMULA_TRIGGERS): names from this file
# go into the template and every download, so they may not start so.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _no_formula_start(value: str, where: str) -> None:
    if value.startswith(_FORMULA_STARTS):
        raise ConfigError(f"活动配置“{where}”的“{value.strip()}”以 = + - @ 等符号开头，表格软件会把它当作公式；请去掉开头的符号。")


def _get(table: dict, key: str, kind, where: str):
    if key not in table:
        raise ConfigError(f"活动配置缺少“{where}{key}”项。")
    value = table[key]
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(f"活动配置“{where}{key}”应为 true 或 false，实际为 {value!r}。")
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"活动配置“{where}{key}”应为非负整数，实际为 {value!r}。")
    if kind is str and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"活动配置“{where}{key}”应为非空文字，实际为 {value!r}。")
    if kind is str:
        _no_formula_start(value, f"{where}{key}")
    if kind is dt.date and not (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        raise ConfigError(f"活动配置“{where}{key}”应为日期（如 2021-11-30），实际为 {value!r}。")
    return value


def _share(table: dict, key: str, where: str) -> Fraction:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigError(f"活动配置“{where}{key}”应为 0 到 1 之间的比例（如 0.8），实际为 {value!r}。")
    # str() keeps the decimal the district wrote: Fraction(0.7) would be 0.69999…
    return Fraction(str(value))


def _phase(raw: dict, index: int) -> Phase:
    where = f"phases[{index}]."
    start, end = _get(raw, "start", dt.date, where), _get(raw, "end", dt.date, where)
    if end < start:
        raise ConfigError(f"活动配置“{where}end”早于 start。")
    targets = raw.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise ConfigError(f"活动配置缺少“{where}targets”（各项指标的目标比例）。")
    for measure in targets:
        if measure not in RATE_MEASURES:
            raise ConfigError(f"活动配置“{where}targets.{measure}”不是已知指标；可用：{'、'.join(RATE_MEASURES)}。")
    return Phase(
        name=_get(raw, "name", str, where),
        start=start,
        end=end,
        targets={m: _share(targets, m, f"{where}targets.") for m in targets},
    )


def _bonus_rule(raw: dict, index: int) -> BonusRule:
    where = f"bonus_rules[{index}]."
    kind = _get(raw, "kind", str, where)
    measure = _get(raw, "measure", str, where)
    if kind == "threshold":
        if measure not in RATE_MEASURES:
            raise ConfigError(f"活动配置“{where}measure”须为比例指标之一：{'、'.join(RATE_MEASURES)}。")
        threshold = _share(raw, "threshold", where)
    elif kind == "per_item":
        if measure not in COUNT_MEASURES:
            raise ConfigError(f"活动配置“{where}measure”须为计数指标之一：{'、'.join(COUNT_MEASURES)}。")
        threshold = None
    else:
        raise ConfigError(f"活动配置“{where}kind”应为 threshold 或 per_item，实际为 {kind!r}。")
    return BonusRule(
        id=_get(raw, "id", str, where),
        label=_get(raw, "label", str, where),
        kind=kind,
        measure=measure,
        points=_get(raw, "points", int, where),
        threshold=threshold,
    )


def parse_campaign(raw: dict) -> Campaign:
    """A validated Campaign from the parsed TOML tables."""
    def table(name: str) -> dict:
        value = raw.get(name)
        if not isinstance(value, dict):
            raise ConfigError(f"活动配置缺少“[{name}]”一节。")
        return value

    campaign = table("campaign")
    towns = campaign.get("towns")
    if not isinstance(towns, list) or not towns or not all(isinstance(t, str) and t.strip() for t in towns):
        raise ConfigError("活动配置“campaign.towns”应为镇（街道）名称列表。")
    if len(set(towns)) != len(towns):
        raise ConfigError("活动配置“campaign.towns”中有重复的镇（街道）。")
    for town in towns:
        _no_formula_start(town, "campaign.towns")
    denominator = _get(campaign, "formation_denominator", str, "campaign.")
    if denominator not in ("all", "eligible"):
        raise ConfigError("活动配置“campaign.formation_denominator”应为 all 或 eligible。")

    phases = raw.get("phases")
    if not isinstance(phases, list) or not phases:
        raise ConfigError("活动配置缺少“[[phases]]”阶段目标。")
    phase_list = tuple(_phase(p, i) for i, p in enumerate(phases))
    for earlier, later in zip(phase_list, phase_list[1:]):
        if later.start <= earlier.end:
            raise ConfigError(f"活动配置中“{later.name}”与“{earlier.name}”的日期重叠或顺序颠倒。")

    rules = raw.get("bonus_rules", [])
    rule_list = tuple(_bonus_rule(r, i) for i, r in enumerate(rules))
    if len({r.id for r in rule_list}) != len(rule_list):
        raise ConfigError("活动配置“bonus_rules”中有重复的 id。")

    red, epmc, green = table("red_committee"), table("epmc"), table("green_community")
    status, reporting, limits = table("status"), table("reporting"), table("limits")
    report_dates = reporting.get("report_dates")
    if not isinstance(report_dates, list) or not all(
        isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in report_dates
    ):
        raise ConfigError("活动配置“reporting.report_dates”应为日期列表（如 [2021-11-30]）。")
    return Campaign(
        district=_get(campaign, "district", str, "campaign."),
        year=_get(campaign, "year", int, "campaign."),
        formation_denominator=denominator,
        towns=tuple(t.strip() for t in towns),
        phases=phase_list,
        red_min_party_share=_share(red, "min_party_share", "red_committee."),
        min_party_members_for_org=_get(red, "min_party_members_for_org", int, "red_committee."),
        epmc_min_members=_get(epmc, "min_members", int, "epmc."),
        epmc_odd_members=_get(epmc, "odd_members", bool, "epmc."),
        epmc_min_party_share=_share(epmc, "min_party_share", "epmc."),
        green_target=_get(green, "target", int, "green_community."),
        bonus_rules=rule_list,
        at_risk_pace_ratio=_share(status, "at_risk_pace_ratio", "status."),
        report_dates=tuple(sorted(report_dates)),
        grace_days=_get(reporting, "grace_days", int, "reporting."),
        max_upload_mb=_get(limits, "max_upload_mb", int, "limits."),
        max_rows_per_sheet=_get(limits, "max_rows_per_sheet", int, "limits."),
        max_columns=_get(limits, "max_columns", int, "limits."),
        max_unpacked_mb=_get(limits, "max_unpacked_mb", int, "limits."),
        max_zip_entries=_get(limits, "max_zip_entries", int, "limits."),
        max_compression_ratio=_get(limits, "max_compression_ratio", int, "limits."),
        parse_workers=max(1, _get(limits, "parse_workers", int, "limits.")),
        parse_memory_mb=_get(limits, "parse_memory_mb", int, "limits."),
        parse_timeout_s=max(1, _get(limits, "parse_timeout_s", int, "limits.")),
        backups_kept=_get(limits, "backups_kept", int, "limits."),
    )


def load_campaign(path: str | os.PathLike | None = None) -> Campaign:
    """The campaign from `path`, else REDPROP_CAMPAIGN, else the shipped defaults."""
    path = Path(path or os.environ.get("REDPROP_CAMPAIGN") or DEFAULT_PATH)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到活动配置文件：{path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"活动配置文件 {path} 格式有误：{exc}") from None
    return parse_campaign(raw)


@functools.cache
def default_campaign() -> Campaign:
    """The campaign in force for this process (cached: the file is read once)."""
    return load_campaign()
