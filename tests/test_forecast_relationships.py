"""Forecast and relationship facts, end to end on a small fixture.

tests/fixtures/forecast_known/ is a landing folder whose numbers are worked
out by hand below (EUR reporting currency, USD 0.90 until 2025-02-28 and 0.95
from 2025-03-01). The leakage test proves the relationship forecast of a month
is a true backtest: data dated in or after the month changes nothing in it,
while a change dated before the month does.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, run_dbt, write

FIXTURE = Path(__file__).parent / "fixtures" / "forecast_known"
MARCH = "2025-03-01"

pytestmark = pytest.mark.slow


def build(landing: Path, warehouse: Path, target: Path, models_only: bool = False) -> None:
    """Load every new file of the landing folder, then dbt build (models and tests).

    `models_only`: seeds and models without the data tests, where a test asserts values itself.
    """
    results = load_landing(landing, warehouse)
    refused = [r for r in results if r.status == "refused" or r.rows_rejected]
    assert not refused, [(r.landing_file.relative_path, r.error) for r in refused]
    run_dbt(BUILD_WITHOUT_TESTS if models_only else ["build"], warehouse, target_path=target)


def rows(warehouse: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def one(warehouse: Path, sql: str, *params: object) -> tuple:
    result = rows(warehouse, sql, *params)
    assert len(result) == 1, result
    return result[0]


@pytest.fixture(scope="module")
def baseline(
    tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None
) -> Iterator[tuple[Path, Path]]:
    """The fixture landing loaded and built once: (landing copy, warehouse)."""
    root = tmp_path_factory.mktemp("forecast_known")
    landing = root / "landing"
    shutil.copytree(FIXTURE, landing)
    add_relationship_edge_cases(landing)
    warehouse = root / "warehouse.duckdb"
    build(landing, warehouse, root / "target")
    yield landing, warehouse


EDGE_DROP = "2025-04-02T120000"  # the same extract day: the published months do not change


def add_relationship_edge_cases(landing: Path) -> None:
    """A later drop of the same day with relationship edge cases (docs/kpi-rules.md):

    - A5 was invoiced 100 in 2023-12 and credited 100 (cost 40) on 2025-02-10: its
      only document in the 12-month windows of February and March 2025 is a credit
      note, so it had no invoiced revenue there (-100) and is in neither part of
      assessed_account_share; its trailing margin is -60, but it has no index, so
      no relationship capital (NULL).
    - A6 was assessed on 2025-02-20 by two sellers (R20 Acquaintance, index 40;
      R21 Respected Advisor, index 90) and a buyer (R22, index 50): the seller
      assessment with the higher Id (R21) is the latest, the buyer's of the same
      day is the latest buyer view: index 90, gap 40. A6 has no invoices: capital 0.
    - A3 is assessed by its buyer only (R23, 2025-02-12, Respected Advisor, index 70):
      a buyer view gives no relationship index, rung or forecast tier (seller only), so
      A3 stays out of relationship_index and respected_advisor_share, has no gap, and
      its deal O9 stays Unassessed in March's relationship forecast.
    """
    write(
        landing,
        f"crm/{EDGE_DROP}/Account.csv",
        "Id,Name,BillingCountry,Industry,OwnerId,CreatedDate,LastModifiedDate,IsDeleted\n"
        "A5,Echo,DE,Retail,U1,2023-01-01T00:00:00Z,2023-01-01T00:00:00Z,false\n"
        "A6,Foxtrot,DE,Retail,U2,2023-01-01T00:00:00Z,2023-01-01T00:00:00Z,false\n",
    )
    write(
        landing,
        f"crm/{EDGE_DROP}/Relationship_Assessment__c.csv",
        csv_text(
            ASSESSMENT_HEADER,
            "R20,A6,U1,2025-02-20,Seller,Acquaintance,4,4,4,4,4",
            "R21,A6,U2,2025-02-20,Seller,Respected Advisor,9,9,9,9,9",
            "R22,A6,U2,2025-02-20,Buyer,Professional Peer,5,5,5,5,5",
            "R23,A3,U2,2025-02-12,Buyer,Respected Advisor,7,7,7,7,7",
        ),
    )
    write(
        landing,
        f"erp/{EDGE_DROP}/customers.csv",
        "customer_number,name,vat_number,country_code,city,crm_account_id,payment_terms_days,"
        "is_blocked,created_at,updated_at\n"
        "C5,Echo GmbH,,DE,Berlin,A5,30,false,2023-01-01T00:00:00Z,2023-01-01T00:00:00Z\n",
    )
    write(
        landing,
        f"erp/{EDGE_DROP}/invoices.csv",
        "invoice_number,customer_number,document_type,invoice_date,due_date,currency,status,"
        "crm_opportunity_id,updated_at\n"
        "I5,C5,invoice,2023-12-01,2023-12-31,EUR,posted,,2023-12-01T00:00:00Z\n"
        "CN5,C5,credit_note,2025-02-10,2025-02-10,EUR,posted,,2025-02-10T00:00:00Z\n",
    )
    write(
        landing,
        f"erp/{EDGE_DROP}/invoice_lines.csv",
        "invoice_number,line_number,item_code,quantity,unit_price,net_amount,cost_amount,updated_at\n"
        "I5,1,SKU-1,1,100,100,0,2023-12-01T00:00:00Z\n"
        "CN5,1,SKU-1,1,100,100,40,2025-02-10T00:00:00Z\n",
    )


def fork(baseline: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the baseline landing folder and warehouse to change."""
    landing, warehouse = baseline
    shutil.copytree(landing, tmp_path / "landing")
    shutil.copy(warehouse, tmp_path / "warehouse.duckdb")
    return tmp_path / "landing", tmp_path / "warehouse.duckdb"


