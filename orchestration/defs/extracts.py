"""Dagster assets that load the landing folder into the raw tables, and their checks."""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource
from orchestration.extracts.contract import OBJECTS, ExtractObject
from orchestration.extracts.discovery import discover_landing_files, is_unfinished_copy
from orchestration.extracts.drop_sizes import (
    FULL_SNAPSHOT_KEY_SHARE,
    ROW_COUNT_DROP_WARN,
    DropSizes,
    drop_sizes,
)
from orchestration.extracts.loader import ExtractLoader, FileResult
from orchestration.extracts.raw_tables import LEDGER_TABLE, REJECTS_TABLE
from orchestration.extracts.validation import ValueRules

# Warn when more than this share of a file's rows is rejected.
REJECTED_ROW_RATE_WARN = 0.01

LEDGER_KEY = dg.AssetKey(["raw_meta", "load_ledger"])
REJECTS_KEY = dg.AssetKey(["raw_meta", "load_rejects"])


def raw_asset_key(obj: ExtractObject) -> dg.AssetKey:
    return dg.AssetKey([obj.raw_schema, obj.raw_table])


def _check_specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for obj in OBJECTS:
        key = raw_asset_key(obj)
        specs += [
            dg.AssetCheckSpec(
                "no_refused_files",
                asset=key,
                description=f"Every {obj.system}/{obj.name} file of this run was accepted.",
                blocking=False,
            ),
            dg.AssetCheckSpec(
                "rejected_row_rate",
                asset=key,
                description=f"Share of rejected rows stays under {REJECTED_ROW_RATE_WARN:.0%}.",
            ),
            dg.AssetCheckSpec(
                "row_count_vs_previous_drop",
                asset=key,
                description=(
                    f"The newest drop has at least {ROW_COUNT_DROP_WARN:.0%} of the rows "
                    "of the drop before when that one was a full snapshot (it held at least "
                    f"{FULL_SNAPSHOT_KEY_SHARE:.0%} of the keys known by then) and not the "
                    "object's first delivery; deltas are not compared by size."
                ),
            ),
        ]
    specs.append(
        dg.AssetCheckSpec(
            "no_unknown_files",
            asset=LEDGER_KEY,
            description="Every landing file names a contract object and sits in a drop folder.",
            blocking=False,
        )
    )
    return specs


