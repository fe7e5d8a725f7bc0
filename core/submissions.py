"""Who has reported for which date, on time or late, and the reminder to send to the rest.

A report for a due date is on time when its first version was uploaded no later than
report_date + grace_days (the whole of that day counts). A town that uploaded more than one
version shows as 重报; whether its first version was on time stays in the long frame
(`submission_status`, column `on_time`).
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb
import pandas as pd

from core.config import Campaign
from core.queries import sql

ON_TIME = "按时"
LATE = "逾期"
MISSING = "未报"
RESUBMITTED = "重报"
NOT_YET_DUE = "待报"  # a due date whose deadline has not passed, nothing uploaded yet
NOT_REQUIRED = "—"  # an ad-hoc report date some other town reported for: nothing was due
STATUSES = (ON_TIME, LATE, RESUBMITTED, MISSING, NOT_YET_DUE, NOT_REQUIRED)

STATUS_COLUMNS = ("town", "report_date", "scheduled", "deadline", "versions", "first_uploaded_at",
                  "last_uploaded_at", "on_time", "status")


def deadline(campaign: Campaign, report_date: dt.date) -> dt.date:
    """The last day a report for `report_date` counts as on time."""
    return report_date + dt.timedelta(days=campaign.grace_days)


def cell_status(scheduled: bool, versions: int, on_time: bool | None, due_passed: bool) -> str:
    """The status word of one town and report date."""
    if versions == 0:
        if not scheduled:
            return NOT_REQUIRED
        return MISSING if due_passed else NOT_YET_DUE
    if versions > 1:
        return RESUBMITTED
    return ON_TIME if on_time else LATE


def matrix_dates(campaign: Campaign, uploaded_dates) -> list[dt.date]:
    """The due dates of the campaign and every other date a configured town reported for, oldest first."""
    return sorted(set(campaign.report_dates) | set(uploaded_dates))


def submission_status(conn: duckdb.DuckDBPyConnection, campaign: Campaign,
                      today: dt.date | None = None) -> pd.DataFrame:
    """One row per configured town and report date (due or ad hoc), in town order within each date.

    Columns: town, report_date, scheduled (a due date of the campaign), deadline, versions,
    first_uploaded_at, last_uploaded_at, on_time (None when nothing was uploaded), status.
    """
    today = today or dt.date.today()
    towns = set(campaign.towns)  # a set: a province has a thousand towns and a year of reports
    stored = {(town, day): (versions, first, last)
              for town, day, versions, first, last in conn.execute(sql("submission_versions")).fetchall()
              if town in towns}
    rows = []
    for day in matrix_dates(campaign, {d for _, d in stored}):
        scheduled = day in campaign.report_dates
        due = deadline(campaign, day)
        for town in campaign.towns:
            versions, first, last = stored.get((town, day), (0, None, None))
            on_time = None if first is None else first.date() <= due
            rows.append((town, day, scheduled, due, versions, first, last, on_time,
                         cell_status(scheduled, versions, on_time, today > due)))
    return pd.DataFrame(rows, columns=list(STATUS_COLUMNS))


def submission_matrix(conn: duckdb.DuckDBPyConnection, campaign: Campaign,
                      today: dt.date | None = None) -> pd.DataFrame:
    """Towns (rows, configured order) × report dates (columns, oldest first) → status word."""
    return status_matrix(submission_status(conn, campaign, today), campaign)


def status_matrix(status: pd.DataFrame, campaign: Campaign) -> pd.DataFrame:
    """The long frame of `submission_status` pivoted to towns × report dates."""
    dates = list(dict.fromkeys(status["report_date"]))
    if not dates:
        return pd.DataFrame(index=pd.Index(campaign.towns, name="town"))
    matrix = status.pivot(index="town", columns="report_date", values="status")
    matrix = matrix.reindex(index=list(campaign.towns), columns=dates)
    matrix.index.name, matrix.columns.name = "town", None
    return matrix


def date_summary(status: pd.DataFrame, report_date: dt.date) -> dict[str, int]:
    """Counts for one report date: towns, reported, on_time and late (by first version),
    resubmitted (more than one version) and missing (nothing uploaded, due or not)."""
    day = status[status["report_date"] == report_date]
    reported = day[day["versions"] > 0]
    return {
        "towns": len(day),
        "reported": len(reported),
        "on_time": int(reported["on_time"].astype(bool).sum()),
        "late": int((~reported["on_time"].astype(bool)).sum()),
        "resubmitted": int((reported["versions"] > 1).sum()),
        "missing": len(day) - len(reported),
    }


def missing_towns(conn: duckdb.DuckDBPyConnection, campaign: Campaign, report_date: dt.date) -> list[str]:
    """Configured towns with no stored report for `report_date`, in configured order."""
    reported = {town for (town,) in conn.execute(sql("towns_reported_on"), {"report_date": report_date}).fetchall()}
    return [town for town in campaign.towns if town not in reported]


def chinese_date(day: dt.date, today: dt.date | None = None) -> str:
    """11月30日, or 2021年11月30日 when `day` is not in the year of `today` (or no `today` is given)."""
    if today is not None and day.year == today.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def reminder_text(campaign: Campaign, report_date: dt.date, towns: list[str], today: dt.date) -> str:
    """A notice, ready to copy into a work group, asking the listed towns to report for `report_date`."""
    sender = f"{campaign.district}住房保障中心物业科"
    report = chinese_date(report_date, today)
    if not towns:
        body = f"截至{chinese_date(today, today)}，各镇（街道）均已报送{report}红色物业建设工作台账。"
    else:
        due = deadline(campaign, report_date)
        if today <= due:
            ask = f"请于{chinese_date(due, today)}前通过看板“数据上报”页上传。"
        else:
            ask = f"报送期限（{chinese_date(due, today)}）已过，请尽快通过看板“数据上报”页上传。"
        body = (f"截至{chinese_date(today, today)}，以下{len(towns)}个单位尚未报送{report}红色物业建设工作台账："
                f"{'、'.join(towns)}。{ask}")
    return f"各镇（街道）：\n　　{body}\n\n{sender}\n{today.year}年{today.month}月{today.day}日"


class UploadStamp(NamedTuple):
    report_dates: list[dt.date]  # every date some town reported for, oldest first (core.measures.report_dates)
    latest_upload: dt.datetime | None  # when the latest upload came in; None before any
    sample_in_force: bool


def upload_stamp(conn: duckdb.DuckDBPyConnection) -> UploadStamp:
    """The report dates and the stamp of the data (latest upload, sample data in force): what every
    page's sidebar needs, in one query."""
    dates, latest, sample = conn.execute(sql("upload_stamp")).fetchall()[0]
    return UploadStamp(dates, latest, bool(sample))


