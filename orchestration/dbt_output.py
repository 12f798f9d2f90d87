"""dbt's console output in a run: the problems and a progress line, not a line per node.

dagster-dbt writes every dbt event to the step's standard output: for a build
of about 600 nodes that is 1,200 lines of START and OK/PASS. A run keeps what
a person must read (every warning, failure, error and skip, dbt's summary)
plus a progress line at every tenth of the nodes. Everything else is still in
dbt's own log (target/logs/dbt.log), in run_results.json and, per asset and
check, in Dagster's event log.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from typing import TextIO, TypeVar

# "12 of 598 START test not_null_...", "12 of 598 PASS ...", "7 of 598 WARN 3 ..."
NODE_LINE = re.compile(r"^\s*(\d+) of (\d+) ([A-Z-]+)\b")
# A node started or succeeded: left out (the others, WARN, FAIL, ERROR, SKIP, stay).
QUIET_STATUSES = {"START", "OK", "PASS", "NO-OP"}
PROGRESS_STEPS = 10

T = TypeVar("T")


class NodeLineFilter:
    """A text stream that passes everything but per-node START and success lines."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = ""
        self._total = 0  # the count of the sequence being run (hooks, then nodes)
        self._reported = 0

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        node = NODE_LINE.match(line)
        if node is None:
            self.stream.write(line + "\n")
            return
        done, total, status = int(node[1]), int(node[2]), node[3]
        if total != self._total:
            self._total, self._reported = total, 0
        if status == "START":
            return
        step = max(1, total // PROGRESS_STEPS)
        if status not in QUIET_STATUSES:
            self.stream.write(line + "\n")
        elif done // step > self._reported or done == total:
            self.stream.write(f"dbt: {done} of {total} nodes done\n")
        self._reported = max(self._reported, done // step)

    def flush(self) -> None:
        if self._pending:
            self._line(self._pending)
            self._pending = ""
        self.stream.flush()


def without_node_lines(events: Iterator[T]) -> Iterator[T]:
    """The events of `events`, with dbt's per-node lines filtered while each is produced.

    Standard output is redirected only while the dbt iterator runs, never while
    the caller holds an event, so nothing else's output is filtered.
    """
    output = NodeLineFilter(sys.stdout)
    while True:
        with contextlib.redirect_stdout(output):  # type: ignore[type-var]
            try:
                event = next(events)
            except StopIteration:
                output.flush()
                return
            finally:
                output.flush()
        yield event
