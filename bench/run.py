"""Runs every benchmark and rewrites bench/README.md (and bench/results.json) with the figures of this run.

    .venv/bin/python bench/run.py                # everything, SQLite and PostgreSQL (make bench)
    .venv/bin/python bench/run.py --db sqlite    # one database       } partial runs print their figures
    .venv/bin/python bench/run.py --only http    # one benchmark      } and leave README.md as it is

Benchmarks are not tests: nothing here is collected by pytest (testpaths are gongzhi and tests). The figures
depend on the machine and on what else it is doing, so each one is printed next to a floor measured in the same
run, and the load average before and after is recorded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_bench
import import_bench
import profile_api
from common import BENCH, POSTGRES_URL, machine

README = BENCH / "README.md"
RESULTS = BENCH / "results.json"


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _http_rows(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        if "skipped" in r:
            rows.append(f"| HTTP | {r['db']} | skipped: {r['skipped']} | | | | |")
            continue
        figure = f"{r['rps']:,.0f} req/s (p50 {_ms(r['p50_ms'])}, p99 {_ms(r['p99_ms'])})"
        floor_b = next(x for x in results if x.get("db") == r["db"] and x.get("name") == http_bench.FLOOR_PK)
        floor = f"{floor_b['rps']:,.0f} req/s"
        if r["kind"] == "floor":
            rows.append(f"| {r['name']} | {r['db']} | {figure} | {floor} | {r['ratio_to_floor_b']:.2f} | — | — |")
        else:
            ok = r["ratio_to_floor_b"] >= http_bench.TARGET_RATIO
            rows.append(f"| {r['name']} | {r['db']} | {figure} | {floor} | {r['ratio_to_floor_b']:.2f} | "
                        f"≥ {http_bench.TARGET_RATIO:.2f} of floor (b) | {'pass' if ok else '**fail**'} |")
    return rows


def _import_rows(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        if "skipped" in r:
            rows.append(f"| import | {r['db']} | skipped: {r['skipped']} | | | | |")
            continue
        rows.append(f"| {r['name']} | {r['db']} | {r['seconds']:.3f} s | {r['floor_seconds']:.2f} s "
                    f"(openpyxl read alone) | ×{r['ratio_to_floor']:.1f} | ≤ {import_bench.TARGET_SECONDS:.0f} s | "
                    f"{'pass' if r['passed'] else '**fail**'} |")
    return rows


def _profile_reading(rows: list[dict]) -> list[str]:
    """What the breakdown says about the ratio to floor (b), from this run's own numbers."""
    by_name = {r["name"]: r for r in rows}
    a, b = by_name[http_bench.FLOOR_CONSTANT], by_name[http_bench.FLOOR_PK]
    one_query = b["us_per_request"] - a["us_per_request"]
    lines = [f"Floor (b) − floor (a) = {one_query:,.0f} µs: one ORM query and its JSON on this machine. "
             "In-process, without the server's share of each request:"]
    for r in rows:
        if r["name"] in (http_bench.FLOOR_CONSTANT, http_bench.FLOOR_PK):
            continue
        lines.append(f"- {r['name']}: {r['queries']} queries, {r['us_per_request']:,.0f} µs, "
                     f"{b['us_per_request'] / r['us_per_request']:.2f} of floor (b)'s rate; token auth and the "
                     f"actor take {(r['shares']['token auth'] + r['shares']['actor (estate + membership)']) * 100:.0f} %.")
    return [*lines, ""]


