"""From the truth tables to contract files: versions, drops, mess and text formatting.

Each extract lists the *versions* of its records (a row per change, with the moment ``_ts`` it
happened). A version belongs to the first drop taken after it (``drop_of``). Per drop and key the
latest version is written: the first drop is the full history up to that moment, later drops
hold only the records that were created or changed since the previous drop.

Every output column is rendered as text here (dates ``YYYY-MM-DD``, Salesforce datetimes
``2025-03-01T09:30:00.000Z`` or with ``+02:00``, ERP datetimes ``2025-03-01T09:30:00Z``,
booleans ``true``/``false``, DECIMAL amounts with a fixed scale), so CSV and Parquet hold the
same strings and contract-breaking values can sit in any column.

Contract-breaking mess is chosen per (key, drop) row: rows are ranked by a hash and the first
``ceil(rows * rate)`` get the first kind, the next ones the second kind, and so on, so each kind
appears at least once whenever its rate is positive. Duplicate kinds add a second copy of the
row (``_copy = 1``), identical or with one field changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.extracts import contract
from orchestration.extracts.discovery import find_object
from orchestration.sample_extracts.plan import Plan, sql_context


@dataclass(frozen=True)
class Extract:
    system: str
    name: str
    versions: str  # SELECT with _ts (when the version appeared), _seq (tie-break) and fields
    keys: tuple[str, ...]  # typed key columns of `versions`: partition, mess hash and sort order
    columns: dict[str, str]  # contract column -> SQL text expression over the version row
    multi_version: bool = True
    mess: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return f"emit_{self.system}_{self.name.lower()}"

    @property
    def contract_object(self) -> contract.ExtractObject:
        obj = find_object(self.system, self.name)
        if obj is None:
            raise KeyError(f"{self.system}/{self.name} is not in the contract")
        return obj


DUPLICATE_KINDS = ("dup_identical", "dup_conflict")


def _crm_extracts() -> list[Extract]:
    return [
        Extract(
            "crm",
            "User",
            """
            select users.*, created_ts as _ts, 0 as _seq, true as active from users
            union all
            select users.*, leave_ts, 1, false from users where leave_ts is not null
            """,
            ("user_id",),
            {
                "Id": "user_id",
                "Name": "name",
                "Email": "email",
                "Title": "title",
                "ManagerId": "manager_id",
                "Region__c": "region_name",
                "IsActive": "b_txt(active)",
                "CreatedDate": "ts_z(created_ts)",
            },
        ),
        Extract(
            "crm",
            "Account",
            """
            with a as (
                select
                    a.*, c.customer_number, c.created_ts as cust_ts,
                    coalesce(c.erp_number_blank, false) as erp_number_blank,
                    coalesce(c.name_kind, 'ok') as name_kind,
                    coalesce(c.vat_kind, 'ok') as vat_kind,
                    f.first_win_ts, s.orig_id, s.succ_id, s.leave_ts
                from accounts a
                left join customers c on c.acc_idx = a.acc_idx and not c.webshop
                left join firstwin f on f.acc_idx = a.acc_idx
                join seats s on s.seat = a.seat
            ),
            ev as (
                select a.*, created_ts as _ts, 0 as _seq from a
                union all
                select a.*, first_win_ts, 1 from a where first_win_ts is not null
                union all
                select a.*, cust_ts + to_days(1), 2 from a
                where cust_ts is not null and not erp_number_blank
                union all
                select a.*, leave_ts, 3 from a where leave_ts > created_ts
                union all
                select a.*, delete_ts, 4 from a where delete_ts is not null
            )
            select
                ev.*,
                case when first_win_ts <= _ts then 'Customer' else 'Prospect' end as acc_type,
                case when not erp_number_blank and cust_ts + to_days(1) <= _ts
                    then customer_number end as erp_number,
                seat_holder(orig_id, succ_id, leave_ts, _ts) as owner_id,
                coalesce(delete_ts <= _ts, false) as is_deleted
            from ev
            """,
            ("account_id",),
            {
                "Id": "account_id",
                "Name": "case when name_kind = 'legal_form' then base_name else legal_name end",
                "Website": "website",
                "BillingCountry": "country",
                "Industry": "case when _conflict = 1 then 'Other' else industry end",
                "NumberOfEmployees": "(employees + 10 * _conflict)::varchar",
                "AnnualRevenue": "annual_revenue::varchar",
                "OwnerId": "owner_id",
                "ParentId": "parent_id",
                "Type": "acc_type",
                "VAT_Number__c": """
                    case when vat_kind <> 'missing_crm' and vat_prefix <> ''
                        then vat_prefix || vat_digits || vat_suffix end""",
                "ERP_Customer_Number__c": "erp_number",
                "CreatedDate": "ts_sf(created_ts, account_id)",
                "LastModifiedDate": "ts_sf(_ts, account_id || _seq)",
                "IsDeleted": "b_txt(is_deleted)",
                # the sample's duplicates are deleted, not merged
                "MasterRecordId": "cast(null as varchar)",
            },
            mess=("dup_conflict",),
        ),
        Extract(
            "crm",
            "Opportunity",
            "select opp_states.*, ts as _ts, kind_order as _seq from opp_states",
            ("opp_id",),
            {
                "Id": "opp_id",
                "AccountId": "account_id",
                "OwnerId": "owner_id",
                "Name": "opp_name",
                "Type": "opp_type",
                "StageName": "case when _mess = 'missing_required' then null else stage_name end",
                "Amount": "amount::varchar",
                "CurrencyIsoCode": "currency",
                "Probability": "probability::varchar",
                "CloseDate": """
                    case when _mess = 'bad_date' then bad_date(close_date_now, 0)
                         else d_iso(close_date_now) end""",
                "ForecastCategoryName": "forecast_category",
                "IsClosed": "b_txt(closed_now)",
                "IsWon": "b_txt(closed_now and won)",
                "LeadSource": "lead_source",
                "CreatedDate": "ts_sf(created_ts, opp_id)",
                "LastModifiedDate": "ts_sf(_ts, opp_id || _seq)",
                "IsDeleted": "b_txt(deleted_now)",
            },
            mess=("bad_date", "missing_required"),
        ),
        Extract(
            "crm",
            "OpportunityHistory",
            """
            select
                opp_states.*, ts as _ts, 0 as _seq,
                sfid('008', row_number() over (
                    order by ts, opp_id, kind_order, stage_now, slips_now)) as hist_id
            from opp_states
            where kind in ('stage', 'slip', 'close')
            """,
            ("hist_id",),
            {
                "Id": "hist_id",
                "OpportunityId": "opp_id",
                "StageName": "stage_name",
                "Amount": "amount::varchar",
                "Probability": "probability::varchar",
                "CloseDate": "d_iso(close_date_now)",
                "ForecastCategory": "forecast_category",
                "CreatedDate": "ts_z(ts)",
                "CreatedById": "owner_id",
                "IsDeleted": "'false'",
            },
            multi_version=False,
        ),
        Extract(
            "crm",
            "Forecast_Submission__c",
            "select submissions.*, submitted_ts as _ts, 0 as _seq from submissions",
            ("fs_id",),
            {
                "Id": "fs_id",
                "OwnerId": "user_id",
                "Period_Month__c": "d_iso(period)",
                "Forecast_Category__c": "category",
                "Amount__c": "amount::varchar",
                "CurrencyIsoCode": "currency",
                "Submitted_Date__c": "ts_sf(submitted_ts, fs_id)",
                # NULL means Own: half of the own calls leave it empty
                "Scope__c": "case when scope = 'Team' then 'Team' "
                "when u(fs_id, 'scope_blank') < 0.5 then null else 'Own' end",
                "IsDeleted": "'false'",
            },
            multi_version=False,
            mess=("dup_identical",),
        ),
        Extract(
            "crm",
            "ForecastingQuota",
            "select quotas.*, created_ts as _ts, 0 as _seq from quotas",
            ("quota_id",),
            {
                "Id": "quota_id",
                "QuotaOwnerId": "user_id",
                "StartDate": "d_iso(period)",
                "QuotaAmount": "quota_eur::varchar",
                "CurrencyIsoCode": "'EUR'",
            },
            multi_version=False,
        ),
        Extract(
            "crm",
            "Event",
            """
            select meetings.*, created_ts as _ts, 0 as _seq, false as is_deleted from meetings
            union all
            select meetings.*, delete_ts, 1, true from meetings where delete_ts is not null
            """,
            ("event_id",),
            {
                "Id": "event_id",
                "AccountId": "account_id",
                "OwnerId": "owner_id",
                "Subject": "subject",
                "Type": "'Meeting'",
                "Meeting_Mode__c": "case when _mess = 'invalid_value' then 'Hybrid' "
                "else meeting_mode end",
                "ActivityDate": """
                    case when _mess = 'bad_date' then bad_date(activity_date, _mr % 2)
                         else d_iso(activity_date) end""",
                "DurationInMinutes": "duration::varchar",
                "IsDeleted": "b_txt(is_deleted)",
            },
            mess=("bad_date", "invalid_value", "dup_identical"),
        ),
        Extract(
            "crm",
            "Relationship_Assessment__c",
            """
            select assessments.*, assess_date + to_seconds(61200) as _ts, 0 as _seq,
                   u(ra_id, 'bad_score') < 0.5 as too_high
            from assessments
            """,
            ("ra_id",),
            {
                "Id": "ra_id",
                "Account__c": "account_id",
                "Assessed_By__c": "assessed_by",
                "Assessment_Date__c": "d_iso(assess_date)",
                "Respondent__c": "respondent",
                "Ladder_Rung__c": "rung",
                "Strategy_Discussion__c": "case when _mess = 'bad_score' and too_high then '11' "
                "else s_strategy::varchar end",
                "Personal_Trust__c": "s_trust::varchar",
                "Extra_Time__c": "s_time::varchar",
                "Executive_Access__c": "case when _mess = 'bad_score' and not too_high "
                "then '-1' else s_exec::varchar end",
                "Mutual_Value__c": "s_value::varchar",
                "IsDeleted": "'false'",
            },
            multi_version=False,
            mess=("bad_score",),
        ),
        Extract(
            "crm",
            "Training_Completion__c",
            """
            select training.*, completed_date + to_seconds(61200) as _ts, 0 as _seq
            from training
            """,
            ("tc_id",),
            {
                "Id": "tc_id",
                "User__c": "user_id",
                "Course_Name__c": "course_name",
                "Course_Type__c": "course_type",
                "Completed_Date__c": "d_iso(completed_date)",
                "Cost__c": "cost::varchar",
                "CurrencyIsoCode": "currency",
                "IsDeleted": "'false'",
            },
            multi_version=False,
        ),
    ]


VAT_FORMATTED = """
    case vat_style
        when 0 then vat_prefix || ' ' || substr(vat_digits, 1, 3) || '.'
                    || substr(vat_digits, 4, 3) || '.' || substr(vat_digits, 7, 3)
                    || case when vat_suffix <> '' then ' ' || vat_suffix else '' end
        when 1 then lower(vat_prefix || vat_digits || vat_suffix)
        else vat_prefix || ' ' || substr(vat_digits, 1, 3) || ' ' || substr(vat_digits, 4, 3)
             || ' ' || substr(vat_digits, 7, 3) || vat_suffix
    end"""


def _erp_extracts() -> list[Extract]:
    return [
        Extract(
            "erp",
            "customers",
            """
            select customers.*, created_ts as _ts, 0 as _seq, false as blocked from customers
            union all
            select customers.*, blocked_ts, 1, true from customers where blocked_ts is not null
            """,
            ("customer_number",),
            {
                "customer_number": "customer_number",
                "name": """
                    case name_kind
                        when 'legal_form' then upper(base_name) || ' ' || legal_form
                        when 'case' then upper(legal_name)
                        else legal_name end""",
                "vat_number": f"""
                    case
                        when vat_prefix is null or vat_prefix = '' or vat_kind = 'missing_erp'
                            then null
                        when vat_kind = 'format' then {VAT_FORMATTED}
                        else vat_prefix || vat_digits || vat_suffix end""",
                "country_code": "country",
                "city": "city",
                "crm_account_id": """
                    case hint_kind
                        when 'ok' then account_id
                        when 'wrong' then sfid('001', 1 + (acc_idx + 1
                            + pick(acc_idx, 'wrong_account', {n_accounts} - 1)) % {n_accounts})
                        when 'unknown' then sfid('001', 900000000 + acc_idx)
                    end""",
                "payment_terms_days": "terms::varchar",
                "is_blocked": "b_txt(blocked)",
                "created_at": "ts_erp(created_ts)",
                "updated_at": "ts_erp(_ts)",
            },
        ),
        Extract(
            "erp",
            "items",
            """
            select items_ref.*, {start}::timestamp - to_days(400) + to_seconds(36000) as _ts,
                   0 as _seq, description as descr
            from items_ref
            union all
            select items_ref.*, {penultimate_drop} + to_days(5) + to_seconds(36000), 1,
                   description || ' (revised)'
            from items_ref
            where item_code in {RENAMED_ITEMS} and {penultimate_drop} is not null
            """,
            ("item_code",),
            {
                "item_code": "item_code",
                "description": "descr",
                "product_family": "family",
                "is_recurring": "b_txt(is_recurring)",
                "updated_at": "ts_erp(_ts)",
            },
        ),
        Extract(
            "erp",
            "invoices",
            """
            select d.*, created_ts as _ts, 0 as _seq,
                   case when stuck or post_ts > created_ts then 'draft' else 'posted' end
                       as status
            from documents d
            union all
            select d.*, post_ts, 1, 'posted' from documents d where post_ts > created_ts
            union all
            select d.*, cancel_ts, 2, 'cancelled' from documents d where cancel_ts is not null
            """,
            ("invoice_number",),
            {
                "invoice_number": "invoice_number",
                "customer_number": "customer_number",
                "document_type": "document_type",
                "invoice_date": """
                    case when _mess = 'bad_date' then bad_date(invoice_date, 1)
                         else d_iso(invoice_date) end""",
                "due_date": "d_iso(due_date)",
                "currency": "currency",
                "status": "status",
                "crm_opportunity_id": "opp_id",
                "updated_at": "ts_erp(_ts)",
            },
            mess=("bad_date",),
        ),
        Extract(
            "erp",
            "invoice_lines",
            "select document_lines.*, created_ts as _ts, 0 as _seq from document_lines",
            ("invoice_number", "line_number"),
            {
                "invoice_number": "invoice_number",
                "line_number": "line_number::varchar",
                "item_code": "item_code",
                "quantity": "(quantity + _conflict)::decimal(18, 2)::varchar",
                "unit_price": "unit_price::varchar",
                "net_amount": "((quantity + _conflict) * unit_price)::decimal(18, 2)::varchar",
                "cost_amount": "cost_amount::varchar",
                "updated_at": "ts_erp(created_ts)",
            },
            multi_version=False,
            mess=("dup_conflict",),
        ),
        Extract(
            "erp",
            "payments",
            "select payments.*, paid_ts as _ts, 0 as _seq from payments",
            ("payment_id",),
            {
                "payment_id": "payment_id",
                "invoice_number": "invoice_number",
                "payment_date": "d_iso(pay_date)",
                "amount": "amount::varchar",
                "currency": "currency",
            },
            multi_version=False,
            mess=("dup_identical",),
        ),
        Extract(
            "erp",
            "fx_rates",
            """
            select fx_all.*, d + to_seconds(57600) as _ts, 0 as _seq
            from fx_all
            where published and currency in ('EUR', 'USD', 'GBP')
            """,
            ("d", "currency"),
            {
                "rate_date": "d_iso(d)",
                "currency": "currency",
                "rate_to_eur": "rate::varchar",
            },
            multi_version=False,
        ),
        Extract(
            "erp",
            "fpa_forecast",
            "select fpa.*, version_date + to_seconds(64800) as _ts, 0 as _seq from fpa",
            ("forecast_id",),
            {
                "forecast_id": "forecast_id",
                "period_month": "d_iso(period)",
                "version_date": "d_iso(version_date)",
                "bookings_forecast": "bookings_forecast::varchar",
                "revenue_forecast": "revenue_forecast::varchar",
                "currency": "'EUR'",
            },
            multi_version=False,
        ),
    ]


def extracts() -> list[Extract]:
    """All extracts, in contract order; fails loudly if a column list drifts from the contract."""
    found = {(e.system, e.name): e for e in _crm_extracts() + _erp_extracts()}
    ordered: list[Extract] = []
    for obj in contract.OBJECTS:
        extract = found.pop((obj.system, obj.name), None)
        if extract is None:
            raise KeyError(f"no generator for {obj.system}/{obj.name}")
        if tuple(extract.columns) != obj.column_names:
            raise ValueError(f"{obj.system}/{obj.name}: columns differ from the contract")
        ordered.append(extract)
    if found:
        raise KeyError(f"generators for objects not in the contract: {sorted(found)}")
    return ordered


def emit_sql(extract: Extract, plan: Plan) -> str:
    """CREATE TABLE of the rows to write: latest version per key and drop, with its mess kind."""
    ctx = sql_context(plan)
    keys = ", ".join(extract.keys)
    latest = (
        f"qualify row_number() over (partition by {keys}, _drop order by _ts desc, _seq desc) = 1"
        if extract.multi_version
        else ""
    )
    rates = [(kind, plan.mess.get(kind, 0.0)) for kind in extract.mess]
    rates = [(kind, rate) for kind, rate in rates if rate > 0]
    if rates:
        bounds: list[str] = []
        cumulative = "0"
        for kind, rate in rates:
            cumulative = f"{cumulative} + ceil(_n * {rate!r})"
            bounds.append(f"when _mr <= {cumulative} then '{kind}'")
        hash_key = "concat_ws('|', " + ", ".join(f"{k}::varchar" for k in extract.keys) + ", _drop)"
        mess = f"case {' '.join(bounds)} end"
        ranked = f"""
            select latest.*,
                   row_number() over (order by u({hash_key}, 'mess:{extract.name}'), {keys})
                       as _mr,
                   count(*) over () as _n
            from latest"""
    else:
        mess = "null::varchar"
        ranked = "select latest.*, null::bigint as _mr, 0 as _n from latest"
    versions = extract.versions.format_map(ctx)
    return f"""
    create or replace table {extract.table} as
    with v as ({versions}),
    dropped as (
        select v.*, drop_of(v._ts) as _drop from v where v._ts < {ctx["last_drop"]}
    ),
    latest as (select * from dropped {latest}),
    ranked as ({ranked})
    select ranked.*, {mess} as _mess from ranked
    """


def render_sql(extract: Extract, plan: Plan, drop_index: int) -> str:
    """SELECT of one drop's file: the contract columns as text, in key order."""
    ctx = sql_context(plan)
    columns = ",\n        ".join(
        f'{expr.format_map(ctx).strip()} as "{name}"' for name, expr in extract.columns.items()
    )
    duplicates = ", ".join(f"'{kind}'" for kind in DUPLICATE_KINDS)
    return f"""
    select
        {columns}
    from (
        select e.*, c._copy, (c._copy = 1 and e._mess = 'dup_conflict')::int as _conflict
        from {extract.table} e
        cross join (values (0), (1)) c(_copy)
        where e._drop = {drop_index} and (c._copy = 0 or e._mess in ({duplicates}))
    ) r
    order by {", ".join(extract.keys)}, _copy
    """
