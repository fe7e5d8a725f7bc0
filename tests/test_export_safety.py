"""Safe exports: a town workbook full of formula-injection strings goes through import, and every
download made from it — ledger tables, scorecard, meeting pack — holds them as text cells with a
leading apostrophe (never a formula), in a CSV that parses back to exactly the same records;
numbers are never touched. The template and the campaign file cannot carry them either."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from core import store
from core.config import ConfigError, default_campaign, parse_campaign
from core.exports import (FORMULA_TRIGGERS, scorecard_csv, scorecard_xlsx, snapshot_communities, table_csv,
                          table_xlsx)
from core.ledger import SHEETS, display_table, ledger_data
from core.metrics import snapshot
from core.template import template_bytes
from core.validate import read_workbook
from tests.hostile import RawSheet, info_rows, raw_xlsx
from tests.workbooks import BRAND_HEADER, COMMUNITY_HEADER, COMPOUND_HEADER, MEMBER_HEADER, community_row, compound_row

AS_OF = dt.date(2021, 11, 30)
PAYLOADS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://x.example","点我")',
            "＝1+1", "＋86 138", "－5", "＠某人", "=1+1\n第二行"]


def injected_workbook() -> bytes:
    """Every free-text column of every ledger, and who filled it in, starts as a spreadsheet
    would run it — as text cells, the way a clerk types them. (Leading tabs and line breaks are
    trimmed by the importer, so they are covered by the tests of core.exports.safe_text.)"""
    communities = [f"{p}社区" if p.startswith("=") else p for p in PAYLOADS[:4]]
    compounds = [compound_row(communities[i % 4], payload, "是", 5, 3, "是", company=payload)
                 for i, payload in enumerate(PAYLOADS)]
    brands = [[None, p, "区级", "2021-09-10", communities[0], None] for p in PAYLOADS[:3]]
    members = [[None, communities[0], p, "委员", "其他", "是", "否"] for p in PAYLOADS[:5]]
    info = [*info_rows(), ["填报人", "=1+2"], ["联系电话", "+86 138 0000 0000"]]
    return raw_xlsx(RawSheet("基本信息", info), RawSheet("小区台账", [COMPOUND_HEADER, *compounds]),
                    RawSheet("社区台账", [COMMUNITY_HEADER, *(community_row(c, "是", 5, 3) for c in communities)]),
                    RawSheet("示范品牌", [BRAND_HEADER, *brands]), RawSheet("环物委成员", [MEMBER_HEADER, *members]))


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    parsed = read_workbook(injected_workbook(), "注入.xlsx", default_campaign())
    assert parsed.ok, parsed.errors
    connection = store.connect(tmp_path_factory.mktemp("inject") / "store.duckdb")
    store.save(connection, parsed, "测试")
    yield connection
    connection.close()


def xlsx_cells(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def assert_text_only(data: bytes) -> set[str]:
    """No formula anywhere; no text cell a spreadsheet would run. The texts, returned."""
    cells = xlsx_cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert not [t for t in texts if t.startswith(FORMULA_TRIGGERS)]
    return texts


def unescape(field: str) -> str:
    """A CSV field as it was before export: the apostrophe put before a formula start removed."""
    return field[1:] if field.startswith("'") and field[1:].startswith(FORMULA_TRIGGERS) else field


def plain(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("table", ["compounds", "communities", "brands"])  # what the ledger page offers
def test_ledger_downloads_hold_payloads_as_text_and_parse_back_exactly(conn, table):
    shown = display_table(ledger_data(conn, default_campaign(), AS_OF, table, None).rows, table)
    assert not shown.empty
    texts = assert_text_only(table_xlsx({SHEETS[table].name: shown}, title="台账"))
    payload_cells = {v for v in shown.to_numpy().ravel() if isinstance(v, str) and v.startswith(FORMULA_TRIGGERS)}
    assert payload_cells and {"'" + v for v in payload_cells} <= texts

    data = table_csv(shown)
    assert data.startswith("\ufeff".encode("utf-8"))
    text = data.decode("utf-8-sig")
    assert all(line.startswith('"') and line.endswith('"') for line in text.split("\r\n") if line)  # every field quoted
    records = list(csv.reader(io.StringIO(text, newline="")))
    fields = [f for record in records for f in record]
    assert not [f for f in fields if f.startswith(FORMULA_TRIGGERS)]
    assert [[unescape(f) for f in record] for record in records] == (
        [list(shown.columns)] + [[plain(v) for v in row] for row in shown.itertuples(index=False, name=None)])


def test_scorecard_and_its_community_sheet(conn):
    snap = snapshot(conn, default_campaign(), AS_OF)
    texts = assert_text_only(scorecard_xlsx(snap, snapshot_communities(conn, snap)))
    assert {"'" + p for p in PAYLOADS[1:4]} <= texts  # community names in 社区明细
    records = list(csv.reader(io.StringIO(scorecard_csv(snap).decode("utf-8-sig"), newline="")))
    assert not [f for r in records for f in r if f.startswith(FORMULA_TRIGGERS)]


def test_meeting_pack(conn):
    meeting_pack = pytest.importorskip("core.meeting_pack").meeting_pack
    snap = snapshot(conn, default_campaign(), AS_OF)
    assert_text_only(meeting_pack(conn, snap, today=AS_OF))


def test_numbers_are_never_given_an_apostrophe():
    frame = pd.DataFrame({"名称": ["-5", "甲"], "差值": pd.array([-5, 3], dtype="Int64"), "比率": [-0.25, 0.5]})
    records = list(csv.reader(io.StringIO(table_csv(frame).decode("utf-8-sig"), newline="")))
    assert records == [["名称", "差值", "比率"], ["'-5", "-5", "-0.25"], ["甲", "3", "0.5"]]
    ws = openpyxl.load_workbook(io.BytesIO(table_xlsx({"表": frame})))["表"]
    assert [c.value for c in ws[2]] == ["'-5", -5, -0.25] and ws["B2"].data_type == "n"


def test_the_template_holds_no_formula_and_no_formula_like_text():
    assert_text_only(template_bytes(default_campaign()))


@pytest.mark.parametrize("key", ["towns", "district"])
def test_the_campaign_file_refuses_names_a_spreadsheet_would_run(key):
    import tomllib

    from core.config import DEFAULT_PATH

    raw = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    if key == "towns":
        raw["campaign"]["towns"][0] = "=1+1"
    else:
        raw["campaign"]["district"] = "@淄川区"
    with pytest.raises(ConfigError, match="公式"):
        parse_campaign(raw)
