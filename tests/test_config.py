"""The campaign file: seed defaults, validation messages naming the key, and documentation."""
import datetime as dt
import re
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest

from core.config import DEFAULT_PATH, ConfigError, load_campaign, parse_campaign

ROOT = Path(__file__).resolve().parent.parent


def raw_defaults() -> dict:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_defaults_are_the_seed_values():
    c = load_campaign(DEFAULT_PATH)
    assert c.district == "淄川区" and c.year == 2021
    assert c.towns == ("般阳路街道", "松龄路街道", "钟楼街道", "将军路街道", "昆仑镇", "岭子镇", "西河镇",
                       "龙泉镇", "寨里镇", "罗村镇", "洪山镇", "双杨镇", "太河镇")
    assert [(p.name, p.start, p.end, p.targets) for p in c.phases] == [
        ("第一阶段", dt.date(2021, 11, 15), dt.date(2021, 11, 30),
         {"epmc_coverage": Fraction(4, 5), "party_org_coverage": Fraction(3, 5)}),
        ("第二阶段", dt.date(2021, 12, 1), dt.date(2021, 12, 15),
         {"epmc_coverage": Fraction(9, 10), "party_org_coverage": Fraction(13, 20)}),
        ("第三阶段", dt.date(2021, 12, 16), dt.date(2021, 12, 31),
         {"epmc_coverage": Fraction(1), "party_org_coverage": Fraction(7, 10)}),
    ]
    assert [(r.measure, r.threshold, r.points) for r in c.bonus_rules] == [
        ("committee_formation_rate", Fraction(3, 5), 3), ("party_org_coverage", Fraction(3, 4), 3),
        ("district_brands_new", None, 2)]
    assert (c.red_min_party_share, c.epmc_min_members, c.epmc_odd_members, c.epmc_min_party_share) == (
        Fraction(4, 5), 5, True, Fraction(3, 5))
    assert c.green_target == 3 and c.formation_denominator == "all"


@pytest.mark.parametrize("mutate, key", [
    (lambda r: r["campaign"].pop("year"), "campaign.year"),
    (lambda r: r["campaign"].update(formation_denominator="some"), "campaign.formation_denominator"),
    (lambda r: r["phases"][0]["targets"].update(epmc_coverage=1.5), "phases[0].targets.epmc_coverage"),
    (lambda r: r["phases"][1].update(start="soon"), "phases[1].start"),
    (lambda r: r["phases"][0]["targets"].update(happiness=0.5), "phases[0].targets.happiness"),
    (lambda r: r["bonus_rules"][0].update(kind="bonus"), "bonus_rules[0].kind"),
    (lambda r: r["bonus_rules"][1].update(points=-3), "bonus_rules[1].points"),
    (lambda r: r["epmc"].update(odd_members="yes"), "epmc.odd_members"),
    (lambda r: r["red_committee"].update(min_party_share=80), "red_committee.min_party_share"),
    (lambda r: r.pop("limits"), "[limits]"),
])
def test_a_bad_value_is_named_by_its_key_in_chinese(mutate, key):
    raw = raw_defaults()
    mutate(raw)
    with pytest.raises(ConfigError) as info:
        parse_campaign(raw)
    assert key in str(info.value) and "活动配置" in str(info.value)


def test_overlapping_phases_are_refused():
    raw = raw_defaults()
    raw["phases"][1]["start"] = dt.date(2021, 11, 20)
    with pytest.raises(ConfigError, match="重叠"):
        parse_campaign(raw)


def test_redprop_campaign_overrides_the_defaults(tmp_path, monkeypatch):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace('district = "淄川区"', 'district = "张店区"')
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("REDPROP_CAMPAIGN", str(path))
    assert load_campaign().district == "张店区"


def test_unreadable_file_is_a_chinese_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[campaign\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="格式有误"):
        load_campaign(path)
    with pytest.raises(ConfigError, match="找不到"):
        load_campaign(tmp_path / "none.toml")


def _keys(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _keys(value, f"{prefix}{key}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                yield from _keys(item, f"{prefix}{key}[].")
        else:
            yield f"{prefix}{key}"


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Campaign configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE))
    assert set(_keys(raw_defaults())) <= documented, set(_keys(raw_defaults())) - documented
