"""Explicit DuckDB settings reach every connection that writes data."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.warehouse import warehouse_resource
from orchestration.publish import publish
from orchestration.settings import Settings


@pytest.fixture
def tuned_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HANDSHAKE_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("HANDSHAKE_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("HANDSHAKE_DUCKDB_THREADS", "1")
    monkeypatch.setenv("HANDSHAKE_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.setenv("HANDSHAKE_DBT_THREADS", "3")
    return Settings.from_env()


def test_the_spill_folder_defaults_to_beside_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSHAKE_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("HANDSHAKE_DUCKDB_TEMP_DIR", raising=False)
    monkeypatch.delenv("HANDSHAKE_DBT_THREADS", raising=False)
    settings = Settings.from_env()
    assert settings.duckdb_config()["temp_directory"] == str(tmp_path / "w.duckdb.tmp")
    assert settings.dbt_env()["HANDSHAKE_DBT_THREADS"] == "1"


def test_the_loader_connection_uses_the_configured_limits(tuned_settings: Settings) -> None:
    with warehouse_resource(tuned_settings).get_connection() as con:
        memory, threads, spill = con.execute(
            "select current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')"
        ).fetchone()
    assert memory.replace(" ", "") in ("1GB", "953.6MiB")
    assert threads == 1
    assert spill == str(tuned_settings.spill_dir)


def test_dbt_gets_the_same_settings(tuned_settings: Settings) -> None:
    env = tuned_settings.dbt_env()
    assert env["HANDSHAKE_DUCKDB_MEMORY_LIMIT"] == "1GB"
    assert env["HANDSHAKE_DUCKDB_THREADS"] == "1"
    assert env["HANDSHAKE_DUCKDB_TEMP_DIR"] == str(tuned_settings.spill_dir)
    assert env["HANDSHAKE_DBT_THREADS"] == "3"
    profile = (Path(__file__).parent.parent / "dbt_project" / "profiles.yml").read_text()
    for variable in env:
        if variable.startswith("HANDSHAKE_DUCKDB_") or variable == "HANDSHAKE_DBT_THREADS":
            assert f"env_var('{variable}'" in profile, f"profiles.yml ignores {variable}"


def test_publish_refuses_a_memory_limit_it_cannot_meet(tmp_path: Path) -> None:
    """The publish connection really takes the settings: an absurd one fails loudly."""
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(duckdb.Error):
        publish(warehouse, tmp_path / "publish", duckdb_config={"memory_limit": "not a size"})
