"""An independent oracle for the staging layer: each staging model recomputed
from the raw tables and the ledger, compared row by row and column by column.

Written from the extract contract (docs/contract.md, "Versions, deletes,
duplicates") and docs/operations.md ("Withdrawing a drop", re-admitted rows),
never from the staging SQL:

- a load counts unless it was withdrawn or replaced by a later load of its
  object's file in its drop (a corrected re-delivery) that still counts;
  re-admitted rows count while their re-admission is not withdrawn and the
  load they were rejected from counts;
- the latest version of a key is the one of the latest drop (drop ids sort as
  text, a time after the date), then the latest load, then the last line;
  LastModifiedDate never decides, and a key missing from a later drop stays;
- CRM deletes (IsDeleted) are flagged on Account, Opportunity,
  OpportunityHistory and Event and filtered out of the other objects; ERP
  cancelled invoices keep their status;
- currency and country codes are trimmed and upper-cased; ForecastingQuota
  keeps one quota per owner and month, the latest.

Runs on the sample company (several drops, duplicates and rejects), in a few
CPU seconds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

COUNTING_LOADS = """
create temp table withdrawn as
    select withdraws_load_id as load_id from raw_meta.load_ledger
    where status = 'withdrawn' and withdraws_load_id is not null;
create temp table last_file_load as
    select system, drop_id, lower(object) as object, max(started_at) as started_at
    from raw_meta.load_ledger
    where status = 'loaded' and load_id not in (select load_id from withdrawn)
    group by all;
create temp table counting as
    select ledger.load_id from raw_meta.load_ledger as ledger
    join last_file_load as last
        on last.system = ledger.system and last.drop_id = ledger.drop_id
        and last.object = lower(ledger.object)
    where ledger.status = 'loaded' and ledger.started_at = last.started_at;
insert into counting
    select distinct readmit_load_id from raw_meta.load_rejects
    where readmit_load_id is not null and load_id in (select load_id from counting)
        and readmit_load_id not in (select load_id from withdrawn);
