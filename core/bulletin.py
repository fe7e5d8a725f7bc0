"""The 通报 (bulletin): an official-style Chinese text written from the figures alone — rules and
templates, no language model, no network — and its .docx and plain-text downloads.

`bulletin_facts` reads the store; `compose` turns the facts into text and is pure; `bulletin_docx`
lays out any text of that shape (for instance as edited on the page) in an official style, the
tab-separated table after the line “附件” becoming a Word table.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import duckdb

from core.changes import decreases_between
from core.config import Campaign, Phase
from core.issues import issue_kind
from core.measures import MEASURES
from core.metrics import Snapshot, TownStanding, snapshot
from core.milestones import MET, MISSING, gap, judged_phase, overall_status, phase_gaps
from core.queries import sql
from core.report_text import next_phase, percent, still_needed
from core.submissions import MISSING as NOT_REPORTED, NOT_YET_DUE, deadline, submission_status

INDENT = "\u3000\u3000"  # two full-width spaces: the first-line indent of plain-text Chinese prose
ATTACHMENT = "附件"
ATTACHMENT_TITLE = "各镇（街道）考核排名表"
TABLE_HEADERS = ("排名", "镇（街道）", "报送日期", "状态", "业委会组建率", "业委会党组织覆盖率", "环物委覆盖率", "加分")
TABLE_RATES = ("committee_formation_rate", "party_org_coverage", "epmc_coverage")
DISTRICT_ROW = "全区"
NEAR_BONUS = 1  # a town this many units (or fewer) from a threshold bonus is named as close to it
SECTIONS = ("一、总体情况", "二、阶段目标完成情况", "三、考核加分情况", "四、报送及数据质量情况", "五、下一步工作要求")


def sender(campaign: Campaign) -> str:
    """The issuing office: 淄川区住房保障中心."""
    return f"{campaign.district}住房保障中心"


def bulletin_file_name(campaign: Campaign, as_of: dt.date, suffix: str = ".docx") -> str:
    """淄川区红色物业建设推进情况通报_2021-12-31.docx."""
    return f"{campaign.district}红色物业建设推进情况通报_{as_of.isoformat()}{suffix}"


# ---------------------------------------------------------------- facts from the store

@dataclass(frozen=True)
class Quality:
    """What the bulletin says about reporting and data quality."""
    due_date: dt.date | None  # the latest campaign report date on or before as_of
    due_towns: int = 0
    reported: int = 0
    on_time: int = 0
    late: list[tuple[str, dt.date]] = field(default_factory=list)  # town, day its first version came in
    resubmitted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # deadline passed, nothing uploaded
    pending: list[str] = field(default_factory=list)  # deadline not yet passed, nothing uploaded
    warnings: dict[str, Counter] = field(default_factory=dict)  # town → issue kind → count, reports in force
    decreases: dict[str, Counter] = field(default_factory=dict)  # town → change kind → count vs its previous report


@dataclass(frozen=True)
class Facts:
    snap: Snapshot
    previous: Snapshot | None  # the district as of the previous report date, for "比…增加"
    quality: Quality
    issued: dt.date  # the date under the signature


def _submissions(conn, campaign: Campaign, due: dt.date, issued: dt.date) -> dict:
    status = submission_status(conn, campaign, today=issued)
    day = status[status["report_date"] == due]
    uploaded = day[day["versions"] > 0]
    return {
        "due_towns": len(day),
        "reported": len(uploaded),
        "on_time": int(uploaded["on_time"].astype(bool).sum()),
        "late": [(r.town, r.first_uploaded_at.date()) for r in uploaded.itertuples() if not r.on_time],
        "resubmitted": [r.town for r in uploaded.itertuples() if r.versions > 1],
        "missing": [r.town for r in day.itertuples() if r.status == NOT_REPORTED],
        "pending": [r.town for r in day.itertuples() if r.status == NOT_YET_DUE],
    }


def _warnings(conn, snap: Snapshot) -> dict[str, Counter]:
    towns = {s.report.upload_id: s.town for s in snap.towns if s.report}
    if not towns:
        return {}
    found: dict[str, Counter] = {}
    for upload_id, text in conn.execute(sql("report_warnings"), {"upload_ids": list(towns)}).fetchall():
        kinds = Counter(issue_kind(w["code"]) for w in json.loads(text or "[]"))
        if kinds:
            found[towns[upload_id]] = kinds
    return {s.town: found[s.town] for s in snap.towns if s.town in found}


def _decreases(conn, snap: Snapshot) -> dict[str, Counter]:
    """Town → kind → count of what went down since its previous report, for every town in one query."""
    towns = [s for s in snap.towns if s.report and s.previous]
    counts = decreases_between(conn, [(s.previous.upload_id, s.report.upload_id) for s in towns])
    return {s.town: Counter(counts[s.report.upload_id]) for s in towns if counts.get(s.report.upload_id)}


def quality_facts(conn: duckdb.DuckDBPyConnection, snap: Snapshot, issued: dt.date) -> Quality:
    """Reporting of the latest due date on or before as_of, warnings and decreases of the reports in force."""
    campaign = snap.campaign
    due = max((d for d in campaign.report_dates if d <= snap.as_of), default=None)
    counts = _submissions(conn, campaign, due, issued) if due else {}
    return Quality(due, **counts, warnings=_warnings(conn, snap), decreases=_decreases(conn, snap))


def _district_before(snap: Snapshot) -> Snapshot | None:
    """The district as of the previous report date, which the snapshot already holds: the bulletin
    compares only district figures with it, so its towns are not worked out again."""
    if snap.previous_date is None or snap.district_previous is None:
        return None
    day, campaign = snap.previous_date, snap.campaign
    return Snapshot(day, campaign, campaign.phase_on(day), judged_phase(campaign, day), snap.district_previous,
                    None, None, {}, [])


def bulletin_facts(conn: duckdb.DuckDBPyConnection, campaign: Campaign, as_of: dt.date,
                   issued: dt.date | None = None, snap: Snapshot | None = None) -> Facts:
    """Everything the bulletin of `as_of` says, read from the store (issued: the signature date, default
    today; snap: the snapshot of `as_of` when the caller has it)."""
    issued = issued or dt.date.today()
    snap = snap or snapshot(conn, campaign, as_of)
    return Facts(snap, _district_before(snap), quality_facts(conn, snap, issued), issued)


# ---------------------------------------------------------------- words

def ymd(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _day(day: dt.date, year: int) -> str:
    """12月15日 within the campaign year, 2022年1月3日 outside it."""
    return md(day) if day.year == year else ymd(day)


def town_list(towns: list[str]) -> str:
    """'西河镇', or '西河镇、太河镇等2个镇（街道）'."""
    if len(towns) == 1:
        return towns[0]
    return f"{'、'.join(towns)}等{len(towns)}个镇（街道）"


def target_text(phase: Phase) -> str:
    """'环物委覆盖率达到100%，业委会党组织覆盖率达到70%'."""
    return "，".join(f"{MEASURES[c].label}达到{percent(t)}" for c, t in phase.targets.items())


def phase_span(phase: Phase, year: int) -> str:
    return f"{phase.name}（{_day(phase.start, year)}至{_day(phase.end, year)}）"


def count_change(now: int, before: int | None, since: str) -> str:
    """'，比12月15日增加1个' / '，与12月15日持平' / '' (no previous report)."""
    if before is None:
        return ""
    if now == before:
        return f"，与{since}持平"
    return f"，比{since}{'增加' if now > before else '减少'}{abs(now - before)}个"


def points_text(diff: Fraction) -> str:
    """A change in percentage points, one decimal at most: '2.4', '1', '0.1'."""
    return f"{abs(float(diff)):.1f}".removesuffix(".0")


def change_text(count: int, before_count: int | None, rate: Fraction | None, before_rate: Fraction | None,
                since: str) -> str:
    """'，比12月15日增加1个、提高2.4个百分点' / '，均与10月31日持平' / '，个数与…持平，比率下降0.5个百分点'."""
    if before_count is None:
        return ""
    diff = None if rate is None or before_rate is None else (rate - before_rate) * 100
    shown = None if diff is None else points_text(diff)
    if diff is None or shown == "0":
        rate_words = None if diff is None else ("持平" if diff == 0 else "基本持平")
    else:
        rate_words = f"{'提高' if diff > 0 else '下降'}{shown}个百分点"
    if count == before_count:
        if rate_words in (None, "持平"):
            return f"，均与{since}持平" if rate_words else f"，与{since}持平"
        return f"，个数与{since}持平，比率{rate_words}"
    counted = f"{'增加' if count > before_count else '减少'}{abs(count - before_count)}个"
    if rate_words is None:
        return f"，比{since}{counted}"
    return f"，比{since}{counted}、{rate_words}" if "百分点" in rate_words else f"，比{since}{counted}，比率{rate_words}"


def _phase_status(snap: Snapshot) -> str:
    phase = snap.judged
    if snap.as_of < phase.start:
        return f"即将开始的{phase_span(phase, snap.campaign.year)}"
    return phase_span(phase, snap.campaign.year)


# ---------------------------------------------------------------- sections

def _opening(f: Facts) -> str:
    snap = f.snap
    return (f"根据各镇（街道）报送的红色物业建设工作台账，现将截至{ymd(snap.as_of)}全区红色业主委和环物委"
            "组建工作推进情况通报如下。")


def _reported_sentence(snap: Snapshot) -> str:
    reported = [s for s in snap.towns if s.report]
    total = len(snap.towns)
    if len(reported) == total:
        return f"截至{ymd(snap.as_of)}，全区{total}个镇（街道）均已报送工作台账。"
    missing = [s.town for s in snap.towns if not s.report]
    return (f"截至{ymd(snap.as_of)}，全区{total}个镇（街道）中已有{len(reported)}个报送工作台账，"
            f"{'、'.join(missing)}尚未报送，以下全区数据不含未报送的镇（街道）。")


def _measure_clause(snap: Snapshot, previous: Snapshot | None, code: str, intro: str) -> str:
    """'已成立环物委39个，环物委覆盖率95.1%，比12月15日增加2个、提高4.9个百分点'."""
    campaign = snap.campaign
    numerator, _ = snap.district.parts(code, campaign)
    since = _day(previous.as_of, campaign.year) if previous else ""
    change = change_text(numerator, previous.district.parts(code, campaign)[0] if previous else None,
                         snap.rate(code), previous.rate(code) if previous else None, since)
    return f"{intro}{numerator}个，{MEASURES[code].label}{percent(snap.rate(code))}{change}"


def _overall(f: Facts) -> list[str]:
    snap, previous = f.snap, f.previous
    campaign = snap.campaign
    c = snap.district.counts
    before = previous.district.counts if previous else None
    since = _day(previous.as_of, campaign.year) if previous else ""
    compounds = f"全区共有住宅小区{c['compounds']}个"
    if before and before["compounds"] != c["compounds"]:
        compounds += f"（{count_change(c['compounds'], before['compounds'], since)[1:]}）"
    communities = f"全区共有社区{c['communities']}个"
    if before and before["communities"] != c["communities"]:
        communities += f"（{count_change(c['communities'], before['communities'], since)[1:]}）"
    first = (_reported_sentence(snap) + compounds + "，"
             + _measure_clause(snap, previous, "committee_formation_rate", "已成立业主委员会") + "；"
             + _measure_clause(snap, previous, "party_org_coverage", "其中建立党组织的业主委员会") + "。"
             + communities + "，" + _measure_clause(snap, previous, "epmc_coverage", "已成立环物委") + "。")
    green_left = max(0, campaign.green_target - c["green_accepted"])
    green = (f"绿色社区创建验收达标{c['green_accepted']}个，年度目标{campaign.green_target}个"
             + (f"，还差{green_left}个" if green_left else "，已完成") + "；")
    second = (f"红色业主委{c['red_committees']}个，占业主委员会的{percent(snap.rate('red_committee_share'))}；"
              f"符合规范要求的环物委{c['compliant_epmcs']}个，占社区总数的{percent(snap.rate('compliant_epmc_share'))}；"
              f"物业服务企业{c['property_companies']}家，其中建立党组织的{c['property_companies_with_party_org']}家，"
              f"{MEASURES['property_company_party_coverage'].label}{percent(snap.rate('property_company_party_coverage'))}。"
              + green + f"年内新培育区级“红色物业”示范品牌{c['district_brands_new']}个。")
    return [first, second]


def _unmet_clauses(standing: TownStanding, codes) -> str:
    """'环物委覆盖率66.7%，还需成立1个环物委；业委会党组织覆盖率66.7%，还需建立1个业委会党组织'."""
    parts = []
    for code in codes:
        p = standing.progress[code]
        if p.gap:
            parts.append(f"{MEASURES[code].label}{percent(p.value)}，{still_needed(code, p.gap)}")
    return "；".join(parts)


def _phase_targets(f: Facts) -> list[str]:
    snap = f.snap
    phase = snap.judged
    lines = [f"按照实施方案，{_phase_status(snap)}的目标是：{target_text(phase)}。"]
    district = []
    for code, p in snap.district_progress.items():
        verdict = "已达到目标" if not p.gap else f"未达到目标，{still_needed(code, p.gap)}"
        district.append(f"{MEASURES[code].label}{percent(p.value)}，{verdict}")
    lines[0] += f"截至{md(snap.as_of)}，全区" + "；".join(district) + "。"

    met = [s.town for s in snap.ranked() if s.report and s.status == MET]
    unmet = [s for s in snap.ranked() if s.report and s.status != MET]
    missing = [s.town for s in snap.ranked() if not s.report]
    if not unmet and not missing:
        lines.append(f"分镇（街道）看，各镇（街道）均已完成{phase.name}全部目标。")
        return lines
    sentence = "分镇（街道）看，"
    if met:
        sentence += f"{town_list(met)}已完成{phase.name}全部目标；"
    if unmet:
        sentence += f"{town_list([s.town for s in unmet])}尚未完成，具体是："
    else:
        sentence = sentence.rstrip("；") + "。"
    lines.append(sentence)
    for s in unmet:
        lines.append(f"{s.town}（{s.status}）：{_unmet_clauses(s, phase.targets)}。")
    if missing:
        lines.append(f"{'、'.join(missing)}尚未报送工作台账，无法评价。")
    return lines


def _rule_text(rule) -> str:
    return f"{rule.label}的加{rule.points}分" if rule.kind == "threshold" else f"{rule.label}加{rule.points}分"


def _points(f: Facts) -> list[str]:
    snap = f.snap
    campaign = snap.campaign
    ranked = [s for s in snap.ranked() if s.report]
    if not ranked:
        return ["尚无镇（街道）报送数据，暂不排名。"]
    rules = "，".join(_rule_text(r) for r in campaign.bonus_rules)
    total = sum(s.points for s in ranked)
    top = ranked[:3]
    bottom = [s for s in ranked[-3:] if s not in top] if len(ranked) > 3 else []
    names = lambda group: "、".join(f"{s.town}（{s.points}分）" for s in group)  # noqa: E731
    first = (f"按照考核加分规则（{rules}），截至{md(snap.as_of)}，{len(ranked)}个镇（街道）共获加分{total}分。"
             f"排名前{len(top)}位的是{names(top)}")
    first += f"；排名后{len(bottom)}位的是{names(bottom)}。" if bottom else "。"
    first += "同分的按阶段目标平均完成度排序，各镇（街道）排名详见附件。"
    lines = [first]
    near: dict[str, list[str]] = {}  # next-point sentence → towns one unit away from it
    for s in ranked:
        for line in s.ledger:
            rule = line.rule
            if rule.kind != "threshold" or line.points or line.next_point is None:
                continue
            numerator, denominator = s.figures.parts(rule.measure, campaign)
            if denominator and gap(rule.threshold, numerator, denominator) <= NEAR_BONUS:
                near.setdefault(line.next_point, []).append(s.town)
    if near:
        lines.append("距离加分只差一步的有：" + "；".join(f"{'、'.join(towns)}{hint}" for hint, towns in near.items())
                     + "。")
    return lines


def _quality(f: Facts) -> list[str]:
    q, snap = f.quality, f.snap
    year = snap.campaign.year
    lines = []
    if q.due_date:
        due = deadline(snap.campaign, q.due_date)
        sentence = (f"{md(q.due_date)}工作台账应报{q.due_towns}个镇（街道），已报{q.reported}个，"
                    f"其中按时报送{q.on_time}个")
        if q.late:
            late = "、".join(f"{town}{_day(day, year)}报送" for town, day in q.late)
            sentence += f"，逾期报送{len(q.late)}个（{late}，报送期限为{_day(due, year)}）"
        if q.missing:
            sentence += f"；逾期未报{len(q.missing)}个（{'、'.join(q.missing)}）"
        if q.pending:
            sentence += f"；{'、'.join(q.pending)}尚未报送（报送期限为{_day(due, year)}）"
        sentence += "。"
        if q.resubmitted:
            sentence += f"{'、'.join(q.resubmitted)}报送后又更正重报，以最新版本为准。"
        stale = [s for s in snap.towns if s.report and s.report.report_date < q.due_date]
        if stale:
            sentence += "；".join(f"{s.town}按其{_day(s.report.report_date, year)}报送的数据统计" for s in stale) + "。"
        lines.append(sentence)
    if q.warnings:
        parts = [f"{town}{sum(kinds.values())}条（{'、'.join(f'{k}{n}条' for k, n in kinds.items())}）"
                 for town, kinds in q.warnings.items()]
        lines.append("系统校验发现，以下镇（街道）现行台账中有需要核实的提醒：" + "；".join(parts)
                     + "。请相关镇（街道）核实，并在下次报送时改正。")
    if q.decreases:
        parts = [f"{town}{'、'.join(f'{k}{n}个' for k, n in kinds.items())}" for town, kinds in q.decreases.items()]
        lines.append("与上次报送相比，" + "；".join(parts) + "，请相关镇（街道）说明原因。")
    if not q.warnings and not q.decreases:
        lines.append("各镇（街道）现行台账均通过系统校验，未发现需要核实的提醒，与上次报送相比也没有数字减少的情况。")
    return lines


def needs_short(standing: TownStanding, phase_name: str) -> str:
    """'成立1个环物委、建立1个业委会党组织', or '' when the town meets the phase."""
    return "、".join(still_needed(code, units).removeprefix("还需")
                    for code, units in standing.gaps.get(phase_name, {}).items() if units)


def _next_steps(f: Facts) -> list[str]:
    snap = f.snap
    campaign = snap.campaign
    following = next_phase(campaign, snap.judged)
    lines = []
    if following:
        gaps = phase_gaps(snap.district, campaign)[following.name]
        needed = "、".join(still_needed(c, n).removeprefix("还需") for c, n in gaps.items() if n)
        sentence = (f"下一阶段为{phase_span(following, campaign.year)}，目标是{target_text(following)}。"
                    + (f"按当前数据，全区还需{needed}。" if needed else "按当前数据，全区已达到下一阶段目标。"))
        towns = [(s.town, needs_short(s, following.name)) for s in snap.ranked() if s.report]
        towns = [(town, needs) for town, needs in towns if needs]
        if towns:
            sentence += "需要补齐的有：" + "；".join(f"{town}（{needs}）" for town, needs in towns) + "。"
        lines.append(sentence)
    else:
        c = snap.district.counts
        epmc_left = c["communities"] - c["epmcs"]
        red_left = c["committees"] - c["red_committees"]
        final = campaign.phases[-1]
        party = snap.district_progress.get("party_org_coverage")
        sentence = f"实施方案确定的{len(campaign.phases)}个阶段目标时限已到。对照年底前红色业主委与环物委全覆盖的要求，"
        sentence += f"全区还有{epmc_left}个社区未成立环物委，" if epmc_left else "全区环物委已实现全覆盖，"
        sentence += (f"{red_left}个业主委员会尚未达到红色业主委标准" if red_left else "业主委员会均已达到红色业主委标准")
        if party is not None:
            sentence += (f"；业委会党组织覆盖率已达到{percent(final.targets['party_org_coverage'])}以上" if not party.gap
                         else f"；业委会党组织覆盖率距{percent(final.targets['party_org_coverage'])}还需建立{party.gap}个党组织")
        lines.append(sentence + "。")
    lines.append("请各镇（街道）对照差距，逐个小区、逐个社区明确责任人和完成时限，加快推进业委会党组织组建和环物委成立工作，"
                 f"确保按期完成任务；按照月报制度，在每个报送日期后{campaign.grace_days}日内通过看板上传工作台账。")
    return lines


# ---------------------------------------------------------------- the ranking table

def _rate_cell(value: Fraction | None) -> str:
    return percent(value) if value is not None else "—"


def ranking_table(snap: Snapshot) -> list[tuple[str, ...]]:
    """The attachment: header, one row per town in rank order (未报送 last), then the district."""
    campaign = snap.campaign
    rows = [TABLE_HEADERS]
    for s in snap.ranked():
        if not s.report:
            rows.append(("—", s.town, "未报送", MISSING, "—", "—", "—", "—"))
            continue
        rows.append((str(s.rank), s.town, _day(s.report.report_date, campaign.year), s.status,
                     *(_rate_cell(snap.rate(c, s.figures)) for c in TABLE_RATES), str(s.points)))
    reported = [s for s in snap.towns if s.report]
    if reported:
        status = overall_status([p.status for p in snap.district_progress.values()])
        rows.append(("", DISTRICT_ROW, _day(snap.latest_report_date, campaign.year), status,
                     *(_rate_cell(snap.rate(c)) for c in TABLE_RATES), str(sum(s.points for s in reported))))
    return rows


# ---------------------------------------------------------------- the whole text

def title_lines(snap: Snapshot) -> list[str]:
    return ["关于全区红色物业建设工作推进情况的通报", f"（截至{ymd(snap.as_of)}）"]


def compose(f: Facts) -> str:
    """The bulletin as plain text: title, salutation, five numbered sections, the attachment note,
    the signature, then the attachment (a tab-separated ranking table)."""
    snap = f.snap
    body = [_opening(f)]
    for heading, paragraphs in zip(SECTIONS, (_overall(f), _phase_targets(f), _points(f), _quality(f),
                                              _next_steps(f))):
        body += [heading, *paragraphs]
    lines = [*title_lines(snap), "", "各镇（街道）：", *(INDENT + p for p in body), "",
             f"{INDENT}{ATTACHMENT}：{ATTACHMENT_TITLE}", "", sender(snap.campaign), ymd(f.issued), "",
             ATTACHMENT, f"{ATTACHMENT_TITLE}（截至{ymd(snap.as_of)}）"]
    lines += ["\t".join(row) for row in ranking_table(snap)]
    return "\n".join(lines) + "\n"


def bulletin_text(conn: duckdb.DuckDBPyConnection, campaign: Campaign, as_of: dt.date,
                  issued: dt.date | None = None, snap: Snapshot | None = None) -> str:
    """The bulletin of `as_of` as plain text (issued: the signature date, default today; snap: the
    snapshot of `as_of` when the caller has it)."""
    return compose(bulletin_facts(conn, campaign, as_of, issued, snap))


def text_bytes(text: str) -> bytes:
    """The plain-text download: UTF-8 with BOM and CRLF line ends, so Notepad on Chinese Windows reads it."""
    return ("\ufeff" + text.replace("\r\n", "\n").replace("\n", "\r\n")).encode("utf-8")


# ---------------------------------------------------------------- .docx

# Official-document style (GB/T 9704): title 2号 小标宋, headings 3号 黑体, body 3号 仿宋, 28 pt lines.
# Word and WPS on Chinese Windows have these faces; elsewhere the viewer substitutes a CJK face
# (LibreOffice on Linux: Noto Serif/Sans CJK).
TITLE_FONT, HEADING_FONT, BODY_FONT, TABLE_FONT, LATIN_FONT = "方正小标宋简体", "黑体", "仿宋", "仿宋", "Times New Roman"
TITLE_SIZE, BODY_SIZE, TABLE_SIZE = 22, 16, 10.5
LINE_PITCH = 28
_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_SUBHEADING = re.compile(r"^（[一二三四五六七八九十]+）")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def _blocks(text: str) -> list[list[str]]:
    """The text's blocks: runs of non-blank lines, with trailing spaces removed."""
    blocks, current = [], []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _set_font(run, face: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), face)


