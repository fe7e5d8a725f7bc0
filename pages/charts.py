"""Plotly figures built with graph_objects from small aggregated frames (fast to build and draw)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from core.config import Campaign
from core.history import DISTRICT
from core.measures import MEASURES
from core.metrics import Snapshot
from core.report_text import percent
from pages.common import STATUS_COLORS, STATUS_SYMBOLS

FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif", size=16)
TARGET_COLOR = "#c62828"
LINE_COLOR = "#1f4e79"
PHASE_FILL = ("rgba(198,40,40,0.06)", "rgba(198,40,40,0.11)")


def _figure(data: list[dict], layout: dict, title: str, height: int) -> go.Figure:
    """One Figure from plain dicts. plotly's add_* helpers re-validate the whole layout on every
    call, and validating a thousand towns' bars element by element cost more than the rest of a
    page; these dicts are fixed by this module (tests/test_app.py validates every chart), so they
    are taken as they are."""
    layout = {**layout, "title": dict(text=title, font=dict(size=20)), "font": FONT, "height": height,
              "margin": dict(l=10, r=20, t=60, b=10), "plot_bgcolor": "white",
              "legend": dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1)}
    return go.Figure(dict(data=data, layout=layout), _validate=False)


def _band(x0, x1, fill: str) -> dict:
    """A full-height rectangle between two x values (what add_vrect draws)."""
    return dict(type="rect", xref="x", yref="y domain", x0=x0, x1=x1, y0=0, y1=1, fillcolor=fill, line=dict(width=0),
                layer="below")


def _vline(x, line: dict) -> dict:
    """A full-height vertical line (what add_vline draws)."""
    return dict(type="line", xref="x", yref="y domain", x0=x, x1=x, y0=0, y1=1, line=line)


def _label(x, text: str, font: dict, xanchor: str, yanchor: str) -> dict:
    return dict(xref="x", yref="y domain", x=x, y=1, text=text, showarrow=False, font=font, xanchor=xanchor,
                yanchor=yanchor)


def milestone_chart(history: pd.DataFrame, campaign: Campaign, code: str, as_of: dt.date) -> go.Figure:
    """District line over report dates against the stepped, dated phase targets, phases as bands."""
    measure = MEASURES[code]
    first = min([campaign.phases[0].start] + list(history["report_date"])) if not history.empty else campaign.phases[0].start
    shapes, annotations = [], []
    for i, phase in enumerate(campaign.phases):
        shapes.append(_band(phase.start, phase.end + dt.timedelta(days=1), PHASE_FILL[i % 2]))
        annotations.append(_label(phase.start, phase.name, dict(size=14), "left", "top"))
    shapes.append(_vline(as_of, dict(color="#555", width=1, dash="dot")))
    steps_x, steps_y = [], []
    for phase in campaign.phases:
        if code in phase.targets:
            steps_x += [phase.start, phase.end + dt.timedelta(days=1), None]
            steps_y += [float(phase.targets[code])] * 2 + [None]
    data = [dict(type="scatter", x=steps_x, y=steps_y, mode="lines", name="阶段目标",
                 line=dict(color=TARGET_COLOR, width=3, dash="dash"), hoverinfo="skip")]
    district = history[history["unit"] == DISTRICT] if not history.empty else history
    if not district.empty:
        data.append(dict(
            type="scatter", x=district["report_date"], y=district[code], mode="lines+markers+text",
            name=f"全区{measure.short}", line=dict(color=LINE_COLOR, width=4), marker=dict(size=11),
            text=[percent(v) if pd.notna(v) else "" for v in district[code]],
            textposition=["bottom right"] * (len(district) - 1) + ["bottom left"],  # keep the last label inside
            textfont=dict(size=15, color=LINE_COLOR),
            hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1%}<extra></extra>"))
    layout = dict(shapes=shapes, annotations=annotations,
                  yaxis=dict(range=[0, 1.08], tickformat=".0%", gridcolor="#e5e5e5"),
                  xaxis=dict(range=[first - dt.timedelta(days=7), campaign.phases[-1].end + dt.timedelta(days=6)],
                             tickformat="%m-%d", gridcolor="#f0f0f0"))
    return _figure(data, layout, f"{measure.label}：全区进度与阶段目标", 380)


def town_bars(snap: Snapshot, code: str, limit: int | None = None) -> dict:
    """What town_chart draws: towns sorted by value (plotly draws the first bar at the bottom), their
    values, status colours and labels. Plain lists, so that a page can cache them. With `limit`,
    only that many towns: those furthest behind (the unreported, then the lowest values)."""
    rows = []
    for s in snap.towns:
        value = snap.rate(code, s.figures) if s.report else None
        status = s.progress[code].status if s.report and code in s.progress else ("未报送" if not s.report else None)
        rows.append((s.town, None if value is None else float(value), status))
    rows.sort(key=lambda r: (r[1] is None, -(r[1] or 0)))
    if limit is not None:
        rows = rows[-limit:]
    rows.reverse()  # plotly draws the first bar at the bottom
    return {"towns": [r[0] for r in rows], "values": [r[1] if r[1] is not None else 0 for r in rows],
            "colors": [STATUS_COLORS.get(r[2], LINE_COLOR) for r in rows],
            "labels": [(f"{STATUS_SYMBOLS[r[2]]} " if r[2] else "") + (percent(r[1]) if r[1] is not None else "未报送")
                       for r in rows]}


def town_chart(snap: Snapshot, code: str, bars: dict | None = None) -> go.Figure:
    """Each town's value against the judged phase's target, sorted, coloured and labelled by status
    (`bars`: town_bars of the same snapshot and measure, when the page has them cached)."""
    measure = MEASURES[code]
    target = snap.judged.targets.get(code)
    bars = bars or town_bars(snap, code)
    data = [dict(type="bar", y=bars["towns"], x=bars["values"], orientation="h", marker=dict(color=bars["colors"]),
                 text=bars["labels"], textposition="outside", cliponaxis=False, textfont=dict(size=15),
                 hovertemplate="%{y}：%{x:.1%}<extra></extra>", name=measure.short)]
    layout = dict(xaxis=dict(range=[0, 1.25], tickformat=".0%", gridcolor="#e5e5e5"),
                  yaxis=dict(tickfont=dict(size=15)))
    if target is not None:
        layout["shapes"] = [_vline(float(target), dict(color=TARGET_COLOR, width=3, dash="dash"))]
        layout["annotations"] = [_label(float(target), f"{snap.judged.name}目标 {percent(target)}",
                                        dict(size=14, color=TARGET_COLOR), "center", "bottom")]
    return _figure(data, layout, f"各镇办{measure.label}", 80 + 34 * len(bars["towns"]))


def town_trend_chart(history: pd.DataFrame, campaign: Campaign, town: str, codes: list[str]) -> go.Figure:
    """One town's measures over its report dates, with the stepped targets of the first measure."""
    mine = history[history["unit"] == town]
    palette = ("#1f4e79", "#2e7d32", "#6a1b9a", "#ef6c00")
    data = []
    for i, code in enumerate(codes):
        data.append(dict(type="scatter", x=mine["report_date"], y=mine[code], mode="lines+markers",
                         name=MEASURES[code].short, line=dict(width=3, color=palette[i % len(palette)]),
                         marker=dict(size=9), hovertemplate="%{x|%Y-%m-%d}<br>%{y:.1%}<extra></extra>"))
        for phase in campaign.phases:
            if code in phase.targets:
                data.append(dict(type="scatter", x=[phase.start, phase.end], y=[float(phase.targets[code])] * 2,
                                 mode="lines", showlegend=False, hoverinfo="skip",
                                 line=dict(color=palette[i % len(palette)], width=2, dash="dash")))
    layout = dict(yaxis=dict(range=[0, 1.08], tickformat=".0%", gridcolor="#e5e5e5"), xaxis=dict(tickformat="%m-%d"))
    return _figure(data, layout, f"{town}指标变化（虚线为阶段目标）", 360)
