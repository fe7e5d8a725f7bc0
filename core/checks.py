"""The rules across cells and sheets of a town workbook (a cell's own problems are found as it is
read, in core/validate.py).

Each rule is a mask over a ledger's column arrays (core/ledger_columns.py); most masks are empty,
and only the rows they flag are looked at one by one, to write the message. A blank cell never
breaks a rule: every comparison with one is False, as in the masks' NumPy NaN arithmetic.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.ledger_columns import LedgerColumns
from core.sheets import Ledger


def _flag(add, code: str, ledger: Ledger, column: str, cols: LedgerColumns, mask: np.ndarray, message) -> None:
    """`add` (issues.error or issues.warning) an issue `code` at `column` of each row where `mask`
    holds, its text `message(i)` for row index i."""
    for i in np.flatnonzero(mask):
        add(code, message(int(i)), ledger.raw.name, int(cols.source_row[i]), ledger.header_of(column),
            ledger.column_number(column))


def _not_in_error(cols: LedgerColumns, issues, ledger: Ledger, code: str) -> np.ndarray:
    """Per row: its cell in column `code` has no error yet (a bad value reads as blank, and one
    message for the cell is enough)."""
    header = ledger.header_of(code)
    rows = [i.row for i in issues.errors if i.sheet == ledger.raw.name and i.column == header]
    return ~np.isin(cols.source_row, rows) if rows else np.ones(len(cols), dtype=bool)


# ---------------------------------------------------------------- within one ledger

def _duplicate_rows(cols: LedgerColumns, keys: list[str]) -> list[tuple[int, int]]:
    """(row index, index of the row it repeats) of every row whose keys, all filled, an earlier
    row has. One Arrow hash pass first: most ledgers have no duplicate."""
    joined = pc.binary_join_element_wise(*(cols.arrows[key] for key in keys), "\x1f")  # null: a key missing
    filled = joined.drop_null()
    if len(pc.unique(filled)) == len(filled):
        return []
    first: dict[str, int] = {}
    repeats = []
    for i, key in enumerate(joined.to_pylist()):
        if key is None:
            continue
        if key in first:
            repeats.append((i, first[key]))
        else:
            first[key] = i
    return repeats


def _check_duplicates(cols: LedgerColumns, ledger: Ledger, issues, label: str) -> None:
    keys = ["town", *ledger.spec.key_columns]
    name = ledger.spec.key_columns[-1]
    scope = "同一镇（街道）、同一社区内" if "community" in keys[1:-1] else "同一镇（街道）内"
    for i, earlier in _duplicate_rows(cols, keys):
        issues.error(f"duplicate_{ledger.spec.key}",
                     f"{label}“{cols.value(name, i)}”与第{cols.source_row[earlier]}行重复（{scope}只能出现一次），请删除或合并。",
                     ledger.raw.name, int(cols.source_row[i]), ledger.header_of(name), ledger.column_number(name))


def _check_dates(cols: LedgerColumns, ledger: Ledger, codes, report_date, issues) -> None:
    if report_date is None:
        return
    for code in codes:
        if code not in ledger.columns:
            continue
        late = pc.fill_null(pc.greater(cols.arrows[code], pa.scalar(report_date, pa.date32())), False)
        _flag(issues.warning, "date_after_report", ledger, code, cols, late.to_numpy(zero_copy_only=False),
              lambda i: f"“{ledger.header_of(code)}”{cols.value(code, i).isoformat()} 晚于报送日期 "
                        f"{report_date.isoformat()}，请核对。")


def _check_counts(cols: LedgerColumns, ledger: Ledger, members: str, party: str, issues, unit: str) -> None:
    over = cols.number(party) > cols.number(members)
    _flag(issues.error, "party_exceeds_members", ledger, party, cols, over,
          lambda i: f"“{ledger.header_of(party)}”{cols.value(party, i)} 多于“{ledger.header_of(members)}”"
                    f"{cols.value(members, i)}，党员数不能超过{unit}成员数，请核对。")


def check_compounds(cols: LedgerColumns, ledger: Ledger, campaign, report_date, issues) -> None:
    h = ledger.header_of
    _check_duplicates(cols, ledger, issues, "小区")
    has_committee, party_org = cols.true("has_committee"), cols.true("committee_party_org")
    _flag(issues.error, "party_org_without_committee", ledger, "committee_party_org", cols,
          party_org & cols.false("has_committee"),
          lambda i: f"“{h('committee_party_org')}”填了“是”，但“{h('has_committee')}”为“否”：没有业委会就不能有业委会党组织，"
                    "请改正其中一项。")
    no_size = has_committee & cols.blank("committee_members") & _not_in_error(cols, issues, ledger, "committee_members")
    _flag(issues.error, "committee_members_missing", ledger, "committee_members", cols, no_size,
          lambda i: f"已成立业委会的小区须填写“{h('committee_members')}”，请补填业委会成员人数。")
    _check_counts(cols, ledger, "committee_members", "committee_party_members", issues, "业委会")
    party_members = np.nan_to_num(cols.number("committee_party_members"), nan=0)
    few = has_committee & party_org & (party_members < campaign.min_party_members_for_org)
    _flag(issues.warning, "party_org_few_members", ledger, "committee_party_members", cols, few,
          lambda i: f"已建党组织，但党员只有 {cols.value('committee_party_members', i) or 0} 名（成立党组织一般需 "
                    f"{campaign.min_party_members_for_org} 名以上正式党员），请核对。")
    _check_dates(cols, ledger, ("committee_founded", "party_org_founded"), report_date, issues)


def check_communities(cols: LedgerColumns, ledger: Ledger, campaign, report_date, issues) -> None:
    h = ledger.header_of
    _check_duplicates(cols, ledger, issues, "社区")
    has = cols.true("has_epmc")
    no_size = has & cols.blank("epmc_members") & _not_in_error(cols, issues, ledger, "epmc_members")
    _flag(issues.error, "epmc_members_missing", ledger, "epmc_members", cols, no_size,
          lambda i: f"已成立环物委的社区须填写“{h('epmc_members')}”，请补填环物委成员人数。")
    _check_counts(cols, ledger, "epmc_members", "epmc_party_members", issues, "环物委")
    members, party = cols.number("epmc_members"), cols.number("epmc_party_members")
    small = has & (members < campaign.epmc_min_members)
    _flag(issues.warning, "epmc_too_small", ledger, "epmc_members", cols, small,
          lambda i: f"环物委成员 {cols.value('epmc_members', i)} 人，少于规定的 {campaign.epmc_min_members} 人，"
                    "不符合环物委组建要求；请核对人数或补足成员。")
    if campaign.epmc_odd_members:
        _flag(issues.warning, "epmc_even", ledger, "epmc_members", cols, has & (members % 2 == 0) & ~small,
              lambda i: f"环物委成员 {cols.value('epmc_members', i)} 人，按要求应为单数；请核对人数或调整成员。")
    share = campaign.epmc_min_party_share
    low = has & (members > 0) & (party * share.denominator < members * share.numerator)
    _flag(issues.warning, "epmc_party_share", ledger, "epmc_party_members", cols, low,
          lambda i: f"环物委党员 {cols.value('epmc_party_members', i)} 人 / 成员 {cols.value('epmc_members', i)} 人，"
                    f"党员比例低于 {float(share):.0%}；请核对党员人数或调整成员构成。")
    _flag(issues.warning, "epmc_conflict", ledger, "epmc_conflict", cols, has & cols.true("epmc_conflict"),
          lambda i: "存在任职回避情形：环物委成员本人及直系亲属不得在本社区业委会、物业企业任职，请调整成员。")
    _check_dates(cols, ledger, ("epmc_founded",), report_date, issues)


def check_brands(cols: LedgerColumns, ledger: Ledger, campaign, report_date, issues) -> None:
    _check_duplicates(cols, ledger, issues, "品牌")
    _check_dates(cols, ledger, ("recognized",), report_date, issues)


CHECKS = {"compounds": check_compounds, "communities": check_communities, "brands": check_brands}


# ---------------------------------------------------------------- across ledgers

def _pair_keys(cols: LedgerColumns) -> pa.Array:
    """"town␟community" per row (null where either is missing)."""
    return pc.binary_join_element_wise(cols.arrows["town"], cols.arrows["community"], "\x1f")


def _warn_unlisted(compounds: LedgerColumns, communities: LedgerColumns, ledgers, issues) -> None:
    """One warning per community that compound rows name but the community ledger lacks."""
    keys = _pair_keys(compounds)
    listed = pc.is_in(keys, value_set=_pair_keys(communities).drop_null()).to_numpy(zero_copy_only=False)
    unlisted = np.flatnonzero(~listed & keys.is_valid().to_numpy(zero_copy_only=False))
    ledger, warned = ledgers["compounds"], set()
    for i in unlisted:
        key = keys[int(i)].as_py()
        if key in warned:
            continue  # once per community is enough
        warned.add(key)
        issues.warning("community_not_listed",
                       f"社区“{compounds.value('community', int(i))}”在“{ledgers['communities'].raw.name}”中没有，"
                       "请在社区台账补上该社区。", ledger.raw.name, int(compounds.source_row[i]),
                       ledger.header_of("community"), ledger.column_number("community"))


def _check_towns_have_ledgers(columns: dict[str, LedgerColumns], ledgers, issues) -> None:
    """A brand or member row of a town that has no compound or community in this workbook would
    make an (empty) report that supersedes that town's real one: refuse it."""
    if "compounds" not in columns and "communities" not in columns:
        return
    reporting = pa.concat_arrays([columns[key].arrows["town"] for key in ("compounds", "communities")
                                  if key in columns]).drop_null()
    for key in ("brands", "epmc_members"):
        if key not in columns:
            continue
        towns = columns[key].arrows["town"]
        alone = pc.and_(towns.is_valid(), pc.invert(pc.is_in(towns, value_set=reporting)))
        _flag(issues.error, "town_without_ledger", ledgers[key], "town", columns[key],
              alone.to_numpy(zero_copy_only=False),
              lambda i, cols=columns[key]: f"“{cols.value('town', i)}”在本工作簿的小区台账、社区台账中都没有数据，此行不能单独导入；"
                                           "请把这一行填到该镇（街道）自己的工作簿中，或改正镇（街道）名称。")


