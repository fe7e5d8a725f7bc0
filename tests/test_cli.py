"""The command-line contract of CLI.md for validate / import / template: JSON shape, statuses,
exit codes, and never a traceback. Every test runs `python -m core` as a script would."""
from __future__ import annotations

import datetime as dt
import importlib.util
import io

import duckdb
import openpyxl
import pytest

from tests.workbooks import COMMUNITY_HEADER, COMPOUND_HEADER, Sheet, community_row, compound_row, standard, xlsx

BY, KL = "般阳路街道", "昆仑镇"
FILE_KEYS = {"file", "status", "reports", "errors", "warnings"}
ISSUE_KEYS = {"sheet", "row", "column", "message"}
REPORT_KEYS = {"town", "report_date", "compounds", "communities", "version"}


@pytest.fixture
def good(tmp_path):
    """A valid workbook: 般阳路街道, 2021-11-30, two compounds, one community, one warning (EPMC of 6)."""
    path = tmp_path / "good.xlsx"
    path.write_bytes(standard([compound_row("东社区", "阳光花园", "是", 7, 6, "是"), compound_row("东社区", "幸福里")],
                              [community_row("东社区", "是", 6, 4)]))
    return path


@pytest.fixture
def bad(tmp_path):
    """A workbook with one error: 其中党员数 6 > 成员数 5 on 小区台账 row 3."""
    path = tmp_path / "bad.xlsx"
    path.write_bytes(standard([compound_row("东社区", "阳光花园"), compound_row("东社区", "幸福里", "是", 5, 6, "是")],
                              [community_row("东社区")]))
    return path


@pytest.fixture
def bare(tmp_path):
    """A valid ledger that states neither its town nor its report date."""
    path = tmp_path / "bare.xlsx"
    path.write_bytes(xlsx(Sheet("小区台账", [COMPOUND_HEADER[1:], compound_row("东社区", "阳光花园")[1:]]),
                          Sheet("社区台账", [COMMUNITY_HEADER[1:], community_row("东社区")[1:]])))
    return path


def no_traceback(result):
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def uploads(db):
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute("SELECT town, report_date, version, active FROM uploads ORDER BY ALL").fetchall()


# ---------------------------------------------------------------- validate

def test_validate_json_of_a_valid_file(cli, good):
    result = cli("validate", good, "--json")
    no_traceback(result)
    assert result.code == 0
    assert result.json() == {"files": [{
        "file": "good.xlsx", "status": "valid",
        "reports": [{"town": BY, "report_date": "2021-11-30", "compounds": 2, "communities": 1, "version": None}],
        "errors": [],
        "warnings": [{"code": "epmc_even", "sheet": "社区台账", "row": 2, "column": "环物委成员数",
                      "message": "环物委成员 6 人，按要求应为单数；请核对人数或调整成员。"}],
    }]}


def test_validate_json_of_a_rejected_file(cli, bad):
    result = cli("validate", bad, "--json")
    no_traceback(result)
    assert result.code == 1
    [entry] = result.json()["files"]
    assert set(entry) == FILE_KEYS
    assert (entry["file"], entry["status"], entry["reports"], entry["warnings"]) == ("bad.xlsx", "rejected", [], [])
    [error] = entry["errors"]
    assert ISSUE_KEYS <= set(error)
    assert (error["sheet"], error["row"], error["column"]) == ("小区台账", 3, "其中党员数")
    assert "请" in error["message"]


def test_validate_several_files_reports_each_in_order(cli, good, bad):
    result = cli("validate", good, bad, "--json")
    assert result.code == 1
    assert [(f["file"], f["status"]) for f in result.json()["files"]] == [("good.xlsx", "valid"),
                                                                           ("bad.xlsx", "rejected")]