@dg.multi_asset(
    name="load_landing_extracts",
    specs=[
        dg.AssetSpec(
            raw_asset_key(obj),
            group_name=obj.raw_schema,
            description=f"Every version of every {obj.system}/{obj.name} row ever landed.",
            kinds={"duckdb"},
            metadata={"contract_key": list(obj.key)},
        )
        for obj in OBJECTS
    ]
    + [
        dg.AssetSpec(
            LEDGER_KEY,
            group_name="raw_meta",
            kinds={"duckdb"},
            description="One row per landing file per load attempt.",
        ),
        dg.AssetSpec(
            REJECTS_KEY,
            group_name="raw_meta",
            kinds={"duckdb"},
            description="Every rejected row, with file, line, raw values and reason.",
        ),
    ],
    check_specs=_check_specs(),
    pool=WAREHOUSE_POOL,
)
def load_landing_extracts(
    context: dg.AssetExecutionContext, handshake: HandshakeResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Load every new landing file; already-loaded files are skipped, refused ones reported."""
    settings = handshake.settings
    files = discover_landing_files(settings.landing_dir)
    context.log.info(f"{len(files)} landing files under {settings.landing_dir}")
    with handshake.get_connection() as con:
        loader = ExtractLoader(
            con,
            run_id=context.run_id,
            fallback_encoding=settings.fallback_encoding,
            rules=ValueRules.from_settings(settings),
        )
        results = []
        for done, result in enumerate(loader.load_files(files), start=1):
            results.append(result)
            position = f"[{done}/{len(files)} files]"
            if result.status == "refused":
                context.log.error(f"{position} refused: {result.error}")
            elif result.status == "ignored":
                context.log.warning(f"{position} ignored: {result.error}")
            elif result.status == "loaded":
                context.log.info(
                    f"{position} loaded {result.landing_file.relative_path}: "
                    f"{result.rows_loaded} rows, {result.rows_rejected} rejected"
                )
            else:
                context.log.info(f"{position} {result.status} {result.landing_file.relative_path}")
        sizes = drop_sizes(con, OBJECTS)
    yield from _object_results(results, sizes)
    yield from _meta_results(results)


def _object_results(
    results: list[FileResult], sizes: dict[ExtractObject, DropSizes]
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    for obj in OBJECTS:
        key = raw_asset_key(obj)
        mine = [r for r in results if r.landing_file.extract_object == obj]
        loaded = [r for r in mine if r.status == "loaded"]
        refused = [r for r in mine if r.status == "refused"]
        rows_in = sum(r.rows_in_file for r in loaded)
        rejected = sum(r.rows_rejected for r in loaded)
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "files_loaded": len(loaded),
                "files_skipped_duplicate": sum(r.status == "skipped_duplicate" for r in mine),
                "files_refused": len(refused),
                "rows_loaded": sum(r.rows_loaded for r in loaded),
                "rows_rejected": rejected,
                "identical_duplicate_rows": sum(r.duplicate_rows for r in loaded),
                "extra_columns": sorted({c for r in loaded for c in r.extra_columns}),
            },
        )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="no_refused_files",
            passed=not refused,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"refused": "\n".join(r.error or "" for r in refused) or "none"},
        )
        rate = rejected / rows_in if rows_in else 0.0
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="rejected_row_rate",
            passed=rate <= REJECTED_ROW_RATE_WARN,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_rows": rejected, "rows_in_files": rows_in, "rate": rate},
        )
        size = sizes.get(obj)
        full = size.previous_was_full_snapshot if size else None
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="row_count_vs_previous_drop",
            passed=size is None or not size.shrank,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{obj.system}/{size.newest_drop}/{obj.name} has {size.newest_rows:,} rows, "
                f"the full snapshot before it ({size.previous_drop}) {size.previous_rows:,}: "
                "a truncated export, or the source switched to deltas"
                if size is not None and size.shrank
                else None
            ),
            metadata={
                "newest_drop": size.newest_drop if size else "none",
                "newest_drop_rows": size.newest_rows if size else 0,
                "previous_drop": (size.previous_drop or "none") if size else "none",
                "previous_drop_rows": (size.previous_rows or 0) if size else 0,
                "previous_drop_was": (
                    "not compared" if full is None else "full snapshot" if full else "delta"
                ),
            },
        )


def _meta_results(
    results: list[FileResult],
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    # files of no contract object: unknown names and files outside the layout
    # (hidden files such as .DS_Store, and a copy still in progress or a lock
    # file, are in the ledger but fail no check)
    unknown = [
        r
        for r in results
        if r.landing_file.extract_object is None
        and not r.landing_file.path.name.startswith(".")
        and not is_unfinished_copy(r.landing_file.path.name)
    ]
    yield dg.MaterializeResult(
        asset_key=LEDGER_KEY,
        metadata={
            "files_seen": len(results),
            "files_loaded": sum(r.status == "loaded" for r in results),
            "files_refused": sum(r.status == "refused" for r in results),
            "files_ignored": sum(r.status == "ignored" for r in results),
            "table": LEDGER_TABLE,
        },
    )
    yield dg.MaterializeResult(
        asset_key=REJECTS_KEY,
        metadata={"rows_rejected": sum(r.rows_rejected for r in results), "table": REJECTS_TABLE},
    )
    yield dg.AssetCheckResult(
        asset_key=LEDGER_KEY,
        check_name="no_unknown_files",
        passed=not unknown,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"refused": "\n".join(r.error or "" for r in unknown) or "none"},
    )
