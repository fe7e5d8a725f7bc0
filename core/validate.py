"""A town workbook → canonical tables per town and report date, plus every problem found.

`read_workbook` never stops at the first problem: it reads every sheet and row it can and
reports all errors and warnings together, each with sheet, Excel row and column header.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import body, gate, sheets
from core.body import PANDAS_DTYPES
from core.cells import parse_date, parse_text
from core.config import Campaign
from core.issues import Issue, IssueList
from core.layout import COMMUNITIES, COMPOUNDS, LEDGERS, Column, normalize_label
from core.reader import MAX_CELL_CHARS, UnreadableWorkbook, read_book

# How clerks end a town's name, per kind of town: "般阳路街道办事处" is 般阳路街道, "昆仑镇人民政府" is
# 昆仑镇; a bare stem ("般阳路", "昆仑") is either. A suffix of the other kind ("岭子街道" for 岭子镇)
# is not a spelling of the town but a mistake, and is reported.
TOWN_SUFFIXES = {"街道": ("街道办事处", "街道办", "办事处", "街道"), "镇": ("镇人民政府", "镇政府", "镇")}


class TownTables(Mapping):
    """Ledger key → one town's rows, sliced on first use from the workbook's tables of every town
    (a province workbook makes a thousand reports; most are only ever stored, set-wise)."""

    def __init__(self, everyone: dict[str, pd.DataFrame], town: str):
        self.everyone, self.town, self._sliced = everyone, town, {}

    def __getitem__(self, key: str) -> pd.DataFrame:
        if key not in self._sliced:
            frame = self.everyone[key]
            self._sliced[key] = frame.loc[frame["town"] == self.town].reset_index(drop=True)
        return self._sliced[key]

    def __iter__(self):
        return iter(self.everyone)

    def __len__(self) -> int:
        return len(self.everyone)


@dataclass(eq=False)
class Report:
    """The canonical rows of one town for one report date."""
    town: str
    report_date: dt.date
    tables: Mapping[str, pd.DataFrame]  # ledger key → rows (one column per layout code + source_row)
    compound_count: int | None = None
    community_count: int | None = None

    def __post_init__(self):
        if self.compound_count is None:
            self.compound_count = len(self.tables["compounds"])
        if self.community_count is None:
            self.community_count = len(self.tables["communities"])


@dataclass
class ParsedWorkbook:
    file_name: str
    sha256: str
    size_bytes: int
    issues: IssueList
    reports: list[Report] = field(default_factory=list)
    filled_by: str | None = None
    phone: str | None = None
    tables: dict[str, pd.DataFrame] | None = None  # every town's rows per ledger key, as read

    def all_tables(self) -> dict[str, pd.DataFrame]:
        """Ledger key → the rows of every report, with each report's town."""
        if self.tables is not None:
            return self.tables
        return {spec.key: pd.concat([r.tables[spec.key].assign(town=r.town) for r in self.reports], ignore_index=True)
                for spec in LEDGERS if self.reports}

    @property
    def errors(self) -> list[Issue]:
        return self.issues.errors

    @property
    def warnings(self) -> list[Issue]:
        return self.issues.warnings

    @property
    def ok(self) -> bool:
        return not self.errors


def _split_town(key: str) -> tuple[str, str | None]:
    """(stem, kind) of a normalised town name; kind None where it has no known suffix."""
    for kind, suffixes in TOWN_SUFFIXES.items():
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix):
                return key[: -len(suffix)], kind
    return key, None


def resolve_town(name: str | None, campaign: Campaign) -> str | None:
    """The configured town a clerk's spelling means ("般阳路", "昆仑镇人民政府" …), else None."""
    if not name:
        return None
    key = normalize_label(name)
    exact, stems = _town_index(tuple(campaign.towns))
    if key in exact:
        return exact[key]
    stem, kind = _split_town(key)
    matches = [t for (s, k), towns in stems.items() if s == stem and kind in (None, k) for t in towns]
    return matches[0] if len(matches) == 1 else None


def unknown_town_message(label: str, written: object, campaign: Campaign) -> str:
    """Chinese: the town is not configured, the one probably meant (岭子街道 → 岭子镇), and the list."""
    stem = _split_town(normalize_label(written))[0]
    near = [t for t in campaign.towns if _split_town(normalize_label(t))[0] == stem]
    hint = f"是否应为“{near[0]}”？" if len(near) == 1 else ""
    return f"{label}“{written}”不是本区的镇（街道）；{hint}请填写：{'、'.join(campaign.towns)}之一。"