# ---------------------------------------------------------------- upload history

ACTIVE_LABEL, SUPERSEDED_LABEL = "生效", "已替换"
HISTORY_HEADERS = ("镇（街道）", "报送日期", "版本", "状态", "文件名", "上传人", "上传时间", "提醒条数", "示例数据")


def version_label(row) -> str:
    """般阳路街道 · 2021-11-30 · 第2版: one stored version, for choosing it in a list (without its state,
    which a restore changes while the list is open)."""
    sample = " · 示例数据" if row["is_sample"] else ""
    return f"{row['town']} · {row['report_date']:%Y-%m-%d} · 第{row['version']}版{sample}"


def version_summary(row) -> str:
    """状态：生效 · 文件：… · 填报人：张三 · …: one stored version's details in a line (— for a detail
    the workbook did not give)."""
    def given(value) -> str:
        return "—" if value is None or pd.isna(value) or value == "" else str(value)

    return " · ".join([
        f"状态：{ACTIVE_LABEL if row['active'] else SUPERSEDED_LABEL}", f"文件：{row['file_name']}",
        f"上传人：{row['uploader']}", f"上传时间：{row['uploaded_at']:%Y-%m-%d %H:%M}",
        f"填报人：{given(row['filled_by'])}", f"联系电话：{given(row['phone'])}", f"提醒 {row['warning_count']} 条"])


def upload_history(uploads: pd.DataFrame, town: str | None = None) -> pd.DataFrame:
    """The frame of core.store.uploads (one town's, or all) under Chinese headers, newest first,
    indexed by upload_id."""
    picked = uploads if town is None else uploads[uploads["town"] == town]
    frame = pd.DataFrame({
        "镇（街道）": picked["town"],
        "报送日期": [f"{d:%Y-%m-%d}" for d in picked["report_date"]],
        "版本": [f"第{v}版" for v in picked["version"]],
        "状态": [ACTIVE_LABEL if a else SUPERSEDED_LABEL for a in picked["active"]],
        "文件名": picked["file_name"],
        "上传人": picked["uploader"],
        "上传时间": [f"{t:%Y-%m-%d %H:%M}" for t in picked["uploaded_at"]],
        "提醒条数": picked["warning_count"].astype("Int64"),
        "示例数据": ["是" if s else "" for s in picked["is_sample"]],
    }, columns=list(HISTORY_HEADERS))
    frame.index = pd.Index(picked["upload_id"].astype(int), name="upload_id")
    return frame
