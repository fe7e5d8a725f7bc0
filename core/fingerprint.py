"""What a report says, as one hash: a re-sent report that says the same is not stored again.

The hash covers a town's canonical rows (not where they stood in the file, nor their order),
its report date and the given details (who filled it in). Rows are hashed column-wise by
pandas (`hash_pandas_object`, a keyed SipHash of each row's cells), sorted within each town and
digested with SHA-256: one pass for every town of a workbook at once, whether it holds one town
or a province's thousand.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def _row_hashes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(town per row, uint64 hash per row of every cell but its position in the file)."""
    cells = frame.drop(columns="source_row")
    hashes = pd.util.hash_pandas_object(cells, index=False).to_numpy()
    return frame["town"].to_numpy(dtype=object), hashes


def content_hashes(frames: dict[str, pd.DataFrame], dates: dict[str, object], details: tuple) -> dict[str, str]:
    """Town → sha256 of its rows in every ledger (frames: ledger key → rows of all towns, with a
    `town` column and `source_row`), its report date and `details`."""
    digests = {town: hashlib.sha256(f"{town}|{dates[town].isoformat()}|{details}".encode()) for town in dates}
    for key in sorted(frames):
        frame = frames[key]
        header = f"|{key}|{[c for c in frame.columns if c != 'source_row']}|".encode()
        for digest in digests.values():
            digest.update(header)
        if frame.empty:
            continue
        towns, hashes = _row_hashes(frame)
        codes, names = pd.factorize(towns, use_na_sentinel=True)
        order = np.lexsort((hashes, codes))  # by town, then by hash: blind to the rows' order
        codes, hashes = codes[order], hashes[order]
        bounds = np.flatnonzero(np.diff(codes)) + 1
        for start, end in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [len(codes)]))):
            code = codes[start]
            if code >= 0 and names[code] in digests:
                digests[names[code]].update(hashes[start:end].tobytes())
    return {town: digest.hexdigest() for town, digest in digests.items()}