# ---------------------------------------------------------------- report metadata

def _town_named_in(title_rows, campaign) -> str | None:
    """The one configured town whose full name a title row mentions ("昆仑镇红色物业台账"), else None."""
    named = {town for values, _, _ in title_rows for value in values if isinstance(value, str)
             for town in campaign.towns if normalize_label(town) in normalize_label(value)}
    return named.pop() if len(named) == 1 else None


def _info_text(info, code: str, issues) -> str | None:
    """A text field of 基本信息 (filled_by, phone), refused where longer than an Excel cell holds."""
    if code not in info:
        return None
    value, sheet, row, label = info[code]
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        issues.error("cell_too_long", f"“{label}”有 {len(value)} 个字符，超过 Excel 单元格上限 {MAX_CELL_CHARS} 个字符，"
                     "请删减后再上传。", sheet, row, label)
        return None
    return parse_text(value)[0]


def _report_meta(raw_sheets, ledgers, campaign, town, report_date, issues):
    """(default town, town stated, report date, filled_by, phone) from 基本信息, the title rows, then
    the caller. `town stated` is true where 基本信息 or the caller names a town, even one that is
    not configured (that error is reported once, here, not again for every row)."""
    info = sheets.info_fields(raw_sheets)
    title = sheets.title_fields(ledgers)
    default_town = None
    if "town" in info:
        value, sheet, row, label = info["town"]
        default_town = resolve_town(parse_text(value)[0], campaign)
        if default_town is None:
            issues.error("unknown_town", unknown_town_message(label, value, campaign),
                         sheet, row, label)
    else:
        if "town" in title:
            default_town = resolve_town(parse_text(title["town"][0])[0], campaign)
        if default_town is None:
            default_town = _town_named_in(sheets.title_rows(ledgers), campaign)
    if default_town is None and town and "town" not in info:
        default_town = resolve_town(town, campaign)
        if default_town is None:
            issues.error("unknown_town", unknown_town_message("指定的镇（街道）", town, campaign))

    date = None
    source = info.get("report_date") or title.get("report_date")
    if source:
        value, sheet, row, label = source
        date, problem = parse_date(value)
        if problem:
            issues.error("bad_report_date", f"{label}{problem}。", sheet, row, label)
    elif report_date:
        date = report_date
    else:
        issues.error("missing_report_date",
                     "工作簿中没有报送日期：请在“基本信息”表填写“报送日期”（如 2021-11-30），或在上传时选择报送日期。")
    if date and date.year != campaign.year:
        issues.warning("report_date_outside_year",
                       f"报送日期 {date.isoformat()} 不在本次活动年度（{campaign.year}年）内，请确认是否填错。",
                       *(source[1:] if source else (None, None, None)))
    filled_by, phone = _info_text(info, "filled_by", issues), _info_text(info, "phone", issues)
    town_stated = default_town is not None or "town" in info or bool(town)
    return default_town, town_stated, date, filled_by, phone


# ---------------------------------------------------------------- one ledger sheet

def _col(ledger: sheets.Ledger, code: str) -> int | None:
    """The 1-based Excel column of a ledger column, for the issue that names one of its cells."""
    index = ledger.columns.get(code)
    return None if index is None else index + 1


def _read_ledger(ledger: sheets.Ledger, default_town, town_stated, campaign, issues):
    """(canonical rows of one located ledger, its object columns as Arrow); cell problems go to
    `issues`."""
    spec = ledger.spec
    rows = body.read_body(ledger)
    data: dict[str, object] = {"source_row": (rows.rows + 1).astype(np.int64)}  # column arrays
    arrows: dict[str, pa.Array] = {}
    texts = body.convert_texts([c for c in spec.columns if c.kind == "text" and c.code in rows.cells], rows.cells)
    # A column whose requirement depends on another (required_when) is read after it.
    for column in sorted(spec.columns, key=lambda c: c.required_when is not None):
        data[column.code] = _read_column(column, ledger, rows, data, issues, arrows, texts.get(column.code))
    frame = pd.DataFrame({code: _column(data[code]) for code in ("source_row", *(c.code for c in spec.columns))},
                         copy=False)
    arrows["town"] = _resolve_towns(frame, ledger, default_town, town_stated, campaign, issues, arrows["town"])
    return frame, arrows


