"""What a report says, as one hash: a re-sent report that says the same is not stored again.

The hash covers a town's canonical rows (not where they stood in the file, nor their order),
its report date and the given details (who filled it in). It is computed set-wise in DuckDB for
every town of a workbook at once: a province workbook holds a thousand reports.
"""
from __future__ import annotations

import contextlib
import hashlib
import uuid

import duckdb
import pandas as pd

NULL_MARK = "∅"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _per_town(conn, view: str, columns: list[str]) -> dict[str, str]:
    """Town → md5 of its rows, each row an md5 of its cells as text, sorted."""
    cells = ", ".join(f"coalesce(CAST({_quoted(c)} AS VARCHAR), '{NULL_MARK}')" for c in columns)
    query = f"""
        SELECT town, md5(string_agg(row_hash, ',' ORDER BY row_hash))
        FROM (SELECT town, md5(concat_ws(chr(31), {cells})) AS row_hash FROM {view} WHERE town IS NOT NULL)
        GROUP BY town"""
    return dict(conn.execute(query).fetchall())


def content_hashes(frames: dict[str, pd.DataFrame], dates: dict[str, object], details: tuple,
                   conn: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """Town → sha256 of its rows in every ledger (frames: ledger key → rows of all towns, with a
    `town` column and `source_row`), its report date and `details`."""
    own = conn is None
    conn = duckdb.connect() if own else conn
    parts: dict[str, list[str]] = {town: [] for town in dates}
    try:
        for key in sorted(frames):
            frame = frames[key]
            columns = [c for c in frame.columns if c != "source_row"]
            view = f"fingerprint_{uuid.uuid4().hex}"
            conn.register(view, frame)
            try:
                hashes = _per_town(conn, view, columns) if len(frame) else {}
            finally:
                with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it; rollback drops it
                    conn.unregister(view)
            for town in parts:
                parts[town].append(f"|{key}|{columns}|{hashes.get(town, '')}")
    finally:
        if own:
            conn.close()
    return {town: hashlib.sha256(f"{town}|{dates[town].isoformat()}|{details}{''.join(parts[town])}".encode())
            .hexdigest() for town in parts}
