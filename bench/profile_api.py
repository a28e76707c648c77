"""Where an API request's time goes: the endpoints of bench/http_bench.py, run in-process through the WSGI
application (the same middleware, no network), with the queries each one runs and a cProfile breakdown.

    .venv/bin/python bench/profile_api.py [sqlite|postgresql] [requests per endpoint, default 1000]

It builds the same database as the HTTP benchmark (a fresh one, dropped after) and prints, per endpoint:
µs per request without the profiler, the number of queries, and the share of profiled time spent in token
authentication, resolving the actor (estate + membership), the selector, the presenter, ninja's response
(schema validation and JSON) and everything else (middleware, URL routing, ninja's dispatch). cProfile slows
Python code down unevenly, so read the shares as proportions, not as absolute times.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import child_env, database, last_json_line, run_child

# (label, module path fragment, function name): cumulative time of these functions makes the breakdown.
PARTS = [
    ("token auth", "accounts/api/auth.py", "authenticate"),
    ("actor (estate + membership)", "core/access.py", "resolve_actor"),
    ("selector", "estate/selectors.py", None),
    ("paginate", "core/pagination.py", "paginate"),
    ("presenter", "estate/presenters.py", None),
    ("ninja response (schema + JSON)", "ninja/operation.py", "_result_to_response"),
]


def _environ(path: str, headers: dict[str, str]) -> dict:
    path, _, query = path.partition("?")
    from urllib.parse import unquote

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": unquote(path), "QUERY_STRING": query,
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
               "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b"")}
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return environ


def profile(data: dict, count: int) -> list[dict]:
    import cProfile
    import pstats

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from http_bench import endpoints

    app = get_wsgi_application()
    headers = {"Authorization": f"Bearer {data['token']}", "Accept": "application/json"}

    def call(path: str) -> str:
        status: list[str] = []
        b"".join(app(_environ(path, headers), lambda s, h: status.append(s)))
        return status[0]

    rows = []
    for name, _kind, path in endpoints(data):
        assert call(path).startswith("200"), f"{path} did not answer 200"
        for _ in range(min(200, count)):
            call(path)
        queries: list[str] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            call(path)
        started = time.perf_counter()
        for _ in range(count):
            call(path)
        micros = (time.perf_counter() - started) / count * 1e6
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            call(path)
        profiler.disable()
        stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
        total = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _callers) in stats.items())
        shares = {}
        for label, fragment, function in PARTS:
            spent = 0.0
            for (filename, _line, fname), (_cc, _nc, _tt, ct, callers) in stats.items():
                if fragment not in filename or (function and fname != function):
                    continue
                if function is None:
                    # whole module: count only entries called from outside it, so nothing is counted twice
                    if any(fragment in caller[0] for caller in callers):
                        continue
                spent += ct
            shares[label] = spent / total
        shares["everything else"] = max(0.0, 1 - sum(shares.values()))
        rows.append({"name": name, "path": path, "us_per_request": micros, "queries": len(queries),
                     "sql": [q[:200] for q in queries], "shares": shares})
    return rows


def run(kind: str = "sqlite", count: int = 1000) -> list[dict]:
    """Builds the HTTP benchmark's database, profiles every endpoint in a child process, drops the database."""
    here = str(Path(__file__).resolve().parent / "http_bench.py")
    with database(kind) as db:
        env = child_env(db, GONGZHI_BENCH_FLOORS="1", DEMO_PASSWORD=os.urandom(12).hex() + "Aa1!")
        data = last_json_line(run_child([here, "--prepare"], env))
        output = run_child([str(Path(__file__).resolve()), "--child", json.dumps(data), str(count)], env,
                           timeout=3600)
        rows = json.loads(output.strip().splitlines()[-1])
    for row in rows:
        row["db"] = db.label
        row["count"] = count
    return rows


LABELS = [p[0] for p in PARTS] + ["everything else"]


def table(rows: list[dict]) -> list[str]:
    """The breakdown as a Markdown table."""
    lines = ["| endpoint | µs/request | queries | " + " | ".join(LABELS) + " |",
             "|---|---:|---:|" + "---:|" * len(LABELS)]
    for row in rows:
        lines.append(f"| {row['name']} | {row['us_per_request']:,.0f} | {row['queries']} | "
                     + " | ".join(f"{row['shares'][lab] * 100:.0f} %" for lab in LABELS) + " |")
    return lines


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        print(json.dumps(profile(json.loads(argv[1]), int(argv[2]))))
        return
    kind = argv[0] if argv else "sqlite"
    count = int(argv[1]) if len(argv) > 1 else 1000
    rows = run(kind, count)
    print(f"{rows[0]['db']}, {count} requests per endpoint, in-process (no network, no server)\n")
    print("\n".join(table(rows)))
    print()
    for row in rows:
        print(f"{row['name']}:")
        for sql in row["sql"]:
            print(f"    {sql}")


if __name__ == "__main__":
    main(sys.argv[1:])
