"""DuckDB and Spark compute the same agreed KPIs from the same raw data.

The sample warehouse (sample extracts loaded and built with DuckDB by the
session fixture) is handed to Spark the way a scale-out deployment gets it:
its raw tables exported as Parquet (orchestration.spark_export), then one
`dbt build --target spark` of the seeds and models the two KPI tables need
(the data tests ran on DuckDB already; one dbt call starts the JVM once).
Spark runs in the dbt process (dbt-spark's session method) with its
metastore, tables and scratch files under a temporary HANDSHAKE_SPARK_HOME.

Every column of marts.kpi_company_monthly and marts.kpi_account_monthly must
agree: the same rows by key, each value within 1e-9 relative, NULL where the
other engine has NULL.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from orchestration.spark_export import export_raw_tables
from tests.pipeline import run_dbt

pytestmark = pytest.mark.slow

KPI_TABLE_KEYS = {
    "kpi_company_monthly": ("month", "kpi_code"),
    "kpi_account_monthly": ("month", "account_key", "kpi_code"),
}
SPARK_BUILD = [
    "build",
    "--target",
    "spark",
    "--select",
    *(f"+{table}" for table in KPI_TABLE_KEYS),
    "--resource-type",
    "seed",
    "--resource-type",
    "model",
]

Rows = dict[tuple, tuple]


def same_value(duckdb_value: object, spark_value: object) -> bool:
    """Doubles within 1e-9 (relative, or absolute near 0); anything else, NULL included, equal."""
    if isinstance(duckdb_value, float) and isinstance(spark_value, float):
        return math.isclose(duckdb_value, spark_value, rel_tol=1e-9, abs_tol=1e-9)
    return duckdb_value == spark_value


def column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]


def rows_by_key(con: duckdb.DuckDBPyConnection, relation: str, keys: tuple[str, ...]) -> Rows:
    """{key columns: other columns} of a relation; a key seen twice fails the test."""
    result = con.execute(f"select * from {relation} order by {', '.join(keys)}")
    columns = [d[0] for d in result.description]
    key_positions = [columns.index(key) for key in keys]
    rows: Rows = {}
    for row in result.fetchall():
        key = tuple(row[i] for i in key_positions)
        assert key not in rows, f"{relation}: duplicate key {key}"
        rows[key] = tuple(value for i, value in enumerate(row) if i not in key_positions)
    return rows


@pytest.fixture(scope="module")
def spark_home(tmp_path_factory: pytest.TempPathFactory, sample_warehouse: Path) -> Path:
    """The sample's raw tables exported as Parquet and built into KPI tables by Spark."""
    home = tmp_path_factory.mktemp("spark_home")
    exported = export_raw_tables(sample_warehouse, home / "raw")
    assert sum(table.rows for table in exported) > 0
    run_dbt(
        SPARK_BUILD,
        sample_warehouse,
        target_path=home.parent / f"{home.name}_target",
        HANDSHAKE_SPARK_HOME=str(home),
        HANDSHAKE_SPARK_RAW_DIR=str(home / "raw"),
    )
    return home


@pytest.mark.parametrize("table", list(KPI_TABLE_KEYS))
def test_kpi_tables_are_the_same_on_duckdb_and_spark(
    table: str, sample_warehouse: Path, spark_home: Path
) -> None:
    keys = KPI_TABLE_KEYS[table]
    # Spark keeps a managed table as Parquet files under
    # <warehouse dir>/<schema>.db/<table>/: DuckDB reads them, no second JVM.
    spark_files = spark_home / "warehouse" / "marts.db" / table / "*.parquet"
    with duckdb.connect() as con:
        con.execute(f"attach '{sample_warehouse}' as duck (read_only)")
        duck_relation, spark_relation = f"duck.marts.{table}", f"read_parquet('{spark_files}')"
        duck_columns = column_names(con, duck_relation)
        assert column_names(con, spark_relation) == duck_columns
        on_duckdb = rows_by_key(con, duck_relation, keys)
        on_spark = rows_by_key(con, spark_relation, keys)

    assert on_duckdb, f"{table} is empty on DuckDB: the sample built nothing to compare"
    assert on_spark.keys() == on_duckdb.keys(), (
        f"{table}: rows only on DuckDB {sorted(on_duckdb.keys() - on_spark.keys())[:5]}, "
        f"only on Spark {sorted(on_spark.keys() - on_duckdb.keys())[:5]}"
    )
    value_columns = [c for c in duck_columns if c not in keys]
    differences = [
        f"{key} {column}: DuckDB {duck_value!r}, Spark {spark_value!r}"
        for key, duck_row in on_duckdb.items()
        for column, duck_value, spark_value in zip(
            value_columns, duck_row, on_spark[key], strict=True
        )
        if not same_value(duck_value, spark_value)
    ]
    assert not differences, f"{table}: {len(differences)} values differ:\n" + "\n".join(
        differences[:20]
    )