# --------------------------------------------------------------------------- known answers


def test_company_forecasts_of_march(baseline: tuple[Path, Path]) -> None:
    _, warehouse = baseline
    sales, finance, relationship, bookings, haircut, acc_sales, acc_finance, acc_rel = one(
        warehouse,
        """
        select
            facts.sales_forecast_amount, facts.finance_forecast_amount,
            facts.relationship_forecast_amount, facts.bookings_amount,
            max(case when kpis.kpi_code = 'forecast_haircut_pct' then kpis.value end),
            max(case when kpis.kpi_code = 'forecast_accuracy_sales' then kpis.value end),
            max(case when kpis.kpi_code = 'forecast_accuracy_finance' then kpis.value end),
            max(case when kpis.kpi_code = 'forecast_accuracy_relationship' then kpis.value end)
        from marts.fct_forecast_company_monthly as facts
        inner join marts.kpi_company_monthly as kpis on facts.month = kpis.month
        where facts.month = ?
        group by all
        """,
        MARCH,
    )
    # U1: S2 (24000 EUR, 2025-02-27) beats S1 (earlier); S3 is dated on the 1st.
    # U2: S4 10000 USD at the 2025-02-25 rate 0.90; S5 is Best Case.
    assert sales == Decimal("33000.00")
    # F2 (2025-02-28) is the latest version before March; F3 is dated on the 1st.
    assert finance == Decimal("24750.00")
    # Won in March: O6 20000 USD at the CloseDate (2025-03-20) rate 0.95 + O9 4000.
    assert bookings == Decimal("23000.00")
    # Open pipeline of March x p(tier as of 2025-03-01): O6 19000 x p(Professional
    # Peer) 1/1 + O7 8000 x 1/1 + O9 4000 x p(Unassessed) 1/2 (O4 lost, O5 won).
    assert relationship == Decimal("29000.00")
    assert haircut == pytest.approx(0.25)
    assert acc_sales == pytest.approx(1 - 10000 / 23000)
    assert acc_finance == pytest.approx(1 - 1750 / 23000)
    assert acc_rel == pytest.approx(1 - 6000 / 23000)

    reps = rows(
        warehouse,
        """
        select r.user_id, f.sales_forecast_amount, f.forecast_submission_id, f.bookings_amount
        from marts.fct_sales_forecast_rep_monthly as f
        inner join marts.dim_sales_rep as r on f.sales_rep_key = r.sales_rep_key
        where f.month = ? and r.user_id in ('U1', 'U2')
        order by r.user_id
        """,
        MARCH,
    )
    assert reps == [
        ("U1", Decimal("24000.00"), "S2", Decimal("23000.00")),
        ("U2", Decimal("9000.00"), "S4", Decimal("0.00")),
    ]


