"""One ledger's canonical values as column arrays, as validation produces them.

The checks of core/checks.py read these arrays directly: a district ledger is a hundred rows, and
there a pandas operation costs more in dispatch than in work (~25 µs a Series comparison against
~1 µs on the NumPy data). The frame the store and the pages use is built once, at the end, and
only for a workbook that passed.
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
    values: dict[str, object] = field(default_factory=dict)  # code → per-row values (body.PANDAS_DTYPES)
    arrows: dict[str, pa.Array] = field(default_factory=dict)  # the object columns (text, choice, date) as Arrow

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

    def frame(self) -> pd.DataFrame:
        """The ledger as a frame: source_row, then one column per code; the object columns are
        Arrow-backed (same values, blank → NA), so they cross to DuckDB without a Python object each."""
        columns = {"source_row": self.source_row}
        for code in self.codes:
            columns[code] = pd.arrays.ArrowExtensionArray(self.arrows[code]) if code in self.arrows else self.values[code]
        return pd.DataFrame(columns, copy=False)