"""


def latest(raw: str, keys: list[str]) -> str:
    """The latest counting version of each key, by successive maxima."""
    k = ", ".join(keys)
    same = " and ".join(f"r.{c} is not distinct from m.{c}" for c in keys)
    return f"""(
        with r0 as (select * from {raw} where _load_id in (select load_id from counting)),
        d as (select {k}, max(_drop_id) as top from r0 group by all),
        r1 as (select r.* from r0 as r join d as m on {same} and r._drop_id = m.top),
        l as (select {k}, max(_loaded_at) as top from r1 group by all),
        r2 as (select r.* from r1 as r join l as m on {same} and r._loaded_at = m.top),
        n as (select {k}, max(_line_number) as top from r2 group by all)
        select r.* from r2 as r join n as m on {same} and r._line_number = m.top
    )"""


def code(column: str) -> str:
    return f"nullif(upper(trim({column})), '')"


LINEAGE = {"drop_id": "_drop_id", "loaded_at": "_loaded_at"}
NOT_DELETED = "not coalesce(IsDeleted, false)"
# staging model: (raw table, key columns, filter, {staging column: expression over raw})
MODELS = {
    "stg_crm__accounts": (
        "raw_crm.account",
        ["Id"],
        None,
        {
            "account_id": "Id",
            "account_name": "Name",
            "website_url": "Website",
            "billing_country": "BillingCountry",
            "industry_name": "Industry",
            "number_of_employees": "NumberOfEmployees",
            "annual_revenue": "AnnualRevenue",
            "owner_user_id": "OwnerId",
            "parent_account_id": "ParentId",
            "account_type": "Type",
            "vat_number": "VAT_Number__c",
            "erp_customer_number": "ERP_Customer_Number__c",
            "created_at": "CreatedDate",
            "last_modified_at": "LastModifiedDate",
            "master_account_id": "MasterRecordId",
            "is_deleted": "coalesce(IsDeleted, false)",
        },
    ),
    "stg_crm__opportunities": (
        "raw_crm.opportunity",
        ["Id"],
        None,
        {
            "opportunity_id": "Id",
            "account_id": "AccountId",
            "owner_user_id": "OwnerId",
            "opportunity_name": "Name",
            "opportunity_type": "Type",
            "stage_name": "StageName",
            "amount": "Amount",
            "currency_code": code("CurrencyIsoCode"),
            "probability": "Probability",
            "close_date": "CloseDate",
            "forecast_category": "ForecastCategoryName",
            "is_closed": "IsClosed",
            "is_won": "IsWon",
            "lead_source": "LeadSource",
            "created_at": "CreatedDate",
            "last_modified_at": "LastModifiedDate",
            "is_deleted": "coalesce(IsDeleted, false)",
        },
    ),
    "stg_crm__opportunity_history": (
        "raw_crm.opportunity_history",
        ["Id"],
        None,
        {
            "opportunity_history_id": "Id",
            "opportunity_id": "OpportunityId",
            "stage_name": "StageName",
            "amount": "Amount",
            "probability": "Probability",
            "close_date": "CloseDate",
            "forecast_category": "ForecastCategory",
            "created_at": "CreatedDate",
            "created_by_user_id": "CreatedById",
            "is_deleted": "coalesce(IsDeleted, false)",
        },
    ),
    "stg_crm__events": (
        "raw_crm.event",
        ["Id"],
        None,
        {
            "event_id": "Id",
            "account_id": "AccountId",
            "owner_user_id": "OwnerId",
            "event_subject": "Subject",
            "event_type": "Type",
            "meeting_mode": "Meeting_Mode__c",
            "activity_date": "ActivityDate",
            "duration_minutes": "DurationInMinutes",
            "is_deleted": "coalesce(IsDeleted, false)",
        },
    ),
    "stg_crm__forecast_submissions": (
        "raw_crm.forecast_submission",
        ["Id"],
        NOT_DELETED,
        {
            "forecast_submission_id": "Id",
            "owner_user_id": "OwnerId",
            "period_month": "Period_Month__c",
            "forecast_category": "Forecast_Category__c",
            "amount": "Amount__c",
            "currency_code": code("CurrencyIsoCode"),
            "forecast_scope": "coalesce(Scope__c, 'Own')",
            "submitted_at": "Submitted_Date__c",
            "submitted_date": "cast(Submitted_Date__c as date)",
        },
    ),
    "stg_crm__relationship_assessments": (
        "raw_crm.relationship_assessment",
        ["Id"],
        NOT_DELETED,
        {
            "relationship_assessment_id": "Id",
            "account_id": "Account__c",
            "assessed_by_user_id": "Assessed_By__c",
            "assessment_date": "Assessment_Date__c",
            "respondent": "Respondent__c",
            "ladder_rung": "Ladder_Rung__c",
            "strategy_discussion_score": "Strategy_Discussion__c",
            "personal_trust_score": "Personal_Trust__c",
            "extra_time_score": "Extra_Time__c",
            "executive_access_score": "Executive_Access__c",
            "mutual_value_score": "Mutual_Value__c",
        },
    ),
    "stg_crm__training_completions": (
        "raw_crm.training_completion",
        ["Id"],
        NOT_DELETED,
        {
            "training_completion_id": "Id",
            "user_id": "User__c",
            "course_name": "Course_Name__c",
            "course_type": "Course_Type__c",
            "completed_date": "Completed_Date__c",
            "cost_amount": "Cost__c",
            "currency_code": code("CurrencyIsoCode"),
        },
    ),
    "stg_crm__users": (
        "raw_crm.users",
        ["Id"],
        None,
        {
            "user_id": "Id",
            "user_name": "Name",
            "email_hash": "md5(lower(trim(Email)))",
            "job_title": "Title",
            "manager_user_id": "ManagerId",
            "region": "Region__c",
            "is_active": "IsActive",
            "created_at": "CreatedDate",
        },
    ),
    "stg_erp__customers": (
        "raw_erp.customers",
        ["customer_number"],
        None,
        {
            "customer_number": "customer_number",
            "customer_name": "name",
            "vat_number": "vat_number",
            "country_code": code("country_code"),
            "city": "city",
            "crm_account_id_hint": "nullif(trim(crm_account_id), '')",
            "payment_terms_days": "payment_terms_days",
            "is_blocked": "is_blocked",
            "created_at": "created_at",
            "updated_at": "updated_at",
        },
    ),
    "stg_erp__items": (
        "raw_erp.items",
        ["item_code"],
        None,
        {
            "item_code": "item_code",
            "item_description": "description",
            "product_family": "product_family",
            "is_recurring": "is_recurring",
            "updated_at": "updated_at",
        },
    ),
    "stg_erp__invoices": (
        "raw_erp.invoices",
        ["invoice_number"],
        None,
        {
            "invoice_number": "invoice_number",
            "customer_number": "customer_number",
            "document_type": "document_type",
            "invoice_date": "invoice_date",
            "due_date": "due_date",
            "currency_code": code("currency"),
            "invoice_status": "status",
            "is_posted": "status = 'posted'",
            "crm_opportunity_id": "crm_opportunity_id",
            "updated_at": "updated_at",
        },
    ),
    "stg_erp__invoice_lines": (
        "raw_erp.invoice_lines",
        ["invoice_number", "line_number"],
        None,
        {
            "invoice_number": "invoice_number",
            "line_number": "line_number",
            "item_code": "item_code",
            "quantity": "quantity",
            "unit_price": "unit_price",
            "net_amount": "net_amount",
            "cost_amount": "cost_amount",
            "updated_at": "updated_at",
        },
    ),
    "stg_erp__payments": (
        "raw_erp.payments",
        ["payment_id"],
        None,
        {
            "payment_id": "payment_id",
            "invoice_number": "invoice_number",
            "payment_date": "payment_date",
            "amount": "amount",
            "currency_code": code("currency"),
        },
    ),
    "stg_erp__fx_rates": (
        f"(select * replace ({code('currency')} as currency) from raw_erp.fx_rates)",
        ["rate_date", "currency"],
        None,
        {"rate_date": "rate_date", "currency_code": "currency", "rate_to_eur": "rate_to_eur"},
    ),
    "stg_erp__fpa_forecasts": (
        "raw_erp.fpa_forecast",
        ["forecast_id"],
        None,
        {
            "forecast_id": "forecast_id",
            "period_month": "period_month",
            "version_date": "version_date",
            "bookings_forecast": "bookings_forecast",
            "revenue_forecast": "revenue_forecast",
            "currency_code": code("currency"),
            "first_drop_id": "(select min(f._drop_id) from raw_erp.fpa_forecast as f"
            " where f.forecast_id = x.forecast_id and f._load_id in (select load_id from counting))",
        },
    ),
}
KEYS = {
    "stg_erp__invoice_lines": ["invoice_number", "line_number"],
    "stg_erp__fx_rates": ["rate_date", "currency_code"],
}

# ForecastingQuota: the latest version per Id, then the latest per owner and month.
QUOTAS = f"""
with per_id as (
    select Id, QuotaOwnerId, cast(date_trunc('month', StartDate) as date) as month,
        QuotaAmount, CurrencyIsoCode, _drop_id, _loaded_at,
        _drop_id || strftime(_loaded_at, '%Y%m%d%H%M%S.%f') || lpad(_line_number::varchar, 9, '0')
            as version
    from {latest("raw_crm.forecasting_quota", ["Id"])}
)
select Id as forecasting_quota_id, QuotaOwnerId as quota_owner_user_id, month,
    QuotaAmount as quota_amount, {code("CurrencyIsoCode")} as currency_code,
    _drop_id as drop_id, _loaded_at as loaded_at