def _paragraph(document, text: str, face: str = BODY_FONT, size: float = BODY_SIZE, *, align=None,
               indent: bool = False, bold: bool = False, before: float = 0, exact: bool = True):
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if exact:
        from docx.enum.text import WD_LINE_SPACING

        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PITCH if size <= BODY_SIZE else size * 1.5)
    fmt.space_before, fmt.space_after = Pt(before), Pt(0)
    _set_font(paragraph.add_run(text), face, size, bold)
    return paragraph


# Widths (cm) of the attachment's columns, fitted to the 15.6 cm text width of an A4 page.
TABLE_WIDTHS = (1.3, 2.6, 2.3, 1.6, 2.2, 2.2, 2.2, 1.2)


def _table(document, rows: list[list[str]]) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    width = max(len(r) for r in rows)
    widths = TABLE_WIDTHS if width == len(TABLE_WIDTHS) else (15.6 / width,) * width
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for c, cm in enumerate(widths):
        table.columns[c].width = Cm(cm)
    for r, row in enumerate(rows):
        for c in range(width):
            cell = table.cell(r, c)
            cell.width = Cm(widths[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            text = row[c] if c < len(row) else ""
            _set_font(paragraph.add_run(text), HEADING_FONT if r == 0 else TABLE_FONT, TABLE_SIZE, bold=r == 0)
        table.rows[r].height = Cm(0.75)
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    header.append(repeat)


def _page_numbers(section) -> None:
    """'— 1 —' centred in the footer, as official documents number their pages."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(paragraph.add_run("— "), LATIN_FONT, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = paragraph.add_run("1")
    _set_font(run, LATIN_FONT, 14)
    field.append(run._element)
    paragraph._p.append(field)
    _set_font(paragraph.add_run(" —"), LATIN_FONT, 14)


def _page_setup(document) -> None:
    from docx.shared import Cm

    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _page_numbers(section)


def bulletin_docx(text: str, title: str | None = None) -> bytes:
    """A .docx of a bulletin text in official style: the first block is the title; "一、" lines are
    黑体 headings; a block ending in a date is the right-aligned signature; the block starting with
    the line “附件” begins a new page and its tab-separated lines become a table."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Pt

    document = Document()
    _page_setup(document)
    blocks = _blocks(text)
    if blocks:
        for line in blocks[0]:
            _paragraph(document, line.strip(), TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)
        _paragraph(document, "")
    for block in blocks[1:]:
        if block[0].strip() == ATTACHMENT:
            _paragraph(document, "").runs[0].add_break(WD_BREAK.PAGE)
            _paragraph(document, ATTACHMENT, HEADING_FONT)
            rows = [line.split("\t") for line in block[1:] if "\t" in line]
            for line in (l for l in block[1:] if "\t" not in l):
                _paragraph(document, line.strip(), HEADING_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                           before=6)
            if rows:
                _table(document, rows)
            continue
        if len(block) <= 3 and _DATE_LINE.match(block[-1].strip()):
            _paragraph(document, "")
            for line in block:
                paragraph = _paragraph(document, line.strip(), align=WD_ALIGN_PARAGRAPH.RIGHT)
                paragraph.paragraph_format.right_indent = Pt(BODY_SIZE * 2)
            continue
        for line in block:
            words = line.strip()
            if _HEADING.match(words):
                heading = _paragraph(document, words, HEADING_FONT, indent=True, bold=True)  # bold: also where 黑体 is missing
                heading.paragraph_format.keep_with_next = True
            elif _SUBHEADING.match(words):
                _paragraph(document, words, "楷体", indent=True)
            elif words.endswith("：") and not line.startswith((" ", "\u3000")):
                _paragraph(document, words)  # the salutation: flush left
            else:
                _paragraph(document, words, indent=True)
    properties = document.core_properties
    properties.title = title or (blocks[0][0].strip() if blocks else "")
    properties.author = properties.last_modified_by = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