def _column(values):
    """A frame column of the values as they are: an object array stays object (pandas would
    otherwise infer its own string type from it, converting every text once more)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, dtype=object, copy=False)
    return values


def _arrow_backed(frame: pd.DataFrame, arrows: dict[str, pa.Array]) -> pd.DataFrame:
    """The frame with its object columns replaced by their Arrow arrays (same values, None → NA)."""
    return pd.DataFrame({code: pd.arrays.ArrowExtensionArray(arrows[code]) if code in arrows else frame[code].array
                         for code in frame.columns}, copy=False)


def _read_column(column: Column, ledger: sheets.Ledger, rows: body.Body, data, issues, arrows,
                 converted: body.Converted | None = None):
    """One column's canonical values for the data rows (cell problems go to `issues`, in row order)."""
    count = len(rows.rows)
    if converted is None and column.code not in rows.cells:  # a column the sheet lacks: all blank
        value = body.blank_value(column)
        arrow = pa.array([value] * count, body.ARROW_TYPES[column.kind]) if column.kind in body.ARROW_TYPES else None
        converted = body.Converted(body.per_row(column.kind, [value], np.zeros(count, dtype=np.intp)),
                                   np.ones(count, dtype=bool), [], arrow)
    elif converted is None:
        converted = body.convert(column, rows.cells[column.code])
    if converted.arrow is not None:
        arrows[column.code] = converted.arrow
    header, sheet, number = ledger.header_of(column.code), ledger.raw.name, _col(ledger, column.code)
    found = [(i, problem, code) for i, problem, code in converted.problems]
    if column.default is None and column.required and column.code != "town" and converted.blank.any():
        applies = converted.blank.copy()
        if column.required_when:
            applies &= pd.Series(data[column.required_when]).fillna(False).astype(bool).to_numpy()
        found += [(int(i), None, None) for i in np.flatnonzero(applies)]
    source = rows.rows
    for i, problem, code in sorted(found, key=lambda item: item[0]):
        row = int(source[i]) + 1
        if problem is not None:
            issues.error(code, f"“{header}”{problem}。", sheet, row, header, number)
        elif column.kind == "yesno":
            issues.warning("blank_yesno", f"“{header}”为空，已按“否”处理；如已成立请填“是”。", sheet, row, header, number)
        else:
            issues.error("required_blank", f"“{header}”不能为空，请填写。", sheet, row, header, number)
    return converted.values


@functools.lru_cache(maxsize=8)
def _town_index(towns: tuple[str, ...]) -> tuple[dict, dict]:
    """(normalised name → town, (stem, kind) → towns) of the configured towns."""
    exact, stems = {}, {}
    for town in towns:
        key = normalize_label(town)
        exact.setdefault(key, town)
        stems.setdefault(_split_town(key), []).append(town)
    return exact, stems


def _resolve_towns(frame, ledger, default_town, town_stated, campaign, issues, written_arrow: pa.Array) -> pa.Array:
    """Each row's configured town (the frame's `town` column is replaced), as Arrow too; the
    names are resolved once each, from the column's distinct texts."""
    header = ledger.header_of("town")
    written = frame["town"]
    encoded = written_arrow.dictionary_encode()
    names = encoded.dictionary.to_pylist()
    missing = encoded.indices.is_null().to_numpy(zero_copy_only=False)
    resolved = {name: resolve_town(name, campaign) for name in names}
    unknown = {name for name, town in resolved.items() if town is None}
    if unknown:
        for row, name in zip(frame["source_row"], written):
            if name in unknown:
                issues.error("unknown_town", unknown_town_message("镇（街道）", name, campaign),
                             ledger.raw.name, int(row), header, _col(ledger, "town"))
    if missing.any() and not town_stated:
        missing_rows = frame["source_row"].to_numpy()[missing]
        where = f"第{missing_rows[0]}行" + (f"等{len(missing_rows)}行" if len(missing_rows) > 1 else "")
        issues.error("missing_town", f"{where}没有填写镇（街道）：请在该列填写，或在“基本信息”表填写本镇（街道）名称。",
                     ledger.raw.name, int(missing_rows[0]), header, _col(ledger, "town"))
    lookup = [resolved[name] for name in names] + [default_town]  # a missing name: the default town
    codes = pc.fill_null(encoded.indices, len(names))
    frame["town"] = pd.Series(np.array(lookup, dtype=object)[codes.to_numpy(zero_copy_only=False)],
                              index=frame.index, dtype="object")
    return pa.array(lookup, pa.string()).take(codes)