def test_pipeline_of_march_is_rebuilt_as_of_its_first_day(baseline: tuple[Path, Path]) -> None:
    _, warehouse = baseline
    pipeline = rows(
        warehouse,
        """
        select opportunity_id, month_start_forecast_category, open_pipeline_amount,
               weighted_pipeline_amount, slipped_amount, relationship_tier, tier_win_rate
        from marts.fct_pipeline_monthly
        where month = ?
        order by opportunity_id
        """,
        MARCH,
    )
    assert pipeline == [
        # USD 20000 at the rate of the history row's CloseDate (2025-03-15): 0.95.
        ("O6", "Best Case", Decimal("19000.00"), Decimal("9500.00"), Decimal("0.00"),
         "Professional Peer", 1.0),
        # CloseDate moved from 2025-03-31 to 2025-05-15 on 2025-03-25: slipped.
        ("O7", "Pipeline", Decimal("8000.00"), Decimal("1600.00"), Decimal("8000.00"),
         "Professional Peer", 1.0),
        ("O9", "Commit", Decimal("4000.00"), Decimal("3000.00"), Decimal("0.00"),
         "Unassessed", 0.5),
    ]  # fmt: skip
    # O8's row written 2025-02-28T23:55:00-05:00 is 2025-03-01T04:55Z: not before
    # March, so O8 (then closing in April) is in no month's pipeline; O10 is deleted.
    assert (
        rows(
            warehouse,
            "select month, opportunity_id from marts.fct_pipeline_monthly "
            "where opportunity_id in ('O8', 'O10')",
        )
        == []
    )
    # O7 is in May's pipeline with its new CloseDate.
    assert one(
        warehouse,
        "select month from marts.fct_pipeline_monthly where opportunity_id = 'O7' and month > ?",
        MARCH,
    ) == (date(2025, 5, 1),)


def test_relationship_facts_of_february_and_march(baseline: tuple[Path, Path]) -> None:
    _, warehouse = baseline
    facts = rows(
        warehouse,
        """
        select f.month, a.crm_account_id, f.seller_relationship_index, f.buyer_relationship_index,
               f.perception_gap_points, f.gross_margin_12m_amount,
               f.relationship_capital_amount, f.forecast_relationship_tier,
               f.revenue_and_assessment_12m_account_count
        from marts.fct_account_relationship_monthly as f
        inner join marts.dim_account as a on f.account_key = a.account_key
        where f.month in ('2025-02-01', '2025-03-01')
        order by f.month, a.crm_account_id
        """,
    )
    d = Decimal
    assert [row[1:] for row in facts] == [
        # February: A1's seller assessment of 2025-02-01 is on or before the month's
        # end (index 80) but not before its start: the forecast tier is still the
        # Acquaintance rung of 2024-06-15. Margin March 2024 - February 2025: I2
        # (2024-03-10, 400) + I1 (400); in March, I2 has left the 12-month window.
        # A3 has no index, so no capital is known (NULL, not 0).
        ("A1", d("80.00"), d("60.00"), d("20.00"), d("800.00"), d("640.00"), "Acquaintance", 1),
        ("A2", d("56.00"), None, None, d("0.00"), d("0.00"), "Professional Peer", 0),
        # A3: its buyer's view only (R23): no index, no gap, no capital, no tier.
        ("A3", None, d("70.00"), None, d("0.00"), None, "Unassessed", 0),
        # A5: only the credit note CN5 (100 - 40) in the window; A6: R21 over R20 (same
        # day, higher Id), the buyer's R22 of that day; its rung is not before February.
        ("A5", None, None, None, d("-60.00"), None, "Unassessed", 0),
        ("A6", d("90.00"), d("50.00"), d("40.00"), d("0.00"), d("0.00"), "Unassessed", 0),
        ("A1", d("80.00"), d("60.00"), d("20.00"), d("400.00"), d("320.00"), "Professional Peer", 1),
        # I3: 2000 - 1000 USD at 0.95 = 950 of margin, x 56 / 100.
        ("A2", d("56.00"), None, None, d("950.00"), d("532.00"), "Professional Peer", 1),
        ("A3", None, d("70.00"), None, d("0.00"), None, "Unassessed", 0),
        ("A5", None, None, None, d("-60.00"), None, "Unassessed", 0),
        # R21 (2025-02-20) is before March: the March forecast tier is Respected Advisor.
        ("A6", d("90.00"), d("50.00"), d("40.00"), d("0.00"), d("0.00"), "Respected Advisor", 0),
    ]  # fmt: skip


