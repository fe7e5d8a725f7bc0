"""Cells out of an .xlsx workbook: every sheet as columns of cell texts plus its merged ranges.

fastexcel was chosen by measurement (issue 6): it reads a 100,000-row sheet straight into Arrow
in ~0.7 s, against 1.1 s for python-calamine to Python lists and 12 s for pandas+openpyxl, and
the importer then works column by column on those arrays instead of cell by cell. Every cell
is read as text ("7", "true", "2021-11-30 00:00:00"): the parsers in core/cells.py accept
those spellings, so a number typed as text and a number cell read alike. fastexcel does not
report merged ranges; they are read from the sheet XML, in the same pass that looks for
formulas without a saved value.

Hostile files are expected: this module runs inside a limited worker process
(core/isolation.py), never materialises more of a sheet than the template's caps allow, and
reads sheet XML itself only through defusedxml or plain byte searches.
"""
from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import fastexcel
import pyarrow as pa
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring, iterparse

MAX_CELL_CHARS = 32767  # Excel's limit on the text of one cell
# Below this size the sheet XML is scanned after fastexcel reads, not beside it: starting a thread
# costs more than the overlap saves (0.4 ms on a 12 kB district workbook; a 160 kB city workbook
# gains 2.5 ms from it).
OVERLAP_BYTES = 64 * 1024


@dataclass(frozen=True, eq=False)
class RawSheet:
    name: str
    visible: bool
    # columns[j] holds Excel column j+1 (from A) as an Arrow string array of `height` cells from
    # row 1 (null for an empty cell), or None where the column is empty throughout.
    columns: tuple
    height: int
    merged: list[tuple[tuple[int, int], tuple[int, int]]]  # ((top, left), (bottom, right)), 0-based, inclusive
    # (rows, columns) of the whole sheet where it is larger than the caps: `columns` then holds
    # only its first caps + 1 rows and columns. None where `columns` is the whole sheet.
    shape: tuple[int, int] | None = None

    @classmethod
    def from_rows(cls, name: str, rows: list[list], merged=(), visible: bool = True) -> "RawSheet":
        """A sheet from Python rows (cells as text, None or '' for empty): for tests and tools."""
        width = max((len(r) for r in rows), default=0)
        columns = []
        for j in range(width):
            cells = [None if j >= len(r) or r[j] in (None, "") else str(r[j]) for r in rows]
            columns.append(None if all(c is None for c in cells) else pa.array(cells, pa.string()))
        return cls(name, visible, tuple(columns), len(rows), list(merged))

    @property
    def size(self) -> tuple[int, int]:
        """(rows, columns) of the whole sheet, as Excel would count them from A1."""
        if self.shape is not None:
            return self.shape
        return self.height, len(self.columns)

    def column(self, j: int) -> pa.Array:
        """Column j (0-based) as `height` strings, nulls where empty."""
        array = self.columns[j] if j < len(self.columns) else None
        return pa.nulls(self.height, pa.string()) if array is None else array

    def head(self, count: int) -> list[list]:
        """The first `count` rows as lists of texts ('' for an empty cell), all as wide as the sheet."""
        count = min(count, self.height)
        cells = [[""] * count if a is None else ["" if v is None else v for v in a.slice(0, count).to_pylist()]
                 for a in self.columns]
        return [[column[i] for column in cells] for i in range(count)]

    @functools.cached_property
    def rows(self) -> list[list]:
        """Every row as a list of texts: for the small sheets (基本信息, a hidden sheet's check)."""
        return self.head(self.height)


class UnreadableWorkbook(Exception):
    """The workbook could not be read; the message is Chinese."""


def _load(book, name: str, max_rows: int | None, max_columns: int | None) -> dict:
    """One worksheet's cells, anchored at A1, cut at one past the caps."""
    rows_cap = None if max_rows is None else max_rows + 1
    sheet = book.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", n_rows=rows_cap)
    absolute = [c.absolute_index for c in sheet.available_columns()]
    width, total = (absolute[-1] + 1 if absolute else 0), sheet.total_height
    over = (max_rows is not None and total > max_rows) or (max_columns is not None and width > max_columns)
    if max_columns is not None and width > max_columns:
        sheet = book.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", n_rows=rows_cap,
                                use_columns=lambda c: c.absolute_index <= max_columns)
        absolute = [c.absolute_index for c in sheet.selected_columns]
    table = sheet.to_arrow()
    columns: list = [None] * (absolute[-1] + 1 if absolute else 0)
    for index, array in zip(absolute, table.columns):
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        columns[index] = array if array.null_count < len(array) else None
    return {"name": name, "visible": sheet.visible == "visible", "columns": tuple(columns),
            "height": table.num_rows, "shape": (total, width) if over else None}