# ---------------------------------------------------------------- rules across cells and sheets

def _each(frame, mask):
    """The rows where `mask` holds (most checks find none: that case costs next to nothing)."""
    chosen = mask.to_numpy(dtype=bool, na_value=False)
    return frame.loc[chosen].itertuples(index=False) if chosen.any() else iter(())


def _rows_in_error(issues, ledger, code) -> set[int]:
    """Excel rows whose cell in column `code` already has an error (a bad value reads as blank)."""
    header = ledger.header_of(code)
    return {i.row for i in issues.errors if i.sheet == ledger.raw.name and i.column == header}


def _distinct_keys(arrows: dict[str, pa.Array], keys: list[str]) -> bool:
    """True where no two rows with every key filled share their keys (one Arrow hash pass: most
    ledgers have no duplicate, and then the pandas work below is skipped)."""
    joined = pc.binary_join_element_wise(*(arrows[key] for key in keys), "\x1f").drop_null()  # null: a key missing
    return len(pc.unique(joined)) == len(joined)


def _check_duplicates(frame, ledger, issues, label, arrows):
    keys = ["town", *ledger.spec.key_columns]
    if _distinct_keys(arrows, keys):
        return
    valid = frame.dropna(subset=keys)
    duplicated = valid.duplicated(subset=keys, keep="first")
    if not duplicated.any():
        return
    first_rows = valid.drop_duplicates(subset=keys).set_index(keys)["source_row"]
    header = ledger.header_of(ledger.spec.key_columns[-1])
    scope = "同一镇（街道）、同一社区内" if "community" in keys[1:-1] else "同一镇（街道）内"
    for row in valid.loc[duplicated].itertuples(index=False):
        key = tuple(getattr(row, k) for k in keys)
        issues.error(f"duplicate_{ledger.spec.key}",
                     f"{label}“{key[-1]}”与第{first_rows.loc[key]}行重复（{scope}只能出现一次），请删除或合并。",
                     ledger.raw.name, row.source_row, header, _col(ledger, ledger.spec.key_columns[-1]))


def _check_dates(frame, ledger, codes, report_date, issues):
    if report_date is None:
        return
    for code in codes:
        if code not in ledger.columns:
            continue
        header = ledger.header_of(code)
        dates = frame[code]
        late_dates = [d for d in dates.dropna().unique() if d > report_date]
        if not late_dates:
            continue
        for row in _each(frame, dates.isin(late_dates)):
            issues.warning("date_after_report",
                           f"“{header}”{getattr(row, code).isoformat()} 晚于报送日期 {report_date.isoformat()}，请核对。",
                           ledger.raw.name, row.source_row, header, _col(ledger, code))


def _check_counts(frame, ledger, members, party, issues, unit):
    over = frame[party] > frame[members]
    for row in _each(frame, over):
        issues.error("party_exceeds_members",
                     f"“{ledger.header_of(party)}”{getattr(row, party)} 多于“{ledger.header_of(members)}”"
                     f"{getattr(row, members)}，党员数不能超过{unit}成员数，请核对。",
                     ledger.raw.name, row.source_row, ledger.header_of(party), _col(ledger, party))


