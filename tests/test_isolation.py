"""Parsing in limited worker processes (core/isolation.py): a file that aborts, exhausts memory or
runs away fails that one upload with a Chinese message, the worker is replaced, and other
callers are not disturbed.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from core import isolation
from core.validate import read_workbook
from tests.hostile import RawSheet, big_ledger, raw_xlsx
from tests.workbooks import COMPOUND_HEADER, community_row, compound_row, standard

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "2021-11-30_昆仑镇.xlsx"


def good() -> bytes:
    return standard([compound_row("东社区", "阳光花园", "是", 7, 6, "是")], [community_row("东社区", "是", 7, 5)])


def far_corner_cells() -> bytes:
    """Two cells at opposite corners of the grid: calamine allocates the whole rectangle (16
    billion cells) and aborts the process — an allocation no limit can let through."""
    return raw_xlsx(RawSheet("小区台账", [COMPOUND_HEADER], extra={1048570: '<c r="XFC1048570"><v>1</v></c>'}))


@pytest.fixture(scope="module")
def large() -> bytes:
    """A real 60,000-row ledger: ~0.5 s to parse here, ~330 MB of address space above the baseline."""
    return big_ledger(60_000)


@pytest.fixture
def pool():
    pools = []

    def make(size=1, memory_mb=1536, timeout_s=20):
        pools.append(isolation.WorkerPool(size, memory_mb, timeout_s))
        return pools[-1]
    yield make
    for p in pools:
        p.close()


def parse(pool, data, campaign, name="台账.xlsx"):
    return isolation.read_workbook(data, name, campaign, pool=pool)


def test_the_worker_returns_what_read_workbook_returns(campaign, pool):
    data = SAMPLE.read_bytes()
    here, there = read_workbook(data, SAMPLE.name, campaign), parse(pool(), data, campaign, SAMPLE.name)
    assert there.ok and there.sha256 == here.sha256 and there.issues == here.issues
    assert [(r.town, r.report_date, {key: r.tables[key].to_dict("list") for key in r.tables}) for r in there.reports] == [
        (r.town, r.report_date, {key: r.tables[key].to_dict("list") for key in r.tables}) for r in here.reports]


def test_an_abort_fails_that_file_only_and_the_worker_is_replaced(campaign, pool):
    workers = pool()
    assert parse(workers, good(), campaign).ok
    [first] = workers.pids()
    parsed = parse(workers, far_corner_cells(), campaign)
    [error] = parsed.errors
    assert error.code in ("parse_memory", "parse_crashed") and "请" in error.message
    assert workers.replaced == 1 and workers.pids() != [first]
    assert parse(workers, good(), campaign).ok  # the replacement serves the next upload


def test_a_runaway_parse_is_stopped_at_the_time_limit(campaign, pool, large):
    workers = pool(timeout_s=0.1)
    started = time.monotonic()
    parsed = parse(workers, large, campaign)
    assert time.monotonic() - started < 5
    [error] = parsed.errors
    assert error.code == "parse_timeout" and "0.1 秒" in error.message and "请" in error.message
    assert workers.replaced == 1
    assert parse(workers, good(), campaign).ok


def test_the_memory_limit_stops_a_file_that_needs_more(campaign, pool, large):
    workers = pool(memory_mb=450)  # a warm worker already uses ~370 MB of address space
    [error] = parse(workers, large, campaign).errors
    assert error.code == "parse_memory" and "450 MB" in error.message and "请" in error.message
    assert parse(workers, good(), campaign).ok  # small files still fit


def test_other_callers_go_on_while_one_file_runs_away(campaign, pool, large):
    workers = pool(size=2, timeout_s=10)
    workers.warm(wait=True)
    outcome = {}

    def runaway():  # the large file, given 0.4 s: it needs about 0.6 (reading it in, then parsing)
        try:
            workers.call("read_workbook", (large, "大.xlsx", campaign, None, None), timeout_s=0.4)
        except isolation.ParseFailure as failure:
            outcome["code"] = failure.code
    slow = threading.Thread(target=runaway)
    slow.start()
    time.sleep(0.05)
    timings = []
    while slow.is_alive():
        started = time.monotonic()
        assert parse(workers, good(), campaign).ok
        timings.append(time.monotonic() - started)
    slow.join()
    assert outcome == {"code": "parse_timeout"}
    assert len(timings) >= 3 and max(timings) < 0.9, timings


def test_concurrent_callers_share_the_pool(campaign, pool):
    workers = pool(size=2)
    results = [None] * 8

    def run(i):
        results[i] = parse(workers, good(), campaign, f"{i}.xlsx")
    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results) and [r.file_name for r in results] == [f"{i}.xlsx" for i in range(8)]
    assert workers.replaced == 0


def test_a_warm_worker_answers_a_small_workbook_quickly(campaign, pool):
    workers = pool()
    workers.warm(wait=True)
    timings = []
    for _ in range(5):
        started = time.monotonic()
        parse(workers, good(), campaign)
        timings.append(time.monotonic() - started)
    assert sorted(timings)[2] < 0.5  # no process start per file (issue 6 measures this precisely)


def test_a_worker_without_defusedxml_refuses_to_parse(campaign, pool, tmp_path, monkeypatch):
    shim = tmp_path / "defusedxml"
    shim.mkdir()
    (shim / "__init__.py").write_text("raise ImportError('defusedxml removed for this test')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    [error] = parse(pool(), good(), campaign).errors
    assert error.code == "parse_crashed" and "defusedxml" in error.message


def test_defusedxml_is_installed_and_used_by_openpyxl():
    from openpyxl.xml import DEFUSEDXML

    assert isolation.defusedxml_problem() is None and DEFUSEDXML


def test_workers_do_not_outlive_their_pool(campaign, pool):
    workers = pool(size=2)
    workers.warm()
    pids = workers.pids()
    workers.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split()[2] != "Z"

