"""The Dagster code location: definitions, the refresh job end to end, the sensor, concurrency."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from orchestration.extracts.contract import OBJECTS
from orchestration.settings import DBT_PROJECT_DIR
from tests.pipeline import (
    execute_refresh,
    finish,
    load_landing,
    small_landing,
    start_published_reader,
    write,
)

# --------------------------------------------------------------------------- definitions


def test_definitions_name_one_graph_from_file_to_model(dbt_manifest: None) -> None:
    from orchestration.definitions import defs as load_defs

    defs = load_defs()
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.tags["handshake/writes_warehouse"] == "true"
    assert defs.resolve_sensor_def("new_drop_sensor").job_name == "refresh_warehouse"
    assert defs.resolve_schedule_def("daily_refresh").cron_schedule == "0 6 * * *"

    specs = {spec.key for spec in defs.resolve_all_asset_specs()}
    raw_keys = {dg.AssetKey([o.raw_schema, o.raw_table]) for o in OBJECTS}
    assert raw_keys <= specs
    # dbt's sources resolve to the loader's assets, so lineage is one graph.
    staging = next(
        s for s in defs.resolve_all_asset_specs() if s.key.path[-1] == "stg_crm__accounts"
    )
    assert dg.AssetKey(["raw_crm", "account"]) in {dep.asset_key for dep in staging.deps}
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"no_refused_files", "rejected_row_rate", "row_count_vs_previous_drop"} <= checks
    assert any(name.startswith("unique_") for name in checks), "dbt tests surface as checks"

    # The publish step runs after the missing-FX check (a warning, which blocks
    # nothing), so that the published run status can name it when it fails.
    upstream = {
        output.node_name
        for outputs in job.graph.dependency_structure.input_to_upstream_outputs_for_node(
            "publish__published_marts"
        ).values()
        for output in outputs
    }
    assert "marts__fct_missing_fx_monthly_missing_fx_amounts" in upstream


def test_dbt_sources_are_generated_from_the_contract() -> None:
    from orchestration.extracts.dbt_sources import rendered_files

    for path, text in rendered_files().items():
        assert path.read_text() == text, (
            f"{path} drifted from the contract: run python -m orchestration.extracts.dbt_sources"
        )
    crm = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/crm/_crm__sources.yml").read_text())
    tables = {t["meta"]["contract_object"]: t for t in crm["sources"][0]["tables"]}
    account = next(o for o in OBJECTS if o.name == "Account")
    assert [c["name"] for c in tables["Account"]["columns"]][: len(account.columns)] == list(
        account.column_names
    )


def test_raw_tables_match_the_dbt_sources(tmp_path: Path) -> None:
    from orchestration.extracts.raw_tables import ensure_tables

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ensure_tables(con)
        for system in ("crm", "erp"):
            doc = yaml.safe_load(
                (DBT_PROJECT_DIR / f"models/staging/{system}/_{system}__sources.yml").read_text()
            )
            for table in doc["sources"][0]["tables"]:
                actual = con.execute(
                    "select column_name, lower(data_type) from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [f"raw_{system}", table["name"]],
                ).fetchall()
                declared = [(c["name"], c["data_type"].replace(" ", "")) for c in table["columns"]]
                assert [(n, t.replace(" ", "")) for n, t in actual] == declared


def test_the_raw_layer_is_exported_for_spark_by_a_job_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dbt_manifest: None
) -> None:
    from orchestration.definitions import defs as load_defs

    # The environment names other files: the run's config decides.
    monkeypatch.setenv("HANDSHAKE_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    monkeypatch.setenv("HANDSHAKE_SPARK_RAW_DIR", str(tmp_path / "elsewhere"))
    defs = load_defs()
    spark_asset = dg.AssetKey(["spark", "raw_parquet"])
    export = defs.resolve_job_def("export_raw_for_spark")
    assert export.asset_layer.selected_asset_keys == {spark_asset}
    assert (
        spark_asset not in defs.resolve_job_def("refresh_warehouse").asset_layer.selected_asset_keys
    )

    landing, warehouse, raw_dir = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "raw"
    small_landing(landing)
    load_landing(landing, warehouse)
    run_config = {
        "resources": {
            "handshake": {"config": {"warehouse": str(warehouse), "spark_raw_dir": str(raw_dir)}}
        }
    }
    result = export.execute_in_process(
        run_config=run_config, instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    assert not (tmp_path / "elsewhere").exists()
    assert not (tmp_path / "elsewhere.duckdb").exists()
    with duckdb.connect() as con:
        accounts = con.execute(
            f"select Id, Name from read_parquet('{raw_dir}/raw_crm/account/*.parquet') order by _drop_id"
        ).fetchall()
        ledger_rows = con.execute(
            f"select count(*) from read_parquet('{raw_dir}/raw_meta/load_ledger/*.parquet')"
        ).fetchone()
    assert accounts == [("A1", "Acme"), ("A1", "Acme Renamed")]  # every version, as loaded
    assert ledger_rows == (9,)


# --------------------------------------------------------------------------- sensor


def _ticks(cursor: str | None, count: int) -> tuple[list[dg.RunRequest], str | None]:
    """Evaluate new_drop_sensor `count` times in a row, as the daemon does; its run requests."""
    from orchestration.defs.automation import new_drop_sensor
    from orchestration.defs.warehouse import HandshakeResource

    resources = {"handshake": HandshakeResource.from_env()}
    requests: list[dg.RunRequest] = []
    for _ in range(count):
        result = new_drop_sensor(dg.build_sensor_context(cursor=cursor, resources=resources))
        requests += result.run_requests or []
        cursor = result.cursor
    return requests, cursor


def test_new_drop_sensor_reacts_to_new_and_changed_files_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.defs.automation import new_drop_sensor
    from orchestration.defs.warehouse import HandshakeResource

    landing = tmp_path / "landing"
    monkeypatch.setenv("HANDSHAKE_LANDING_DIR", str(landing))
    requests, cursor = _ticks(None, 2)
    assert requests == []
    # a landing folder that is not there is said so ('no new or changed file' said nothing)
    result = new_drop_sensor(
        dg.build_sensor_context(
            cursor=cursor, resources={"handshake": HandshakeResource.from_env()}
        )
    )
    assert result.skip_reason.skip_message == (
        f"the landing folder {landing} does not exist or is no folder "
        "(is HANDSHAKE_LANDING_DIR right? Is its share mounted?)"
    )
    assert result.cursor == cursor

    write(landing, "crm/2025-01-31/Account.csv", "Id,Name\nA1,Acme\n")
    # a drop still being copied waits one tick; then one run, and only one
    requests, cursor = _ticks(cursor, 1)
    assert requests == []
    requests, cursor = _ticks(cursor, 3)
    assert len(requests) == 1
    assert json.loads(requests[0].tags["handshake/new_drops"]) == ["crm/2025-01-31"]
    first_key = requests[0].run_key

    # a file copied into the existing drop folder afterwards starts a run
    write(landing, "crm/2025-01-31/Opportunity.csv", "Id\nO1\n")
    requests, cursor = _ticks(cursor, 3)
    assert len(requests) == 1 and requests[0].run_key != first_key
    # so does a file rewritten in place; a hidden temporary file does not
    write(landing, "crm/2025-01-31/Account.csv", "Id,Name\nA1,Acme\nA2,Beta\n")
    write(landing, "crm/2025-01-31/.Account.csv.part", "Id")
    requests, cursor = _ticks(cursor, 3)
    assert len(requests) == 1

    # a folder name with a trailing newline and odd characters: one run, not one per tick
    odd = "erp/2025-02-28\n; drop table x;--"
    write(landing, f"{odd}/customers.csv", "customer_number\nC1\n")
    requests, cursor = _ticks(cursor, 5)
    assert len(requests) == 1
    assert json.loads(requests[0].tags["handshake/new_drops"]) == [odd]


def test_the_daily_schedule_is_on_by_default(dbt_manifest: None) -> None:
    from orchestration.definitions import defs as load_defs

    schedule = load_defs().resolve_schedule_def("daily_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.execution_timezone == "UTC"


# --------------------------------------------------------------------------- end to end


def _pool_step_intervals(instance: dg.DagsterInstance) -> list[tuple[float, float, str]]:
    """(start, end, run/step) of every step of every run; all of them write the warehouse."""
    intervals = []
    for record in instance.get_run_records():
        run_id = record.dagster_run.run_id
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS, run_id
        events = instance.all_logs(run_id)
        starts = {
            e.step_key: e.timestamp
            for e in events
            if e.dagster_event_type == dg.DagsterEventType.STEP_START
        }
        ends = {
            e.step_key: e.timestamp
            for e in events
            if e.dagster_event_type == dg.DagsterEventType.STEP_SUCCESS
        }
        intervals += [(starts[step], ends[step], f"{run_id[:8]}/{step}") for step in starts]
    return sorted(intervals)


@pytest.mark.slow
def test_two_refreshes_at_once_wait_their_turn_and_the_second_loads_nothing_new(
    refresh_env: dict[str, str], tmp_path: Path
) -> None:
    """Two runs started together: one waits for the warehouse; refusals do not stop either.

    The first run to get the warehouse loads every good file, refuses the bad
    ones and builds everything else; the second is a rerun that finds nothing
    new. A BI reader queries the published copy from the first publication
    on, through the second run's publish, and never fails.
    """
    published = Path(refresh_env["HANDSHAKE_WAREHOUSE"]).parent / "publish" / "handshake.duckdb"
    stop = tmp_path / "stop-reader"
    reader = start_published_reader(published, stop)
    try:
        first, second = execute_refresh(refresh_env), execute_refresh(refresh_env)
        outputs = [finish(first), finish(second)]
    finally:
        stop.touch()
        read, _ = reader.communicate(timeout=60)
    summary = read.strip().splitlines()[-1]
    assert "errors=0" in summary and "versions=2" in summary, read
    assert int(summary.split()[0].split("=")[1]) > 20, read
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.publication_status").fetchone() == (1,)
        # the refused files of the landing folder are refused again, and say so
        assert con.execute("select files_refused from marts.publication_status").fetchone() == (2,)
        # and the checks they failed, with the other failed checks of the run
        failed_checks = con.execute("select failed_checks from marts.publication_status").fetchone()
        assert "ERROR raw_erp/fx_rates no_refused_files: refused=" in failed_checks[0]
        assert "ERROR raw_meta/load_ledger no_unknown_files" in failed_checks[0]
    assert any("blocked by limit for pool duckdb_warehouse" in out for out in outputs)
    # the waiting run says at INFO which run holds the slot
    assert any("waits for the duckdb_warehouse slot held by run" in out for out in outputs)

    instance = dg.DagsterInstance.from_config(refresh_env["DAGSTER_HOME"])
    intervals = _pool_step_intervals(instance)
    # load, company settings, dbt build, KPI history, the missing-FX check and publish, twice
    steps = sorted(step.split("/", 1)[1] for _, _, step in intervals)
    assert steps == sorted(
        2
        * [
            "load_landing_extracts",
            "load_company_settings",
            "handshake_dbt_models",
            "history__kpi_reported_values",
            "marts__fct_missing_fx_monthly_missing_fx_amounts",
            "publish__published_marts",
        ]
    )
    for (_, end, step), (next_start, _, next_step) in itertools.pairwise(intervals):
        assert end <= next_start, f"{step} and {next_step} wrote the warehouse at the same time"

    # Each dbt build runs in a target folder of its own; the second one (same
    # settings) starts from the partial-parse state the first left and parses
    # no file again (orchestration/defs/dbt.py run_target_path).
    dbt_steps = [step for _, _, step in intervals if step.endswith("/handshake_dbt_models")]
    second_run = dbt_steps[1].split("/")[0]
    (second_target,) = (DBT_PROJECT_DIR / "target").glob(f"handshake_dbt_models-{second_run}-*")
    # dbt.log rolls over at 10 MB: the parse is logged at the start, in the oldest file
    second_parse = "".join(log.read_text() for log in second_target.glob("dbt.log*"))
    assert "Partial parsing enabled" in second_parse
    assert "Unable to do partial parsing" not in second_parse

    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [
            dg.AssetCheckKey(dg.AssetKey(["raw_erp", "fx_rates"]), "no_refused_files"),
            dg.AssetCheckKey(dg.AssetKey(["raw_crm", "account"]), "no_refused_files"),
            dg.AssetCheckKey(dg.AssetKey(["raw_meta", "load_ledger"]), "no_unknown_files"),
        ]
    )
    status = {key.asset_key.path[-1]: record.status.value for key, record in latest.items()}
    assert status == {"fx_rates": "FAILED", "account": "SUCCEEDED", "load_ledger": "FAILED"}

    # Every dbt test is a check of an asset (source tests too), none a bare observation.
    assert not any("Logging an AssetObservation instead" in out for out in outputs)
    # The summary `make demo` prints lists every failed check of the last run.
    from orchestration.summary import check_lines

    lines = check_lines(instance)
    failed = [line.split(":")[0].split() for line in lines[1:]]
    assert ["ERROR", "raw_erp/fx_rates", "no_refused_files"] in failed
    assert ["ERROR", "raw_meta/load_ledger", "no_unknown_files"] in failed
    assert lines[0].endswith(f"passed, {len(failed)} failed:")
    assert "missing required column(s) rate_to_eur" in "\n".join(lines)
    instance.dispose()

    with duckdb.connect(refresh_env["HANDSHAKE_WAREHOUSE"], read_only=True) as con:
        ledger = con.execute(
            "select file_path, list(status order by started_at) from raw_meta.load_ledger "
            "group by 1 order by 1"
        ).fetchall()
        assert ledger == [
            ("crm/2025-01-31/Account.csv", ["loaded", "skipped_duplicate"]),
            ("crm/2025-01-31/Opportunity.csv", ["loaded", "skipped_duplicate"]),
            ("crm/2025-02-28/Account.csv", ["loaded", "skipped_duplicate"]),
            ("erp/2025-01-31/customers.csv", ["loaded", "skipped_duplicate"]),
            ("erp/2025-01-31/fx_rates.csv", ["loaded", "skipped_duplicate"]),
            ("erp/2025-01-31/invoice_lines.csv", ["loaded", "skipped_duplicate"]),
            ("erp/2025-01-31/invoices.csv", ["loaded", "skipped_duplicate"]),
            ("erp/2025-02-28/budget.csv", ["refused", "refused"]),
            ("erp/2025-02-28/fx_rates.csv", ["refused", "refused"]),
        ]
        assert con.execute("select reason, line_number from raw_meta.load_rejects").fetchall() == [
            ("invalid_type", 3)
        ]
        assert con.execute("select count(*) from raw_crm.account").fetchone() == (2,)
        # dbt ran after the refusal: staging shows the latest version by drop order.
        assert con.execute(
            "select account_id, account_name from staging.stg_crm__accounts"
        ).fetchall() == [("A1", "Acme Renamed")]


def test_a_failed_dbt_build_names_what_failed_and_where_to_read_more(tmp_path: Path) -> None:
    """The run's failure (and so the summary) said only 'dbt build failed: an error-severity
    test or a model failed': a model that errored is no failed check, so nothing named it."""
    from orchestration.defs.dbt import dbt_failure_description

    log = tmp_path / "dbt.log"
    results = {
        "results": [
            {"unique_id": "model.handshake.stg_a", "status": "success", "message": "OK"},
            {
                "unique_id": "model.handshake.fct_b",
                "status": "error",
                "message": "Runtime Error in model fct_b\n  Conversion Error: 'x'",
            },
            {"unique_id": "test.handshake.assert_c", "status": "fail", "message": "Got 3 results"},
            {"unique_id": "test.handshake.assert_d", "status": "warn", "message": "Got 1 result"},
            {"unique_id": "model.handshake.fct_e", "status": "skipped", "message": None},
        ]
    }
    assert dbt_failure_description(results, log) == (
        "dbt build failed, nothing published: model.handshake.fct_b (error: Runtime Error in "
        "model fct_b Conversion Error: 'x'); test.handshake.assert_c (fail: Got 3 results). "
        f"Every node's line is in {log}; fix the data or the model, then run the refresh again."
    )
    many = {"results": [{"unique_id": f"test.t{i}", "status": "fail"} for i in range(7)]}
    assert "test.t4 (fail: ); and 2 more." in dbt_failure_description(many, log)
    assert dbt_failure_description({}, log).startswith(
        "dbt build failed, nothing published: an error-severity test or a model failed."
    )


