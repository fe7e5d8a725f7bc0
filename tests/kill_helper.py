"""`python -m tests.kill_helper DB FILE POINT`: import FILE into DB with store.save, announce on
stdout when the import reaches POINT, and wait there to be killed (SIGKILL by the test).

POINT is one of
  inserting          the first ledger rows are being inserted (inside the transaction)
  before_commit      everything is written, COMMIT not yet sent
  after_commit       COMMIT has returned; the write generation is not yet noted beside the file
  before_checkpoint  committed and noted; the write-ahead log not yet moved into the file
                     (this helper checkpoints after every write, as the store does once the
                     log has grown long, so that the point is reached)

The connection is wrapped, not changed: every call goes to DuckDB; the wrapper only pauses.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from core import store
from core.config import default_campaign
from core.validate import read_workbook


def _stop(point: str) -> None:
    print(point, flush=True)
    time.sleep(600)


class PausingConnection:
    def __init__(self, conn, point: str):
        self._conn, self._point = conn, point

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def register(self, *args):
        if self._point == "inserting":
            _stop(self._point)
        return self._conn.register(*args)

    def commit(self):
        if self._point == "before_commit":
            _stop(self._point)
        result = self._conn.commit()
        if self._point == "after_commit":
            _stop(self._point)
        return result

    def execute(self, query, *args):
        if self._point == "before_checkpoint" and query.strip().upper() == "CHECKPOINT":
            _stop(self._point)
        return self._conn.execute(query, *args)


def main(db: str, file: str, point: str) -> None:
    path = Path(file)
    parsed = read_workbook(path.read_bytes(), path.name, default_campaign())
    assert parsed.ok, parsed.issues
    conn = store.connect(db)
    store.CHECKPOINT_LOG_BYTES = 0
    store.save(PausingConnection(conn, point), parsed, "kill test")
    print("finished", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
