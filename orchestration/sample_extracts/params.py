"""The knobs of the sample company, in one place.

Every number that shapes the generated data is here, with what it means. The
SQL in :mod:`orchestration.sample_extracts.model` reads them by name (they are
passed to ``str.format_map``), so changing a value here changes the data and
nothing else has to be edited. Sizes are "at scale 1" and multiplied by
``--scale``; the ``MIN_*`` floors keep tiny scales (tests) meaningful.
"""

from __future__ import annotations

from datetime import date
from typing import Final

# --- Calendar ---------------------------------------------------------------------------------
DEFAULT_END: Final = date(2025, 12, 31)  # last day of the default history (not "today")
HISTORY_YEARS: Final = 3  # default --start is DEFAULT_END minus 3 years plus one day
DEFAULT_DROPS: Final = 6  # monthly drops; the last one is the day after --end

# --- Size at scale 1 --------------------------------------------------------------------------
REPS: Final = 40  # sales rep seats (CRM Users owning accounts), spread over 4 regions
MIN_REPS: Final = 8
ACCOUNTS: Final = 2_000
MIN_ACCOUNTS: Final = 60
OPPORTUNITIES: Final = 25_000
MIN_OPPORTUNITIES: Final = 600
EVENTS: Final = 20_000
MIN_EVENTS: Final = 400
WEBSHOP_CUSTOMER_SHARE: Final = 0.05  # ERP-only customers (no CRM account), per CRM account
DUPLICATE_ACCOUNT_RATE: Final = 0.005  # CRM duplicates created by reps, deleted a few days later

# --- People -----------------------------------------------------------------------------------
REP_ATTRITION: Final = 0.15  # share of seats whose rep leaves; a successor takes over the seat
ASSESSED_ACCOUNT_SHARE: Final = 0.40  # accounts in the relationship-assessment programme
ASSESSMENT_MAX_ROUNDS: Final = 5  # seller assessment rounds per assessed account, ~7 months apart
BUYER_RESPONSE_RATE: Final = 0.55  # share of rounds the buyer answers too

# --- Relationship ladder ----------------------------------------------------------------------
# Each account has a latent relationship strength r in [0, 1): r = 0.88 * u at CRM go-live, plus
# RELATIONSHIP_GROWTH_PER_YEAR. Rungs: r < first threshold Acquaintance, < second Professional
# Peer, else Respected Advisor. Assessments perceive r with noise; buyers see it lower.
RELATIONSHIP_START_SPREAD: Final = 0.88
RELATIONSHIP_GROWTH_PER_YEAR: Final = 0.04
RUNG_THRESHOLDS: Final = (0.45, 0.75)
SELLER_PERCEPTION_NOISE: Final = 0.06
BUYER_PERCEPTION_GAP: Final = 0.08  # buyer perceives r lower by this much (perception gap)
BUYER_PERCEPTION_NOISE: Final = 0.08
SCORE_NOISE: Final = 1.0  # sd of each 0-10 indicator score around 10 * perceived r

# --- Deals ------------------------------------------------------------------------------------
WIN_RATE_BY_RUNG: Final = (0.20, 0.32, 0.46)  # Acquaintance, Professional Peer, Respected Advisor
TRAINING_WIN_LIFT: Final = 0.06  # owner completed Hybrid/Virtual Selling before the close date
GROSS_MARGIN_BY_RUNG: Final = (0.28, 0.36, 0.45)
DEAL_MEDIAN_EUR: Final = 20_000
DEAL_SIGMA: Final = 0.85  # lognormal spread of deal size
CYCLE_MIN_DAYS: Final = 25
CYCLE_SPREAD_DAYS: Final = 120
QUARTER_END_SNAP: Final = 0.45  # share of deals whose planned close is moved to quarter end
SLIP_RATE: Final = 0.30  # deals whose close date slips (1-2 months, twice for some)
SECOND_SLIP_RATE: Final = 0.35
AMOUNT_DRIFT_SD: Final = 0.12  # amount change from first to last open stage
NULL_AMOUNT_RATE: Final = 0.12  # Prospecting rows without an amount
DELETED_OPPORTUNITY_RATE: Final = 0.005
RECURRING_SHARE: Final = 0.60  # subscription deals (12 monthly or 4 quarterly invoices)
MONTHLY_BILLING_SHARE: Final = 0.7

