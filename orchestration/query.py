"""Run SQL read-only against the working warehouse or the published copy, and print the result.

    .venv/bin/python -m orchestration.query "select * from raw_meta.load_ledger limit 5"
    .venv/bin/python -m orchestration.query --published "select * from marts.publication_status"

The published copy is written for DuckDB 1.4 readers, so the DuckDB CLI that
`make setup` installs (`.venv/bin/duckdb -readonly data/publish/handshake.duckdb`)
opens it. The working warehouse is written by the DuckDB of the pipeline
(2.0), which that CLI cannot read: this command opens it with the pipeline's
own DuckDB. Several statements may be given; the last one's result is printed.
"""

from __future__ import annotations

import argparse
import csv
import sys

import duckdb

from orchestration.publish import published_database
from orchestration.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("sql", nargs="?", help="the SQL (read from standard input when left out)")
    parser.add_argument(
        "--published", action="store_true", help="query the published copy instead of the warehouse"
    )
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    database = published_database(settings.publish_dir) if args.published else settings.warehouse
    sql = args.sql if args.sql is not None else sys.stdin.read()
    with duckdb.connect(str(database), read_only=True) as con:
        result = con.sql(sql)
        if result is None:
            return
        if args.csv:
            writer = csv.writer(sys.stdout)
            writer.writerow(result.columns)
            writer.writerows(result.fetchall())
        else:
            result.show(max_width=200, max_rows=200)


if __name__ == "__main__":
    main()
