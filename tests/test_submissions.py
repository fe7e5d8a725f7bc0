"""Who reported when: the town × report-date matrix, missing towns, the reminder and the upload history.

Uploads are real workbooks stored by the importer; their upload times are then set by hand
(grace_days = 3 in the shipped campaign, so a report for 10-31 is on time until 11-03 23:59:59).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core import store
from core.submissions import (LATE, MISSING, NOT_REQUIRED, NOT_YET_DUE, ON_TIME, RESUBMITTED, cell_status,
                              date_summary, deadline, missing_towns, reminder_text, submission_matrix,
                              submission_status, upload_history, version_label, version_summary)
from core.config import default_campaign
from core.validate import read_workbook
from tests.reports import store_report

D1031, D1120, D1130, D1215, D1231 = (dt.date(2021, 10, 31), dt.date(2021, 11, 20), dt.date(2021, 11, 30),
                                     dt.date(2021, 12, 15), dt.date(2021, 12, 31))
TODAY = dt.date(2021, 12, 5)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day)


@pytest.fixture
def conn(tmp_path):
    with store.connect(tmp_path / "redprop.duckdb") as connection:
        yield connection


@pytest.fixture
def reported(conn):
    """Reports of five towns for 10-31, 般阳路街道 also for 11-20 (ad hoc) and 11-30."""
    store_report(conn, "般阳路街道", D1031, at("2021-11-02 10:00"))
    store_report(conn, "松龄路街道", D1031, at("2021-11-03 23:59:59"))  # last second of the grace days
    store_report(conn, "钟楼街道", D1031, at("2021-11-04 00:00"))  # first second after them
    store_report(conn, "将军路街道", D1031, at("2021-11-01 09:00"))
    store_report(conn, "将军路街道", D1031, at("2021-11-10 09:00"))  # a second version, first was on time
    store_report(conn, "昆仑镇", D1031, at("2021-11-05 09:00"))
    store_report(conn, "昆仑镇", D1031, at("2021-11-06 09:00"))  # a second version, first was late
    store_report(conn, "般阳路街道", D1120, at("2021-11-20 16:00"))
    store_report(conn, "般阳路街道", D1130, at("2021-12-01 08:30"))
    return conn


# ---------------------------------------------------------------- one cell

@pytest.mark.parametrize("scheduled, versions, on_time, due_passed, expected", [
    (True, 0, None, True, MISSING),
    (True, 0, None, False, NOT_YET_DUE),
    (False, 0, None, True, NOT_REQUIRED),
    (True, 1, True, True, ON_TIME),
    (True, 1, False, True, LATE),
    (True, 2, True, True, RESUBMITTED),
    (True, 3, False, True, RESUBMITTED),
    (False, 1, True, True, ON_TIME),
    (False, 1, False, True, LATE),
])
def test_cell_status(scheduled, versions, on_time, due_passed, expected):
    assert cell_status(scheduled, versions, on_time, due_passed) == expected


@pytest.mark.parametrize("report_date, expected", [
    (D1031, dt.date(2021, 11, 3)), (D1130, dt.date(2021, 12, 3)), (D1231, dt.date(2022, 1, 3))])
def test_deadline_is_report_date_plus_grace_days(campaign, report_date, expected):
    assert campaign.grace_days == 3
    assert deadline(campaign, report_date) == expected


# ---------------------------------------------------------------- the matrix

def test_matrix_cells(reported, campaign):
    matrix = submission_matrix(reported, campaign, today=TODAY)
    assert list(matrix.index) == list(campaign.towns)
    assert list(matrix.columns) == [D1031, D1120, D1130, D1215, D1231]  # the ad-hoc 11-20 among the due dates
    expected = {  # 10-31, 11-20 (ad hoc), 11-30, 12-15 and 12-31 (not yet due on 12-05)
        "般阳路街道": [ON_TIME, ON_TIME, ON_TIME, NOT_YET_DUE, NOT_YET_DUE],
        "松龄路街道": [ON_TIME, NOT_REQUIRED, MISSING, NOT_YET_DUE, NOT_YET_DUE],
        "钟楼街道": [LATE, NOT_REQUIRED, MISSING, NOT_YET_DUE, NOT_YET_DUE],
        "将军路街道": [RESUBMITTED, NOT_REQUIRED, MISSING, NOT_YET_DUE, NOT_YET_DUE],
        "昆仑镇": [RESUBMITTED, NOT_REQUIRED, MISSING, NOT_YET_DUE, NOT_YET_DUE],
    }
    for town in campaign.towns:
        assert list(matrix.loc[town]) == expected.get(town, [MISSING, NOT_REQUIRED, MISSING, NOT_YET_DUE,
                                                             NOT_YET_DUE]), town


def test_resubmitted_cells_keep_whether_the_first_version_was_on_time(reported, campaign):
    status = submission_status(reported, campaign, today=TODAY).set_index(["town", "report_date"])
    assert status.loc[("将军路街道", D1031), ["versions", "on_time", "status"]].tolist() == [2, True, RESUBMITTED]
    assert status.loc[("昆仑镇", D1031), ["versions", "on_time", "status"]].tolist() == [2, False, RESUBMITTED]
    assert status.loc[("将军路街道", D1031), "first_uploaded_at"] == pd.Timestamp("2021-11-01 09:00")
    assert status.loc[("将军路街道", D1031), "last_uploaded_at"] == pd.Timestamp("2021-11-10 09:00")
    assert status.loc[("松龄路街道", D1130), ["versions", "status"]].tolist() == [0, MISSING]
    assert status.loc[("松龄路街道", D1130), "on_time"] is None
    assert bool(status.loc[("般阳路街道", D1120), "scheduled"]) is False


def test_a_due_date_is_missing_only_after_its_last_grace_day(reported, campaign):
    on_deadline = submission_matrix(reported, campaign, today=dt.date(2021, 12, 3))
    day_after = submission_matrix(reported, campaign, today=dt.date(2021, 12, 4))
    assert on_deadline.loc["松龄路街道", D1130] == NOT_YET_DUE
    assert day_after.loc["松龄路街道", D1130] == MISSING


def test_superseded_versions_still_count_as_resubmission(reported, campaign):
    status = submission_status(reported, campaign, today=TODAY)
    assert status["status"].eq(RESUBMITTED).sum() == 2


def test_empty_store_shows_every_due_date_missing(conn, campaign):
    matrix = submission_matrix(conn, campaign, today=dt.date(2022, 2, 1))
    assert list(matrix.columns) == list(campaign.report_dates)
    assert matrix.shape == (13, 4)
    assert set(matrix.to_numpy().ravel()) == {MISSING}


def test_date_summary(reported, campaign):
    status = submission_status(reported, campaign, today=TODAY)
    assert date_summary(status, D1031) == {"towns": 13, "reported": 5, "on_time": 3, "late": 2,
                                           "resubmitted": 2, "missing": 8}
    assert date_summary(status, D1130) == {"towns": 13, "reported": 1, "on_time": 1, "late": 0,
                                           "resubmitted": 0, "missing": 12}


# ---------------------------------------------------------------- missing towns and the reminder

def test_missing_towns_in_configured_order(reported, campaign):
    assert missing_towns(reported, campaign, D1031) == ["岭子镇", "西河镇", "龙泉镇", "寨里镇", "罗村镇", "洪山镇",
                                                        "双杨镇", "太河镇"]
    assert missing_towns(reported, campaign, D1130) == [t for t in campaign.towns if t != "般阳路街道"]
    assert missing_towns(reported, campaign, D1215) == list(campaign.towns)


def test_missing_towns_ignores_towns_not_configured(conn, campaign):
    assert "某某镇" not in missing_towns(conn, campaign, D1031)
    assert len(missing_towns(conn, campaign, D1031)) == 13


def test_reminder_before_the_deadline(campaign):
    text = reminder_text(campaign, D1130, ["松龄路街道", "昆仑镇"], dt.date(2021, 12, 2))
    assert text == ("各镇（街道）：\n"
                    "　　截至12月2日，以下2个单位尚未报送11月30日红色物业建设工作台账：松龄路街道、昆仑镇。"
                    "请于12月3日前通过看板“数据上报”页上传。\n"
                    "\n"
                    "淄川区住房保障中心物业科\n"
                    "2021年12月2日")


def test_reminder_on_the_deadline_still_asks_for_it_by_that_day(campaign):
    text = reminder_text(campaign, D1130, ["昆仑镇"], dt.date(2021, 12, 3))
    assert "请于12月3日前通过看板“数据上报”页上传。" in text


def test_reminder_after_the_deadline(campaign):
    text = reminder_text(campaign, D1130, ["昆仑镇"], dt.date(2021, 12, 6))
    assert "以下1个单位尚未报送11月30日红色物业建设工作台账：昆仑镇。" in text
    assert "报送期限（12月3日）已过，请尽快通过看板“数据上报”页上传。" in text
    assert text.endswith("淄川区住房保障中心物业科\n2021年12月6日")


def test_reminder_in_another_year_names_the_year(campaign):
    text = reminder_text(campaign, D1231, ["太河镇"], dt.date(2022, 1, 5))
    assert "截至1月5日，以下1个单位尚未报送2021年12月31日红色物业建设工作台账：太河镇。" in text
    assert "报送期限（1月3日）已过" in text  # the deadline is in the year of today


def test_reminder_with_no_town_missing(campaign):
    text = reminder_text(campaign, D1130, [], dt.date(2021, 12, 2))
    assert "各镇（街道）均已报送11月30日红色物业建设工作台账。" in text
    assert "尚未报送" not in text


# ---------------------------------------------------------------- upload history

def test_upload_history_and_version_labels(reported):
    uploads = store.uploads(reported)
    history = upload_history(uploads, "昆仑镇")
    assert list(history.columns) == ["镇（街道）", "报送日期", "版本", "状态", "文件名", "上传人", "上传时间", "提醒条数",
                                     "示例数据"]
    assert history.to_dict("records") == [
        {"镇（街道）": "昆仑镇", "报送日期": "2021-10-31", "版本": "第2版", "状态": "生效", "文件名": "2021-10-31_昆仑镇.xlsx",
         "上传人": "测试上传", "上传时间": "2021-11-06 09:00", "提醒条数": 0, "示例数据": ""},
        {"镇（街道）": "昆仑镇", "报送日期": "2021-10-31", "版本": "第1版", "状态": "已替换", "文件名": "2021-10-31_昆仑镇.xlsx",
         "上传人": "测试上传", "上传时间": "2021-11-05 09:00", "提醒条数": 0, "示例数据": ""},
    ]
    assert len(upload_history(uploads)) == 9
    labels = [version_label(row) for row in uploads[uploads["town"] == "昆仑镇"].to_dict("records")]
    assert labels == ["昆仑镇 · 2021-10-31 · 第2版", "昆仑镇 · 2021-10-31 · 第1版"]


def test_version_summary_marks_details_the_workbook_did_not_give(conn):
    from tests.test_import_refusals import valid_communities, valid_compounds
    from tests.workbooks import info_sheet, standard

    for name, info in (("无填报人.xlsx", info_sheet()), ("有填报人.xlsx", info_sheet(filled_by="张三", phone="13800000000"))):
        parsed = read_workbook(standard(valid_compounds(), valid_communities(), info=info), name, default_campaign())
        store.save(conn, parsed, "物业科")
    rows = {r["file_name"]: r for r in store.uploads(conn).to_dict("records")}
    assert version_summary(rows["无填报人.xlsx"]).split(" · ")[4:6] == ["填报人：—", "联系电话：—"]
    assert version_summary(rows["有填报人.xlsx"]).split(" · ") == [
        "状态：生效", "文件：有填报人.xlsx", "上传人：物业科", f"上传时间：{rows['有填报人.xlsx']['uploaded_at']:%Y-%m-%d %H:%M}",
        "填报人：张三", "联系电话：13800000000", "提醒 0 条"]