# Stages: (name, probability, forecast category); index 1..4 = open stages.
STAGES: Final = (
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 20, "Pipeline"),
    ("Proposal", 50, "Best Case"),
    ("Negotiation", 75, "Commit"),
)
WON_STAGE: Final = ("Closed Won", 100, "Closed")
LOST_STAGE: Final = ("Closed Lost", 0, "Omitted")

# --- Forecasts --------------------------------------------------------------------------------
# A rep's Commit call for month M = ((1-w) * own won bookings in M + w * company bookings per
# rep in M) * (1 + SALES_FORECAST_BIAS) * lognormal noise; Best Case = Commit * 1.35..1.6.
SALES_FORECAST_BIAS: Final = 0.25
SALES_FORECAST_POOLING: Final = 0.3  # w above
SALES_FORECAST_NOISE: Final = 0.15
EARLY_SUBMISSION_RATE: Final = 0.35  # an earlier call in the month before, later restated
# Each rep's persistent bias: the Commit call is also scaled by exp(REP_BIAS_SPREAD * z_rep),
# z_rep ~ N(0, 1) fixed per rep: some reps sandbag, some are optimistic, month after month.
REP_BIAS_SPREAD: Final = 0.3
# Managers' Team-scope Commit calls (replace their team's roll-up): in this share of months,
# the team's own calls x TEAM_CALL_CUT x lognormal noise (managers know their reps a little).
TEAM_CALL_RATE: Final = 0.4
TEAM_CALL_CUT: Final = 0.9
TEAM_CALL_NOISE: Final = 0.08
# Monthly quotas (ForecastingQuota): every active rep gets the plan's run rate (bookings per
# rep over the 12 months before the period) x QUOTA_STRETCH x a personal level in 0.8..1.2; the managers of regions 0 and 1 carry a quota of
# their own (the sum of their reps' quotas x MANAGER_QUOTA_STRETCH), the others roll up.
QUOTA_STRETCH: Final = 1.1
MANAGER_QUOTA_STRETCH: Final = 1.05
ON_FIRST_SUBMISSION_RATE: Final = 0.12  # a restatement dated on the 1st (belongs to the month)
MID_MONTH_SUBMISSION_RATE: Final = 0.20  # a restatement during the month
FINANCE_HAIRCUT: Final = 0.25  # fpa bookings_forecast ~ (1 - haircut) * sales Commit forecast
FINANCE_NOISE: Final = 0.05  # noise of the last version before the month (earlier: 0.12)
ON_FIRST_FPA_VERSION_RATE: Final = 0.3  # an fpa version dated on the 1st of the month

# --- Meetings ---------------------------------------------------------------------------------
VIRTUAL_SHARE_START: Final = 0.20  # share of meetings with a known mode that are virtual
VIRTUAL_SHARE_END: Final = 0.60
MEETING_MODE_UNKNOWN: Final = 0.07  # Meeting_Mode__c NULL
DELETED_EVENT_RATE: Final = 0.01
NO_ACCOUNT_EVENT_RATE: Final = 0.04  # internal meetings without AccountId

# --- Invoicing --------------------------------------------------------------------------------
DISCOUNT_LINE_SHARE: Final = 0.15  # invoices with a negative discount line
DRAFT_RATE: Final = 0.10  # invoices that are draft for 1-4 days before posting
STUCK_DRAFT_RATE: Final = 0.003  # drafts never posted
CANCEL_RATE: Final = 0.008  # posted invoices cancelled 2-26 days later
CREDIT_NOTE_RATE: Final = 0.015  # posted invoices that get a credit note 10-60 days later
PAID_SHARE: Final = 0.94
SPLIT_PAYMENT_SHARE: Final = 0.06
LATE_PAYER_SHARE: Final = 0.12  # customers who pay 20-80 days after the due date
NEVER_INVOICED_SHARE: Final = 0.04  # won deals no invoice ever names (the backlog that stays)
BLOCKED_CUSTOMER_RATE: Final = 0.02
OFFSET_TIMESTAMP_SHARE: Final = 0.03  # datetimes written with a +02:00 offset (still valid)