def _unreadable(exc: BaseException) -> UnreadableWorkbook:
    return UnreadableWorkbook(f"文件无法读取（{type(exc).__name__}），请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。")


def _load_all(data: bytes, max_rows: int | None, max_columns: int | None):
    """(fastexcel's book, every sheet's `_load`), or (book or None, the exception) where
    fastexcel fails."""
    book = None
    try:
        book = fastexcel.read_excel(data)
        return book, [_load(book, name, max_rows, max_columns) for name in book.sheet_names]
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine's panics reach Python as BaseException
        return book, exc


@dataclass
class Book:
    sheets: list[RawSheet]
    scans: dict[str, "SheetScan"]  # worksheet name → what its XML says that the cells do not


def read_book(data: bytes, max_rows: int | None = None, max_columns: int | None = None) -> Book:
    """Every worksheet of the workbook, in order, with cells anchored at A1, and what each
    sheet's XML says besides (merged ranges, formulas without a value, a DTD).

    A sheet with more rows or columns than the caps is read only up to one past them (its
    `shape` says how large it is), so a sheet of a million rows never becomes a million cells.
    The sheet XML of a workbook over OVERLAP_BYTES is unpacked in a thread while fastexcel reads
    the cells: zlib and fastexcel both let go of the interpreter lock, so the two overlap on two
    cores.
    """
    if len(data) < OVERLAP_BYTES:
        book, loaded = _load_all(data, max_rows, max_columns)
        scans, worksheets = scan_sheets(data)
    else:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(scan_sheets, data)
            book, loaded = _load_all(data, max_rows, max_columns)
            scans, worksheets = pending.result()  # raises UnreadableWorkbook for a damaged package
    if isinstance(loaded, BaseException):
        if worksheets is None or not isinstance(loaded, fastexcel.FastExcelError):
            raise _unreadable(loaded) from None
        try:  # a chart sheet cannot be loaded as cells: read the worksheets alone
            loaded = [_load(book, name, max_rows, max_columns) for name in book.sheet_names if name in worksheets]
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException as exc:
            raise _unreadable(exc) from None
    sheets = [RawSheet(merged=scans[s["name"]].merged if s["name"] in scans else [], **s) for s in loaded]
    return Book(sheets, scans)


def read_sheets(data: bytes, max_rows: int | None = None, max_columns: int | None = None) -> list[RawSheet]:
    """The worksheets of `read_book`."""
    return read_book(data, max_rows, max_columns).sheets


# ---------------------------------------------------------------- the sheet XML itself

# The end of a cell formula's start tag (<f>, <f t="shared" …/>, <x:f>). 'f' is rare in sheet XML,
# so this finds candidates in ~15 ms per 50 MB where a pattern starting with '<' takes ~200 ms.
_F_TAG_END = re.compile(rb"f[\s/>]")
_PREFIX = re.compile(rb"<[A-Za-z_][\w.-]*:$")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
MAX_FORMULA_CELLS = 1000  # findings per sheet; a file with more is wrong throughout anyway