def test_company_relationship_kpis_of_february_and_march(baseline: tuple[Path, Path]) -> None:
    """The company values, from the account facts above, computed by hand."""
    _, warehouse = baseline
    kpis = dict(
        ((month.isoformat(), code), value)
        for month, code, value in rows(
            warehouse,
            """
            select month, kpi_code, value from marts.kpi_company_monthly
            where month in ('2025-02-01', '2025-03-01')
                and kpi_code in ('relationship_index', 'relationship_potential_used',
                    'relationship_perception_gap', 'relationship_capital',
                    'respected_advisor_share', 'assessed_account_share')
            """,
        )
    )
    expected = {
        # seller indexes A1 80, A2 56, A6 90; A6 (R21) is the one Respected Advisor;
        # gaps A1 20, A6 40; A3's buyer-only view (R23) counts in none of them. Capital February: A1 640 + A2 0 + A6 0; March: 320 + 532 + 0.
        "relationship_index": (226 / 3, 226 / 3),
        "relationship_potential_used": (2.26 / 3, 2.26 / 3),
        "relationship_perception_gap": (30, 30),
        "relationship_capital": (640, 852),
        "respected_advisor_share": (1 / 3, 1 / 3),
        # Accounts with invoiced revenue above 0 in the window: February A1 (I2 + I1),
        # March A1 (I1) and A2 (I3), all assessed in it. A5's only document there is
        # the credit note CN5 (-100): no revenue, in neither part (not 1/2 and 2/3).
        "assessed_account_share": (1, 1),
    }
    for code, (february, march) in expected.items():
        assert kpis[("2025-02-01", code)] == pytest.approx(february), code
        assert kpis[("2025-03-01", code)] == pytest.approx(march), code


def test_hybrid_selling_facts(baseline: tuple[Path, Path]) -> None:
    _, warehouse = baseline
    reps = rows(
        warehouse,
        """
        select r.user_id, f.meetings_total, f.meetings_virtual, f.meetings_known_mode,
               f.is_active, f.is_trained_by_month_end, f.trained_active_rep_count
        from marts.fct_rep_monthly as f
        inner join marts.dim_sales_rep as r on f.sales_rep_key = r.sales_rep_key
        where f.month = ? and not r.is_unknown_member
        order by r.user_id
        """,
        MARCH,
    )
    assert reps == [
        ("U1", 4, 2, 3, True, True, 1),  # E4 has no mode
        ("U2", 1, 0, 1, True, False, 0),  # E5 is deleted; a Product course is no training
        ("U3", 0, 0, 0, False, True, 0),  # Virtual Selling on 2025-03-31, inactive
    ]
    # Closed in March: O6 and O9 won by U1 (trained 2025-01-15), O8 lost by U2.
    assert one(
        warehouse,
        """
        select sum(trained_won_count), sum(trained_closed_count),
               sum(untrained_won_count), sum(untrained_closed_count)
        from marts.fct_opportunity_outcomes
        where month = ?
        """,
        MARCH,
    ) == (2, 2, 0, 1)