def _check_compounds(frame, ledger, campaign, report_date, issues, arrows):
    h = ledger.header_of
    _check_duplicates(frame, ledger, issues, "小区", arrows)
    orphan = frame["committee_party_org"].eq(True) & frame["has_committee"].eq(False)
    for row in _each(frame, orphan):
        issues.error("party_org_without_committee",
                     f"“{h('committee_party_org')}”填了“是”，但“{h('has_committee')}”为“否”：没有业委会就不能有业委会党组织，"
                     "请改正其中一项。", ledger.raw.name, row.source_row, h("committee_party_org"),
                     _col(ledger, "committee_party_org"))
    no_size = frame["has_committee"].eq(True) & frame["committee_members"].isna() & ~frame["source_row"].isin(
        _rows_in_error(issues, ledger, "committee_members"))
    for row in _each(frame, no_size):
        issues.error("committee_members_missing", f"已成立业委会的小区须填写“{h('committee_members')}”，请补填业委会成员人数。",
                     ledger.raw.name, row.source_row, h("committee_members"), _col(ledger, "committee_members"))
    _check_counts(frame, ledger, "committee_members", "committee_party_members", issues, "业委会")
    few = frame["has_committee"].eq(True) & frame["committee_party_org"].eq(True) & (
        frame["committee_party_members"].fillna(0) < campaign.min_party_members_for_org)
    for row in _each(frame, few):
        issues.warning("party_org_few_members",
                       f"已建党组织，但党员只有 {0 if pd.isna(row.committee_party_members) else row.committee_party_members} 名（成立党组织一般需 "
                       f"{campaign.min_party_members_for_org} 名以上正式党员），请核对。",
                       ledger.raw.name, row.source_row, h("committee_party_members"),
                       _col(ledger, "committee_party_members"))
    _check_dates(frame, ledger, ("committee_founded", "party_org_founded"), report_date, issues)


def _check_communities(frame, ledger, campaign, report_date, issues, arrows):
    h = ledger.header_of
    _check_duplicates(frame, ledger, issues, "社区", arrows)
    has = frame["has_epmc"].eq(True)
    no_size = frame["epmc_members"].isna() & ~frame["source_row"].isin(_rows_in_error(issues, ledger, "epmc_members"))
    for row in _each(frame, has & no_size):
        issues.error("epmc_members_missing", f"已成立环物委的社区须填写“{h('epmc_members')}”，请补填环物委成员人数。",
                     ledger.raw.name, row.source_row, h("epmc_members"), _col(ledger, "epmc_members"))
    _check_counts(frame, ledger, "epmc_members", "epmc_party_members", issues, "环物委")
    members, party = frame["epmc_members"], frame["epmc_party_members"]
    small = has & (members < campaign.epmc_min_members)
    for row in _each(frame, small):
        issues.warning("epmc_too_small",
                       f"环物委成员 {row.epmc_members} 人，少于规定的 {campaign.epmc_min_members} 人，不符合环物委组建要求；"
                       "请核对人数或补足成员。",
                       ledger.raw.name, row.source_row, h("epmc_members"), _col(ledger, "epmc_members"))
    if campaign.epmc_odd_members:
        for row in _each(frame, has & (members % 2 == 0) & ~small.fillna(False)):
            issues.warning("epmc_even", f"环物委成员 {row.epmc_members} 人，按要求应为单数；请核对人数或调整成员。",
                           ledger.raw.name, row.source_row, h("epmc_members"), _col(ledger, "epmc_members"))
    share = campaign.epmc_min_party_share
    low = has & (members > 0) & (party * share.denominator < members * share.numerator)
    for row in _each(frame, low):
        issues.warning("epmc_party_share",
                       f"环物委党员 {row.epmc_party_members} 人 / 成员 {row.epmc_members} 人，党员比例低于 {float(share):.0%}；"
                       "请核对党员人数或调整成员构成。",
                       ledger.raw.name, row.source_row, h("epmc_party_members"), _col(ledger, "epmc_party_members"))
    for row in _each(frame, has & frame["epmc_conflict"].eq(True)):
        issues.warning("epmc_conflict", "存在任职回避情形：环物委成员本人及直系亲属不得在本社区业委会、物业企业任职，请调整成员。",
                       ledger.raw.name, row.source_row, h("epmc_conflict"), _col(ledger, "epmc_conflict"))
    _check_dates(frame, ledger, ("epmc_founded",), report_date, issues)


def _check_brands(frame, ledger, campaign, report_date, issues, arrows):
    _check_duplicates(frame, ledger, issues, "品牌", arrows)
    _check_dates(frame, ledger, ("recognized",), report_date, issues)


def _pair_keys(columns: dict[str, pa.Array]) -> pa.Array:
    """"town␟community" per row (null where either is missing)."""
    return pc.binary_join_element_wise(columns["town"], columns["community"], "\x1f")