from per_id
where version = (select max(version) from per_id as other
                 where other.QuotaOwnerId = per_id.QuotaOwnerId and other.month = per_id.month)
"""


def references() -> dict[str, tuple[str, list[str], list[str]]]:
    """staging model -> (reference query, key columns, columns)."""
    found = {}
    for model, (raw, keys, where, columns) in MODELS.items():
        columns = {**columns, **LINEAGE}
        select = ", ".join(f"{expression} as {name}" for name, expression in columns.items())
        query = f"select {select} from {latest(raw, keys)} as x" + (
            f" where {where}" if where else ""
        )
        found[model] = (query, KEYS.get(model, [next(iter(columns))]), list(columns))
    quota_columns = [
        "forecasting_quota_id",
        "quota_owner_user_id",
        "month",
        "quota_amount",
        "currency_code",
        "drop_id",
        "loaded_at",
    ]
    found["stg_crm__forecasting_quotas"] = (QUOTAS, ["forecasting_quota_id"], quota_columns)
    return found


def differences(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    con.execute(COUNTING_LOADS)
    found = {}
    for model, (query, keys, columns) in references().items():
        con.execute(f"create or replace temp table reference as {query}")
        con.execute(
            f"create or replace temp table actual as select {', '.join(columns)} from staging.{model}"
        )
        on = " and ".join(f"reference.{k} = actual.{k}" for k in keys)
        counts = {
            "rows": con.execute("select count(*) from reference").fetchone()[0],
            "only_reference": con.execute(
                f"select count(*) from reference anti join actual on {on}"
            ).fetchone()[0],
            "only_staging": con.execute(
                f"select count(*) from actual anti join reference on {on}"
            ).fetchone()[0],
        }
        for column in columns:
            counts[column] = con.execute(
                f"select count(*) from reference join actual on {on}"
                f" where reference.{column} is distinct from actual.{column}"
            ).fetchone()[0]
        found[model] = {name: n for name, n in counts.items() if n or name == "rows"}
    return found


def test_every_staging_model_equals_its_reference(sample_warehouse: Path) -> None:
    with duckdb.connect(str(sample_warehouse), read_only=True) as con:
        found = differences(con)
        # every object's staging model has its reference here (a new object adds one)
        models = con.execute(
            "select table_name from information_schema.tables where table_schema = 'staging'"
            " and regexp_matches(table_name, '^stg_(crm|erp)__') and not suffix(table_name, '_versions')"
        ).fetchall()
    assert sorted(found) == sorted(model for (model,) in models)
    assert len(found) == 16
    assert {model: counts for model, counts in found.items() if set(counts) != {"rows"}} == {}
    # the sample delivers every object, most in several drops
    assert all(counts["rows"] > 0 for counts in found.values()), found
