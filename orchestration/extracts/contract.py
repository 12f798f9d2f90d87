"""The extract contract as data (docs/contract.md explains it for the people who send files).

This module is the one machine-readable definition of what the warehouse
accepts: every object, its key, its columns with type and required flag, and
the allowed values. The loader validates against it, the sample generator
writes it, and a test checks the dbt sources against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    # Salesforce writes some custom date fields either way; stored as a UTC timestamp.
    DATE_OR_DATETIME = "date_or_datetime"
    # A Salesforce record Id (15 or 18 characters): stored in its canonical
    # 18-character form, so both forms and any letter case of the 18 are one record.
    SALESFORCE_ID = "salesforce_id"
    # A CRM Id written into another system by hand (an ERP's link to the CRM):
    # canonical 18 characters when it is Id-shaped, else kept as delivered.
    SALESFORCE_ID_HINT = "salesforce_id_hint"
    # An ISO 4217 currency code in any letter case, stored upper case (`eur` is
    # EUR, for keys too); a code without an FX rate is not refused here: its
    # amounts land in the missing-FX bucket.
    CURRENCY = "currency"


# Warehouse (DuckDB) type of each contract type in the raw tables.
WAREHOUSE_TYPES: dict[ColumnType, str] = {
    ColumnType.STRING: "varchar",
    ColumnType.INTEGER: "bigint",
    ColumnType.DECIMAL: "decimal(18, 6)",
    ColumnType.BOOLEAN: "boolean",
    ColumnType.DATE: "date",
    ColumnType.DATETIME: "timestamp",
    ColumnType.DATE_OR_DATETIME: "timestamp",
    ColumnType.SALESFORCE_ID: "varchar",
    ColumnType.SALESFORCE_ID_HINT: "varchar",
    ColumnType.CURRENCY: "varchar",
}

# The largest amount the facts hold: dbt converts amounts as decimal(17, 6)
# (dbt_project/macros/currency.sql) and Spark's exact decimal path needs the
# same bound, so |amount| must stay below 10^11.
AMOUNT_LIMIT = 1e11
# Rates are converted as decimal(20, 12) (same macro): below 10^8. The raw
# table holds their twelve decimals too: six would round the rate of a
# currency worth a fraction of a cent (VND 0.0000354 EUR read as 0.000035, 1 %
# off every amount converted with it) without a word. Twelve integer digits,
# as for every decimal, so that a rate of 10^8 or more still parses and is
# refused as out of range (invalid_value), not as unreadable.
RATE_LIMIT = 1e8
RATE_TYPE = "decimal(24, 12)"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = ColumnType.STRING
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    # |value| must be below this (amounts and rates: what the facts' types hold)
    below_abs: float | None = None
    # the value must be greater than this (an FX rate must be positive)
    greater_than: float | None = None
    # values pass through a mapping seed before the allowed check (see
    # validation.py): "forecast_category" maps Salesforce API names to labels
    mapping: str | None = None
    # an identifier written as text (ERP document, customer, item numbers):
    # surrounding whitespace is no part of it (a fixed-width ERP export pads
    # `C1` to `C1    `), so it is trimmed and `C1 ` names the customer `C1`
    trimmed: bool = False
    # the raw table's type when the contract type's default does not hold the
    # values (an FX rate needs more than six decimals: RATE_TYPE)
    storage_type: str | None = None

    @property
    def warehouse_type(self) -> str:
        return self.storage_type or WAREHOUSE_TYPES[self.type]


@dataclass(frozen=True)
class ExtractObject:
    system: str  # "crm" or "erp"
    name: str  # file stem, as the source system names it
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""
    raw_table_name: str = field(default="")
    # Further column sets that must be unique within one file besides the key
    # (ForecastingQuota: one quota per owner and month). Two rows sharing one
    # are both rejected as duplicate_key_conflict, like rows sharing the key.
    unique_together: tuple[tuple[str, ...], ...] = ()

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.system}"

    @property
    def raw_table(self) -> str:
        return self.raw_table_name or snake_case(self.name)

    @property
    def qualified_raw_table(self) -> str:
        return f"{self.raw_schema}.{self.raw_table}"

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name.lower() == name.lower():
                return column
        raise KeyError(f"{self.system}/{self.name} has no column {name}")


def snake_case(name: str) -> str:
    """Salesforce API name to snake_case: Forecast_Submission__c -> forecast_submission."""
    name = name.removesuffix("__c")
    out: list[str] = []
    for index, char in enumerate(name):
        if char.isupper() and index and name[index - 1].islower():
            out.append("_")
        out.append(char.lower())
    return "".join(out).replace("__", "_")


S, INT, D, B = ColumnType.STRING, ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.BOOLEAN
DT, TS, DTS = ColumnType.DATE, ColumnType.DATETIME, ColumnType.DATE_OR_DATETIME
ID, ID_HINT = ColumnType.SALESFORCE_ID, ColumnType.SALESFORCE_ID_HINT

FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
SUBMISSION_CATEGORIES = ("Commit", "Best Case")
SUBMISSION_SCOPES = ("Own", "Team")
MEETING_MODES = ("In Person", "Virtual")
RESPONDENTS = ("Seller", "Buyer")
LADDER_RUNGS = ("Acquaintance", "Professional Peer", "Respected Advisor")
COURSE_TYPES = ("Hybrid Selling", "Virtual Selling", "Product", "Other")
DOCUMENT_TYPES = ("invoice", "credit_note")
DOCUMENT_STATUSES = ("posted", "draft", "cancelled")
INDICATOR_SCORES = (
    "Strategy_Discussion__c",
    "Personal_Trust__c",
    "Extra_Time__c",
    "Executive_Access__c",
    "Mutual_Value__c",
)


def _req(name: str, type_: ColumnType = S, **kwargs: object) -> Column:
    return Column(name, type_, required=True, **kwargs)  # type: ignore[arg-type]


def _opt(name: str, type_: ColumnType = S, **kwargs: object) -> Column:
    return Column(name, type_, required=False, **kwargs)  # type: ignore[arg-type]


def _code(name: str, *, required: bool = True) -> Column:
    """An ERP identifier written as text: stored without surrounding whitespace."""
    return Column(name, S, required=required, trimmed=True)


def _money(name: str, *, required: bool, **kwargs: object) -> Column:
    """An amount: a decimal the facts can hold (|value| < AMOUNT_LIMIT)."""
    return Column(name, D, required=required, below_abs=AMOUNT_LIMIT, **kwargs)  # type: ignore[arg-type]


def _category(name: str, allowed: tuple[str, ...]) -> Column:
    """A forecast category: labels or Salesforce API names, mapped by the seed."""
    return _req(name, allowed=allowed, mapping="forecast_category")


def _score(name: str) -> Column:
    return _req(name, INT, minimum=0, maximum=10)


CRM_OBJECTS: tuple[ExtractObject, ...] = (
    ExtractObject(
        "crm",
        "User",
        ("Id",),
        (
            _req("Id", ID),
            _req("Name"),
            _opt("Email"),
            _opt("Title"),
            _opt("ManagerId", ID),
            _opt("Region__c"),
            _opt("IsActive", B),
            _opt("CreatedDate", TS),
        ),
        "Sales reps and managers.",
        raw_table_name="users",  # "user" is a reserved word in several SQL dialects
    ),
    ExtractObject(
        "crm",
        "Account",
        ("Id",),
        (
            _req("Id", ID),
            _req("Name"),
            _opt("Website"),
            _opt("BillingCountry"),
            _opt("Industry"),
            _opt("NumberOfEmployees", INT, minimum=0),
            _opt("AnnualRevenue", D),
            _opt("OwnerId", ID),
            _opt("ParentId", ID),
            _opt("Type"),
            _opt("VAT_Number__c"),
            _opt("ERP_Customer_Number__c"),
            _req("CreatedDate", TS),
            _req("LastModifiedDate", TS),
            _opt("IsDeleted", B),
            # a deleted account merged into another: the account that survived
            _opt("MasterRecordId", ID),
        ),
        "Customer accounts.",
    ),
    ExtractObject(
        "crm",
        "Opportunity",
        ("Id",),
        (
            _req("Id", ID),
            _req("AccountId", ID),
            _req("OwnerId", ID),
            _opt("Name"),
            _opt("Type"),
            _req("StageName"),
            _money("Amount", required=False, minimum=0),
            _req("CurrencyIsoCode", ColumnType.CURRENCY),
            _opt("Probability", D, minimum=0, maximum=100),
            _req("CloseDate", DT),
            _category("ForecastCategoryName", FORECAST_CATEGORIES),
            _req("IsClosed", B),
            _req("IsWon", B),
            _opt("LeadSource"),
            _req("CreatedDate", TS),
            _req("LastModifiedDate", TS),
            _opt("IsDeleted", B),
        ),
        "Deals, current state.",
    ),
    ExtractObject(
        "crm",
        "OpportunityHistory",
        ("Id",),
        (
            _req("Id", ID),
            _req("OpportunityId", ID),
            _req("StageName"),
            _money("Amount", required=False, minimum=0),
            _opt("Probability", D, minimum=0, maximum=100),
            _req("CloseDate", DT),
            _category("ForecastCategory", FORECAST_CATEGORIES),
            _req("CreatedDate", TS),
            _opt("CreatedById", ID),
            _opt("IsDeleted", B),
        ),
        "Every change of a deal's stage, amount, probability or close date.",
    ),
    ExtractObject(
        "crm",
        "Forecast_Submission__c",
        ("Id",),
        (
            _req("Id", ID),
            _req("OwnerId", ID),
            _req("Period_Month__c", DT),
            _category("Forecast_Category__c", SUBMISSION_CATEGORIES),
            _money("Amount__c", required=True, minimum=0),
            _req("CurrencyIsoCode", ColumnType.CURRENCY),
            _req("Submitted_Date__c", DTS),
            _opt("Scope__c", allowed=SUBMISSION_SCOPES),
            _opt("IsDeleted", B),
        ),
        "Each rep's forecast call per month (Scope__c Own, the default, or a manager's Team call).",
    ),
    ExtractObject(
        "crm",
        "ForecastingQuota",
        ("Id",),
        (
            _req("Id", ID),
            _req("QuotaOwnerId", ID),
            _req("StartDate", DT),
            _money("QuotaAmount", required=True, minimum=0),
            _req("CurrencyIsoCode", ColumnType.CURRENCY),
        ),
        "Monthly quota per user (optional object; StartDate is the month's first day).",
        unique_together=(("QuotaOwnerId", "StartDate"),),
    ),
    ExtractObject(
        "crm",
        "Event",
        ("Id",),
        (
            _req("Id", ID),
            _opt("AccountId", ID),
            _req("OwnerId", ID),
            _opt("Subject"),
            _opt("Type"),
            _opt("Meeting_Mode__c", allowed=MEETING_MODES),
            _req("ActivityDate", DT),
            _opt("DurationInMinutes", INT, minimum=0),
            _opt("IsDeleted", B),
        ),
        "Meetings, in person or virtual.",
    ),
    ExtractObject(
        "crm",
        "Relationship_Assessment__c",
        ("Id",),
        (
            _req("Id", ID),
            _req("Account__c", ID),
            _req("Assessed_By__c", ID),
            _req("Assessment_Date__c", DT),
            _req("Respondent__c", allowed=RESPONDENTS),
            _req("Ladder_Rung__c", allowed=LADDER_RUNGS),
            *(_score(name) for name in INDICATOR_SCORES),
            _opt("IsDeleted", B),
        ),
        "Seller and buyer assessments of the relationship.",
    ),
    ExtractObject(
        "crm",
        "Training_Completion__c",
        ("Id",),
        (
            _req("Id", ID),
            _req("User__c", ID),
            _req("Course_Name__c"),
            _req("Course_Type__c", allowed=COURSE_TYPES),
            _req("Completed_Date__c", DT),
            _money("Cost__c", required=False, minimum=0),
            _opt("CurrencyIsoCode", ColumnType.CURRENCY),
            _opt("IsDeleted", B),
        ),
        "Sales training courses completed by reps.",
    ),
)

ERP_OBJECTS: tuple[ExtractObject, ...] = (
    ExtractObject(
        "erp",
        "customers",
        ("customer_number",),
        (
            _code("customer_number"),
            _req("name"),
            _opt("vat_number"),
            _opt("country_code"),
            _opt("city"),
            _opt("crm_account_id", ID_HINT),
            _opt("payment_terms_days", INT, minimum=0),
            _opt("is_blocked", B),
            _req("created_at", TS),
            _req("updated_at", TS),
        ),
        "ERP customers (bill-to).",
    ),
    ExtractObject(
        "erp",
        "items",
        ("item_code",),
        (
            _code("item_code"),
            _opt("description"),
            _opt("product_family"),
            _opt("is_recurring", B),
            _req("updated_at", TS),
        ),
        "Products and services sold.",
    ),
    ExtractObject(
        "erp",
        "invoices",
        ("invoice_number",),
        (
            _code("invoice_number"),
            _code("customer_number"),
            _req("document_type", allowed=DOCUMENT_TYPES),
            _req("invoice_date", DT),
            _opt("due_date", DT),
            _req("currency", ColumnType.CURRENCY),
            _req("status", allowed=DOCUMENT_STATUSES),
            _opt("crm_opportunity_id", ID_HINT),
            _req("updated_at", TS),
        ),
        "Invoice and credit-note headers.",
    ),
    ExtractObject(
        "erp",
        "invoice_lines",
        ("invoice_number", "line_number"),
        (
            _code("invoice_number"),
            _req("line_number", INT),
            _code("item_code", required=False),
            _money("quantity", required=True),
            _money("unit_price", required=True),
            _money("net_amount", required=True),
            _money("cost_amount", required=False),
            _req("updated_at", TS),
        ),
        "Invoice and credit-note lines.",
    ),
    ExtractObject(
        "erp",
        "payments",
        ("payment_id",),
        (
            _code("payment_id"),
            _code("invoice_number"),
            _req("payment_date", DT),
            _money("amount", required=True),
            _req("currency", ColumnType.CURRENCY),
        ),
        "Customer payments against invoices.",
    ),
    ExtractObject(
        "erp",
        "fx_rates",
        ("rate_date", "currency"),
        (
            _req("rate_date", DT),
            _req("currency", ColumnType.CURRENCY),
            _req("rate_to_eur", D, greater_than=0, below_abs=RATE_LIMIT, storage_type=RATE_TYPE),
        ),
        "Daily exchange rates: the EUR value of one unit of the currency.",
    ),
    ExtractObject(
        "erp",
        "fpa_forecast",
        ("forecast_id",),
        (
            _code("forecast_id"),
            _req("period_month", DT),
            _req("version_date", DT),
            _money("bookings_forecast", required=True),
            _money("revenue_forecast", required=True),
            _req("currency", ColumnType.CURRENCY),
        ),
        "Finance's own forecast per month and version.",
    ),
)

OBJECTS: tuple[ExtractObject, ...] = CRM_OBJECTS + ERP_OBJECTS
SYSTEMS: tuple[str, ...] = ("crm", "erp")

# Reason codes of the rejects table. The first four are the contract's; a
# record that is not valid CSV at all (unterminated quote, wrong number of
# fields) cannot be split into values, so it gets a code of its own.
REJECT_REASONS = (
    "missing_required",
    "invalid_type",
    "invalid_value",
    "duplicate_key_conflict",
    "malformed_record",
)