@dataclass
class SheetScan:
    """What the XML of one worksheet says that calamine does not."""
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, column), 0-based: a formula, no saved value
    more_formula_cells: bool = False  # stopped counting at MAX_FORMULA_CELLS
    unsafe: bool = False  # holds a DTD or entity declarations (Excel and WPS never write one)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # as RawSheet.merged


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (r:id, strict OOXML)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _part(names: dict[str, str], path: str) -> str | None:
    """The zip entry name of a package part (some writers use backslashes or other cases)."""
    return names.get(path.lower()) or names.get(path.replace("/", "\\").lower())


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip entry of its XML, from xl/workbook.xml and its relationships."""
    names = {n.lower(): n for n in archive.namelist()}
    workbook, rels = _part(names, "xl/workbook.xml"), _part(names, "xl/_rels/workbook.xml.rels")
    if not workbook or not rels:
        return {}
    targets = {}
    for element in fromstring(archive.read(rels), forbid_dtd=True).iter():
        if _local(element.tag) == "Relationship" and element.get("Id") and element.get("Target"):
            target = element.get("Target").replace("\\", "/")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[element.get("Id")] = path
    parts = {}
    for element in fromstring(archive.read(workbook), forbid_dtd=True).iter():
        if _local(element.tag) == "sheet" and element.get("name") is not None:
            part = _part(names, targets.get(_attribute(element, "id") or "", ""))
            if part:
                parts[element.get("name")] = part
    return parts


def _has_formula(xml: bytes) -> bool:
    """True where the XML holds a cell formula element (not <formula1> of a data validation)."""
    for match in _F_TAG_END.finditer(xml):
        i = match.start()
        if xml[i - 1:i] == b"<" or (xml[i - 1:i] == b":" and _PREFIX.search(xml, max(0, i - 40), i)):
            return True
    return False


def _scan_formulas(xml: bytes, scan: SheetScan) -> None:
    """Record the cells holding a formula (<f>) but no saved value. openpyxl writes `<v/>` there;
    a text formula whose result is "" is saved as t="str" with an empty <v>, which is a value."""
    row, column = -1, -1
    cell = None  # [row, column, has formula, has value, is text] of the open <c>
    parent = None
    for event, element in iterparse(io.BytesIO(xml), events=("start", "end"), forbid_dtd=True):
        name = _local(element.tag)
        if event == "start":
            if name == "sheetData":
                parent = element
            elif name == "row":
                number = element.get("r")
                row, column = (int(number) - 1 if number and number.isdigit() else row + 1), -1
            elif name == "c":
                ref = _CELL_REF.match(element.get("r") or "")
                if ref:
                    row, column = int(ref.group(2)) - 1, _column_index(ref.group(1))
                else:
                    column += 1
                cell = [row, column, False, False, element.get("t") in ("str", "inlineStr")]
            elif cell is not None and name == "f":
                cell[2] = True
            elif cell is not None and name == "is":
                cell[3] = True
        elif name == "v" and cell is not None:
            cell[3] = cell[3] or bool(element.text) or cell[4]
        elif name == "c" and cell is not None:
            if cell[2] and not cell[3]:
                if len(scan.formula_cells) >= MAX_FORMULA_CELLS:
                    scan.more_formula_cells = True
                    return
                scan.formula_cells.append((cell[0], cell[1]))
            cell = None
        elif name == "row" and parent is not None:
            parent.clear()  # finished rows are not kept: memory stays flat however long the sheet


_MERGE_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref="\$?([A-Za-z]{1,3})\$?(\d{1,7})'
                         rb'(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?"')


def _merged_ranges(xml: bytes) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The <mergeCell ref="A1:C2"/> ranges, which OOXML writes after the cells (so the search
    starts at the end of <sheetData>)."""
    start = max(xml.rfind(b"sheetData>"), 0)
    ranges = []
    for match in _MERGE_CELL.finditer(xml, start):
        left, top = _column_index(match.group(1).decode()), int(match.group(2)) - 1
        if match.group(3):
            right, bottom = _column_index(match.group(3).decode()), int(match.group(4)) - 1
        else:
            right, bottom = left, top
        ranges.append(((min(top, bottom), min(left, right)), (max(top, bottom), max(left, right))))
    return ranges


def scan_sheets(data: bytes) -> tuple[dict[str, SheetScan], set[str] | None]:
    """(scans, worksheet names): for each worksheet, its merged ranges, its cells with a formula
    but no saved value (read as blank), and whether its XML declares a DTD. The names are None
    where the package's workbook part could not be followed (every sheet is then tried)."""
    found: dict[str, SheetScan] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = sheet_parts(archive)
            for name, part in parts.items():
                if "worksheets/" not in part.replace("\\", "/").lower():
                    continue  # a chart or dialog sheet holds no cells
                xml = archive.read(part)
                scan = found[name] = SheetScan()
                if b"<!DOCTYPE" in xml:
                    scan.unsafe = True
                    continue
                scan.merged = _merged_ranges(xml)
                if _has_formula(xml):
                    _scan_formulas(xml, scan)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        # A part that does not unpack whole (bad CRC, cut short, sizes that lie): fastexcel would
        # read what it could and quietly lose the rest.
        raise UnreadableWorkbook("文件已损坏或不完整（其中的工作表无法完整解压），请用 Excel 或 WPS 打开后另存为 .xlsx "
                                 "再上传。") from exc
    except (DefusedXmlException, ParseError, KeyError, ValueError):
        return found, None  # fastexcel reads what it can; what could not be scanned is left as read
    return found, (set(found) if parts else None)
