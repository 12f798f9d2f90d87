"""The company's own settings files (targets, manual matches) copied into the warehouse."""

from collections.abc import Iterator

import dagster as dg

from orchestration.company_settings import SCHEMA, SETTINGS_FILES, load_company_settings
from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource


def company_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([SCHEMA, name])


@dg.multi_asset(
    name="load_company_settings",
    specs=[
        dg.AssetSpec(
            company_asset_key(settings.name),
            group_name=SCHEMA,
            description=f"{settings.description} From {settings.file_name} in the company folder.",
            kinds={"duckdb"},
        )
        for settings in SETTINGS_FILES
    ],
    pool=WAREHOUSE_POOL,
)
def load_company_settings_files(
    context: dg.AssetExecutionContext, handshake: HandshakeResource
) -> Iterator[dg.MaterializeResult]:
    """Replace raw_company.* with the company folder's files; a bad file fails the run."""
    settings = handshake.settings
    context.log.info(f"company settings from {settings.company_dir}")
    with handshake.get_connection() as con:
        counts = load_company_settings(con, settings.company_dir)
    for name, rows in counts.items():
        if not rows:
            context.log.info(f"no {name} in {settings.company_dir}")
        yield dg.MaterializeResult(
            asset_key=company_asset_key(name),
            metadata={"rows": rows, "folder": dg.MetadataValue.path(str(settings.company_dir))},
        )
