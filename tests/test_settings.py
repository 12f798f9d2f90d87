"""One source of settings: the environment at load, the Dagster resource in a run; DuckDB limits."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from orchestration.defs.warehouse import HandshakeResource
from orchestration.publish import publish
from orchestration.settings import DEFAULTS, REPO_ROOT, Settings


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
    root = REPO_ROOT / "dbt_project"
    profile = (root / "profiles.yml").read_text()
    for variable in dbt_vars:
        if variable.startswith("handshake_"):
            # the run's value first, the environment for direct dbt use
            assert f"var('{variable}', env_var('{variable.upper()}'" in profile, (
                f"profiles.yml ignores {variable}"
            )
    assert "reporting_currency:" in (root / "dbt_project.yml").read_text()


def test_every_dbt_var_a_setting_gives_comes_from_the_run(tmp_path: Path) -> None:
    """dbt_project.yml's vars that read a HANDSHAKE_* variable are the run's --vars.

    The plausible window was read by dbt from the process environment only: a
    run configured with another window (or a variable set but empty, which the
    loader reads as the default) loaded dates the calendar did not cover.
    """
    import re

    project = (REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text()
    from_environment = dict(
        re.findall(r"^  (\w+): \"\{\{ env_var\('(HANDSHAKE_\w+)'", project, flags=re.MULTILINE)
    )
    assert {"reporting_currency", "plausible_date_from", "plausible_years_ahead"} <= set(
        from_environment
    )
    run = Settings.from_values(
        {
            "plausible_date_from": "1980-07-01",
            "plausible_years_ahead": "3",
            "reporting_currency": "usd",
        }
    )
    dbt_vars = run.dbt_vars()
    assert {name: dbt_vars.get(name) for name in from_environment} == {
        "reporting_currency": "USD",
        "plausible_date_from": "1980-07-01",
        "plausible_years_ahead": 3,
    }
    for name, variable in from_environment.items():
        assert DEFAULTS[name][0] == variable


def test_every_setting_is_one_field_of_the_resource_with_one_variable() -> None:
    settings_fields = [field.name for field in dataclasses.fields(Settings)]
    assert settings_fields == list(DEFAULTS)
    assert list(HandshakeResource.model_fields) == settings_fields
    for name, (variable, _) in DEFAULTS.items():
        assert HandshakeResource.model_fields[name].description == variable
    readme_or_docs = "\n".join(
        path.read_text() for path in [REPO_ROOT / "README.md", *(REPO_ROOT / "docs").glob("*.md")]
    )
    undocumented = [v for v, _ in DEFAULTS.values() if f"`{v}`" not in readme_or_docs]
    assert not undocumented, f"settings without a line in the settings table: {undocumented}"


def test_the_settings_resource_is_the_one_source_of_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative paths resolve from the repository root; a run's config overrides the environment.

    Derived defaults (publish folder, spill folder, KPI history beside the
    warehouse) follow the run's warehouse, not the one the location loaded with.
    """
    monkeypatch.setenv("HANDSHAKE_WAREHOUSE", "data/x.duckdb")
    monkeypatch.delenv("HANDSHAKE_PUBLISH_DIR", raising=False)
    monkeypatch.delenv("HANDSHAKE_KPI_HISTORY", raising=False)
    monkeypatch.delenv("HANDSHAKE_DUCKDB_TEMP_DIR", raising=False)
    monkeypatch.setenv("HANDSHAKE_CLOSE_DAY", "9")
    resource = HandshakeResource.from_env()
    assert resource.settings.warehouse == REPO_ROOT / "data" / "x.duckdb"
    assert resource.settings.publish_dir == REPO_ROOT / "data" / "publish"
    assert resource.settings.close_day == 9

    run = HandshakeResource(**{**resource.model_dump(), "warehouse": str(tmp_path / "y.duckdb")})
    assert run.settings.warehouse == tmp_path / "y.duckdb"
    assert run.settings.publish_dir == tmp_path / "publish"
    assert run.settings.kpi_history == tmp_path / "kpi_history.duckdb"
    assert run.settings.duckdb_temp_dir == tmp_path / "y.duckdb.tmp"
    assert run.settings.close_day == 9
    assert run.settings.dbt_vars()["handshake_warehouse"] == str(tmp_path / "y.duckdb")
    # settings -> resource -> settings is the identity
    assert HandshakeResource.from_settings(run.settings).settings == run.settings


