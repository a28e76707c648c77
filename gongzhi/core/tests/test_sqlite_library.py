"""SQLite's memory statistics are off in every Gongzhi process, and turning them off never disturbs a connection
that is already open."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gongzhi.core import sqlite_library

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="the library is found through /proc")


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout.strip()


def test_the_settings_turn_them_off_before_any_connection():
    # given a fresh process that loads Gongzhi's settings, when it opens a database and writes to it, then SQLite
    # counts no memory (its statistics, and their mutex, are off)
    out = run("""
        import os, sqlite3
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        import django
        django.setup()
        from gongzhi.core import sqlite_library
        con = sqlite3.connect(":memory:")
        con.execute("CREATE TABLE t (x)")
        con.executemany("INSERT INTO t VALUES (?)", [(str(i) * 50,) for i in range(2000)])
        print(sqlite_library.disable_memory_statistics(), sqlite_library._linked_library().sqlite3_memory_used())
    """)
    assert out == "True 0"


def test_an_open_connection_is_left_alone():
    # given a connection already open (SQLite has memory allocated), when the statistics are asked to be turned
    # off, then nothing is shut down: the answer is False and the connection keeps working
    out = run("""
        import sqlite3
        con = sqlite3.connect(":memory:")
        con.execute("CREATE TABLE t (x)")
        from gongzhi.core import sqlite_library
        print(sqlite_library.disable_memory_statistics(), con.execute("SELECT count(*) FROM t").fetchone()[0])
    """)
    assert out == "False 0"


def test_this_process_has_them_off():
    assert sqlite_library.disable_memory_statistics() is True
