"""Checks on money that counts in no KPI: amounts no FX rate converts."""

from __future__ import annotations

import dagster as dg
import duckdb

from orchestration.defs.warehouse import WAREHOUSE_POOL, HandshakeResource

MISSING_FX_KEY = dg.AssetKey(["marts", "fct_missing_fx_monthly"])
MISSING_FX_TABLE = "marts.fct_missing_fx_monthly"


def missing_fx_result(con: duckdb.DuckDBPyConnection) -> dg.AssetCheckResult:
    """Warn with the amount and share of every month that has unconverted amounts."""
    rows = con.execute(
        f"""
        select month, source_object, currency_code, missing_fx_row_count,
            missing_fx_amount, object_row_count, missing_fx_row_share
        from {MISSING_FX_TABLE}
        order by month, source_object, currency_code
        """
    ).fetchall()
    lines = [
        f"{month:%Y-%m} {source}: {amount:,.2f} {currency} in {missing:,} of {total:,} rows "
        f"({share:.1%}) without an FX rate"
        for month, source, currency, missing, amount, total, share in rows
    ]
    months = sorted({row[0] for row in rows})
    by_currency: dict[str, float] = {}
    for row in rows:
        by_currency[row[2]] = by_currency.get(row[2], 0.0) + float(row[4])
    description = (
        "Every amount converts to the reporting currency."
        if not rows
        else f"{len(months)} months hold amounts without an FX rate; they count in no KPI "
        "(missing-FX bucket). Deliver the rates in fx_rates."
    )
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "months_with_missing_fx": len(months),
            "first_month": f"{months[0]:%Y-%m}" if months else "none",
            "last_month": f"{months[-1]:%Y-%m}" if months else "none",
            "missing_fx_amount_by_currency": {k: round(v, 2) for k, v in by_currency.items()},
            "max_row_share": max((float(row[6]) for row in rows), default=0.0),
            "by_month": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines) or "none"),
        },
    )


@dg.asset_check(
    asset=MISSING_FX_KEY,
    name="missing_fx_amounts",
    # Blocking makes the KPI history and the publish steps wait for it, so that the
    # published run status lists it when it fails; a WARN result blocks nothing.
    blocking=True,
    pool=WAREHOUSE_POOL,
    description=(
        "No month has amounts that no FX rate converts (they count in no KPI); warns with "
        "the amount per currency and the share of the month's rows."
    ),
)
def missing_fx_amounts(handshake: HandshakeResource) -> dg.AssetCheckResult:
    with handshake.get_connection() as con:
        return missing_fx_result(con)