@pytest.mark.slow
def test_a_failing_dbt_test_stops_the_publication(
    tmp_path: Path, dbt_manifest: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error-severity dbt test failure fails the dbt step, so nothing is published.

    The warehouse and publish folder are set in the settings resource only:
    the process environment points elsewhere, and dbt must follow the resource.
    """
    from orchestration.defs.dbt import dbt_project, dbt_resource, handshake_dbt_assets
    from orchestration.defs.history import kpi_reported_values_asset
    from orchestration.defs.publish import published_marts_asset
    from orchestration.defs.warehouse import HandshakeResource

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    small_landing(landing)
    load_landing(landing, warehouse)
    # A row no loader would write: an account without an Id. The source's
    # not_null test (error severity) must stop the run before publishing.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw_crm.account (Id, Name, CreatedDate, LastModifiedDate, _drop_id) "
            "values (null, 'Ghost', now()::timestamp, now()::timestamp, '2025-03-31')"
        )
    monkeypatch.setenv("HANDSHAKE_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    monkeypatch.setenv("HANDSHAKE_PUBLISH_DIR", str(tmp_path / "elsewhere"))
    handshake = HandshakeResource(warehouse=str(warehouse), publish_dir=str(tmp_path / "publish"))
    dbt_models = handshake_dbt_assets(dbt_project.manifest_path)

    result = dg.materialize(
        [dbt_models, kpi_reported_values_asset(dbt_models), published_marts_asset(dbt_models)],
        resources={"dbt": dbt_resource(), "handshake": handshake},
        raise_on_error=False,
    )
    assert not result.success
    failed = {event.step_key for event in result.all_events if event.is_step_failure}
    started = {event.step_key for event in result.all_events if event.is_step_start}
    assert failed == {"handshake_dbt_models"}
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("dbt build failed, nothing published: test.handshake.")
    assert "not_null" in description and "(fail: " in description
    assert started == {"handshake_dbt_models"}, "the publish step must not start"
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["publish", "published_marts"]) not in materialized
    assert not (tmp_path / "publish" / "handshake.duckdb").exists()
    # dbt built the resource's warehouse (its seeds are in), not the environment's.
    assert not (tmp_path / "elsewhere.duckdb").exists()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from seeds.kpi_registry").fetchone()[0] > 0
