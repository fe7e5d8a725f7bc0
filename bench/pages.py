"""Rerun times of every page under Streamlit's AppTest, in a process of its own.

Run by bench/run.py with REDPROP_DB (and REDPROP_CAMPAIGN) set; prints one JSON object:
{page: {"uncached": [s…], "widget": [s…]}, "peak_rss_mb": …}.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner

from bench.memory import peak_rss_mb

# The server compiles each page script once and keeps it (its ScriptCache lives as long as the
# server); AppTest makes a new cache on every run, so each run would pay 5–35 ms of compiling that
# no user ever waits for. The benchmark gives AppTest one cache for the process, as the server has.
_SERVER_SCRIPT_CACHE = ScriptCache()
app_test.ScriptCache = local_script_runner.ScriptCache = lambda: _SERVER_SCRIPT_CACHE

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/overview.py", "pages/town.py", "pages/ranking.py", "pages/upload.py", "pages/submissions.py",
         "pages/ledger.py", "pages/manage.py", "pages/presenter.py", "pages/bulletin.py"]


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(page: str, runs: int) -> dict:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(page)
    at.run()  # warm: imports, connection, first caches
    uncached, widget = [], []
    from pages.common import clear_data_caches  # the module the pages use, imported by the runs above

    for _ in range(runs):
        clear_data_caches()  # st.cache_data and the shared snapshots: what a new data version costs
        uncached.append(timed(at.run))
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
    for _ in range(runs):
        widget.append(timed(at.run))  # caches warm: what a widget change costs
    return {"uncached": uncached, "widget": widget}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    pages = sys.argv[2].split(",") if len(sys.argv) > 2 else PAGES
    results = {page: measure(page, runs) for page in pages}
    results["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
