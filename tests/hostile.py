"""Builders of odd and hostile files, made here rather than taken from ../shared/corpus: each
defends a class of file, not one file.

`raw_xlsx` writes the package XML itself (inline strings, no styles), so a test controls what
a spreadsheet program never writes: cells far from the data, formulas with no saved value,
hidden sheets, DTDs — and it writes a 100,000-row ledger in about a second.
"""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from tests.workbooks import COMMUNITY_HEADER, COMPOUND_HEADER

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def column_letters(index: int) -> str:
    """'A' for 0."""
    letters, n = "", index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_xml(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


@dataclass
class RawSheet:
    name: str
    rows: list[list] = field(default_factory=list)
    state: str = "visible"  # visible | hidden | veryHidden
    extra: dict[int, str] = field(default_factory=dict)  # 1-based row → raw <c> XML appended to it
    prolog: str = ""  # e.g. a DTD between the XML declaration and <worksheet>

    def xml(self) -> str:
        rows = {}
        for r, values in enumerate(self.rows, start=1):
            rows[r] = "".join(cell_xml(f"{column_letters(c)}{r}", v) for c, v in enumerate(values))
        for r, cells in self.extra.items():
            rows[r] = rows.get(r, "") + cells
        body = "".join(f'<row r="{r}">{cells}</row>' for r, cells in sorted(rows.items()))
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{self.prolog}'
                f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>{body}</sheetData></worksheet>')


def raw_xlsx(*sheets: RawSheet) -> bytes:
    """A minimal but valid .xlsx package holding the sheets."""
    content_types = ('<?xml version="1.0" encoding="UTF-8"?>'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                     'spreadsheetml.sheet.main+xml"/>'
                     + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                               f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                               for i in range(1, len(sheets) + 1)) + '</Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    entries = "".join(f'<sheet name="{escape(s.name)}" sheetId="{i}" state="{s.state}" r:id="rId{i}"/>'
                      for i, s in enumerate(sheets, start=1))
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
                f'<sheets>{entries}</sheets></workbook>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
            + '</Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        for i, sheet in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet.xml())
    return out.getvalue()


def info_rows(town="般阳路街道", report_date="2021-11-30") -> list[list]:
    return [["项目", "内容"], ["镇（街道）", town], ["报送日期", report_date]]


def big_ledger(rows: int, town="般阳路街道") -> bytes:
    """A template-shaped workbook with `rows` compounds (ten per community) and their communities."""
    communities = max(1, rows // 10)
    compounds = [COMPOUND_HEADER] + [[None, f"社区{i % communities}", f"小区{i}", "是", "是", "2021-05-01", 7, 5, "是",
                                      None, f"物业公司{i % 300}", "否"] for i in range(rows)]
    community_rows = [COMMUNITY_HEADER] + [[None, f"社区{j}", "是", "2021-06-01", 7, 5, "是", "否", "未创建"]
                                           for j in range(communities)]
    return raw_xlsx(RawSheet("基本信息", info_rows(town)), RawSheet("小区台账", compounds),
                    RawSheet("社区台账", community_rows))


# ---------------------------------------------------------------- not workbooks at all

def ole(streams: list[str], size: int = 4096) -> bytes:
    """An OLE compound file header followed by a directory naming `streams` (UTF-16), as an
    encrypted .xlsx (EncryptionInfo, EncryptedPackage) or a legacy .xls (Workbook) has."""
    body = b"".join(name.encode("utf-16-le") + b"\x00" * (64 - 2 * len(name)) for name in streams)
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + body
    return data + b"\x00" * max(0, size - len(data))


def zip_of(parts: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def zip_bomb(unpacked_mb: int, row: bytes = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>') -> bytes:
    """A readable .xlsx whose one sheet inflates to `unpacked_mb` MB of the same row repeated
    (rows without numbers, as in the corpus's 1 GiB bomb)."""
    skeleton = zipfile.ZipFile(io.BytesIO(raw_xlsx(RawSheet("Sheet1"))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in skeleton.namelist():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, skeleton.read(name))
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode())
            chunk = row * 20000
            for _ in range(unpacked_mb * 1024 * 1024 // len(chunk)):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def understate_sizes(data: bytes, claimed: int = 1000) -> bytes:
    """The zip with every entry's uncompressed size rewritten to `claimed` in both its local
    header and the central directory: a bomb whose directory lies to the gate."""
    buffer = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := buffer.find(signature, start)) != -1:
            struct.pack_into("<I", buffer, at + offset, claimed)
            start = at + 4
    return bytes(buffer)

