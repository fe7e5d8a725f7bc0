"""One ledger's canonical values as column arrays, as validation produces them.

The checks of core/checks.py read these arrays directly: a district ledger is a hundred rows, and
there a pandas operation costs more in dispatch than in work (~25 µs a Series comparison against
~1 µs on the NumPy data). A workbook that passed hands its ledgers on as Arrow tables, which the
store inserts as they are; a pandas frame is made of one only where a report's rows are asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa


@dataclass
class LedgerColumns:
    codes: tuple[str, ...]  # the ledger's column codes, in layout order
    source_row: np.ndarray  # the Excel row number of each data row
    values: dict[str, object] = field(default_factory=dict)  # yes/no and count columns: pandas masked arrays
    arrows: dict[str, pa.Array] = field(default_factory=dict)  # text, choice and date columns: Arrow arrays

    def __len__(self) -> int:
        return len(self.source_row)

    def true(self, code: str) -> np.ndarray:
        """Per row: the yes/no cell says 是 (a blank one does not)."""
        return self.values[code].to_numpy(dtype=bool, na_value=False)

    def false(self, code: str) -> np.ndarray:
        """Per row: the yes/no cell says 否 (a blank one does not)."""
        return ~self.values[code].to_numpy(dtype=bool, na_value=True)

    def number(self, code: str) -> np.ndarray:
        """Per row: the count as a float, NaN where blank (every comparison with a blank is False)."""
        return self.values[code].to_numpy(dtype="float64", na_value=np.nan)

    def blank(self, code: str) -> np.ndarray:
        """Per row: the cell holds no value."""
        return np.asarray(pd.isna(self.values[code]), dtype=bool)

    def value(self, code: str, i: int):
        """Row i's value as a Python object, None where blank."""
        if code in self.arrows:
            return self.arrows[code][i].as_py()
        value = self.values[code][i]
        if value is pd.NA:
            return None
        return value.item() if isinstance(value, np.generic) else value

    def texts(self, code: str) -> list:
        """The column's values as a Python list (None where blank)."""
        return self.arrows[code].to_pylist()

    def table(self) -> pa.Table:
        """The ledger as Arrow: source_row, then one column per code (blank → null)."""
        columns = {"source_row": pa.array(self.source_row)}
        for code in self.codes:
            columns[code] = self.arrows[code] if code in self.arrows else pa.array(self.values[code])
        return pa.table(columns)


def frame_of(table: pa.Table) -> pd.DataFrame:
    """A ledger table as a pandas frame: source_row as int64, yes/no and counts as pandas' masked
    boolean and Int64, the object columns (text, choice, date) Arrow-backed (blank → NA)."""
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        if name == "source_row":
            columns[name] = column.to_numpy()
        elif pa.types.is_boolean(column.type):
            columns[name] = pd.BooleanDtype().__from_arrow__(column)
        elif pa.types.is_integer(column.type):
            columns[name] = pd.Int64Dtype().__from_arrow__(column)
        else:
            columns[name] = pd.arrays.ArrowExtensionArray(column)
    return pd.DataFrame(columns, copy=False)
