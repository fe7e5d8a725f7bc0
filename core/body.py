"""The data rows of a located ledger, read column by column.

A province's ledger is 100,000 compounds, 1.2 million cells: its rows are never walked one by one
in Python. Each column is an Arrow string array (core/reader.py). Merged cells are filled by index;
blank rows, totals, notes and a header written again are found with vectorised tests, and only the
few rows such a test flags are looked at cell by cell (`sheets.row_kind`, the one definition of a
row's kind). Each column's distinct texts are converted once by the parsers of core/cells.py and
the results spread back to the rows; free-text columns, where nearly every text is distinct, are
normalised by Arrow kernels that do what `cells.parse_text` does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import sheets
from core.cells import PARSERS, is_blank, parse_choice
from core.layout import NOTE_PREFIXES, TOTAL_WORDS, Column, blank_marks, normalize_label
from core.reader import MAX_CELL_CHARS

PANDAS_DTYPES = {"text": "object", "choice": "object", "yesno": "boolean", "int": "Int64", "date": "object"}
# The Arrow type of each object column, for the tables a worker hands back (core/validate.py):
# Arrow-backed columns cross the process boundary and enter DuckDB without a Python object each.
ARROW_TYPES = {"text": pa.string(), "choice": pa.string(), "date": pa.date32()}

# Python's str.split()/\s white space, which NFKC leaves in place, as an RE2 class.
_SPACE = r"[\s\p{Z}\x{1c}-\x{1f}\x{85}]"


def _loose(word: str) -> str:
    """An RE2 pattern for a word as a clerk may space it out ("合 计")."""
    return rf"{_SPACE}*".join(re.escape(ch) if ch not in ":：" else "[:：﹕]" for ch in word)


# Cell texts that may make a row a total or a note: sheets.row_kind looks at how a row's cells
# begin. A superset: a flagged row is then judged exactly; a row no cell of which matches is
# certainly neither.
_KIND_WORDS = rf"^{_SPACE}*(?:" + "|".join(_loose(w) for w in (*TOTAL_WORDS, *NOTE_PREFIXES)) + ")"


ROW_KIND_CELLS = 4  # sheets.row_kind looks at a row's first written cell and the three after it


@dataclass
class Body:
    rows: np.ndarray  # 0-based sheet rows of the data rows, in order
    cells: dict[str, pa.Array]  # column code → its texts in those rows, merged cells filled


def blank_cells(texts: pa.Array) -> np.ndarray:
    """True per cell that is empty or white space only (`cells.is_blank`)."""
    if texts.null_count == len(texts):
        return np.ones(len(texts), dtype=bool)
    return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(texts), ""), True).to_numpy(zero_copy_only=False)


def _ranges_below(raw, first: int) -> list:
    return [m for m in raw.merged if m[1][0] >= first and m[0][0] < raw.height]


def _filled(raw, c: int, first: int, ranges) -> pa.Array:
    """Column c from row `first` down, each merged range covering it filled with the range's
    top-left value (as `sheets.fill_merged` does for whole rows)."""
    base = raw.column(c)
    covering = [m for m in ranges if m[0][1] <= c <= m[1][1]]
    if not covering:
        return base.slice(first)
    index = np.arange(first, raw.height)
    across = []
    for (top, left), (bottom, _) in covering:
        lo, hi = max(top, first) - first, min(bottom, raw.height - 1) - first
        if hi < lo:
            continue
        if left == c:
            index[lo:hi + 1] = top
        else:
            across.append((lo, hi, raw.column(left)[top].as_py()))
    filled = base.take(pa.array(index))
    if across:  # a range spanning columns (a note merged across the table): rare, done by hand
        values = filled.to_pylist()
        for lo, hi, value in across:
            values[lo:hi + 1] = [value] * (hi - lo + 1)
        filled = pa.array(values, pa.string())
    return filled


def _normalized(texts: pa.Array) -> pa.Array:
    """`layout.normalize_label` of every text: NFKC, no white space, lower case."""
    return pc.utf8_lower(pc.replace_substring_regex(pc.utf8_normalize(texts, "NFKC"), _SPACE + "+", ""))


def _filled_row(raw, r: int, ranges) -> list:
    """One whole sheet row as `sheets.fill_merged` gives it."""
    values = ["" if v is None else v for v in (raw.column(c)[r].as_py() for c in range(len(raw.columns)))]
    for (top, left), (bottom, right) in ranges:
        if top <= r <= bottom and left < len(values):
            value = raw.column(left)[top].as_py() if top < raw.height else None
            for c in range(left, min(right, len(values) - 1) + 1):
                values[c] = "" if value is None else value
    return values


def _suspect_rows(raw, ledger: sheets.Ledger, first: int, ranges, filled: dict[int, pa.Array],
                  blank_below) -> np.ndarray:
    """Rows (from `first`) that may be a total, a note, a repeated header or blank once merged
    cells are filled: a superset of the rows `sheets.row_kind` does not call data."""
    count = raw.height - first
    suspect = np.zeros(count, dtype=bool)
    # row_kind reads how a row's first four written cells begin: a cell with four written cells
    # to its left in its row cannot matter (and in a filled table that is most of them).
    written_before = np.zeros(count, dtype=np.int16)
    looked_at, masks = [], []
    for c, array in enumerate(raw.columns):
        if array is None:
            continue
        cells = array.slice(first)
        written = ~blank_below(c)
        matters = written & (written_before < ROW_KIND_CELLS)
        if matters.any():
            looked_at.append(cells)
            masks.append(matters)
        elif not (written_before < ROW_KIND_CELLS).any():
            break
        written_before += written
    if looked_at:  # one regex pass over them all: compiling the pattern costs more than a small sheet
        found = pc.fill_null(pc.match_substring_regex(pa.concat_arrays(looked_at), _KIND_WORDS),
                             False).to_numpy(zero_copy_only=False)
        for i, matters in enumerate(masks):
            suspect |= matters & found[i * count:(i + 1) * count]
    probe = ledger.columns.get(ledger.spec.required_columns[0])
    if probe is not None and probe in filled:
        encoded = filled[probe].dictionary_encode()
        headers = pc.is_in(_normalized(encoded.dictionary), value_set=pa.array(list(ledger.header_index)))
        suspect |= pc.fill_null(pc.take(headers, encoded.indices), False).to_numpy(zero_copy_only=False)
    for (top, left), (bottom, _) in ranges:  # a merged cell carries its word, or its blank, down its rows
        lo, hi = max(top, first) - first, min(bottom, raw.height - 1) - first
        if lo <= hi and _may_mark(raw.column(left)[top].as_py()):
            suspect[lo:hi + 1] = True
    return suspect


_MARK_WORDS = tuple(normalize_label(w) for w in (*TOTAL_WORDS, *NOTE_PREFIXES))


def _may_mark(value) -> bool:
    """True where a merged cell's value, copied down, may make a row a total or note row (or,
    being blank, hide cells that were written)."""
    if is_blank(value):
        return True
    label = normalize_label(value)
    return any(word in label for word in _MARK_WORDS)


def _blank_below(raw, first: int):
    """c → column c's `blank_cells` from row `first`, found for every written column in one pass of
    the kernels (a call costs more than its work on a district's hundred rows)."""
    count = raw.height - first
    written = [c for c, array in enumerate(raw.columns) if array is not None]
    flags = blank_cells(pa.chunked_array([raw.columns[c].slice(first) for c in written], pa.string()))
    position = {c: i for i, c in enumerate(written)}

    def blank_below(c: int) -> np.ndarray:
        if c not in position:  # an empty column
            return np.ones(count, dtype=bool)
        return flags[position[c] * count:(position[c] + 1) * count]
    return blank_below


def read_body(ledger: sheets.Ledger) -> Body:
    """The ledger's data rows below its header: not blank (in the columns it reads), and not a
    total, note or repeated header row."""
    raw, first = ledger.raw, ledger.first_data_row
    if first >= raw.height:
        return Body(np.zeros(0, dtype=np.int64), {code: pa.array([], pa.string()) for code in ledger.columns})
    ranges = _ranges_below(raw, first)
    filled = {c: _filled(raw, c, first, ranges) for c in ledger.columns.values()}
    blank_below = _blank_below(raw, first)
    blank = np.ones(raw.height - first, dtype=bool)
    for c in ledger.columns.values():
        blank &= blank_below(c)  # a cell merged from above does not count
    suspect = _suspect_rows(raw, ledger, first, ranges, filled, blank_below) & ~blank
    for i in np.flatnonzero(suspect):
        r = first + int(i)
        row_ranges = [m for m in ranges if m[0][0] <= r <= m[1][0]]
        if sheets.row_kind(_filled_row(raw, r, row_ranges), ledger) != "data":
            blank[i] = True
    kept = np.flatnonzero(~blank)
    take = pa.array(kept)
    return Body(kept + first, {code: filled[c].take(take) for code, c in ledger.columns.items()})


# ---------------------------------------------------------------- one column's values

@dataclass
class Converted:
    # Canonical values per row (a blank cell holds `blank_value`): for the kinds in ARROW_TYPES as
    # `arrow`, for yes/no and counts as `values` (pandas' masked boolean and Int64 arrays).
    values: pd.api.extensions.ExtensionArray | None
    blank: np.ndarray  # True per blank cell (empty, or a mark such as “/” that means empty here)
    problems: list[tuple[int, str, str]]  # (row index, problem, issue code), in row order
    arrow: pa.Array | None = None


def blank_value(column: Column):
    """What a blank cell of the column stands for: its default, 否 for a required yes/no, else None."""
    if column.default is not None:
        return column.default
    if column.required and column.code != "town" and column.kind == "yesno":
        return False
    return None


def _convert_checked(column: Column, value: str):
    """(value, problem, issue code) of one text; text longer than an Excel cell can hold is refused."""
    if len(value) > MAX_CELL_CHARS:
        return None, f"有 {len(value)} 个字符，超过 Excel 单元格上限 {MAX_CELL_CHARS} 个字符，请删减后再上传", "cell_too_long"
    if column.kind == "choice":
        return (*parse_choice(value, column.choices), "bad_choice")
    return (*PARSERS[column.kind](value), f"bad_{column.kind}")


_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"  # a date cell in a text column reads as its date


def _clean_texts(texts: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(`cells.parse_text` of each text, `layout.normalize_label` of each) by Arrow kernels:
    NFKC, runs of white space made one space, ends trimmed; a date cell's midnight dropped."""
    spaced = pc.replace_substring_regex(pc.utf8_normalize(texts, "NFKC"), _SPACE + "+", " ")
    labels = pc.utf8_lower(pc.replace_substring(spaced, " ", ""))
    clean = pc.replace_substring_regex(pc.utf8_trim(spaced, " "), _MIDNIGHT, r"\1")
    return clean, labels


def convert_texts(columns: list[Column], cells: dict[str, pa.Array]) -> dict[str, "Converted"]:
    """`convert` of several text columns, their distinct texts cleaned in one pass of the kernels
    (each regex kernel compiles its pattern per call)."""
    encoded = {c.code: cells[c.code].dictionary_encode() for c in columns}
    dictionaries = [encoded[c.code].dictionary for c in columns]
    if not dictionaries:
        return {}
    clean, labels = _clean_texts(pa.concat_arrays(dictionaries))
    converted, start = {}, 0
    for column, dictionary in zip(columns, dictionaries):
        end = start + len(dictionary)
        converted[column.code] = _convert_text(column, encoded[column.code], clean.slice(start, end - start),
                                               labels.slice(start, end - start))
        start = end
    return converted


def _convert_text(column: Column, encoded: pa.DictionaryArray, clean: pa.Array, labels: pa.Array) -> "Converted":
    texts = encoded.dictionary
    marks = pa.array(sorted(blank_marks(column)), pa.string())
    blank = pc.or_(pc.equal(clean, ""), pc.is_in(labels, value_set=marks))
    too_long = pc.greater(pc.utf8_length(texts), MAX_CELL_CHARS)
    filler = blank_value(column)
    values = pc.if_else(pc.or_(blank, too_long), pa.scalar(filler, pa.string()), clean)
    problems_of = {}
    for u in np.flatnonzero(too_long.to_numpy(zero_copy_only=False)):
        length = len(texts[int(u)].as_py())
        problems_of[int(u)] = (f"有 {length} 个字符，超过 Excel 单元格上限 {MAX_CELL_CHARS} 个字符，请删减后再上传",
                               "cell_too_long")
    arrow = pa.concat_arrays([values, pa.array([filler], pa.string())])
    blank = np.append(blank.to_numpy(zero_copy_only=False), True)
    return _spread(column, encoded, None, blank, problems_of, arrow)


def _spread(column: Column, encoded: pa.DictionaryArray, values, blank: np.ndarray, problems_of: dict,
            arrow: pa.Array | None = None) -> "Converted":
    """Values per distinct text (one more at the end for an empty cell; as `arrow` where given)
    → values per row."""
    filled = pc.fill_null(encoded.indices, len(encoded.dictionary))
    indices = filled.to_numpy(zero_copy_only=False)
    problems = []
    if problems_of:
        bad = np.flatnonzero(np.isin(indices, list(problems_of)))
        problems = [(int(i), *problems_of[int(indices[i])]) for i in bad]
    if column.kind in ARROW_TYPES:
        if arrow is None:
            arrow = pa.array(values, ARROW_TYPES[column.kind])
        return Converted(None, blank[indices], problems, arrow.take(filled))
    return Converted(per_row(column.kind, values, indices), blank[indices], problems)


def absent(column: Column, count: int) -> Converted:
    """The values of a column the sheet lacks: blank in every one of `count` rows."""
    value = blank_value(column)
    if column.kind in ARROW_TYPES:
        return Converted(None, np.ones(count, dtype=bool), [], pa.array([value] * count, ARROW_TYPES[column.kind]))
    return Converted(per_row(column.kind, [value], np.zeros(count, dtype=np.intp)), np.ones(count, dtype=bool), [])


def per_row(kind: str, values, indices: np.ndarray):
    """The distinct values (of a yes/no or count column) taken per row, as pandas' masked array
    (built from NumPy: one made from a list of Python values costs ten times more)."""
    missing = np.array([v is None for v in values], dtype=bool)
    if kind == "yesno":
        return pd.arrays.BooleanArray(np.array([bool(v) for v in values], dtype=bool)[indices], missing[indices])
    return pd.arrays.IntegerArray(np.array([0 if v is None else v for v in values], dtype=np.int64)[indices],
                                  missing[indices])


def convert(column: Column, texts: pa.Array) -> Converted:
    """The column's canonical values, which cells are blank, and the cells that cannot be read."""
    if column.kind == "text":
        return convert_texts([column], {column.code: texts})[column.code]
    encoded = texts.dictionary_encode()
    filler = blank_value(column)
    marks = blank_marks(column)
    problems_of: dict[int, tuple[str, str]] = {}
    values, blank = [], []
    for u, text in enumerate(encoded.dictionary.to_pylist()):  # each distinct text once
        if is_blank(text) or normalize_label(text) in marks:
            values.append(filler)
            blank.append(True)
            continue
        value, problem, code = _convert_checked(column, text)
        if problem:
            problems_of[u] = (problem, code)
        values.append(value)
        blank.append(False)
    values.append(filler)
    return _spread(column, encoded, values, np.array(blank + [True], dtype=bool), problems_of)