def _unlisted(compounds: dict[str, pa.Array], communities: dict[str, pa.Array]) -> np.ndarray:
    """Per compound row: its town and community are filled, and that community is not listed."""
    keys = _pair_keys(compounds)
    listed = pc.is_in(keys, value_set=_pair_keys(communities).drop_null())
    return pc.fill_null(pc.invert(listed), False).to_numpy(zero_copy_only=False) & \
        keys.is_valid().to_numpy(zero_copy_only=False)


def _check_cross_sheet(tables, ledgers, issues, arrows):
    compounds, communities = tables.get("compounds"), tables.get("communities")
    if compounds is not None and communities is not None:
        unlisted = _unlisted(arrows["compounds"], arrows["communities"])
        if unlisted.any():
            _warn_unlisted(compounds, communities, unlisted, ledgers, issues)
    members = tables.get("epmc_members")
    if members is not None and communities is not None:
        _check_member_list(members, communities, ledgers, issues)
    _check_towns_have_ledgers(tables, ledgers, issues)


def _warn_unlisted(compounds, communities, unlisted: np.ndarray, ledgers, issues):
    """One warning per community that compound rows name but the community ledger lacks."""
    listed = set(zip(communities["town"], communities["community"]))
    ledger = ledgers["compounds"]
    for row in _each(compounds, pd.Series(unlisted, index=compounds.index, dtype=bool)):
        if (row.town, row.community) not in listed:
            issues.warning("community_not_listed",
                           f"社区“{row.community}”在“{ledgers['communities'].raw.name}”中没有，请在社区台账补上该社区。",
                           ledger.raw.name, row.source_row, ledger.header_of("community"), _col(ledger, "community"))
            listed.add((row.town, row.community))  # once per community is enough


def _check_towns_have_ledgers(tables, ledgers, issues):
    """A brand or member row of a town that has no compound or community in this workbook would
    make an (empty) report that supersedes that town's real one: refuse it."""
    reporting = {t for key in ("compounds", "communities") if key in tables for t in tables[key]["town"].dropna()}
    for key in ("brands", "epmc_members"):
        if key not in tables or ("compounds" not in tables and "communities" not in tables):
            continue
        ledger = ledgers[key]
        for row in tables[key].itertuples(index=False):
            if row.town is not None and row.town not in reporting:
                issues.error("town_without_ledger",
                             f"“{row.town}”在本工作簿的小区台账、社区台账中都没有数据，此行不能单独导入；"
                             "请把这一行填到该镇（街道）自己的工作簿中，或改正镇（街道）名称。",
                             ledger.raw.name, row.source_row, ledger.header_of("town"), _col(ledger, "town"))


def _check_member_list(members, communities, ledgers, issues):
    ledger = ledgers["communities"]
    counted = members.groupby(["town", "community"], dropna=True).agg(
        people=("name", "size"), party=("party_member", lambda s: int(s.eq(True).sum())))
    for row in communities.itertuples(index=False):
        key = (row.town, row.community)
        if key not in counted.index:
            continue
        people, party = counted.loc[key]
        if row.epmc_members is not pd.NA and row.epmc_members is not None and people != row.epmc_members:
            issues.warning("member_list_mismatch",
                           f"“{ledgers['epmc_members'].raw.name}”中该社区列了 {people} 名成员，与此处填写的 {row.epmc_members} 人不一致，请核对。",
                           ledger.raw.name, row.source_row, ledger.header_of("epmc_members"),
                           _col(ledger, "epmc_members"))
        if row.epmc_party_members is not pd.NA and row.epmc_party_members is not None and party != row.epmc_party_members:
            issues.warning("member_list_mismatch",
                           f"“{ledgers['epmc_members'].raw.name}”中该社区有 {party} 名党员，与此处填写的 {row.epmc_party_members} 人不一致，请核对。",
                           ledger.raw.name, row.source_row, ledger.header_of("epmc_party_members"),
                           _col(ledger, "epmc_party_members"))


CHECKS = {"compounds": _check_compounds, "communities": _check_communities, "brands": _check_brands}


# ---------------------------------------------------------------- what the file hides

def _check_hidden_sheets(raw_sheets, issues) -> None:
    """A hidden sheet with data is refused: what a clerk cannot see, a checker cannot check."""
    for sheet in raw_sheets:
        if not sheet.visible and not all(body.blank_cells(a).all() for a in sheet.columns if a is not None):
            issues.error("hidden_sheet", f"工作表“{sheet.name}”是隐藏的，但其中有数据；隐藏的表无法核对，系统不予导入。"
                         "请在 Excel 或 WPS 中取消隐藏（右键工作表标签→取消隐藏），核对后删除该表或把数据移入正式台账，再上传。",
                         sheet.name)


