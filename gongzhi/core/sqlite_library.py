"""SQLite's memory statistics off, so that connections working in parallel threads do not contend for one mutex.

By default SQLite keeps allocation statistics behind a global mutex taken on every malloc and free. Connections
working in two threads (the ledger's verification reads on several; the web server answers on several) then fight
over that mutex: measured on this machine, the same aggregate query in two threads took longer together than in
one (1.98 s against 1.67 s) for twice the CPU; with the statistics off, 0.75 s. SQLite recommends building with
``SQLITE_DEFAULT_MEMSTATUS=0``; the system library is built with the statistics on, so they are turned off here at
run time (``sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)``), which SQLite allows only while it is not initialised:
before any connection exists, the library is shut down, configured and initialised again.

Nothing in Gongzhi reads the statistics (``sqlite3_memory_used``). Where the library cannot be reached (SQLite linked
into Python statically, a platform without /proc) or a connection may already be open, nothing is changed.
"""

import ctypes
import sqlite3  # noqa: F401 - the module initialises the library it is linked with; this finds that library
from pathlib import Path

SQLITE_OK = 0
SQLITE_CONFIG_MEMSTATUS = 9
_done: bool | None = None


def _linked_library() -> ctypes.CDLL | None:
    """The libsqlite3 shared object this process has loaded (the one Python's sqlite3 module uses)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return None
    paths = {line.split()[-1] for line in maps.read_text().splitlines() if "libsqlite3" in line.rsplit("/", 1)[-1]}
    if len(paths) != 1:
        return None
    library = ctypes.CDLL(paths.pop())
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return library


def disable_memory_statistics() -> bool:
    """Turn SQLite's memory statistics off for this process; True when they are off. Safe to call more than once."""
    global _done
    if _done is not None:
        return _done
    _done = False
    library = _linked_library()
    if library is None:
        return False
    if library.sqlite3_config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == SQLITE_OK:
        _done = True  # not initialised yet: configured before first use
    elif library.sqlite3_memory_used() == 0 and library.sqlite3_shutdown() == SQLITE_OK:
        # Nothing is allocated, so no connection is open: shutting down and initialising again is allowed.
        _done = library.sqlite3_config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == SQLITE_OK
        library.sqlite3_initialize()
    return _done
