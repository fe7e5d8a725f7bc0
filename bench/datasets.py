"""Seeded benchmark data sets: a district, a city and a province.

Everything is written to a temporary folder, never committed:
- a campaign file whose towns fit the scale (a province has ~1,000 towns and sub-districts);
- one ledger workbook per scale (template layout, 10 compounds per community);
- a history database with a year of monthly reports (12 × the scale's compounds), built in SQL.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl

from core.config import DEFAULT_PATH
from core.layout import COMMUNITIES, COMPOUNDS

SEED = 2021
YEAR = 2021


@dataclass(frozen=True)
class Scale:
    name: str
    compounds: int
    towns: int

    @property
    def communities(self) -> int:
        return self.compounds // 10


SCALES = {s.name: s for s in (Scale("district", 100, 13), Scale("city", 3_000, 100), Scale("province", 100_000, 1_000))}


def town_names(count: int) -> list[str]:
    return [f"第{i:04d}镇" for i in range(1, count + 1)]


def write_campaign(folder: Path, towns: list[str]) -> Path:
    """The default campaign with the benchmark's towns."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    listed = ", ".join(f'"{t}"' for t in towns)
    text = re.sub(r"towns = \[[^\]]*\]", f"towns = [{listed}]", text, count=1)
    text = re.sub(r"max_rows_per_sheet = \d+", "max_rows_per_sheet = 1000000", text)
    text = re.sub(r"max_upload_mb = \d+", "max_upload_mb = 100", text)
    path = folder / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_workbook(path: Path, scale: Scale, report_date: dt.date | None, seed: int = SEED) -> Path:
    """A consolidated ledger workbook of the scale's towns, in the template layout. Without a
    report date the importer takes the one it is given (as the upload page's date picker does)."""
    rng = random.Random(seed)
    towns = town_names(scale.towns)
    book = openpyxl.Workbook(write_only=True)
    info = book.create_sheet("基本信息")
    info.append(["项目", "内容"])
    if report_date is not None:
        info.append(["报送日期", report_date])
    compounds = book.create_sheet("小区台账")
    compounds.append([c.header for c in COMPOUNDS.columns])
    for i in range(scale.compounds):
        community = i // 10
        town = towns[community * scale.towns // scale.communities]
        has = rng.random() < 0.75
        members = rng.choice((5, 7, 9)) if has else None
        party = rng.randint(1, members) if has else None
        org = has and party >= 3 and rng.random() < 0.6
        compounds.append([town, f"社区{community:05d}", f"小区{i:06d}", "是", "是" if has else "否",
                          dt.date(2020, 1 + i % 12, 1 + i % 28) if has else None, members, party,
                          "是" if org else "否", None, f"物业服务公司{rng.randint(1, scale.compounds // 20 + 1)}",
                          "是" if rng.random() < 0.3 else "否"])
    communities = book.create_sheet("社区台账")
    communities.append([c.header for c in COMMUNITIES.columns])
    for j in range(scale.communities):
        has = rng.random() < 0.8
        members = rng.choice((5, 7, 9)) if has else None
        communities.append([towns[j * scale.towns // scale.communities], f"社区{j:05d}", "是" if has else "否",
                            dt.date(2021, 1 + j % 11, 1) if has else None, members,
                            (members * 4 + 4) // 5 if has else None, None, "否" if has else None, "未创建"])
    book.save(path)
    return path


def build_history(path: Path, scale: Scale, months: int = 12) -> Path:
    """A database holding `months` monthly reports of every town (scale.compounds rows each month)."""
    from core import store

    conn = store.connect(path)
    towns = town_names(scale.towns)
    per_town = scale.compounds // scale.towns
    conn.execute("CREATE TEMP TABLE bench_towns AS SELECT unnest($towns) AS town, "
                 "generate_subscripts($towns, 1) AS town_no", {"towns": towns})
    conn.begin()
    conn.execute("""
        INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, uploaded_at, uploader, town, report_date,
                             version, active, is_sample, warning_count, warnings, content_sha256)
        SELECT nextval('upload_id_seq'), 'bench.xlsx', md5(town || m::VARCHAR), 0,
               last_day(make_date($year, m, 1))::TIMESTAMP + INTERVAL 1 DAY, 'bench', town,
               last_day(make_date($year, m, 1)), 1, TRUE, FALSE, 0, '[]', md5(town || m::VARCHAR)
        FROM bench_towns, range(1, $months + 1) AS months(m)""", {"year": YEAR, "months": months})
    # Progress grows month by month: a compound's committee appears once hash-derived month ≤ m.
    conn.execute("""
        INSERT INTO compounds
        SELECT u.upload_id, 1 + i, u.town, 'community' || (i // 10)::VARCHAR, 'compound' || i::VARCHAR, TRUE,
               hash(u.town, i) % 12 < month(u.report_date), NULL, 7, 1 + hash(i) % 7,
               hash(u.town, i) % 12 < month(u.report_date) AND hash(i, 1) % 12 < month(u.report_date),
               NULL, 'company' || (hash(i) % 500)::VARCHAR, hash(i) % 3 = 0
        FROM uploads u, range($per_town) AS rows(i)""", {"per_town": per_town})
    conn.execute("""
        INSERT INTO communities
        SELECT u.upload_id, 1 + j, u.town, 'community' || j::VARCHAR, hash(u.town, j, 2) % 12 < month(u.report_date),
               NULL, 5, 3, NULL, FALSE, '未创建'
        FROM uploads u, range($per_town // 10) AS rows(j)""", {"per_town": per_town})
    conn.commit()
    conn.execute("CHECKPOINT")
    conn.close()
    return path


def history_rows(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("SELECT count(*) FROM compounds").fetchone()[0]
