"""Explicit DuckDB settings reach every connection that writes data."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.warehouse import HandshakeResource
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
    assert settings.dbt_vars()["handshake_dbt_threads"] == 1


def test_the_loader_connection_uses_the_configured_limits(tuned_settings: Settings) -> None:
    with HandshakeResource.from_settings(tuned_settings).get_connection() as con:
        memory, threads, spill = con.execute(
            "select current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')"
        ).fetchone()
    assert memory.replace(" ", "") in ("1GB", "953.6MiB")
    assert threads == 1
    assert spill == str(tuned_settings.duckdb_temp_dir)


def test_dbt_gets_the_same_settings(tuned_settings: Settings) -> None:
    dbt_vars = tuned_settings.dbt_vars()
    assert dbt_vars["handshake_duckdb_memory_limit"] == "1GB"
    assert dbt_vars["handshake_duckdb_threads"] == 1
    assert dbt_vars["handshake_duckdb_temp_dir"] == str(tuned_settings.duckdb_temp_dir)
    assert dbt_vars["handshake_dbt_threads"] == 3
    assert dbt_vars["handshake_warehouse"] == str(tuned_settings.warehouse)
    root = Path(__file__).parent.parent / "dbt_project"
    profile = (root / "profiles.yml").read_text()
    for variable in dbt_vars:
        if variable.startswith("handshake_"):
            # The run's value first, the environment for direct dbt use.
            env_name = variable.upper()
            assert f"var('{variable}', env_var('{env_name}'" in profile, (
                f"profiles.yml ignores {variable}"
            )
    assert "reporting_currency:" in (root / "dbt_project.yml").read_text()


def test_the_settings_resource_is_the_one_source_of_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative paths resolve from the repository root; run config overrides the environment."""
    monkeypatch.setenv("HANDSHAKE_WAREHOUSE", "data/x.duckdb")
    resource = HandshakeResource.from_env()
    root = Path(__file__).parent.parent
    assert resource.settings.warehouse == root / "data" / "x.duckdb"
    assert resource.settings.publish_dir == root / "data" / "publish"
    configured = HandshakeResource(**{**resource.settings.as_values(), "warehouse": "y.duckdb"})
    assert configured.settings.warehouse == root / "y.duckdb"
    assert configured.settings.dbt_vars()["handshake_warehouse"] == str(root / "y.duckdb")


def test_publish_refuses_a_memory_limit_it_cannot_meet(tmp_path: Path) -> None:
    """The publish connection really takes the settings: an absurd one fails loudly."""
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(duckdb.Error):
        publish(warehouse, tmp_path / "publish", duckdb_config={"memory_limit": "not a size"})