def test_validate_whole_file_errors_have_null_places(cli, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("这不是表格", encoding="utf-8")
    result = cli("validate", path, "--json")
    assert result.code == 1
    [error] = result.json()["files"][0]["errors"]
    assert (error["sheet"], error["row"], error["column"]) == (None, None, None)


def test_validate_text_output_is_chinese_with_places(cli, good, bad):
    result = cli("validate", good, bad)
    no_traceback(result)
    assert result.code == 1
    assert "good.xlsx：可以导入（提醒 1 条）" in result.stdout
    assert "bad.xlsx：有 1 处错误，不能导入" in result.stdout
    assert "工作表“小区台账”，第3行，“其中党员数”列" in result.stdout


def test_validate_stores_nothing(cli, good, tmp_path):
    db = tmp_path / "never.duckdb"
    result = cli("validate", good, "--json", env={"REDPROP_DB": str(db)})
    assert result.code == 0 and not db.exists()


@pytest.mark.parametrize("town", [BY, "般阳路"])
def test_town_and_date_options_fill_in_what_the_workbook_leaves_out(cli, bare, town):
    without = cli("validate", bare, "--json")
    assert without.code == 1
    codes = {e["code"] for e in without.json()["files"][0]["errors"]}
    assert codes == {"missing_report_date", "missing_column"}
    result = cli("validate", bare, "--town", town, "--date", "2021-11-30", "--json")
    no_traceback(result)
    assert result.code == 0
    [report] = result.json()["files"][0]["reports"]
    assert (report["town"], report["report_date"], report["compounds"], report["communities"]) == (
        BY, "2021-11-30", 1, 1)


def test_town_and_date_options_do_not_override_the_workbook(cli, good):
    result = cli("validate", good, "--town", KL, "--date", "2021-12-15", "--json")
    [report] = result.json()["files"][0]["reports"]
    assert (report["town"], report["report_date"]) == (BY, "2021-11-30")


# ---------------------------------------------------------------- import

def test_import_stores_and_reports_the_version(cli, good, tmp_path):
    db = tmp_path / "store.duckdb"
    result = cli("import", good, "--db", db, "--json")
    no_traceback(result)
    assert result.code == 0
    [entry] = result.json()["files"]
    assert set(entry) == FILE_KEYS and entry["status"] == "stored" and entry["errors"] == []
    [report] = entry["reports"]
    assert REPORT_KEYS <= set(report)
    assert {k: report[k] for k in REPORT_KEYS} == {"town": BY, "report_date": "2021-11-30", "compounds": 2,
                                                  "communities": 1, "version": 1}
    assert [(w["sheet"], w["row"], w["column"]) for w in entry["warnings"]] == [("社区台账", 2, "环物委成员数")]
    assert uploads(db) == [(BY, dt.date(2021, 11, 30), 1, True)]

    again = cli("import", good, "--db", db, "--json")
    assert again.code == 0
    [report] = again.json()["files"][0]["reports"]
    assert (report["version"], report["duplicate"]) == (1, True)
    assert uploads(db) == [(BY, dt.date(2021, 11, 30), 1, True)]


def test_import_stores_good_files_and_rejects_bad_ones(cli, good, bad, tmp_path):
    db = tmp_path / "store.duckdb"
    result = cli("import", bad, good, "--db", db, "--json")
    no_traceback(result)
    assert result.code == 1
    assert [(f["file"], f["status"]) for f in result.json()["files"]] == [("bad.xlsx", "rejected"),
                                                                           ("good.xlsx", "stored")]
    assert uploads(db) == [(BY, dt.date(2021, 11, 30), 1, True)]


def test_import_text_output(cli, good, bad, tmp_path):
    db = tmp_path / "store.duckdb"
    result = cli("import", good, bad, "--db", db)
    no_traceback(result)
    assert result.code == 1
    assert "good.xlsx：般阳路街道 2021-11-30，小区 2 个、社区 1 个，保存为第1版" in result.stdout
    assert "bad.xlsx：未导入，有 1 处错误" in result.stdout


def test_import_fills_in_town_and_date(cli, bare, tmp_path):
    db = tmp_path / "store.duckdb"
    result = cli("import", bare, "--db", db, "--town", "昆仑", "--date", "2021-12-15", "--json")
    assert result.code == 0
    assert uploads(db) == [(KL, dt.date(2021, 12, 15), 1, True)]


def test_redprop_db_environment_variable_is_honoured(cli, good, tmp_path):
    db = tmp_path / "from_env.duckdb"
    result = cli("import", good, "--json", env={"REDPROP_DB": str(db)})
    no_traceback(result)
    assert result.code == 0
    assert uploads(db) == [(BY, dt.date(2021, 11, 30), 1, True)]


def test_db_option_wins_over_the_environment(cli, good, tmp_path):
    env_db, option_db = tmp_path / "env.duckdb", tmp_path / "option.duckdb"
    assert cli("import", good, "--db", option_db, env={"REDPROP_DB": str(env_db)}).code == 0
    assert option_db.exists() and not env_db.exists()


# ---------------------------------------------------------------- usage errors: exit 2, no traceback

@pytest.mark.parametrize("args", [
    ["validate", "--bogus", "{good}"],
    ["import", "{good}", "--date", "30/11/2021"],
    ["validate"],
    ["frobnicate"],
    [],
], ids=["unknown option", "bad date", "no file", "unknown command", "no command"])
def test_bad_options_exit_2(cli, good, args):
    result = cli(*[a.format(good=good) for a in args])
    no_traceback(result)
    assert result.code == 2
    assert result.stderr


def test_missing_file_exits_2(cli, good, tmp_path):
    for command in ("validate", "import"):
        result = cli(command, good, tmp_path / "没有这个文件.xlsx", "--db", tmp_path / "x.duckdb") \
            if command == "import" else cli(command, tmp_path / "没有这个文件.xlsx")
        no_traceback(result)
        assert result.code == 2
        assert "找不到文件" in result.stderr and "没有这个文件.xlsx" in result.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_a_directory_given_as_file_exits_2(cli, tmp_path):
    result = cli("validate", tmp_path)
    no_traceback(result)
    assert result.code == 2


@pytest.mark.parametrize("kind", ["directory", "not a database", "foreign tables"])
def test_unusable_database_exits_2(cli, good, tmp_path, kind):
    if kind == "directory":
        db = tmp_path / "a_folder"
        db.mkdir()
    elif kind == "not a database":
        db = tmp_path / "junk.duckdb"
        db.write_text("not a database")
    else:  # another program's DuckDB file that happens to have an uploads table
        db = tmp_path / "other.duckdb"
        with duckdb.connect(str(db)) as conn:
            conn.execute("CREATE TABLE uploads (id INTEGER)")
    result = cli("import", good, "--db", db, "--json")
    no_traceback(result)
    assert result.code == 2
    assert "数据库" in result.stderr


# ---------------------------------------------------------------- template

@pytest.mark.skipif(importlib.util.find_spec("core.template") is None, reason="core/template.py not written yet")
def test_template_out_writes_an_xlsx_workbook(cli, tmp_path):
    out = tmp_path / "模板.xlsx"
    result = cli("template", "--out", out)
    no_traceback(result)
    assert result.code == 0
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    assert {"基本信息", "小区台账", "社区台账"} <= set(book.sheetnames)


def test_template_to_an_unwritable_place_exits_2(cli, tmp_path):
    if importlib.util.find_spec("core.template") is None:
        pytest.skip("core/template.py not written yet")
    result = cli("template", "--out", tmp_path / "no_such_folder" / "模板.xlsx")
    no_traceback(result)
    assert result.code == 2
