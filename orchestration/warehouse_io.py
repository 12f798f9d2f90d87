"""Opening DuckDB files: wait, and say so, while another process holds the lock; name a full disk.

DuckDB takes one read-write process per file and refuses every other process
while it holds the file ("Conflicting lock is held in <program> (PID N)").
Inside Dagster the `duckdb_warehouse` pool keeps Handshake's own steps apart,
but another process can still hold the file: a `dbt` left running by a run
that was killed, an `mf query`, a user's DuckDB shell. Every step that opens
the warehouse therefore waits for the lock, logging at INFO every
LOCK_LOG_INTERVAL_SECONDS which process holds it, and gives up with that
process named after the lock timeout.
"""

from __future__ import annotations

import errno
import logging
import re
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

T = TypeVar("T")

LOCK_HELD = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
LOCK_LOG_INTERVAL_SECONDS = 10.0
LOCK_POLL_SECONDS = 0.5
NO_SPACE_MESSAGE = "no space left on device"

_log = logging.getLogger(__name__)


class WarehouseLocked(RuntimeError):
    """Another process kept the DuckDB file locked for longer than the lock timeout."""


class DiskFull(OSError):
    """A write failed because the disk is full: not the input file's fault, so the run stops."""

    def __init__(self, what: str, error: BaseException) -> None:
        super().__init__(errno.ENOSPC, f"{NO_SPACE_MESSAGE} while {what}: {first_line(error)}")

    def __str__(self) -> str:
        return str(self.strerror)


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def lock_holder(error: BaseException) -> str | None:
    """'PID 123 (/usr/bin/python3)' when `error` is DuckDB's lock conflict, else None."""
    match = LOCK_HELD.search(str(error))
    if not match:
        return None
    return f"PID {match['pid']} ({match['program']})"


def is_disk_full(error: BaseException) -> bool:
    """True for ENOSPC, and for DuckDB's IO errors that carry the OS's message."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(current).lower()
        if NO_SPACE_MESSAGE in text or "disk quota exceeded" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


def wait_while_locked(
    action: Callable[[], T],
    what: str,
    timeout_seconds: float,
    log: logging.Logger | None = None,
) -> T:
    """Run `action` (which opens or attaches `what`), retrying while another process locks it."""
    log = log or _log
    started = time.monotonic()
    last_logged: float | None = None
    while True:
        try:
            return action()
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            holder = lock_holder(error)
            if holder is None:
                raise
            waited = time.monotonic() - started
            if waited >= timeout_seconds:
                raise WarehouseLocked(
                    f"{what} is locked by {holder}: gave up after {waited:.0f} s "
                    "(stop that process, or raise HANDSHAKE_LOCK_TIMEOUT_SECONDS)"
                ) from error
            if last_logged is None or time.monotonic() - last_logged >= LOCK_LOG_INTERVAL_SECONDS:
                log.info(f"waiting for {what}: lock held by {holder}, waited {waited:.0f} s so far")
                last_logged = time.monotonic()
            time.sleep(LOCK_POLL_SECONDS)


def connect(
    database: str,
    *,
    read_only: bool = False,
    config: dict[str, str | int] | None = None,
    timeout_seconds: float,
    log: logging.Logger | None = None,
) -> duckdb.DuckDBPyConnection:
    """duckdb.connect that waits (and says so) while another process holds the file."""
    return wait_while_locked(
        lambda: duckdb.connect(database, read_only=read_only, config=dict(config or {})),
        f"the DuckDB file {database}",
        timeout_seconds,
        log,
    )
