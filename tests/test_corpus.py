"""Every file of ../shared/corpus (odd and hostile spreadsheets: encrypted, legacy, fuzzer crashes,
XML entity attacks, zip bombs, a full-grid sheet, renamed CSV/HTML …) through the command line
(`python -m core validate --json`) and through the upload page (AppTest).

Each file ends within 10 s as `valid` or `rejected` with a Chinese message, and the outcome and
error codes match tests/corpus_expected.tsv; the app process stays under 1 GB, keeps serving,
and the database is unchanged. To rewrite the table after a deliberate change of outcomes:
REDPROP_WRITE_CORPUS_EXPECTED=1 python -m pytest tests/test_corpus.py, then review the diff.
"""
from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import isolation, store
from core.config import default_campaign
from core.issues import issue_kind
from tests.workbooks import community_row, compound_row, info_sheet, standard

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
EXPECTED = Path(__file__).with_name("corpus_expected.tsv")
ARTIFACTS = ROOT / "test-artifacts"
PER_FILE_S = 10
APP_MEMORY_LIMIT = 1024 ** 3
CJK = re.compile(r"[\u4e00-\u9fff]")
DATA_TABLES = ("uploads", "compounds", "communities", "brands", "epmc_members", "app_settings", "audit_log")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md"))


def expected_outcomes() -> dict[str, tuple[str, str]]:
    """file → (valid | rejected, error codes joined by commas, sorted)."""
    rows = [line.split("\t") for line in EXPECTED.read_text(encoding="utf-8").splitlines()[1:] if line]
    return {file: (outcome, codes) for file, outcome, codes in rows}


def is_chinese_sentence(message: str) -> bool:
    return len(CJK.findall(message)) >= 8


def codes_of(errors) -> str:
    return ",".join(sorted({e["code"] if isinstance(e, dict) else e.code for e in errors}))


# ---------------------------------------------------------------- the command line, in the background

@pytest.fixture(scope="module")
def cli_runs():
    """Two `validate --json` processes over halves of the corpus, started at once so that they run
    while the page test does (2 cores). Each is (files, process, start time)."""
    files = corpus_files()
    env = {k: v for k, v in os.environ.items() if k not in ("REDPROP_DB", "REDPROP_CAMPAIGN")}
    runs = []
    for half in (files[0::2], files[1::2]):
        process = subprocess.Popen([sys.executable, "-m", "core", "validate", "--json", *map(str, half)], cwd=ROOT,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        runs.append((half, process, time.monotonic()))
    yield runs
    for _, process, _ in runs:
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="module")
def cli_results(cli_runs) -> dict[str, dict]:
    results = {}
    for files, process, started in cli_runs:
        stdout, stderr = process.communicate(timeout=PER_FILE_S * len(files))
        elapsed = time.monotonic() - started
        assert process.returncode in (0, 1), stderr
        assert "Traceback" not in stderr, stderr
        assert elapsed < PER_FILE_S * len(files)
        for entry in json.loads(stdout)["files"]:
            results[entry["file"]] = entry
    if os.environ.get("REDPROP_WRITE_CORPUS_EXPECTED"):
        lines = ["file\toutcome\tcodes"] + [f"{name}\t{e['status']}\t{codes_of(e['errors'])}"
                                           for name, e in sorted(results.items())]
        EXPECTED.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return results


def test_the_expected_table_covers_the_whole_corpus():
    assert set(expected_outcomes()) == {p.name for p in corpus_files()}


def test_command_line_validate_json_of_every_file(cli_results):
    expected = expected_outcomes()
    assert set(cli_results) == set(expected)
    mismatched = {name: (entry["status"], codes_of(entry["errors"])) for name, entry in cli_results.items()
                  if (entry["status"], codes_of(entry["errors"])) != expected[name]}
    assert not mismatched
    for name, entry in cli_results.items():
        assert entry["status"] in ("valid", "rejected")
        if entry["status"] == "rejected":
            assert entry["errors"] and all(is_chinese_sentence(e["message"]) for e in entry["errors"]), name


# ---------------------------------------------------------------- the upload page

def dump(path: Path) -> dict:
    """The store's data: reports, ledgers, settings and the audit log (not the report_counts cache)."""
    with duckdb.connect(str(path)) as conn:  # this process owns the file (the app's connection)
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in DATA_TABLES}


def shown_texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "error", "warning", "info", "success")
                     for e in getattr(at, kind))


def page_errors(at: AppTest) -> list[dict]:
    """The error rows of the upload page's problem table of the (one) file on it."""
    if not at.dataframe:
        return []
    table = at.dataframe[0].value
    return table[table["类型"] == "错误"].to_dict("records")


def good_workbook() -> bytes:
    return standard([compound_row("新村社区", "幸福苑", "是", 7, 6, "是")], [community_row("新村社区", "是", 5, 4)],
                    info=info_sheet(town="太河镇"))


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    from core.cli import load_sample

    path = tmp_path_factory.mktemp("corpus") / "app.duckdb"
    with store.connect(path) as conn:
        load_sample(conn)
    return path


def test_every_file_through_the_upload_page(cli_runs, app_db, monkeypatch):
    monkeypatch.setenv("REDPROP_DB", str(app_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    expected = expected_outcomes()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.exception
    before = dump(app_db)
    watch = duckdb.connect(str(app_db))  # the same database instance as the app's connection
    state_before = (store.data_version(watch), store.generation(watch))
    timings, wrong = {}, {}
    for path in corpus_files():
        at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream"))
        started = time.monotonic()
        at.run(timeout=PER_FILE_S * 3)
        timings[path.name] = time.monotonic() - started
        assert not at.exception, (path.name, [e.value for e in at.exception])
        shown = shown_texts(at)
        outcome, codes = expected[path.name]
        if outcome == "rejected":
            assert f"**{path.name}**：有 **" in shown and "不能导入" in shown, path.name
            assert not [b for b in at.button if b.key == "confirm_upload"], path.name
            errors = page_errors(at)
            assert errors and all(is_chinese_sentence(e["说明"]) for e in errors), path.name
            if {e["问题"] for e in errors} != {issue_kind(c) for c in codes.split(",")}:
                wrong[path.name] = sorted({e["问题"] for e in errors})
        else:
            assert "检查通过" in shown, path.name
        assert (store.data_version(watch), store.generation(watch)) == state_before, path.name
    watch.close()
    assert not wrong
    slowest = max(timings, key=timings.get)
    assert timings[slowest] < PER_FILE_S, (slowest, timings[slowest])

    # The app keeps serving: another page, and a good upload checked by a (replaced) worker.
    at.switch_page("pages/overview.py")
    at.run()
    assert not at.exception and at.metric
    at.switch_page("pages/upload.py")
    at.run()
    at.file_uploader[0].set_value(("太河镇.xlsx", good_workbook(), "application/octet-stream"))
    at.run()
    assert not at.exception and "检查通过" in shown_texts(at)
    assert dump(app_db) == before  # nothing of any rejected file was stored

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < APP_MEMORY_LIMIT, peak
    pool = isolation.pool_for(default_campaign())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "corpus_page_run.json").write_text(json.dumps({
        "files": len(timings), "slowest": [slowest, round(timings[slowest], 3)],
        "total_s": round(sum(timings.values()), 1), "app_peak_rss_mb": round(peak / 1048576),
        "workers_replaced": pool.replaced,
        "outcomes": {o: sum(1 for v in expected.values() if v[0] == o) for o in ("valid", "rejected")},
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    st.cache_resource.clear()
    st.cache_data.clear()