def _a1(row: int, column: int) -> str:
    """'D5' for 0-based (4, 3)."""
    letters, n = "", column + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _formula_cells_that_matter(name, cells, ledgers_by_sheet) -> list[tuple[int, int, str | None]]:
    """(row, column, header) of the formula cells the importer reads: every cell of 基本信息 and of
    a ledger's title and header rows, and the ledger's mapped columns below its header."""
    ledger = ledgers_by_sheet.get(name)
    if ledger is None:
        return [(r, c, None) for r, c in cells]
    mapped = {index: code for code, index in ledger.columns.items()}
    return [(r, c, ledger.header_of(mapped[c]) if c in mapped else None) for r, c in cells
            if r < ledger.first_data_row or c in mapped]


def _check_sheet_xml(scans, raw_sheets, ledgers, issues) -> None:
    """Formulas without a saved result (read as blank), named cell by cell, and sheet XML that
    declares a DTD, in the sheets the importer reads."""
    ledgers_by_sheet = {ledger.raw.name: ledger for ledger in ledgers.values()}
    names = dict.fromkeys([*ledgers_by_sheet, *(s.name for s in raw_sheets if sheets.is_info_sheet(s.name))])
    for name, scan in ((n, scans[n]) for n in names if n in scans):
        if scan.unsafe:
            issues.error("xml_unsafe", f"工作表“{name}”的文件内容含有 XML 文档类型声明（DTD），Excel 和 WPS 不会写入这种内容，"
                         "系统不予读取；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。", name)
        for r, c, header in _formula_cells_that_matter(name, scan.formula_cells, ledgers_by_sheet):
            issues.error("formula_without_value",
                         f"单元格 {_a1(r, c)} 是公式，但文件中没有保存公式的计算结果（常见于用程序生成、未在 Excel/WPS 中打开保存过的文件），"
                         "系统只能读到空白；请用 Excel 或 WPS 打开该文件、确认计算结果后保存，或把公式改为数值，再上传。",
                         name, r + 1, header, c + 1)
        if scan.more_formula_cells:
            issues.error("formula_without_value", f"工作表“{name}”中还有更多没有保存计算结果的公式单元格（以上只列出前面的部分）；"
                         "请用 Excel 或 WPS 打开该文件、确认计算结果后保存再上传。", name)


# ---------------------------------------------------------------- the whole workbook

def _check_size(ledger: sheets.Ledger, campaign: Campaign, issues) -> bool:
    """False (with an error) where the sheet has more rows or columns than the campaign allows."""
    rows, columns = ledger.raw.size  # the whole sheet's, though the reader kept only its first rows
    if rows > campaign.max_rows_per_sheet:
        issues.error("too_many_rows", f"“{ledger.raw.name}”有 {rows} 行，超过上限 {campaign.max_rows_per_sheet} 行；"
                     "请删除多余的行或把数据拆分到多个工作簿后再上传。", ledger.raw.name)
    if columns > campaign.max_columns:
        issues.error("too_many_columns", f"“{ledger.raw.name}”有 {columns} 列，超过上限 {campaign.max_columns} 列；"
                     "请删除多余的列后再上传。", ledger.raw.name)
    return rows <= campaign.max_rows_per_sheet and columns <= campaign.max_columns


def _check_columns(ledger: sheets.Ledger, town_stated: bool, issues) -> bool:
    spec = ledger.spec
    needed = list(spec.required_columns) + ([] if town_stated else ["town"])
    missing = [spec.column(code).header for code in needed if code not in ledger.columns]
    found = "、".join(f"“{h}”" for h in ledger.headers.values()) or "（无）"
    for header in ledger.duplicate_headers:
        issues.warning("duplicate_column", f"表头“{header}”与前面的列含义相同，只读取了前一列；请删除重复的列或改正表头。",
                       ledger.raw.name, ledger.header_rows[-1] + 1, header)
    for header in ledger.unknown_headers:
        issues.warning("unknown_column", f"未识别的列“{header}”，其内容不会导入；如需导入，请将表头改为模板中的名称。", ledger.raw.name,
                       ledger.header_rows[-1] + 1, header)
    if missing:
        issues.error("missing_column",
                     f"缺少必填列：{'、'.join(f'“{m}”' for m in missing)}。第{ledger.header_rows[-1] + 1}行的表头为：{found}。"
                     "请按模板补上这些列（可下载模板对照）。", ledger.raw.name, ledger.header_rows[-1] + 1, None)
    return not missing


