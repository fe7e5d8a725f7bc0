"""The benchmark: `python -m bench [--runs N] [--quick]`.

Measures, as medians of ≥5 runs with min and max, on this machine:
- import of one workbook end to end (gate, parse, validate, store) at 100 / 3,000 / 100,000 compound rows,
  into a database already holding a year of province history, beside the pandas+openpyxl read of the
  same workbook and the unzip+tokenise floor;
- metrics as of a date, the scorecard files and a pandas groupby reference over the province history;
- every page's AppTest rerun, uncached and with caches warm, on the sample district and the province;
- peak memory of the 100,000-row import and of the app process over the province history.
Prints a table and writes bench-results.json (both outside the repository's tracked files).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.parsers import expat

ROOT = Path(__file__).resolve().parent.parent


def stats(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "runs": len(samples)}


def repeat(action, runs: int, setup=None) -> dict:
    samples = []
    for i in range(runs):
        if setup:
            setup(i)
        start = time.perf_counter()
        action(i)
        samples.append(time.perf_counter() - start)
    return stats(samples)


# ---------------------------------------------------------------- references

def floor_tokenise(data: bytes) -> None:
    """Unzip every worksheet and run expat over it: no reader can be faster than this."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                parser = expat.ParserCreate()
                parser.Parse(book.read(name), True)


def pandas_openpyxl_read(data: bytes) -> None:
    import pandas as pd

    pd.read_excel(io.BytesIO(data), sheet_name=["小区台账", "社区台账"], engine="openpyxl")


def pandas_openpyxl_end_to_end(data: bytes, conn) -> None:
    """The naive pipeline: openpyxl → pandas → DuckDB, no validation worth the name."""
    import pandas as pd

    frames = pd.read_excel(io.BytesIO(data), sheet_name=["小区台账", "社区台账"], engine="openpyxl")
    conn.begin()
    for name, frame in frames.items():
        conn.register("naive", frame)
        conn.execute(f"CREATE OR REPLACE TEMP TABLE naive_{len(name)} AS SELECT * FROM naive")
        conn.unregister("naive")
    conn.commit()


# ---------------------------------------------------------------- our pipeline

def import_workbook(conn, data: bytes, name: str, campaign, report_date: dt.date) -> None:
    """Gate, parse (in the worker where the app uses one), validate and store one workbook."""
    from core import store
    from core.isolation import read_workbook  # the gate, then the parse in the warm worker pool

    parsed = read_workbook(data, name, campaign, report_date=report_date)
    if not parsed.ok:
        raise SystemExit(f"benchmark workbook rejected: {[i.message for i in parsed.errors[:3]]}")
    if all(stored.duplicate for stored in store.save(conn, parsed, "bench")):
        raise SystemExit("benchmark import stored nothing (a duplicate): it would not measure the store")


