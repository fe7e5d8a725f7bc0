"""会议模式 — full-screen slides for the projector: the district against the phase, the ranked
scorecard, the towns that miss the phase, then one slide per town. No sidebar; next / previous
buttons (also the ← → keys) and an optional auto-advance that needs no keyboard.
"""
import html
import time

import plotly.graph_objects as go
import streamlit as st

from core.access import VIEW_MEETING, can
from core.meeting_pack import meeting_pack, pack_file_name
from core.measures import MEASURES
from core.bulletin import needs_short
from core.milestones import MET
from core.report_text import next_phase, pace_sentence, percent, still_needed
from pages.charts import milestone_chart, town_trend_chart
from pages.common import (STATUS_COLORS, STATUS_SYMBOLS, actor, as_of, cached_history, current_snapshot,
                          data_version, deferred, empty_state, require_app)

require_app()

# Session-state and widget keys of this page.
SLIDE = "presenter_slide"
AUTO = "presenter_auto"
SECONDS = "presenter_seconds"
LAST_TURN = "presenter_last_turn"
PREV, NEXT, PACK, EXIT = "presenter_prev", "presenter_next", "presenter_pack", "presenter_exit"
INTERVALS = (10, 20, 30, 60)
KPI_MEASURES = ("epmc_coverage", "party_org_coverage", "committee_formation_rate", "red_committee_share")
RATE_COLUMNS = ("epmc_coverage", "party_org_coverage", "committee_formation_rate")

# ---------------------------------------------------------------- projector styling (this page only)
st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {display: none !important;}
[data-testid="stMainBlockContainer"], .block-container {padding: 0.5rem 1.5rem 0.3rem 1.5rem !important;
  max-width: 100% !important;}
