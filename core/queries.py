"""Named SQL statements read from core/sql/*.sql (each introduced by a `-- name: x` line).

Every value is a bound parameter ($name); no statement is ever built from user data.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

SQL_DIR = Path(__file__).with_name("sql")
_NAME = re.compile(r"^-- name:\s*(\w+)\s*$", re.MULTILINE)


@functools.cache
def _all() -> dict[str, str]:
    statements: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        parts = _NAME.split(path.read_text(encoding="utf-8"))
        for name, body in zip(parts[1::2], parts[2::2]):
            if name in statements:
                raise ValueError(f"SQL statement {name!r} is defined twice")
            statements[name] = body.strip().rstrip(";")
    return statements


def sql(name: str) -> str:
    """The text of the named statement."""
    return _all()[name]
