"""The gate (core/gate.py): what a file is, from its magic bytes and zip directory only.

Every class is built here rather than taken from the corpus — defend the class, not the file —
and goes through the same path as an upload (core/isolation.read_workbook), which must answer
with one whole-file error whose message is a Chinese sentence saying what to do.
"""
from __future__ import annotations

import re
import time
import zipfile

import pytest

from core import gate, isolation
from tests.hostile import RawSheet, ole, raw_xlsx, understate_sizes, zip_bomb, zip_of
from tests.workbooks import community_row, compound_row, standard

MB = 1024 * 1024
CJK = re.compile(r"[\u4e00-\u9fff]")


def good() -> bytes:
    return standard([compound_row("东社区", "阳光花园")], [community_row("东社区")])


def truncated() -> bytes:
    data = good()
    return data[: len(data) * 2 // 3]


def bad_central_directory() -> bytes:
    data = bytearray(good())
    at = data.rfind(b"PK\x01\x02")
    data[at:at + 4] = b"XX\x01\x02"
    return bytes(data)


def many_entries(n: int) -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                   **{f"xl/media/image{i}.png": b"x" for i in range(n)}})


def encrypted_zip_entry() -> bytes:
    data = bytearray(good())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x01  # the "encrypted" flag bit of the first entry
    return bytes(data)


def bzip2_workbook() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}, method=zipfile.ZIP_BZIP2)


CLASSES = {
    "empty file": (lambda: b"", "empty_file", "空"),
    "encrypted workbook (OLE with EncryptionInfo)": (lambda: ole(["EncryptionInfo", "EncryptedPackage"]), "encrypted", "密码"),
    "encrypted workbook, other stream order": (lambda: ole(["Root Entry", "EncryptedPackage", "EncryptionInfo"], 9000),
                                               "encrypted", "密码"),
    "legacy .xls (OLE)": (lambda: ole(["Workbook", "SummaryInformation"]), "legacy_xls", ".xls"),
    "WPS .et (OLE)": (lambda: ole(["WpsBook"]), "legacy_xls", "另存为"),
    "BIFF4 .xls": (lambda: b"\x09\x04\x06\x00\x00\x00\x10\x00" + b"\x01" * 200, "legacy_xls", ".xls"),
    ".xlsb": (lambda: zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01"}), "xlsb", ".xlsb"),
    ".ods": (lambda: zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
             "ods", "ODS"),
    "HTML renamed .xlsx": (lambda: b"\xef\xbb\xbf<html><head><meta charset=utf-8></head><body><table><tr><td>1</td></tr>"
                                   b"</table></body></html>", "html_renamed", "网页"),
    "bare HTML table": (lambda: b"  <table border=1><tr><td>\xe9\x95\x87</td></tr></table>", "html_renamed", "网页"),
    "Excel 2003 XML": (lambda: b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
                               b"</Workbook>", "xml_spreadsheet", "2003"),
    "UTF-8 CSV renamed": (lambda: "\ufeff镇（街道）,社区\n般阳路街道,东社区\n".encode("utf-8"), "text_renamed", "CSV"),
    "GBK CSV renamed": (lambda: "镇（街道）,社区\r\n昆仑镇,西社区\r\n".encode("gbk"), "text_renamed", "CSV"),
    "UTF-16 tab-separated text": (lambda: "镇\t社区\n".encode("utf-16"), "text_renamed", "CSV"),
    "random binary": (lambda: bytes(range(256)) * 8, "not_xlsx", "另存为"),
    "truncated workbook": (truncated, "corrupt_zip", "损坏"),
    "broken central directory": (bad_central_directory, "corrupt_zip", "损坏"),
    "zip entry marked encrypted": (encrypted_zip_entry, "encrypted", "密码"),
    "zip with bzip2 compression": (bzip2_workbook, "corrupt_zip", "压缩方式"),
    "zip holding no workbook": (lambda: zip_of({"word/document.xml": b"<w/>"}), "not_workbook", "另存为"),
    "empty zip": (lambda: b"PK\x05\x06" + b"\x00" * 18, "not_workbook", "另存为"),
    "too many parts": (lambda: many_entries(2100), "too_many_entries", "部件"),
    "zip bomb: 300 MB of one repeated row": (lambda: zip_bomb(300), "zip_bomb", "压缩炸弹"),
}


@pytest.mark.parametrize("case", CLASSES)
def test_each_class_is_refused_with_its_own_message(campaign, case):
    build, code, hint = CLASSES[case]
    data = build()
    started = time.perf_counter()
    refusal = gate.check(data, gate.Limits.of(campaign))
    assert time.perf_counter() - started < 0.5  # the directory only: nothing is inflated
    assert refusal is not None and refusal.code == code, refusal
    assert hint in refusal.message and "请" in refusal.message and len(CJK.findall(refusal.message)) >= 8

    parsed = isolation.read_workbook(data, "上传.xlsx", campaign)
    [error] = parsed.errors
    assert (error.code, error.sheet, error.row, error.column, error.message) == (code, None, None, None,
                                                                                refusal.message)
    assert parsed.reports == []


def test_a_file_larger_than_the_upload_limit(campaign):
    limits = gate.Limits(max_bytes=1 * MB, max_unpacked_bytes=160 * MB, max_entries=2000, max_ratio=100)
    refusal = gate.check(good() + b"\x00" * MB, limits)
    assert refusal.code == "file_too_large" and "上限 1 MB" in refusal.message


def test_unpacked_size_and_ratio_limits_are_separate_rules():
    bomb = zip_bomb(30)
    assert gate.check(bomb, gate.Limits(20 * MB, 160 * MB, 2000, 100)).code == "zip_bomb"
    # The same file judged only by what it unpacks to:
    assert gate.check(bomb, gate.Limits(20 * MB, 10 * MB, 2000, 10 ** 6)).code == "too_large_unpacked"
    assert gate.check(bomb, gate.Limits(20 * MB, 160 * MB, 2000, 10 ** 6)) is None


def test_small_parts_are_not_judged_by_ratio():
    # One 300 KB cell of one repeated character compresses ~500:1 and harms nothing.
    data = raw_xlsx(RawSheet("Sheet1", [["x" * 300_000]]))
    assert gate.check(data, gate.Limits(20 * MB, 160 * MB, 2000, 100)) is None


def test_real_workbooks_pass(campaign):
    from tests.hostile import big_ledger

    for data in (good(), big_ledger(20_000)):
        assert gate.check(data, gate.Limits.of(campaign)) is None


def test_a_bomb_whose_directory_lies_passes_the_gate_and_is_stopped_by_the_worker(campaign):
    """The directory's sizes are claims: rewritten to 1,000 bytes, the gate lets the bomb through,
    and the reader (bounded by the claimed size) fails on a truncated sheet instead of inflating it."""
    lying = understate_sizes(zip_bomb(300))
    assert gate.check(lying, gate.Limits.of(campaign)) is None
    parsed = isolation.read_workbook(lying, "炸弹.xlsx", campaign)
    [error] = parsed.errors
    assert error.code in ("unreadable", "parse_memory", "parse_timeout")
    assert "请" in error.message