def test_company_totals_are_sums_of_the_finer_facts(baseline: tuple[Path, Path]) -> None:
    """Every month: company = sum of reps = sum of pipeline rows; bookings = won outcomes."""
    _, warehouse = baseline
    mismatches = rows(
        warehouse,
        """
        with
        reps as (
            select month, sum(sales_forecast_amount) as sales, sum(bookings_amount) as bookings
            from marts.fct_sales_forecast_rep_monthly group by month
        ),
        pipeline as (
            select month, sum(relationship_forecast_amount) as relationship
            from marts.fct_pipeline_monthly group by month
        ),
        outcomes as (
            select month, sum(won_amount) as won from marts.fct_opportunity_outcomes group by month
        )
        select c.month
        from marts.fct_forecast_company_monthly as c
        left join reps on c.month = reps.month
        left join pipeline on c.month = pipeline.month
        left join outcomes on c.month = outcomes.month
        where c.sales_forecast_amount <> coalesce(reps.sales, 0)
            or c.bookings_amount <> coalesce(reps.bookings, 0)
            or c.bookings_amount <> coalesce(outcomes.won, 0)
            or c.relationship_forecast_amount <> coalesce(pipeline.relationship, 0)
        """,
    )
    assert mismatches == []
    uncovered = rows(
        warehouse,
        """
        select month from marts.fct_pipeline_monthly
        union select month from marts.fct_opportunity_outcomes where won_count = 1
        except select month from marts.fct_forecast_company_monthly
        """,
    )
    assert uncovered == []


def test_without_team_calls_and_quotas_the_published_values_do_not_change(
    baseline: tuple[Path, Path],
) -> None:
    """No Team-scope call, no ForecastingQuota: sales_forecast is still the sum of the
    reps' latest Commit calls (the definition before the team grain, computed here from
    staging), pipeline_coverage still open_pipeline / the targets seed, and quotas of
    teams and reps are NULL."""
    _, warehouse = baseline
    changed = rows(
        warehouse,
        """
        with
        latest as (
            select s.period_month as month, s.amount * coalesce(f.rate_to_reporting, 0) as amount
            from staging.stg_crm__forecast_submissions as s
            left join intermediate.int_fx_rates_filled as f
                on f.currency_code = s.currency_code and f.rate_date = s.submitted_date
            where s.forecast_category = 'Commit' and s.submitted_at < s.period_month
            qualify row_number() over (
                partition by s.owner_user_id, s.period_month order by s.submitted_at desc
            ) = 1
        ),
        old_sales as (select month, sum(amount) as value from latest group by month),
        targets as (select month, bookings_target_amount from marts.fct_bookings_targets),
        kpis as (
            select month,
                max(case when kpi_code = 'sales_forecast' then value end) as sales_forecast,
                max(case when kpi_code = 'open_pipeline' then value end) as open_pipeline,
                max(case when kpi_code = 'pipeline_coverage' then value end) as coverage,
                max(case when kpi_code = 'quota' then value end) as quota
            from marts.kpi_company_monthly group by month
        )
        select kpis.month
        from kpis
        left join old_sales using (month)
        left join targets using (month)
        where kpis.sales_forecast is distinct from old_sales.value
            or kpis.quota is distinct from targets.bookings_target_amount
            or abs(kpis.coverage - kpis.open_pipeline / targets.bookings_target_amount) > 1e-9
            or (kpis.coverage is null) <> (targets.bookings_target_amount is null
                                            or targets.bookings_target_amount = 0)
        """,
    )
    assert changed == []
    assert (
        one(
            warehouse,
            "select count(*) from marts.kpi_company_monthly where kpi_code = 'sales_forecast' and value > 0",
        )[0]
        >= 2
    )
    assert rows(
        warehouse,
        "select count(*) from marts.kpi_rep_monthly where kpi_code = 'quota' and value is not null",
    ) == [(0,)]


# --------------------------------------------------------------------------- no leakage