def write_readme(run: dict) -> None:
    facts = run["machine"]
    http = [r for r in run["http"] if "skipped" not in r]
    imports = [r for r in run["import"] if "skipped" not in r]
    lines = [
        "# Benchmarks",
        "",
        "The figures of the issue's *Speed* section, rewritten by `make bench` (`.venv/bin/python bench/run.py`).",
        "They are measurements, not tests: nothing in `bench/` is collected by pytest. Every figure stands next to",
        "a floor measured in the same run on the same machine, because absolute numbers move with the machine and",
        "with whatever else it is doing (see the load average below).",
        "",
        f"**Run:** {run['date']} · **load average (1/5/15 min)** before {run['load_before']}, after "
        f"{run['load_after']}",
        "",
        f"**Machine:** {facts['nproc']} cores ({facts['cpu']}), {facts['os']} · Python {facts['python']} · "
        f"Django {facts['django']} · django-ninja {facts['django-ninja']} · pydantic {facts['pydantic']} · "
        f"gunicorn {facts['gunicorn']} · SQLite {facts['sqlite']} · PostgreSQL {facts['postgresql']} · "
        f"psycopg {facts['psycopg']} · openpyxl {facts['openpyxl']} · wrk {facts.get('wrk', '?')}",
        "",
        "## Latest figures",
        "",
        "| benchmark | database | figure | floor (same run) | ratio | target | result |",
        "|---|---|---|---|---:|---|---|",
        *_http_rows(run["http"]),
        *_import_rows(run["import"]),
        "",
        "For HTTP the ratio is requests/s of the row ÷ requests/s of floor (b) on the same database; for the import",
        "it is the import's time ÷ the time openpyxl alone takes to read the same workbook.",
        "",
    ]
    if http:
        sample = http[0]
        ds = sample["dataset"]
        lines += [
            "## HTTP: what was measured",
            "",
            f"- Server: {sample['server']} (read from `bin/serve`, started exactly as it runs: `config.wsgi`,",
            "  access log on), bound to 127.0.0.1 on a free port, with `GONGZHI_BENCH_FLOORS=1` so that",
            "  `config/bench_urls.py` is mounted at `/bench/` (production never sets it). `DEBUG` off,",
            "  persistent database connections (`CONN_MAX_AGE`) as configured by `config/settings.py`.",
            f"- Load: `wrk -t{http_bench.WRK_THREADS} -c{http_bench.CONNECTIONS} --latency`; the endpoints take "
            f"turns in {http_bench.ROUNDS} rounds",
            f"  of a {http_bench.WARMUP_SECONDS} s warm-up and {http_bench.SECONDS // http_bench.ROUNDS} s "
            f"measured ({http_bench.SECONDS} s per endpoint), so that a change of load during the run weighs on",
            "  floors and endpoints alike; requests/s is the overall rate, p50 the mean of the rounds', p99 the",
            "  worse round's. wrk runs on the same cores as the server. Any non-2xx answer or socket error fails",
            "  the run, and each endpoint is first checked to answer with the expected house.",
            "- Floor (a): `/bench/constant`, a constant JSON body. Floor (b): `/bench/house/<pk>`,",
            "  `House.objects.values(...).get(pk=...)` → `JsonResponse`, no authentication. Both pass through the",
            "  same middleware as the API.",
            "- Registry endpoints, called with `Authorization: Bearer <token>` (made by `token_create`) as a",
            "  customer-service member: `GET /api/v1/estates/{id}/houses/{house_id}` (3-2-1502, with its owners,",
            "  family and vehicles), `GET /api/v1/estates/{id}/search?q=3-2-1502`,",
            "  `GET /api/v1/estates/{id}/houses?q=3栋2单元1502`.",
            f"- Data: {ds['houses']:,} houses, {ds['persons']:,} persons, {ds['residencies']:,} residencies, "
            f"{ds['vehicles']:,} vehicles, made by {ds['seeded_by']}, in a fresh database per run: SQLite in a",
            "  temporary directory (WAL, as configured), PostgreSQL in `" + POSTGRES_URL.rsplit("/", 1)[-1]
            + "` (created and dropped by the benchmark).",
            "",
        ]
    if run.get("profile"):
        rows = run["profile"]
        lines += [
            "## HTTP: where an API request's time goes",
            "",
            "`bench/profile_api.py` runs the same endpoints in-process through the WSGI application (same",
            f"middleware, no network, no server) on {rows[0]['db']}, {rows[0]['count']:,} requests each: the time per",
            "request without the profiler, the queries it runs, and the share of cProfile time in each part",
            "(cProfile slows Python unevenly: read the shares as proportions).",
            "",
            *profile_api.table(rows),
            "",
            *_profile_reading(rows),
        ]
    if imports:
        wb = imports[0]["workbook"]
        lines += [
            "## Import: what was measured",
            "",
            f"- The workbook: the registry template (`template_workbook()`) filled with {wb['houses']:,} houses "
            f"(25 buildings × 4 units × 25 floors × 4) and {wb['residents']:,} residents rows (one owner each, with",
            f"  mobile, resident ID number, voting representative and start date), {wb['bytes'] / 1e6:.1f} MB.",
            "- The figure: `import_registry(actor=<manager>, filename=..., data=..., dry_run=False)` into an empty",
            "  estate in a fresh database, timed with `time.perf_counter()` in the same process as the floor; it",
            "  counts only if the report is ok and the database then holds 10,000 houses, persons and residencies.",
            "- The floor: `openpyxl.load_workbook(read_only=True)` and `iter_rows(values_only=True)` over every sheet",
            "  of the same bytes.",
            "",
        ]
    lines += [
        "## How to run",
        "",
        "```sh",
        "apt-get install wrk            # the HTTP load generator (Debian/Ubuntu)",
        "make bench                     # everything; rewrites this file and bench/results.json",
        ".venv/bin/python bench/run.py --db sqlite --only http   # a partial run: prints, rewrites nothing",
        ".venv/bin/python bench/http_bench.py postgresql         # print the HTTP figures only",
        ".venv/bin/python bench/import_bench.py sqlite           # print the import figure only",
        ".venv/bin/python bench/profile_api.py sqlite 1000       # the breakdown above, with each query's SQL",
        "```",
        "",
        "PostgreSQL is reached at `BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/gz_bench`; the",
        "database name must start with `gz_`, it is dropped after the run); when it is unreachable its rows say",
        "skipped. `BENCH_HTTP_SECONDS` shortens the HTTP runs for a quick look. Run it on an otherwise idle",
        "machine: other work on the same cores lowers every figure, floors included, and widens p99.",
        "",
    ]
    # The issues' own benchmarks (bench/tickets_bench.py, ledger_bench.py, disclosure_bench.py) keep their sections,
    # each between <!-- NAME-bench:start --> and <!-- NAME-bench:end -->; a full run here leaves them as they are.
    previous = README.read_text() if README.exists() else ""
    lines += [m.group(0) + "\n" for m in re.finditer(r"<!-- ([\w-]+)-bench:start -->.*?<!-- \1-bench:end -->", previous,
                                                      flags=re.S)]
    README.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append",
                        help="run on this database only (repeatable); both by default")
    parser.add_argument("--only", choices=["http", "import", "profile"], action="append",
                        help="run this benchmark only (repeatable); all by default")
    args = parser.parse_args()
    only = set(args.only or ["http", "import", "profile"])
    run = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "machine": machine(),
           "load_before": _load(), "http": [], "import": [], "profile": []}
    print(f"load average {run['load_before']}", flush=True)
    if "http" in only:
        print("HTTP benchmark", flush=True)
        run["http"] = http_bench.run(args.db)
    if "profile" in only:
        print("API profile (SQLite, in-process)", flush=True)
        run["profile"] = profile_api.run("sqlite", 1000)
    if "import" in only:
        print("Import benchmark", flush=True)
        run["import"] = import_bench.run(args.db)
    run["load_after"] = _load()
    if args.db or args.only:
        # A partial run does not replace the figures of a full one; it prints its own.
        print("\n".join(["", *_http_rows(run["http"]), *_import_rows(run["import"])]))
        if run["profile"]:
            print("\n".join(["", *profile_api.table(run["profile"])]))
        print(f"load average {run['load_after']} (partial run: {README.name} left as it was)", flush=True)
        return
    RESULTS.write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n")
    write_readme(run)
    print(f"load average {run['load_after']}; wrote {README.relative_to(BENCH.parent)} and "
          f"{RESULTS.relative_to(BENCH.parent)}", flush=True)


if __name__ == "__main__":
    main()
