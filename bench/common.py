"""Shared plumbing for the benchmarks: the databases they run on, subprocess environments, machine facts.

The benchmarks never touch the developer's database: SQLite runs on a file in a fresh temporary directory (WAL,
as configured by config/settings.py) and PostgreSQL on a database of its own (``gz_bench`` by default) that is
created before and dropped after each run. Django work happens in child processes, because the settings read
DATABASE_URL once at import.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/gz_bench")


@dataclass
class Database:
    label: str  # "SQLite" or "PostgreSQL"
    url: str
    workdir: Path  # temporary directory for var/ (secret key, job queue), logs and files


def child_env(db: Database, **extra: str) -> dict[str, str]:
    """The environment of a child process (server, setup, import) that works on ``db`` and nothing else."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": db.url,
        "GONGZHI_VAR_DIR": str(db.workdir / "var"),
        "STATIC_ROOT": str(db.workdir / "static"),
        "MEDIA_ROOT": str(db.workdir / "media"),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


def run_child(args: list[str], env: dict[str, str], *, timeout: float = 900) -> str:
    """Runs a Python child in the project root; its stdout on success, a clear error with stderr otherwise."""
    done = subprocess.run([PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def last_json_line(output: str) -> dict:
    """Children print progress freely and their result as the last line, in JSON."""
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON result in the output:\n{output[-2000:]}")


def migrate(db: Database) -> None:
    run_child(["manage.py", "migrate", "--noinput", "--verbosity", "0"], child_env(db))


def postgres_available(url: str = POSTGRES_URL) -> str | None:
    """None when the PostgreSQL server answers, otherwise why not."""
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=2).close()
    except OSError as exc:
        return f"PostgreSQL at {parsed.hostname}:{parsed.port or 5432} is unreachable ({exc})"
    return None


def _admin_connect(url: str):
    import psycopg

    parsed = urlparse(url)
    return psycopg.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username or "postgres",
                           password=parsed.password, dbname="postgres", autocommit=True)


def _recreate_postgres(url: str, *, create: bool) -> None:
    name = urlparse(url).path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or not name.startswith("gz_"):
        raise RuntimeError(f"refusing to drop {name!r}: the benchmark database's name must start with gz_")
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def database(kind: str, postgres_url: str = POSTGRES_URL):
    """A fresh, migrated database of ``kind`` ("sqlite" or "postgresql", then at ``postgres_url``, dropped and
    created again) in a temporary directory; removed after."""
    workdir = Path(tempfile.mkdtemp(prefix=f"gz-bench-{kind}-"))
    try:
        if kind == "sqlite":
            db = Database("SQLite", f"sqlite:///{workdir / 'bench.sqlite3'}", workdir)
        elif kind == "postgresql":
            _recreate_postgres(postgres_url, create=True)
            db = Database("PostgreSQL", postgres_url, workdir)
        else:
            raise ValueError(kind)
        try:
            migrate(db)
            yield db
        finally:
            if kind == "postgresql":
                _recreate_postgres(postgres_url, create=False)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure_in_child(db: Database, script: str, what: str, **env: str) -> dict:
    """Runs ``script --measure`` on ``db`` in a child process (the settings read DATABASE_URL once): prints what it
    does and the child's progress lines, returns its JSON result with the database's label."""
    print(f"  {db.label}: {what}", flush=True)
    output = run_child([str(script), "--measure"], child_env(db, **env), timeout=3600)
    for line in output.splitlines():
        if not line.startswith("{"):
            print(line, flush=True)
    return {"db": db.label, **last_json_line(output)}


def setup_django() -> None:
    """In a child process: Django with the project's settings (DATABASE_URL comes from the environment)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def one_unit_estate(count: int, area_m2):
    """In a child process: a company and an estate with one building, one unit and ``count`` houses numbered from
    10000; ``area_m2(i)`` is house i's area. Returns (estate, houses)."""
    from gongzhi.estate.models import Building, Company, Estate, House, Unit

    company = Company.objects.create(name="基准物业")
    estate = Estate.objects.create(company=company, name="基准小区")
    building = Building.objects.create(estate=estate, name="1")
    unit = Unit.objects.create(estate=estate, building=building, name="1")
    houses = House.objects.bulk_create([House(estate=estate, building=building, unit=unit, number=str(10000 + i),
                                              area_m2=area_m2(i)) for i in range(count)])
    return estate, houses


def database_kinds(requested: list[str] | None = None) -> list[tuple[str, str | None]]:
    """The databases to run on, each with the reason it is skipped (None when it runs)."""
    kinds = requested or ["sqlite", "postgresql"]
    return [(k, postgres_available() if k == "postgresql" else None) for k in kinds]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict[str, str]:
    """The facts a reader needs to compare figures: cores, CPU, Python, Django, database versions."""
    import django

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = {
        "nproc": str(os.cpu_count()),
        "cpu": cpu or platform.processor() or "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
    }
    import sqlite3

    facts["sqlite"] = sqlite3.sqlite_version
    if postgres_available() is None:
        try:
            with _admin_connect(POSTGRES_URL) as conn:
                facts["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:
            facts["postgresql"] = f"unavailable ({exc.__class__.__name__})"
    else:
        facts["postgresql"] = "unavailable"
    for package in ("gunicorn", "django-ninja", "pydantic", "openpyxl", "psycopg"):
        try:
            from importlib.metadata import version

            facts[package] = version(package)
        except Exception:
            facts[package] = "not installed"
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
        facts["wrk"] = (out.stdout or out.stderr).split("[")[0].strip().removeprefix("wrk ").strip()
    return facts


def server_bench_main(argv: list[str], *, prepare, check, bench, table, describe: str) -> list[dict]:
    """The command line of a bench that serves the app: ``--prepare N`` and ``--check N`` are its child steps (they
    print JSON); otherwise it runs ``bench(kind)`` on each database asked for (all by default), prints the machine
    and ``table(rows)``, and returns the rows."""
    if argv[:1] == ["--prepare"]:
        print(json.dumps(prepare(int(argv[1]))))
        return []
    if argv[:1] == ["--check"]:
        print(json.dumps(check(int(argv[1]))))
        return []
    rows = []
    for kind, skipped in database_kinds(argv or None):
        if skipped:
            print(f"{kind}: skipped, {skipped}", flush=True)
            continue
        print(f"{kind}: {describe}...", flush=True)
        rows.append(bench(kind))
    print(f"\nMachine: {machine()}\n")
    print(table(rows))
    return rows