OPPORTUNITY_HEADER = (
    "Id,AccountId,OwnerId,Name,StageName,Amount,CurrencyIsoCode,Probability,CloseDate,"
    "ForecastCategoryName,IsClosed,IsWon,CreatedDate,LastModifiedDate,IsDeleted"
)
HISTORY_HEADER = (
    "Id,OpportunityId,StageName,Amount,Probability,CloseDate,ForecastCategory,CreatedDate,"
    "CreatedById"
)
ASSESSMENT_HEADER = (
    "Id,Account__c,Assessed_By__c,Assessment_Date__c,Respondent__c,Ladder_Rung__c,"
    "Strategy_Discussion__c,Personal_Trust__c,Extra_Time__c,Executive_Access__c,Mutual_Value__c"
)


def csv_text(header: str, *lines: str) -> str:
    return "\n".join((header, *lines)) + "\n"


def march_relationship_forecast(warehouse: Path) -> tuple[Decimal, list[tuple]]:
    total = one(
        warehouse,
        "select relationship_forecast_amount from marts.fct_forecast_company_monthly "
        "where month = ?",
        MARCH,
    )[0]
    detail = rows(
        warehouse,
        """
        select opportunity_id, open_pipeline_amount, relationship_tier, tier_won_count,
               tier_closed_count, relationship_forecast_amount
        from marts.fct_pipeline_monthly
        where month = ?
        order by opportunity_id
        """,
        MARCH,
    )
    return total, detail


def march_calibrated_forecast(warehouse: Path) -> list[tuple]:
    return rows(
        warehouse,
        "select sales_rep_key, own_call_amount, call_months, calibration_basis, "
        "calibration_factor, calibrated_amount "
        "from intermediate.int_sales_forecasts_calibrated where month = ? order by 1",
        MARCH,
    )


def tier_win_rates(warehouse: Path, month: str) -> list[tuple]:
    return rows(
        warehouse,
        "select relationship_tier, won_count, closed_count "
        "from intermediate.int_tier_win_rates_trailed where month = ? order by 1",
        month,
    )


