"""Is a re-sent report the same as the version in force? Then it is not stored again.

A report is the same when its filler details match and, in every ledger, its rows say the
same as the stored version's rows — compared as values of the stored column types, blind to
row order and to where the rows stood in the file. The comparison is one DuckDB query per
ledger over the towns that have a version in force for that date, so a consolidated workbook
re-sent with one town changed versions only that town, and a report for a new date costs
nothing here.
"""
from __future__ import annotations

import contextlib

import duckdb
import pandas as pd
import pyarrow as pa

from core.layout import LEDGERS

NULL_MARK = "∅"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_types(conn, table: str) -> dict[str, str]:
    rows = conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = $table AND table_schema = current_schema()", {"table": table}).fetchall()
    return dict(rows)


def _row_text(columns: list[str], types: dict[str, str], alias: str) -> str:
    """SQL for one row's cells as text, each cast to its stored type first (identifiers from the
    layout and types from the catalog: never user data)."""
    cells = ", ".join(f"coalesce(CAST(CAST({alias}.{_quoted(c)} AS {types[c]}) AS VARCHAR), '{NULL_MARK}')"
                      for c in columns)
    return f"md5(concat_ws(chr(31), {cells}))"


def _same_in(conn, key: str, incoming: str | None) -> set[str]:
    """Towns of `candidates` whose rows of ledger `key` in `incoming` (a registered view, None
    for no rows) equal the rows stored under their upload in force."""
    types = _column_types(conn, key)
    spec = next(s for s in LEDGERS if s.key == key)
    columns = [c.code for c in spec.columns if c.code != "town"]
    stored = f"""
        SELECT c.town, md5(string_agg({_row_text(columns, types, 's')}, ',' ORDER BY 1)) AS digest
        FROM {_quoted(key)} s JOIN candidates c ON s.upload_id = c.upload_id GROUP BY c.town"""
    if incoming is None:
        arriving = "SELECT NULL::VARCHAR AS town, NULL::VARCHAR AS digest WHERE FALSE"
    else:
        arriving = f"""
            SELECT i.town, md5(string_agg({_row_text(columns, types, 'i')}, ',' ORDER BY 1)) AS digest
            FROM {incoming} i JOIN candidates c ON i.town = c.town GROUP BY i.town"""
    query = f"""
        WITH stored AS ({stored}), arriving AS ({arriving})
        SELECT c.town FROM candidates c
        LEFT JOIN stored USING (town) LEFT JOIN arriving a USING (town)
        WHERE stored.digest IS NOT DISTINCT FROM a.digest"""
    return {town for (town,) in conn.execute(query).fetchall()}


def unchanged_towns(conn: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table],
                    in_force: dict[str, int]) -> set[str]:
    """The towns (of `in_force`: town → upload id of the version in force) whose incoming rows
    (`tables`: ledger key → rows of every town) say what the stored version says."""
    if not in_force:
        return set()
    candidates = pd.DataFrame({"town": list(in_force), "upload_id": list(in_force.values())})
    conn.register("candidates", candidates)
    same = set(in_force)
    try:
        for spec in LEDGERS:
            table = tables.get(spec.key)
            view = None
            if table is not None and table.num_rows:
                view = f"incoming_{spec.key}"
                conn.register(view, table)
            try:
                same &= _same_in(conn, spec.key, view)
            finally:
                if view:
                    with contextlib.suppress(duckdb.Error):  # an aborted transaction refuses it
                        conn.unregister(view)
            if not same:
                break
    finally:
        with contextlib.suppress(duckdb.Error):
            conn.unregister("candidates")
    return same