@functools.lru_cache(maxsize=None)
def _empty_table(key: str) -> pd.DataFrame:
    spec = next(s for s in LEDGERS if s.key == key)
    return pd.DataFrame({"source_row": pd.Series([], dtype="int64"),
                         **{c.code: pd.Series([], dtype=PANDAS_DTYPES[c.kind]) for c in spec.columns}})


def _split_by_town(tables, report_date) -> list[Report]:
    """One report per town named in the tables, in order of first appearance, each slicing its
    rows from the shared tables only when asked."""
    for spec in LEDGERS:
        if spec.key not in tables:
            tables[spec.key] = _empty_table(spec.key).copy()
    counts = {key: _rows_per_town(frame) for key, frame in tables.items()}
    seen: dict[str, None] = {}
    for per_town in counts.values():
        seen.update(dict.fromkeys(per_town))
    return [Report(town, report_date, TownTables(tables, town), counts["compounds"].get(town, 0),
                   counts["communities"].get(town, 0)) for town in seen]


def _rows_per_town(frame: pd.DataFrame) -> dict[str, int]:
    """Town → its number of rows, in order of first appearance (the town column is Arrow-backed)."""
    if frame.empty:
        return {}
    counted = pc.value_counts(pa.array(frame["town"].array).drop_null())
    return dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()))


def read_workbook(data: bytes, file_name: str, campaign: Campaign,
                  town: str | None = None, report_date: dt.date | None = None) -> ParsedWorkbook:
    """The workbook's reports (one per town) and every problem found in it."""
    issues = IssueList()
    parsed = ParsedWorkbook(file_name, hashlib.sha256(data).hexdigest(), len(data), issues)
    refusal = gate.check(data, gate.Limits.of(campaign))
    if refusal:
        issues.error(refusal.code, refusal.message)
        return parsed
    try:
        book = read_book(data, campaign.max_rows_per_sheet, campaign.max_columns)
    except UnreadableWorkbook as exc:
        issues.error("unreadable", str(exc))
        return parsed

    raw_sheets = book.sheets
    _check_hidden_sheets(raw_sheets, issues)
    ledgers = sheets.locate_ledgers(raw_sheets)
    _check_sheet_xml(book.scans, raw_sheets, ledgers, issues)
    default_town, town_stated, date, parsed.filled_by, parsed.phone = _report_meta(
        raw_sheets, ledgers, campaign, town, report_date, issues)
    names = "、".join(f"“{s.name}”" for s in raw_sheets) or "（无）"
    for spec in (COMPOUNDS, COMMUNITIES):
        if spec.key not in ledgers:
            needed = "、".join(f"“{spec.column(c).header}”" for c in spec.required_columns[:4])
            issues.error("missing_sheet",
                         f"没有找到“{spec.name}”：需要一个含 {needed} 等表头的工作表。本工作簿的工作表有：{names}。"
                         "请按模板填写（可下载模板对照）。")

    tables: dict[str, pd.DataFrame] = {}
    arrows: dict[str, dict[str, pa.Array]] = {}
    for key, ledger in ledgers.items():
        if not _check_size(ledger, campaign, issues) or not _check_columns(ledger, town_stated, issues):
            continue
        frame, arrows[key] = _read_ledger(ledger, default_town, town_stated, campaign, issues)
        if key in CHECKS:
            CHECKS[key](frame, ledger, campaign, date, issues, arrows[key])
        if frame.empty and ledger.spec.required:
            issues.error("empty_sheet", f"“{ledger.raw.name}”在表头下没有数据行，请填写后再上传。", ledger.raw.name,
                         ledger.first_data_row + 1)
        tables[key] = frame
    _check_cross_sheet(tables, ledgers, issues, arrows)
    if parsed.ok and date is not None:
        tables = {key: _arrow_backed(frame, arrows[key]) for key, frame in tables.items()}
        parsed.reports = _split_by_town(tables, date)
        parsed.tables = tables
    return parsed