def bench_imports(folder: Path, history: Path, campaign, runs: int, scales) -> dict:
    """Each scale's workbook into a store holding a year of that scale's history (a district
    office's database holds its district, a province's the province), under a campaign listing
    that scale's towns, one new report date per run so that every run really stores its rows."""
    from bench.datasets import build_history, town_names, write_campaign, write_workbook
    from core import isolation, store
    from core.config import load_campaign

    results = {}
    for scale in scales:
        own = campaign
        if scale.towns != len(campaign.towns):
            (folder / scale.name).mkdir(exist_ok=True)
            own = load_campaign(write_campaign(folder / scale.name, town_names(scale.towns)))
        data = write_workbook(folder / f"{scale.name}.xlsx", scale, None).read_bytes()
        db = folder / f"import_{scale.name}.duckdb"
        if scale.name == "province":
            shutil.copy(history, db)
        else:
            build_history(db, scale)
        conn = store.connect(db)
        isolation.pool_for(own).warm(wait=True)  # as the app does at start: workers that have parsed a sample
        import_workbook(conn, data, "warm.xlsx", own, dt.date(2022, 1, 1))  # and this workbook, once
        ours = repeat(lambda i: import_workbook(conn, data, f"{i}.xlsx", own, dt.date(2022, 2, 1 + i)), runs)
        naive = repeat(lambda i: pandas_openpyxl_end_to_end(data, conn), max(3, runs // 2 + 1))
        read = repeat(lambda i: pandas_openpyxl_read(data), max(3, runs // 2 + 1))
        floor = repeat(lambda i: floor_tokenise(data), runs)
        conn.close()
        results[scale.name] = {"rows": scale.compounds, "bytes": len(data), "import": ours,
                               "pandas_openpyxl_read": read, "openpyxl_pandas_duckdb": naive, "floor": floor}
    return results


def import_peak_rss(folder: Path, history: Path, campaign_path: Path) -> dict:
    """Peak RSS of a fresh process importing the province workbook: the caller, and the parse
    worker that read it (its high-water mark from /proc: pool workers outlive the import, so
    getrusage's children figure would not include them)."""
    code = (
        "import datetime as dt, json\n"
        "from bench.memory import peak_rss_mb\n"
        "from bench.run import import_workbook\n"
        "from core import isolation, store\nfrom core.config import load_campaign\n"
        f"campaign = load_campaign({str(campaign_path)!r})\n"
        f"conn = store.connect({str(folder / 'rss.duckdb')!r})\n"
        f"data = open({str(folder / 'province.xlsx')!r}, 'rb').read()\n"
        "import_workbook(conn, data, 'p.xlsx', campaign, dt.date(2022, 3, 1))\n"
        "workers = [peak_rss_mb(pid) for pid in isolation.pool_for(campaign).pids()]\n"
        "print(json.dumps({'self_mb': peak_rss_mb(), 'children_mb': max(workers, default=0)}))\n")
    shutil.copy(history, folder / "rss.duckdb")
    env = {**os.environ, "REDPROP_CAMPAIGN": str(campaign_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_metrics(history: Path, campaign, runs: int) -> dict:
    import pandas as pd

    from core import store
    from core.exports import scorecard_csv, scorecard_xlsx
    from core.metrics import snapshot, snapshot_json

    conn = store.connect(history)
    as_of = dt.date(2021, 12, 31)
    snapshot(conn, campaign, as_of)  # fills the per-report counts once, as the first page view does
    results = {"metrics": repeat(lambda i: snapshot_json(snapshot(conn, campaign, as_of)), runs)}
    snap = snapshot(conn, campaign, as_of)
    results["scorecard_xlsx"] = repeat(lambda i: scorecard_xlsx(snap), runs)
    results["scorecard_csv"] = repeat(lambda i: scorecard_csv(snap), runs)

    def pandas_groupby(i):
        ids = conn.execute("SELECT upload_id FROM uploads WHERE active AND report_date = $d", {"d": as_of}).fetchall()
        frame = conn.execute("SELECT * FROM compounds WHERE upload_id IN (SELECT unnest($ids))",
                             {"ids": [r[0] for r in ids]}).df()
        frame.groupby("town").agg(compounds=("compound", "size"), committees=("has_committee", "sum"),
                                  party_orgs=("committee_party_org", "sum"))
    results["pandas_groupby_reference"] = repeat(pandas_groupby, runs)
    try:
        from core.bulletin import bulletin_text
        results["bulletin"] = repeat(lambda i: bulletin_text(conn, campaign, as_of), runs)
    except ImportError:
        pass
    conn.close()
    return results


def bench_pages(db: Path, campaign_path: Path | None, runs: int) -> dict:
    env = {**os.environ, "REDPROP_DB": str(db), "PYTHONPATH": str(ROOT)}
    if campaign_path:
        env["REDPROP_CAMPAIGN"] = str(campaign_path)
    out = subprocess.run([sys.executable, "-m", "bench.pages", str(runs)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    raw = json.loads(out.stdout.strip().splitlines()[-1])
    rss = raw.pop("peak_rss_mb")
    return {"pages": {p: {"uncached": stats(v["uncached"]), "widget": stats(v["widget"])} for p, v in raw.items()},
            "peak_rss_mb": rss}


# ---------------------------------------------------------------- report

def ms(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def span(s: dict) -> str:
    return f"{ms(s['median'])} ({ms(s['min'])}–{ms(s['max'])})"


def table(results: dict) -> str:
    lines = ["| measurement | median (min–max) | reference | reference ÷ ours |", "|---|---|---|---|"]
    for name, r in results["imports"].items():
        ours = r["import"]["median"]
        lines.append(f"| import {r['rows']:,} rows end to end | {span(r['import'])} | "
                     f"openpyxl→pandas→DuckDB {ms(r['openpyxl_pandas_duckdb']['median'])} | "
                     f"{r['openpyxl_pandas_duckdb']['median'] / ours:.2f} |")
        lines.append(f"| — pandas+openpyxl read alone | {span(r['pandas_openpyxl_read'])} | | "
                     f"{r['pandas_openpyxl_read']['median'] / ours:.2f} |")
        lines.append(f"| — unzip+tokenise floor | {span(r['floor'])} | | ours = {ours / r['floor']['median']:.1f}× the floor |")
    m = results["metrics"]
    lines.append(f"| metrics as of a date, 1.2 M rows | {span(m['metrics'])} | pandas groupby "
                 f"{ms(m['pandas_groupby_reference']['median'])} | |")
    lines.append(f"| scorecard .xlsx, province | {span(m['scorecard_xlsx'])} | | |")
    lines.append(f"| scorecard .csv, province | {span(m['scorecard_csv'])} | | |")
    if "bulletin" in m:
        lines.append(f"| bulletin text, province | {span(m['bulletin'])} | | |")
    for scope in ("district", "province"):
        pages = results["pages"][scope]
        for page, r in pages["pages"].items():
            lines.append(f"| page {Path(page).stem} ({scope}), uncached | {span(r['uncached'])} | cached rerun "
                         f"{span(r['widget'])} | |")
        lines.append(f"| app process peak RSS ({scope}) | {pages['peak_rss_mb']:,.0f} MiB | | |")
    rss = results["import_rss"]
    lines.append(f"| peak RSS, 100,000-row import | {rss['self_mb']:,.0f} MiB (workers {rss['children_mb']:,.0f} MiB) | | |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="district and city only, no province")
    parser.add_argument("--out", default=str(ROOT / "bench-results.json"))
    args = parser.parse_args(argv)

    from bench.datasets import SCALES, build_history, town_names, write_campaign

    folder = Path(tempfile.mkdtemp(prefix="redprop-bench-"))
    try:
        big = SCALES["city" if args.quick else "province"]
        campaign_path = write_campaign(folder, town_names(big.towns))
        os.environ["REDPROP_CAMPAIGN"] = str(campaign_path)
        from core.config import load_campaign

        campaign = load_campaign(campaign_path)
        print(f"building {big.name} history ({big.compounds * 12:,} compound rows)…", flush=True)
        history = build_history(folder / "history.duckdb", big)
        scales = [SCALES["district"], SCALES["city"]] + ([] if args.quick else [SCALES["province"]])
        results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                   "date": dt.datetime.now().isoformat(timespec="seconds")}
        print("imports…", flush=True)
        results["imports"] = bench_imports(folder, history, campaign, args.runs, scales)
        results["import_rss"] = import_peak_rss(folder, history, campaign_path) if not args.quick else \
            {"self_mb": 0, "children_mb": 0}
        print("metrics…", flush=True)
        results["metrics"] = bench_metrics(history, campaign, args.runs)
        print("pages…", flush=True)
        sample_db = folder / "sample.duckdb"
        from core import store
        from core.cli import load_sample
        os.environ.pop("REDPROP_CAMPAIGN")
        conn = store.connect(sample_db)
        load_sample(conn)
        conn.close()
        results["pages"] = {"district": bench_pages(sample_db, None, args.runs),
                            "province": bench_pages(history, campaign_path, args.runs)}
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(table(results))
        print(f"\nJSON: {args.out}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