def test_the_sample_generator_and_a_run_take_the_same_company_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """data/landing a symbolic link to a share: the generator wrote the sample targets beside
    the link's target (share/company), the refresh read data/company (no targets); likewise
    for the relative --landing-dir data/landing that docs/operations.md runs it with."""
    from orchestration.company_settings import company_dir_for

    (tmp_path / "share" / "landing").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    landing = tmp_path / "data" / "landing"
    landing.symlink_to(tmp_path / "share" / "landing")
    run = Settings.from_values({"landing_dir": str(landing)})
    assert run.company_dir == tmp_path / "data" / "company"
    assert company_dir_for(landing) == run.company_dir
    monkeypatch.chdir(tmp_path)
    assert company_dir_for(Path("data/landing")) == run.company_dir
    # the same folder given relative to the repository root (it took share/company)
    relative = os.path.relpath(landing, REPO_ROOT)
    assert Settings.from_values({"landing_dir": relative}).company_dir == run.company_dir


def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDSHAKE_FALLBACK_ENCODING", "klingon-8")
    with pytest.raises(ValueError, match="HANDSHAKE_FALLBACK_ENCODING='klingon-8'"):
        Settings.from_env()
    with pytest.raises(ValueError, match="unknown settings: warehous"):
        Settings.from_values({"warehous": "x.duckdb"})
    # a close day outside the month fails when the run starts, not after its build
    for day in ("0", "32", "5th"):
        with pytest.raises(ValueError, match=f"HANDSHAKE_CLOSE_DAY='{day}' is not a day"):
            Settings.from_values({"close_day": day})
    assert Settings.from_values({"close_day": " 31 "}).close_day == 31
    # every other typed setting names its variable too ('invalid literal for int()
    # with base 10' named none), and a flag that is no yes or no is not silently off
    for name, value, expected in (
        ("duckdb_threads", "two", "HANDSHAKE_DUCKDB_THREADS='two' is not a whole number"),
        ("dbt_threads", "1.5", "HANDSHAKE_DBT_THREADS='1.5' is not a whole number"),
        ("lock_timeout_seconds", "1h", "HANDSHAKE_LOCK_TIMEOUT_SECONDS='1h' is not a number"),
        (
            "plausible_date_from",
            "01.01.1990",
            "HANDSHAKE_PLAUSIBLE_DATE_FROM='01.01.1990' is not a date",
        ),
        ("plausible_years_ahead", "ten", "HANDSHAKE_PLAUSIBLE_YEARS_AHEAD='ten' is not a whole"),
        ("publish_parquet", "parquet", "HANDSHAKE_PUBLISH_PARQUET='parquet' is not 1/true"),
    ):
        with pytest.raises(ValueError) as error:
            Settings.from_values({name: value})
        assert str(error.value).startswith(expected)
    assert Settings.from_values({"publish_parquet": " Yes"}).publish_parquet is True
    assert Settings.from_values({"publish_parquet": "OFF"}).publish_parquet is False
    assert Settings.from_values({"lock_timeout_seconds": "90"}).lock_timeout_seconds == 90.0


def test_publish_refuses_a_memory_limit_it_cannot_meet(tmp_path: Path) -> None:
    """The publish connection really takes the settings: an absurd one fails loudly."""
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(duckdb.Error):
        publish(warehouse, tmp_path / "publish", duckdb_config={"memory_limit": "not a size"})


def test_duckdb_limits_are_set_once_when_dbt_opens_the_warehouse(tmp_path: Path) -> None:
    """dbt-duckdb runs `settings` on every cursor it opens, `config_options` once, at connect.

    Once a query has spilled, DuckDB refuses any later `SET temp_directory`,
    even to the same folder (shown here), so a build that spilled failed at its
    next cursor (seen at generator scale 50): the limits must be connect-time
    options.
    """
    import duckdb
    import yaml

    duckdb_target = yaml.safe_load((REPO_ROOT / "dbt_project" / "profiles.yml").read_text())[
        "handshake"
    ]["outputs"]["duckdb"]
    assert {"memory_limit", "threads", "temp_directory"} <= set(duckdb_target["config_options"])
    assert not {"memory_limit", "threads", "temp_directory"} & set(duckdb_target["settings"])

    spill = tmp_path / "spill"
    con = duckdb.connect(
        str(tmp_path / "w.duckdb"),
        config={"memory_limit": "64MB", "threads": "1", "temp_directory": str(spill)},
    )
    con.execute(
        "select count(*) from (select md5(range::varchar) s from range(3000000) order by s)"
    )
    assert spill.exists()  # the sort spilled
    with pytest.raises(duckdb.Error, match="temporary directory"):
        con.cursor().execute(f"set temp_directory = '{spill}'")
    con.close()
