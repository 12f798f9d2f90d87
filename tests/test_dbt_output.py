"""A run's dbt output: every problem and the summary, a progress line per tenth, no per-node noise."""

from __future__ import annotations

import io
import sys

from orchestration.dbt_output import NodeLineFilter, without_node_lines

DBT_LINES = [
    "Running with dbt=1.11.16",
    "1 of 2 START hook: handshake.on-run-start.0 .... [RUN]",
    "1 of 2 OK hook: handshake.on-run-start.0 .... [OK in 0.02s]",
    "2 of 2 START hook: handshake.on-run-start.1 .... [RUN]",
    "2 of 2 OK hook: handshake.on-run-start.1 .... [OK in 0.02s]",
    *(
        line
        for n in range(1, 21)
        for line in (
            f"{n} of 20 START sql view model staging.stg_{n} .... [RUN]",
            f"{n} of 20 WARN 3 missing_fx_amounts .... [WARN 3 in 0.1s]"
            if n == 7
            else f"{n} of 20 FAIL 1 assert_money_reconciles .... [FAIL 1 in 0.1s]"
            if n == 12
            else f"{n} of 20 OK created sql view model staging.stg_{n} .... [OK in 0.1s]",
        )
    ),
    "Done. PASS=18 WARN=1 ERROR=1 SKIP=0 NO-OP=0 TOTAL=20",
]


def test_problems_and_the_summary_stay_and_node_lines_become_progress() -> None:
    out = io.StringIO()
    lines = NodeLineFilter(out)
    for line in DBT_LINES:
        lines.write(line[:10])  # written in pieces, as a stream may be
        lines.write(line[10:] + "\n")
    lines.flush()
    assert out.getvalue().splitlines() == [
        "Running with dbt=1.11.16",
        "dbt: 1 of 2 nodes done",
        "dbt: 2 of 2 nodes done",
        "dbt: 2 of 20 nodes done",
        "dbt: 4 of 20 nodes done",
        "dbt: 6 of 20 nodes done",
        "7 of 20 WARN 3 missing_fx_amounts .... [WARN 3 in 0.1s]",
        "dbt: 8 of 20 nodes done",
        "dbt: 10 of 20 nodes done",
        "12 of 20 FAIL 1 assert_money_reconciles .... [FAIL 1 in 0.1s]",
        "dbt: 14 of 20 nodes done",
        "dbt: 16 of 20 nodes done",
        "dbt: 18 of 20 nodes done",
        "dbt: 20 of 20 nodes done",
        "Done. PASS=18 WARN=1 ERROR=1 SKIP=0 NO-OP=0 TOTAL=20",
    ]


def test_only_what_the_dbt_iterator_prints_is_filtered(capsys) -> None:
    def dbt_events():
        for n in (1, 2):
            print(f"{n} of 2 START seed file seeds.s{n} .... [RUN]")
            print(f"{n} of 2 OK loaded seed file seeds.s{n} .... [INSERT 3 in 0.1s]")
            yield n

    seen = []
    for event in without_node_lines(dbt_events()):
        print(f"1 of 1 OK the caller's own line for event {event}")  # not dbt's: untouched
        seen.append(event)
    assert seen == [1, 2]
    assert capsys.readouterr().out.splitlines() == [
        "dbt: 1 of 2 nodes done",
        "1 of 1 OK the caller's own line for event 1",
        "dbt: 2 of 2 nodes done",
        "1 of 1 OK the caller's own line for event 2",
    ]
    assert sys.stdout is sys.__stdout__ or not isinstance(sys.stdout, NodeLineFilter)