def test_relationship_forecast_uses_nothing_dated_in_or_after_the_month(
    baseline: tuple[Path, Path], tmp_path: Path
) -> None:
    landing, warehouse = fork(baseline, tmp_path / "after")
    calibrated_before = march_calibrated_forecast(warehouse)
    before = march_relationship_forecast(warehouse)
    assert before[0] == Decimal("29000.00")
    april_rates_before = tier_win_rates(warehouse, "2025-04-01")

    # A later drop with changes dated in or after March 2025 only.
    drop = "crm/2025-05-02"
    assessments = csv_text(
        ASSESSMENT_HEADER,
        # A3 assessed on March 1st (not before March); A2 and A1 re-assessed later.
        "R6,A3,U2,2025-03-01,Seller,Respected Advisor,9,9,9,9,9",
        "R7,A2,U2,2025-03-15,Seller,Acquaintance,2,2,2,2,2",
        "R8,A1,U1,2025-04-10,Seller,Respected Advisor,10,10,10,10,10",
    )
    opportunities = csv_text(
        OPPORTUNITY_HEADER,
        # O4 (lost in February) re-opened and won in April: a close after March.
        "O4,A3,U2,Lost Unassessed,Closed Won,3000,EUR,100,2025-04-02,Closed,true,true,"
        "2024-12-01T09:00:00Z,2025-04-02T09:00:00Z,false",
        # O6's current amount changes in March (its history row of January does not).
        "O6,A1,U1,USD deal,Closed Won,25000,USD,100,2025-03-20,Closed,true,true,"
        "2025-01-10T09:00:00Z,2025-03-21T09:00:00Z,false",
        # New deals created in March: one won in March, one still open.
        "O11,A2,U2,March win,Closed Won,9000,EUR,100,2025-03-10,Closed,true,true,"
        "2025-03-02T09:00:00Z,2025-03-10T09:00:00Z,false",
        "O12,A3,U1,March open,Negotiation,7000,EUR,75,2025-03-28,Commit,false,false,"
        "2025-03-03T09:00:00Z,2025-03-03T09:00:00Z,false",
        # A loss entered in March, backdated to February: unknown when March began.
        "O13,A1,U1,Backdated loss,Closed Lost,5000,EUR,0,2025-02-25,Omitted,true,false,"
        "2025-03-05T09:00:00Z,2025-03-05T09:00:00Z,false",
        # A win entered in March, backdated to February: unknown when March began,
        # so the calibrated forecast of March must not see it in February's bookings.
        "O14,A1,U1,Backdated win,Closed Won,6000,EUR,100,2025-02-26,Closed,true,true,"
        "2025-03-04T09:00:00Z,2025-03-04T09:00:00Z,false",
        # O7's amount goes up in March.
        "O7,A2,U2,Slipping deal,Qualification,50000,EUR,20,2025-05-15,Pipeline,false,false,"
        "2025-02-01T09:00:00Z,2025-03-26T09:00:00Z,false",
    )
    history = csv_text(
        HISTORY_HEADER,
        "H21,O4,Closed Won,3000,100,2025-04-02,Closed,2025-04-02T09:00:00Z,U2",
        "H22,O11,Negotiation,9000,75,2025-03-10,Commit,2025-03-02T09:00:00Z,U2",
        "H23,O11,Closed Won,9000,100,2025-03-10,Closed,2025-03-10T09:00:00Z,U2",
        "H24,O12,Negotiation,7000,75,2025-03-28,Commit,2025-03-03T09:00:00Z,U1",
        "H25,O7,Qualification,50000,20,2025-05-15,Pipeline,2025-03-26T09:00:00Z,U2",
        "H27,O13,Closed Lost,5000,0,2025-02-25,Omitted,2025-03-05T09:00:00Z,U1",
        "H28,O14,Closed Won,6000,100,2025-02-26,Closed,2025-03-04T09:00:00Z,U1",
        # A history row at exactly 00:00 UTC on March 1st is not before March.
        "H26,O9,Negotiation,99000,75,2025-03-05,Commit,2025-03-01T00:00:00Z,U1",
    )
    write(landing, f"{drop}/Relationship_Assessment__c.csv", assessments)
    write(landing, f"{drop}/Opportunity.csv", opportunities)
    write(landing, f"{drop}/OpportunityHistory.csv", history)
    build(landing, warehouse, tmp_path / "target", models_only=True)

    assert march_relationship_forecast(warehouse) == before
    # The calibrated forecast of March too (docs/kpi-rules.md: nothing dated in or after M
    # enters), although February's bookings now hold O14.
    assert march_calibrated_forecast(warehouse) == calibrated_before
    assert one(
        warehouse,
        "select bookings_amount from marts.fct_forecast_company_monthly where month = '2025-02-01'",
    ) == (Decimal("8000.00"),)  # O5 2000 + O14 6000
    # The changes did land: April's win rates see O4's and O11's closes, and
    # bookings of March see O11 and O6's new amount.
    assert tier_win_rates(warehouse, "2025-04-01") != april_rates_before
    assert one(
        warehouse,
        "select bookings_amount from marts.fct_forecast_company_monthly where month = ?",
        MARCH,
    ) == (Decimal("36750.00"),)  # 25000 x 0.95 + 4000 + 9000

    # Control: one change dated before March does move March's forecast, so the
    # comparison above can fail. A3 assessed Respected Advisor on 2025-02-15:
    # O9 is then Respected Advisor as of March 1st, and so is O5, won on
    # 2025-02-20 after that assessment: p(Respected Advisor) = 1/1, while O4
    # (lost 2025-02-14, before it) stays Unassessed. 19000 + 8000 + 4000 x 1.
    write(
        landing,
        "crm/2025-05-03/Relationship_Assessment__c.csv",
        csv_text(ASSESSMENT_HEADER, "R9,A3,U2,2025-02-15,Seller,Respected Advisor,9,9,9,9,9"),
    )
    build(landing, warehouse, tmp_path / "target", models_only=True)
    total, detail = march_relationship_forecast(warehouse)
    assert total == Decimal("31000.00")
    assert ("O9", Decimal("4000.00"), "Respected Advisor", 1, 1, Decimal("4000.00")) in detail
