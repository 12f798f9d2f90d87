"""The temporary DuckDB database the sample generator builds a company in, and how it writes files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.sql_text import sql_literal

MEMORY_LIMIT = "1GB"  # DuckDB spills to the temporary directory beyond this


@dataclass
class Summary:
    """What a run wrote: (relative path, rows) per file, and how long it took."""

    landing_dir: Path
    files: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self.files)


def connect_workspace(workdir: Path, quiet: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB database in `workdir` with bounded memory (it spills beyond the limit)."""
    con = duckdb.connect(str(workdir / "sample.duckdb"))
    if quiet:  # DuckDB's own progress bar too
        con.execute("set enable_progress_bar = false")
    con.execute(f"set memory_limit = {sql_literal(MEMORY_LIMIT)}")
    con.execute(f"set temp_directory = {sql_literal(str(workdir / 'spill'))}")
    con.execute("set preserve_insertion_order = true")
    return con


def copy_options(fmt: str) -> str:
    """COPY options of an extract file in the landing layout's format (csv or parquet)."""
    if fmt == "parquet":
        return "(FORMAT parquet, COMPRESSION zstd)"
    return "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"', NULLSTR '')"