def _check_member_list(members: LedgerColumns, communities: LedgerColumns, ledgers, issues) -> None:
    """A community's 环物委 size and party members as written against its rows in the member list."""
    people, party = Counter(), Counter()
    for key, is_party in zip(zip(members.texts("town"), members.texts("community")), members.true("party_member")):
        if None not in key:
            people[key] += 1
            party[key] += bool(is_party)
    ledger, listing = ledgers["communities"], ledgers["epmc_members"].raw.name
    for i, key in enumerate(zip(communities.texts("town"), communities.texts("community"))):
        if key not in people:
            continue
        row = int(communities.source_row[i])
        written = communities.value("epmc_members", i)
        if written is not None and people[key] != written:
            issues.warning("member_list_mismatch",
                           f"“{listing}”中该社区列了 {people[key]} 名成员，与此处填写的 {written} 人不一致，请核对。",
                           ledger.raw.name, row, ledger.header_of("epmc_members"), ledger.column_number("epmc_members"))
        written = communities.value("epmc_party_members", i)
        if written is not None and party[key] != written:
            issues.warning("member_list_mismatch",
                           f"“{listing}”中该社区有 {party[key]} 名党员，与此处填写的 {written} 人不一致，请核对。",
                           ledger.raw.name, row, ledger.header_of("epmc_party_members"),
                           ledger.column_number("epmc_party_members"))


def check_across(columns: dict[str, LedgerColumns], ledgers, issues) -> None:
    """The rules between ledgers of one workbook."""
    compounds, communities = columns.get("compounds"), columns.get("communities")
    if compounds is not None and communities is not None:
        _warn_unlisted(compounds, communities, ledgers, issues)
    members = columns.get("epmc_members")
    if members is not None and communities is not None:
        _check_member_list(members, communities, ledgers, issues)
    _check_towns_have_ledgers(columns, ledgers, issues)