# --- FX ---------------------------------------------------------------------------------------
# EUR value of one unit. USD and GBP walk daily (business days); EUR is written with rate 1.
# CHF is never written to fx_rates: CHF invoices are the "missing FX" mess.
FX_BASE: Final = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17, "CHF": 1.05}
FX_DAILY_VOL: Final = 0.004

# --- Daily delta drop (--daily-drop) ---------------------------------------------------------
# One day of changes on top of the landing folder's drops, each a share of the current records
# of its object (at least one of each kind): about 1% new or changed rows of the big objects.
DAILY_NEW_INVOICE_RATE: Final = 0.008  # new invoices, lines copied from a recent invoice
DAILY_CANCEL_RATE: Final = 0.001  # posted invoices cancelled (status = cancelled)
DAILY_LINE_CORRECTION_RATE: Final = 0.002  # lines re-sent with a corrected unit price
DAILY_LINE_CORRECTION: Final = 0.95  # the corrected unit price, as a share of the old one
DAILY_PAYMENT_RATE: Final = 0.01  # new payments (of open invoices), per current payment
DAILY_STAGE_CHANGE_RATE: Final = 0.006  # open opportunities moving one stage on (the oldest too)
DAILY_NEW_OPPORTUNITY_RATE: Final = 0.004
DAILY_NEW_EVENT_RATE: Final = 0.009  # meetings planned 1-14 days ahead
DAILY_CHANGED_EVENT_RATE: Final = 0.001  # meetings whose mode and duration change
DAILY_FX_CORRECTION_LAG_DAYS: Final = 7  # a GBP rate at least this many days back is corrected

# --- Mess -------------------------------------------------------------------------------------
# Each kind's rate is --mess-rate times its multiplier, and at least one instance of each kind
# is written whenever --mess-rate > 0 (ranked by hash, so small scales get one too). --clean
# sets all of them to zero. Contract-breaking kinds are rare (0.1x-0.5x); link mess is common.
DEFAULT_MESS_RATE: Final = 0.01
MESS_MULTIPLIERS: Final = {
    # soft mess: loads fine, makes matching and KPIs harder
    "vat_format": 20.0,  # ERP writes the VAT number differently ("DE 123.456.789", "de123...")
    "vat_missing": 3.0,  # VAT blank on one side
    "name_variant": 15.0,  # "ACME GMBH" in ERP vs "Acme" in CRM, or case only
    "hint_blank": 10.0,  # ERP crm_account_id blank for a CRM-linked customer
    "hint_wrong": 1.0,  # ERP crm_account_id names another existing account
    "hint_unknown": 1.0,  # ERP crm_account_id names no account at all
    "erp_number_blank": 5.0,  # CRM ERP_Customer_Number__c not filled in
    "chf_customer": 30.0,  # share of Swiss customers invoiced in CHF (no CHF rate exists)
    "null_cost": 2.0,  # invoice lines without cost_amount
    # contract-breaking rows (rejected by the loader)
    "bad_date": 0.1,  # "2025-02-30" or "31/12/2025"
    "bad_score": 0.5,  # indicator score 11 or -1
    "missing_required": 0.05,  # Opportunity.StageName blank
    "invalid_value": 0.05,  # Event.Meeting_Mode__c "Hybrid"
    "dup_conflict": 0.1,  # same key twice in one file, different content
    "dup_identical": 0.1,  # the same row twice in one file
}