[data-testid="stMain"] {margin-left: 0 !important;}
.rp-head {display: flex; align-items: baseline; gap: 0.3rem 1.2rem; flex-wrap: wrap; margin: 0 0 0.4rem 0;}
.rp-title {font-size: 2.1rem; font-weight: 700; color: #1a1a1a; line-height: 1.2; margin: 0; padding: 0;}
.rp-sub {font-size: 1.15rem; color: #444;}
.rp-tiles {display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.8rem; margin-bottom: 0.4rem;}
.rp-tile {border: 2px solid #ddd; border-radius: 0.6rem; padding: 0.35rem 0.9rem; background: #fff;}
.rp-tile .label {font-size: 1.15rem; color: #333;}
.rp-tile .value {font-size: 2.4rem; font-weight: 700; line-height: 1.1;}
.rp-tile .note {font-size: 1.1rem; color: #333; line-height: 1.45;}
.rp-chip {display: inline-block; padding: 0 0.5rem; border-radius: 0.4rem; color: #fff; font-weight: 700;
  white-space: nowrap; line-height: 1.45;}
.rp-table {border-collapse: collapse; width: 100%; font-size: 1.25rem; line-height: 1.35;}
.rp-table th {background: #f2f2f2; text-align: center; padding: 0.15rem 0.5rem; border-bottom: 2px solid #999;}
.rp-table td {padding: 0.1rem 0.5rem; border-bottom: 1px solid #ddd; text-align: center;}
.rp-table td.name {text-align: left; font-weight: 600;}
.rp-table td.needs {text-align: left;}
.rp-table tr.total td {border-top: 2px solid #666; font-weight: 700;}
.rp-lines {font-size: 1.35rem; line-height: 1.7;}
.rp-big {font-size: 2rem; font-weight: 700; margin: 2rem 0;}
</style>""")

snap = current_snapshot()
campaign = snap.campaign
phase = snap.judged
reported = [s for s in snap.towns if s.report]


# ---------------------------------------------------------------- small HTML pieces

def esc(value) -> str:
    return html.escape(str(value))


def chip(status: str) -> str:
    """A status as symbol + word on its colour (never colour alone)."""
    text_colour = "#1a1a1a" if status == "有风险" else "#fff"
    return (f'<span class="rp-chip" style="background:{STATUS_COLORS[status]};color:{text_colour}">'
            f"{STATUS_SYMBOLS[status]} {esc(status)}</span>")


def head(title: str, subtitle: str) -> None:
    st.html(f'<div class="rp-head"><h1 class="rp-title">{esc(title)}</h1>'
            f'<span class="rp-sub">{esc(subtitle)}</span></div>')


def tile(label: str, value: str, note: str, status: str | None = None) -> str:
    border = STATUS_COLORS[status] if status else "#ddd"
    badge = f"<div>{chip(status)}</div>" if status else ""
    return (f'<div class="rp-tile" style="border-color:{border}"><div class="label">{esc(label)}</div>'
            f'<div class="value">{esc(value)}</div>{badge}<div class="note">{note}</div></div>')


def table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None,
          row_classes: list[str] | None = None) -> str:
    """Cells are HTML already (escape text with `esc`)."""
    classes = classes or [""] * len(headers)
    head_row = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{(row_classes or [""] * len(rows))[i]}">'
        + "".join(f'<td class="{classes[c]}">{cell}</td>' for c, cell in enumerate(row)) + "</tr>"
        for i, row in enumerate(rows))
    return f'<table class="rp-table"><thead><tr>{head_row}</tr></thead><tbody>{body}</tbody></table>'


def rate_cell(standing, code: str) -> str:
    """'66.7% ✖' against the phase target (symbol and colour), or the plain rate for other measures."""
    value = snap.rate(code, standing.figures)
    progress = standing.progress.get(code)
    if progress is None:
        return esc(percent(value))
    status = MET if not progress.gap else "滞后"
    return (f'<span style="color:{STATUS_COLORS[status]};font-weight:700">'
            f"{esc(percent(value))} {STATUS_SYMBOLS[status]}</span>")


def presentable(fig, height: int):
    """A dashboard chart made for the projector: larger type, fixed height.

    Merged into the figure's layout as plain dicts: fig.update_layout / update_xaxes re-validate the
    whole figure (tens of ms a slide); the charts of pages/charts.py are built unvalidated from dicts
    that tests/test_app.py validates, and these additions are fixed here."""
    figure = fig.to_dict()  # a copy: the chart's own dicts stay as they are
    layout = figure["layout"]
    layout.pop("template", None)  # the default template, which the new Figure adds back where the old one had it
    _merge(layout, dict(height=height, font=dict(size=17), title=dict(font=dict(size=21)),
                        legend=dict(font=dict(size=16), orientation="h", yanchor="top", y=-0.17, xanchor="left", x=0),
                        margin=dict(l=10, r=20, t=45, b=45)))  # the legend below: a large title needs the width
    for axis in ("xaxis", "yaxis"):
        _merge(layout.setdefault(axis, {}), dict(tickfont=dict(size=16)))
    return go.Figure(figure, _validate=False)


def _merge(into: dict, update: dict) -> None:
    """Nested update as plotly's update_layout does it: dicts merged key by key, other values replaced."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def when_text() -> str:
    state = "进行中" if snap.phase else ("未开始" if snap.as_of < phase.start else "已结束")
    return (f"截至 {snap.as_of.isoformat()} · 对照{phase.name}（{phase.start:%m月%d日}—{phase.end:%m月%d日}，{state}）"
            f" · 已报送 {len(reported)}/{len(snap.towns)} 个镇办")


# ---------------------------------------------------------------- the slides

def overview_slide() -> None:
    head(f"{campaign.district}红色物业建设推进情况", when_text())
    tiles = []
    for code in KPI_MEASURES:
        measure = MEASURES[code]
        numerator, denominator = snap.district.parts(code, campaign)
        progress = snap.district_progress.get(code)
        if progress:
            note = f"目标 {esc(percent(progress.target))} · {esc(still_needed(code, progress.gap))}"
        else:
            note = f"{numerator} / {denominator}"
        if snap.district_previous is not None and snap.rate(code) is not None:
            before = snap.rate(code, snap.district_previous)
            if before is not None:
                note += f"<br>比 {snap.previous_date:%m-%d} {(float(snap.rate(code)) - float(before)) * 100:+.1f} 个百分点"
        tiles.append(tile(measure.label, percent(snap.rate(code)), note, progress.status if progress else None))
    st.html(f'<div class="rp-tiles">{"".join(tiles)}</div>')
    history = cached_history(data_version(), as_of())
    left, right = st.columns(2)
    for column, code in zip((left, right), phase.targets):
        column.plotly_chart(presentable(milestone_chart(history, campaign, code, snap.as_of), 330),
                            key=f"presenter_milestone_{code}", config={"displayModeBar": False})


def ranking_slide() -> None:
    head("考核排名", f"按加分合计；同分比较{phase.name}目标平均完成度 · {when_text()}")
    headers = ["排名", "镇（街道）", "状态"] + [MEASURES[c].short for c in RATE_COLUMNS] + ["加分"]
    rows, kinds = [], []
    for s in snap.ranked():
        if not s.report:
            rows.append(["—", esc(s.town), chip(s.status), "—", "—", "—", "—"])
        else:
            rows.append([str(s.rank), esc(s.town), chip(s.status), *(rate_cell(s, c) for c in RATE_COLUMNS),
                         f"<b>{s.points}</b>"])
        kinds.append("")
    st.html(table(headers, rows, ["", "name", "", "", "", "", ""], kinds))
    targets = "，".join(f"{MEASURES[c].short} {percent(t)}" for c, t in phase.targets.items())
    st.html(f'<div class="rp-sub">✔ 达到{phase.name}目标（{esc(targets)}） ✖ 未达到 · 状态取各项中最差的一项</div>')


def unmet_slide() -> None:
    unmet = [s for s in snap.ranked() if s.report and s.status != MET]
    missing = [s.town for s in snap.ranked() if not s.report]
    head(f"未完成{phase.name}目标的镇（街道）", f"{len(unmet)} 个 · {when_text()}")
    district = "；".join(f"{MEASURES[c].short} {percent(p.value)}（{still_needed(c, p.gap)}）"
                         for c, p in snap.district_progress.items())
    st.html(f'<div class="rp-lines"><b>全区：</b>{esc(district)}</div>')
    if not unmet:
        st.html(f'<div class="rp-big">{chip(MET)} 各镇（街道）均已完成{esc(phase.name)}目标。</div>')
    else:
        following = next_phase(campaign, phase)
        headers = ["镇（街道）", "状态", *(MEASURES[c].short for c in phase.targets), f"{phase.name}还需"]
        if following:
            headers.append(f"{following.name}还需")
        rows = []
        for s in unmet:
            row = [esc(s.town), chip(s.status), *(rate_cell(s, c) for c in phase.targets),
                   esc(needs_short(s, phase.name))]
            if following:
                row.append(esc(needs_short(s, following.name) or "已达标"))
            rows.append(row)
        classes = ["name", "", *([""] * len(phase.targets)), "needs", "needs"]
        st.html(table(headers, rows, classes))
    if missing:
        st.html(f'<div class="rp-lines">{chip("未报送")} {esc("、".join(missing))}</div>')


def town_slide(standing) -> None:
    if not standing.report:
        head(standing.town, when_text())
        st.html(f'<div class="rp-big">{chip("未报送")} {esc(standing.town)}在 {snap.as_of.isoformat()} 之前没有报送数据。</div>')
        return
    report = standing.report
    head(f"第{standing.rank}名 {standing.town}",
         f"加分 {standing.points} 分 · 报送日期 {report.report_date.isoformat()} · 对照{phase.name}目标")
    left, right = st.columns([5, 6])
    with left:
        tiles = []
        for code, p in standing.progress.items():
            numerator, denominator = standing.figures.parts(code, campaign)
            needs = f"<br><b>{esc(still_needed(code, p.gap))}</b>" if p.gap else ""
            tiles.append(tile(MEASURES[code].label, percent(p.value),
                              f"{numerator} / {denominator} · 目标 {esc(percent(p.target))}{needs}", p.status))
        for code in [c for c in KPI_MEASURES if c not in standing.progress]:
            numerator, denominator = standing.figures.parts(code, campaign)
            tiles.append(tile(MEASURES[code].label, percent(snap.rate(code, standing.figures)),
                              f"{numerator} / {denominator}"))
        st.html(f'<div class="rp-tiles" style="grid-template-columns: repeat(2, 1fr)">{"".join(tiles)}</div>')
        lines = []
        for code, p in standing.progress.items():
            if p.gap and p.days_left:  # while the phase runs: the pace still needed
                lines.append(f"{MEASURES[code].short}：{esc(pace_sentence(p))}")
        following = next_phase(campaign, phase)
        if following:
            needs = needs_short(standing, following.name)
            lines.append(f"<b>{esc(following.name)}</b>（{following.start.month}月{following.start.day}日起）"
                         + (f"还需：{esc(needs)}" if needs else "：已达标"))
        lines.append(f"<b>考核加分 {standing.points} 分</b>")
        for line in standing.ledger:
            if line.points:
                lines.append(f"{STATUS_SYMBOLS[MET]} {esc(line.rule.label)} +{line.points}分")
            else:
                lines.append(f"{STATUS_SYMBOLS['未报送']} {esc(line.rule.label)}：{esc(line.next_point or '')}")
        st.html(f'<div class="rp-lines" style="font-size:1.1rem;line-height:1.5">{"<br>".join(lines)}</div>')
    with right:
        history = cached_history(data_version(), as_of(), standing.town)
        right.plotly_chart(presentable(town_trend_chart(history, campaign, standing.town, list(phase.targets)), 470),
                           key=f"presenter_trend_{standing.town}", config={"displayModeBar": False})


SLIDES = [("全区总览", overview_slide), ("考核排名", ranking_slide), ("未完成阶段目标", unmet_slide)]
SLIDES += [(f"{s.town}", (lambda s=s: town_slide(s))) for s in snap.ranked()]


# ---------------------------------------------------------------- turning pages

def turn(step: int) -> None:
    st.session_state[SLIDE] = (st.session_state.get(SLIDE, 0) + step) % len(SLIDES)
    st.session_state[LAST_TURN] = time.monotonic()


def restart_timer() -> None:
    st.session_state[LAST_TURN] = time.monotonic()


def slide_label(index: int) -> str:
    return f"{index + 1}/{len(SLIDES)} {SLIDES[index][0]}"


if not reported:
    empty_state("所选日期之前还没有任何镇办报送数据，无法放映。请在“总览”页左侧调整统计截至日期。")
    st.page_link("pages/overview.py", label="返回总览", icon=":material/arrow_back:")
    st.stop()

st.session_state.setdefault(SLIDE, 0)
st.session_state[SLIDE] = min(st.session_state[SLIDE], len(SLIDES) - 1)
st.session_state.setdefault(LAST_TURN, time.monotonic())
auto = bool(st.session_state.get(AUTO, False))
seconds = st.session_state.get(SECONDS, INTERVALS[1])


@st.fragment(run_every=seconds if auto else None)
def presenter() -> None:
    if st.session_state.get(AUTO) and time.monotonic() - st.session_state[LAST_TURN] >= seconds - 0.5:
        turn(1)  # the timer fired: next slide
    bar = st.columns([1.1, 2.6, 1.1, 1.3, 1.1, 1.5, 1.3], vertical_alignment="center")
    bar[0].button("上一页", key=PREV, on_click=turn, args=(-1,), icon=":material/chevron_left:", shortcut="Left",
                  width="stretch")
    bar[1].selectbox("跳转到", range(len(SLIDES)), key=SLIDE, format_func=slide_label, label_visibility="collapsed",
                     on_change=restart_timer)
    bar[2].button("下一页", key=NEXT, on_click=turn, args=(1,), icon=":material/chevron_right:", shortcut="Right",
                  type="primary", width="stretch")
    now_auto = bar[3].toggle("自动播放", key=AUTO, on_change=restart_timer)
    now_seconds = bar[4].selectbox("每页秒数", INTERVALS, index=INTERVALS.index(seconds), key=SECONDS,
                                   format_func=lambda n: f"每页 {n} 秒", label_visibility="collapsed")
    if can(actor(), VIEW_MEETING):
        bar[5].download_button("会议材料", deferred(meeting_pack, snap), file_name=pack_file_name(snap),
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               on_click="ignore", icon=":material/download:", key=PACK, width="stretch")
    bar[6].page_link("pages/overview.py", label="退出", icon=":material/close:")
    if now_auto != auto or now_seconds != seconds:
        st.rerun()  # the timer is set when the fragment is declared: declare it again
    SLIDES[st.session_state[SLIDE]][1]()


presenter()