# --- Reference data ---------------------------------------------------------------------------
# Regions: (index, name, share of accounts, currency of the reps' forecast calls).
REGIONS: Final = (
    (0, "DACH", 0.32, "EUR"),
    (1, "Western Europe", 0.28, "EUR"),
    (2, "UK & Nordics", 0.20, "GBP"),
    (3, "North America", 0.20, "USD"),
)
# Countries: (code, region, share within region, currency, legal form, VAT prefix, VAT suffix,
# web TLD, cities).
COUNTRIES: Final = (
    ("DE", 0, 0.60, "EUR", "GmbH", "DE", "", "de", ("Berlin", "München", "Hamburg", "Köln")),
    ("AT", 0, 0.20, "EUR", "GmbH", "ATU", "", "at", ("Wien", "Graz", "Linz")),
    ("CH", 0, 0.20, "EUR", "AG", "CHE", "", "ch", ("Zürich", "Basel", "Genève")),
    ("FR", 1, 0.35, "EUR", "SAS", "FR", "", "fr", ("Paris", "Lyon", "Toulouse")),
    ("NL", 1, 0.25, "EUR", "B.V.", "NL", "B01", "nl", ("Amsterdam", "Rotterdam", "Utrecht")),
    ("BE", 1, 0.15, "EUR", "NV", "BE", "", "be", ("Brussel", "Antwerpen", "Gent")),
    ("ES", 1, 0.15, "EUR", "S.L.", "ES", "", "es", ("Madrid", "Barcelona", "Valencia")),
    ("IT", 1, 0.10, "EUR", "S.r.l.", "IT", "", "it", ("Milano", "Roma", "Torino")),
    ("GB", 2, 0.60, "GBP", "Ltd", "GB", "", "co.uk", ("London", "Manchester", "Leeds")),
    ("IE", 2, 0.15, "EUR", "Ltd", "IE", "", "ie", ("Dublin", "Cork")),
    ("SE", 2, 0.15, "EUR", "AB", "SE", "01", "se", ("Stockholm", "Göteborg", "Malmö")),
    ("DK", 2, 0.10, "EUR", "A/S", "DK", "", "dk", ("København", "Aarhus")),
    ("US", 3, 1.00, "USD", "Inc.", "", "", "com", ("New York", "Chicago", "Austin", "Boston")),
)
NAME_PREFIXES: Final = (
    "Nord", "Alpen", "Rhein", "Atlas", "Vertex", "Blue", "Silver", "Grün", "Fjäll", "Øster",
    "Élan", "Stern", "Falken", "Iron", "Cedar", "Harbor", "Summit", "Polar", "Delta", "Orbit",
    "Nova", "Lumen", "Aqua", "Terra", "Solar", "Kron", "Linden", "Birch", "Maple", "Granit",
    "Quant", "Pixel", "Vector", "Helix", "Zenit", "Apex", "Bright", "Clear", "Rapid", "Prime",
    "Alto", "Brook", "Crest", "Drake", "Ember", "Frost", "Glen", "Haven",
)  # fmt: skip
NAME_CORES: Final = (
    "tech", "werk", "data", "line", "soft", "med", "bau", "logic", "form", "net", "ware", "mark",
    "field", "stone", "gate", "port", "wave", "point", "core", "bridge", "light", "works",
    "craft", "hub", "labs", "path", "scope", "sense", "flow", "tec",
)  # fmt: skip
# Third name part and the account's industry.
NAME_SUFFIXES: Final = (
    ("Systems", "Technology"), ("Logistics", "Logistics"), ("Foods", "Food & Beverage"),
    ("Engineering", "Manufacturing"), ("Solutions", "Technology"), ("Retail", "Retail"),
    ("Energy", "Energy"), ("Pharma", "Healthcare"), ("Media", "Media"),
    ("Capital", "Financial Services"), ("Industries", "Manufacturing"), ("Health", "Healthcare"),
)  # fmt: skip
FIRST_NAMES: Final = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Katrin",
    "Lukas", "Marie", "Niklas", "Olivia", "Paul", "Quentin", "Rosa", "Simon", "Tara", "Ulla",
    "Viktor", "Wendy", "Xavier", "Yara", "Zoe", "Amélie", "Björn", "Chloé", "Dominik", "Elif",
    "François", "Gianni", "Hannah", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nora",
)  # fmt: skip
LAST_NAMES: Final = (
    "Müller", "Schmidt", "Dubois", "Jansen", "García", "Rossi", "Smith", "Jones", "Andersson",
    "Nielsen", "O'Brien", "Weber", "Martin", "de Vries", "López", "Bianchi", "Taylor", "Brown",
    "Johansson", "Hansen", "Murphy", "Fischer", "Bernard", "Bakker", "Fernández", "Ricci",
    "Wilson", "Davies", "Karlsson", "Larsen", "Kelly", "Wagner", "Petit", "Visser", "Romero",
    "Greco", "Evans", "Thomas", "Nilsson", "Pedersen",
)  # fmt: skip
LEAD_SOURCES: Final = ("Web", "Partner", "Referral", "Trade Show", "Outbound", "Inbound Call")
OPPORTUNITY_TOPICS: Final = ("Platform", "Expansion", "Renewal", "Services", "Add-on", "Pilot")
MEETING_SUBJECTS: Final = (
    "Discovery call", "Product demo", "Quarterly business review", "Negotiation meeting",
    "Executive briefing", "Implementation check-in", "Workshop",
)  # fmt: skip
MEETING_DURATIONS: Final = (30, 45, 60, 90, 120)

# Courses: (name, Course_Type__c, share of users taking it, yearly?, cost in EUR or None).
COURSES: Final = (
    ("Hybrid Selling Essentials", "Hybrid Selling", 0.45, False, 1200),
    ("Virtual Selling Masterclass", "Virtual Selling", 0.30, False, 900),
    ("Product Certification", "Product", 0.85, True, 400),
    ("Negotiation Fundamentals", "Other", 0.35, False, 1500),
    ("Compliance & Ethics", "Other", 0.90, True, None),
)
HYBRID_ROLLOUT_DAYS: Final = 120  # hybrid/virtual courses start this many days after --start

# Items: (item_code, description, product_family, is_recurring, margin adjustment).
ITEMS: Final = (
    ("SKU-1001", "Platform Standard (per user / month)", "Platform", True, 0.10),
    ("SKU-1002", "Platform Professional (per user / month)", "Platform", True, 0.12),
    ("SKU-1003", "Platform Enterprise (per user / month)", "Platform", True, 0.15),
    ("SKU-1101", "Analytics Add-on", "Add-on", True, 0.12),
    ("SKU-1102", "Integration Add-on", "Add-on", True, 0.08),
    ("SKU-1103", "Storage Add-on (per TB)", "Add-on", True, 0.05),
    ("SKU-1104", "Mobile Add-on", "Add-on", True, 0.10),
    ("SKU-1201", "Premium Support", "Support", True, 0.02),
    ("SKU-1202", "Standard Support", "Support", True, 0.04),
    ("SKU-2001", "Implementation (per day)", "Services", False, -0.08),
    ("SKU-2002", "Data Migration (per day)", "Services", False, -0.06),
    ("SKU-2003", "Consulting (per day)", "Services", False, -0.04),
    ("SKU-2004", "Project Management (per day)", "Services", False, -0.05),
    ("SKU-3001", "Edge Gateway", "Hardware", False, -0.12),
    ("SKU-3002", "Sensor Kit", "Hardware", False, -0.10),
    ("SKU-3003", "Rack Appliance", "Hardware", False, -0.15),
    ("SKU-4001", "Admin Training (per seat)", "Training", False, 0.00),
    ("SKU-4002", "End-user Training (per seat)", "Training", False, 0.02),
    ("SKU-9900", "Discount", "Discount", False, 0.00),
)
RENAMED_ITEMS: Final = ("SKU-1103", "SKU-3002")  # descriptions change in the last delta drop
