"""A company whose files are written the way real exports write them, every KPI by hand.

One hand-made landing set, loaded and built once (without the data tests: the
tests assert the values themselves). Reporting currency EUR; USD is worth
0.92 EUR from 2025-03-01 and 0.90 from 2025-05-16 (a Friday: the Saturday
2025-05-17 takes it, the latest rate on or before).

CRM (drop 2025-06-03, a delta 2025-06-05):
- User.csv: Excel on a German Windows: BOM, CRLF, `;`, upper-case header.
  U3 manages U1, U2 and U4; U4 left (inactive), the others are active.
  U5 to U9 and later drops (07-01, 07-20, 08-04) make a sales organisation's
  July and August (sales_org_landing).
- Opportunity.csv: Data Export: 18-character Ids, owners by 15-character Id,
  a Name holding a comma, quotes and a line break, `usd` in lower case, O1's
  CloseDate written as an instant (2025-05-09T23:30-02:00: 10 May in UTC).
    O1 A1 U1 1000 EUR won  2025-05-10, created 2025-04-01T10:00Z      39 days
    O2 A2 U2 2000 USD won  2025-05-17, created 2025-05-01T01:00+02:00 (April 30 UTC)  17 days
    O3 A1 U1  500 EUR lost 2025-05-20
    O4 A2 U2  800 EUR won  2025-05-25, deleted in the 2025-06-05 delta: counts nowhere
    O5 A1 U1 3000 EUR open, CloseDate pushed from 2025-05-31 to 2025-06-30 on 05-20
- OpportunityHistory.csv (Bulk API offsets `+0200`):
    O1 Pipeline 1000 p10 close 05-10 (04-01)                  -> May pipeline 1000, weighted 100
    O2 Best Case 2000 USD p50 close 05-17 (05-01T01:00+0200)  -> May pipeline 1800, weighted 900
    O3 Commit 500 close 05-20 written 04-30T22:30-02:00 = 05-01T00:30Z: not before May
    O5 Pipeline 3000 p20 close 05-31 (04-15), then Commit p70 close 06-30 (05-20)
                                                              -> May 3000, weighted 600, slipped
  May: open_pipeline 5800, weighted 1600, slippage 3000 / 5800; June: O5 3000, weighted 2100.
- September and October (pipeline_quirks_landing, four more CRM drops 09-02 to
  11-03, ERP drops of finance versions and a USD rate of 0.95 from 10-01): the
  pipeline flows and OpportunityHistory as real exports write it (history rows
  sharing a timestamp, a CloseDate pushed out and pulled back, a deal reopened
  after Closed Lost, an amount changed after the win, a deal created and closed
  in the month, one deleted after it was in the pipeline, an open stage in no
  forecast (Omitted), a NULL Amount, a USD deal across the rate change), Commit
  calls, quotas and finance versions revised, late, and missing (see the
  comment above test_pipeline_flows_and_history_quirks).
- Earlier months, for the calibrated and relationship forecasts: U1 wins O6 600
  (A1, 02-20), O7 400 (A1, 03-15), O8 500 (A1, 04-25, after A1's first
  assessment); U2 loses O9 1000 (A2, 03-10). Never invoiced.
- Forecast_Submission__c: U1 1200 EUR on 04-28 (its 1500 of 05-01 is in May);
  U2 1000 USD at 2025-04-30T23:59:59Z = 920 (its 5000 of 04-30T22:00-03:00 is
  May 1st UTC). sales_forecast May 2120. U1 also called 1000 Commit for each of
  February to April; Best Case for May: U1 1800, U2 1000 USD, U3 a Team call 4000.
- ForecastingQuota (and a delta re-exporting two May quotas): see QUOTA_MAY.
- Event.csv, tab-separated: May in person 1, virtual 1 (another deleted), one
  without a mode: virtual_meeting_share 1/2.
- Relationship_Assessment__c: A1 seller 04-10 Professional Peer 50, seller
  05-31 Respected Advisor 80, buyer 05-15 60; A2 seller only on 06-01.
- Training_Completion__c: U1 Hybrid Selling 05-05 (written 05-04T22:15-02:00); U2 Product.
- November (relationship_quirks_landing, CRM drops 11-20 and 11-28): assessments,
  meetings and training courses as real exports have them, four rows of which
  are rejected (RELATIONSHIP_REJECTS); see test_relationship_and_hybrid_kpis_of_real_exports.

ERP (drop 2025-06-03, a delta 2025-06-05):
- customers: C1 VAT `de 123.456.789` = A1's `DE123456789`; C2's hint is A2 in
  15 characters; C3 matches nothing.
- invoices and lines (May):
    I1  C1 EUR 05-05 due 06-04, names O1: SUB 1000 (cost 400), HW discount -100 (no cost)
    I2  C2 USD 05-17 due 05-31, names O2: HW 2000 USD (cost 1000 USD) = 1800 (900)
    CN1 C1 EUR 05-20 credit note on O1: SUB 200 (cost 50)
    I3  C3 EUR 05-25, no due date: HW 300 (cost 100), unmatched
    I4  C1 EUR 05-28 5000: posted, cancelled in the delta
    I5  C1 EUR 05-30 700 draft
    I6  C1 EUR 04-15 due 05-15: HW 400 (cost 100), paid 04-20
  invoiced_revenue May 900 + 1800 - 200 + 300 = 2800; gross_margin 500 + 900 - 150 + 200 = 1450.
- payments: I1 500 (05-10) and 300 (05-20); I2 1900 EUR on 05-31 for a USD
  invoice = 2111.11 USD: 111.11 USD overpaid (-100.00 EUR at 0.90); I6 400 (04-20); I3 300 (06-02).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests import kpi_invariants
from tests.pipeline import BUILD_WITHOUT_TESTS, load_landing, run_dbt, salesforce_id_18

pytestmark = pytest.mark.slow

APRIL, MAY, JUNE = "2025-04-01", "2025-05-01", "2025-06-01"


def sf(prefix: str, name: str) -> str:
    return salesforce_id_18(f"{prefix}AB000000{name:0>4}")


U1, U2, U3, U4, U5, U6, U7, U8, U9 = (sf("005", f"U{n}") for n in range(1, 10))
NOT_A_USER = sf("005", "X1")
A1, A2 = (sf("001", f"A{n}") for n in (1, 2))
O1, O2, O3, O4, O5, O6, O7, O8, O9 = (sf("006", f"O{n}") for n in range(1, 10))
O10, O11, O12, O13, O15, O16 = (sf("006", f"O{n}") for n in (10, 11, 12, 13, 15, 16))
FEBRUARY, MARCH = "2025-02-01", "2025-03-01"
JULY, AUGUST = "2025-07-01", "2025-08-01"


def put(landing: Path, relative: str, text: str, *, crlf: bool = False, bom: bool = False) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.replace("\n", "\r\n") if crlf else text
    path.write_bytes(("\ufeff" if bom else "").encode() + data.encode())


def real_landing(landing: Path) -> None:
    crm, crm2, erp, erp2 = "crm/2025-06-03", "crm/2025-06-05", "erp/2025-06-03", "erp/2025-06-05"
    put(
        landing,
        f"{crm}/User.csv",
        "ID;NAME;EMAIL;MANAGERID;ISACTIVE;CREATEDDATE\n"
        f"{U1};Rep One;a@x;{U3[:15]};true;2024-01-01T00:00:00.000Z\n"
        f"{U2};Rep Two;b@x;{U3};true;2024-01-01T00:00:00.000Z\n"
        f"{U3};Boss;c@x;;true;2024-01-01T00:00:00.000Z\n"
        f"{U4};Rep Gone;d@x;{U3};false;2024-01-01T00:00:00.000Z\n"
        f"{U5};Selling Manager;e@x;;true;2024-01-01T00:00:00.000Z\n"
        f"{U6};Rep Six;f@x;{U5};true;2024-01-01T00:00:00.000Z\n"
        f"{U7};Rep Mover;g@x;{U5};true;2024-01-01T00:00:00.000Z\n"
        f"{U8};Rep Leaving;h@x;{U5};true;2024-01-01T00:00:00.000Z\n"
        f"{U9};Rep Without Role;i@x;;true;2024-01-01T00:00:00.000Z\n",
        crlf=True,
        bom=True,
    )
    put(
        landing,
        f"{crm}/Account.csv",
        "Id,Name,BillingCountry,VAT_Number__c,CreatedDate,LastModifiedDate,IsDeleted\n"
        f"{A1},Acme,Germany,DE123456789,2024-01-01T00:00:00.000Z,2024-01-01T00:00:00.000Z,false\n"
        f"{A2},Beta Corp,United States,,2024-01-01T00:00:00.000Z,2024-01-01T00:00:00.000Z,false\n",
        crlf=True,
    )
    opportunity_header = (
        "Id,AccountId,OwnerId,Name,StageName,Amount,CurrencyIsoCode,Probability,CloseDate,"
        "ForecastCategoryName,IsClosed,IsWon,CreatedDate,LastModifiedDate,IsDeleted\n"
    )
    put(
        landing,
        f"{crm}/Opportunity.csv",
        opportunity_header
        + f'{O1},{A1},{U1[:15]},"Acme, ""renewal""\nphase 2",Closed Won,1000,EUR,100,'
        # CloseDate as an instant an export wrote: 05-10 01:30 UTC, 10 May
        "2025-05-09T23:30:00.000-0200,Closed,true,true,"
        "2025-04-01T10:00:00.000Z,2025-05-10T00:00:00.000Z,false\n"
        f"{O2},{A2},{U2[:15]},Beta,Closed Won,2000.00,usd,100,2025-05-17,Closed,true,true,"
        "2025-05-01T01:00:00.000+0200,2025-05-17T00:00:00.000Z,false\n"
        f"{O3},{A1},{U1},Acme lost,Closed Lost,500,EUR,0,2025-05-20,Omitted,true,false,"
        "2025-04-20T00:00:00.000Z,2025-05-20T00:00:00.000Z,false\n"
        f"{O4},{A2},{U2},Beta two,Closed Won,800,EUR,100,2025-05-25,Closed,true,true,"
        "2025-05-02T00:00:00.000Z,2025-05-25T00:00:00.000Z,false\n"
        f"{O5},{A1},{U1},Acme big,Negotiation,3000,EUR,70,2025-06-30,Forecast,false,false,"
        "2025-04-15T00:00:00.000Z,2025-05-20T00:00:00.000Z,false\n"
        f"{O6},{A1},{U1},Acme Q1,Closed Won,600,EUR,100,2025-02-20,Closed,true,true,"
        "2025-01-10T00:00:00.000Z,2025-02-20T00:00:00.000Z,false\n"
        f"{O7},{A1},{U1},Acme Q1b,Closed Won,400,EUR,100,2025-03-15,Closed,true,true,"
        "2025-02-01T09:00:00.000Z,2025-03-15T00:00:00.000Z,false\n"
        f"{O8},{A1},{U1},Acme Q2,Closed Won,500,EUR,100,2025-04-25,Closed,true,true,"
        "2025-03-01T09:00:00.000Z,2025-04-25T00:00:00.000Z,false\n"
        f"{O9},{A2},{U2},Beta Q1,Closed Lost,1000,EUR,0,2025-03-10,Omitted,true,false,"
        "2025-02-01T09:00:00.000Z,2025-03-10T00:00:00.000Z,false\n",
        crlf=True,
    )
    put(
        landing,
        f"{crm2}/Opportunity.csv",
        opportunity_header
        + f"{O4},{A2},{U2},Beta two,Closed Won,800,EUR,100,2025-05-25,Closed,true,true,"
        "2025-05-02T00:00:00.000Z,2025-06-04T00:00:00.000Z,true\n",
    )
    h = [sf("00k", f"H{n}") for n in range(1, 20)]
    put(
        landing,
        f"{crm}/OpportunityHistory.csv",
        "Id,OpportunityId,StageName,Amount,Probability,CloseDate,ForecastCategory,CreatedDate\n"
        f"{h[0]},{O1},Prospecting,1000,10,2025-05-10,Pipeline,2025-04-01T10:00:00.000Z\n"
        f"{h[1]},{O1},Closed Won,1000,100,2025-05-10,Closed,2025-05-10T12:00:00.000Z\n"
        f"{h[2]},{O2},Proposal,2000,50,2025-05-17,BestCase,2025-05-01T01:00:00.000+0200\n"
        f"{h[3]},{O2},Closed Won,2000,100,2025-05-17,Closed,2025-05-17T09:00:00.000Z\n"
        f"{h[4]},{O3},Negotiation,500,60,2025-05-20,Forecast,2025-04-30T22:30:00.000-0200\n"
        f"{h[5]},{O3},Closed Lost,500,0,2025-05-20,Omitted,2025-05-20T09:00:00.000Z\n"
        f"{h[6]},{O5},Prospecting,3000,20,2025-05-31,Pipeline,2025-04-15T00:00:00.000Z\n"
        f"{h[7]},{O5},Negotiation,3000,70,2025-06-30,Forecast,2025-05-20T00:00:00.000Z\n"
        f"{h[8]},{O4},Prospecting,800,10,2025-05-25,Pipeline,2025-05-02T00:00:00.000Z\n"
        f"{h[9]},{O6},Prospecting,600,30,2025-02-20,Pipeline,2025-01-10T00:00:00.000Z\n"
        f"{h[10]},{O6},Closed Won,600,100,2025-02-20,Closed,2025-02-20T10:00:00.000Z\n"
        f"{h[11]},{O7},Prospecting,400,30,2025-03-15,Pipeline,2025-02-01T09:00:00.000Z\n"
        f"{h[12]},{O7},Closed Won,400,100,2025-03-15,Closed,2025-03-15T10:00:00.000Z\n"
        f"{h[13]},{O8},Prospecting,500,30,2025-04-25,Pipeline,2025-03-01T09:00:00.000Z\n"
        f"{h[14]},{O8},Closed Won,500,100,2025-04-25,Closed,2025-04-25T10:00:00.000Z\n"
        f"{h[15]},{O9},Prospecting,1000,20,2025-03-10,Pipeline,2025-02-01T09:00:00.000Z\n"
        f"{h[16]},{O9},Closed Lost,1000,0,2025-03-10,Omitted,2025-03-10T10:00:00.000Z\n",
    )
    f = [sf("a01", f"F{n}") for n in range(1, 11)]
    put(
        landing,
        f"{crm}/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,"
        "Submitted_Date__c,Scope__c\n"
        f"{f[0]},{U1},2025-05-01,Commit,1200,EUR,2025-04-28,Own\n"
        f"{f[1]},{U1},2025-05-01,Commit,1500,EUR,2025-05-01,Own\n"
        f"{f[2]},{U2},2025-05-01,Forecast,1000,USD,2025-04-30T23:59:59.000Z,\n"
        f"{f[3]},{U2},2025-05-01,Commit,5000,USD,2025-04-30T22:00:00.000-0300,\n"
        f"{f[4]},{U1},2025-02-01,Commit,1000,EUR,2025-01-25,Own\n"
        f"{f[5]},{U1},2025-03-01,Commit,1000,EUR,2025-02-25,Own\n"
        f"{f[6]},{U1},2025-04-01,Commit,1000,EUR,2025-03-28,Own\n"
        f"{f[7]},{U1},2025-05-01,Best Case,1800,EUR,2025-04-29,Own\n"
        f"{f[8]},{U2},2025-05-01,Best Case,1000,USD,2025-04-29T10:00:00.000Z,\n"
        f"{f[9]},{U3},2025-05-01,Best Case,4000,EUR,2025-04-30,Team\n",
    )
    q = [sf("0J9", f"Q{n}") for n in range(1, 8)]
    quota_header = "Id,QuotaOwnerId,StartDate,QuotaAmount,CurrencyIsoCode\n"
    put(
        landing,
        f"{crm}/ForecastingQuota.csv",
        quota_header + f"{q[0]},{U1[:15]},2025-05-01,2000,EUR\n"
        f"{q[1]},{U2},2025-05-01,2000.00,USD\n"
        f"{q[2]},{U4},2025-05-01,500,EUR\n"
        f"{q[3]},{U1},2025-06-01,1000,EUR\n"
        f"{q[4]},{U3},2025-06-01,5000,EUR\n"
        f"{q[5]},{U1},2025-04-01,1000,EUR\n",
        crlf=True,
    )
    put(
        landing,
        f"{crm2}/ForecastingQuota.csv",
        quota_header + f"{q[6]},{U1},2025-05-01,2500,EUR\n{q[1]},{U2},2025-05-01,2100,USD\n",
    )
    e = [sf("00U", f"E{n}") for n in range(1, 6)]
    put(
        landing,
        f"{crm}/Event.csv",
        "Id\tAccountId\tOwnerId\tSubject\tMeeting_Mode__c\tActivityDate\tIsDeleted\n"
        f"{e[0]}\t{A1}\t{U1}\tVisit\tIn Person\t2025-05-05\tfalse\n"
        f"{e[1]}\t{A1}\t{U1}\tCall\tVirtual\t2025-05-06\tfalse\n"
        f"{e[2]}\t{A2}\t{U2}\tCall\tVirtual\t2025-05-07\ttrue\n"
        f"{e[3]}\t{A2}\t{U2}\tLunch\t\t2025-05-08\tfalse\n"
        f"{e[4]}\t{A2}\t{U2}\tCall\tVirtual\t2025-06-01\tfalse\n",
    )
    r = [sf("a03", f"R{n}") for n in range(1, 5)]
    put(
        landing,
        f"{crm}/Relationship_Assessment__c.csv",
        "Id,Account__c,Assessed_By__c,Assessment_Date__c,Respondent__c,Ladder_Rung__c,"
        "Strategy_Discussion__c,Personal_Trust__c,Extra_Time__c,Executive_Access__c,Mutual_Value__c\n"
        f"{r[0]},{A1},{U1},2025-04-10,Seller,Professional Peer,5,5,5,5,5\n"
        f"{r[1]},{A1},{U1},2025-05-31,Seller,Respected Advisor,8,8,8,8,8\n"
        f"{r[2]},{A1},{U1},2025-05-15,Buyer,Professional Peer,6,6,6,6,6\n"
        f"{r[3]},{A2},{U2},2025-06-01,Seller,Acquaintance,2,2,2,2,2\n",
    )
    t = [sf("a02", f"T{n}") for n in range(1, 5)]
    put(
        landing,
        f"{crm}/Training_Completion__c.csv",
        "Id,User__c,Course_Name__c,Course_Type__c,Completed_Date__c\n"
        # an LMS's completion instant: 05-05 00:15 UTC, 5 May
        f"{t[0]},{U1},Hybrid 101,Hybrid Selling,2025-05-04T22:15:00-02:00\n"
        f"{t[1]},{U2},Product 101,Product,2025-04-01\n"
        f"{t[2]},{U5},Virtual 101,Virtual Selling,2025-03-01\n",
    )
    put(
        landing,
        f"{erp}/customers.csv",
        "customer_number,name,vat_number,country_code,crm_account_id,created_at,updated_at\n"
        "C1,Acme GmbH,de 123.456.789,DE,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
        f"C2,Beta Corporation,,US,{A2[:15]},2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
        "C3,Zeta,,FR,,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z\n",
    )
    put(
        landing,
        f"{erp}/items.csv",
        "item_code,description,is_recurring,updated_at\n"
        "SUB,Subscription,1,2024-01-01T00:00:00Z\nHW,Hardware,0,2024-01-01T00:00:00Z\n",
    )
    invoice_header = (
        "invoice_number,customer_number,document_type,invoice_date,due_date,currency,status,"
        "crm_opportunity_id,updated_at\n"
    )
    put(
        landing,
        f"{erp}/invoices.csv",
        invoice_header
        + f"I1,C1,invoice,2025-05-05,2025-06-04,EUR,posted,{O1[:15]},2025-05-05T00:00:00Z\n"
        f"I2,C2,invoice,2025-05-17,2025-05-31,USD,posted,{O2},2025-05-17T00:00:00Z\n"
        f"CN1,C1,credit_note,2025-05-20,,EUR,posted,{O1},2025-05-20T00:00:00Z\n"
        "I3,C3,invoice,2025-05-25,,EUR,posted,,2025-05-25T00:00:00Z\n"
        "I4,C1,invoice,2025-05-28,2025-06-27,EUR,posted,,2025-05-28T00:00:00Z\n"
        "I5,C1,invoice,2025-05-30,2025-06-29,EUR,draft,,2025-05-30T00:00:00Z\n"
        "I6,C1,invoice,2025-04-15,2025-05-15,EUR,posted,,2025-04-15T00:00:00Z\n",
    )
    put(
        landing,
        f"{erp2}/invoices.csv",
        invoice_header
        + "I4,C1,invoice,2025-05-28,2025-06-27,EUR,cancelled,,2025-06-04T00:00:00Z\n",
    )
    put(
        landing,
        f"{erp}/invoice_lines.csv",
        "invoice_number,line_number,item_code,quantity,unit_price,net_amount,cost_amount,updated_at\n"
        "I1,1,SUB,1,1000,1000,400,2025-05-05T00:00:00Z\n"
        "I1,2,HW,1,-100,-100,,2025-05-05T00:00:00Z\n"
        "I2,1,HW,2,1000,2000,1000,2025-05-17T00:00:00Z\n"
        "CN1,1,SUB,1,200,200,50,2025-05-20T00:00:00Z\n"
        "I3,1,HW,1,300,300,100,2025-05-25T00:00:00Z\n"
        "I4,1,HW,1,5000,5000,1000,2025-05-28T00:00:00Z\n"
        "I5,1,HW,1,700,700,100,2025-05-30T00:00:00Z\n"
        "I6,1,HW,1,400,400,100,2025-04-15T00:00:00Z\n",
    )
    put(
        landing,
        f"{erp}/payments.csv",
        "payment_id,invoice_number,payment_date,amount,currency\n"
        "P1,I1,2025-05-10,500,EUR\nP2,I1,2025-05-20,300,EUR\nP3,I2,2025-05-31,1900,EUR\n"
        "P4,I6,2025-04-20,400,EUR\nP5,I3,2025-06-02,300,EUR\n",
    )
    put(
        landing,
        f"{erp}/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n2025-03-01,USD,0.92\n2025-05-16,USD,0.90\n",
    )
    put(
        landing,
        f"{erp}/fpa_forecast.csv",
        "forecast_id,period_month,version_date,bookings_forecast,revenue_forecast,currency\n"
        "F1,2025-05-01,2025-04-15,2000,2000,EUR\n"
        "F2,2025-05-01,2025-04-25,1500,1500,EUR\n"
        "F3,2025-05-01,2025-04-25,500,500,USD\n"
        "F4,2025-05-01,2025-05-01,9999,9999,EUR\n",
    )
    sales_org_landing(landing, opportunity_header, quota_header)
    pipeline_quirks_landing(landing, opportunity_header, quota_header)
    relationship_quirks_landing(landing)
    finance_quirks_landing(landing)


def sales_org_landing(landing: Path, opportunity_header: str, quota_header: str) -> None:
    """July and August: U5's team, a deal that changes hands before and one after its
    close, U7 moving to U3's team, U8 deactivated with an open deal, U9 without a
    manager or reports, a deal of an owner who is no User (see ORG_STORY)."""
    crm1, crm2, crm3 = "crm/2025-07-01", "crm/2025-07-20", "crm/2025-08-04"
    opportunity = (
        "{id},{account},{owner},{name},{stage},{amount},EUR,{probability},{close},{category},"
        "{closed},{won},2025-06-10T09:00:00.000Z,{modified},false\n"
    )

    def deal(id, owner, stage, amount, probability, close, category, modified, account=A1):
        closed = str(stage.startswith("Closed")).lower()
        won = str(stage == "Closed Won").lower()
        return opportunity.format(
            id=id,
            account=account,
            owner=owner,
            name=f"Deal {id[-4:]}",
            stage=stage,
            amount=amount,
            probability=probability,
            close=close,
            category=category,
            closed=closed,
            won=won,
            modified=modified,
        )

    put(
        landing,
        f"{crm1}/Opportunity.csv",
        opportunity_header
        + deal(O10, U8, "Negotiation", 1000, 80, "2025-07-20", "Forecast", "2025-06-20T00:00:00Z")
        + deal(O11, U7, "Negotiation", 2000, 70, "2025-07-15", "Forecast", "2025-06-20T00:00:00Z")
        + deal(O12, U8, "Prospecting", 1500, 40, "2025-08-20", "Pipeline", "2025-06-20T00:00:00Z")
        + deal(O13, U5, "Proposal", 3000, 60, "2025-07-10", "BestCase", "2025-06-20T00:00:00Z")
        + deal(
            O15,
            NOT_A_USER,
            "Prospecting",
            800,
            50,
            "2025-07-30",
            "Pipeline",
            "2025-06-20T00:00:00Z",
            A2,
        )
        + deal(
            O16, U6, "Prospecting", 400, 30, "2025-07-05", "Pipeline", "2025-06-20T00:00:00Z", A2
        ),
    )
    put(
        landing,
        f"{crm2}/Opportunity.csv",
        opportunity_header
        + deal(O11, U7, "Closed Won", 2000, 100, "2025-07-15", "Closed", "2025-07-15T00:00:00Z")
        + deal(O13, U5, "Closed Won", 3000, 100, "2025-07-10", "Closed", "2025-07-10T00:00:00Z")
        + deal(O16, U6, "Closed Lost", 400, 0, "2025-07-05", "Omitted", "2025-07-05T00:00:00Z", A2),
    )
    put(
        landing,
        f"{crm3}/Opportunity.csv",
        opportunity_header
        + deal(O10, U6, "Closed Won", 1000, 100, "2025-07-20", "Closed", "2025-07-20T00:00:00Z")
        + deal(O11, U9, "Closed Won", 2000, 100, "2025-07-15", "Closed", "2025-07-25T00:00:00Z")
        + deal(
            O15,
            NOT_A_USER,
            "Closed Won",
            800,
            100,
            "2025-07-30",
            "Closed",
            "2025-07-30T00:00:00Z",
            A2,
        ),
    )
    h = [sf("00k", f"J{n}") for n in range(1, 13)]
    history = "{},{},{},{},{},{},{},{}\n"
    put(
        landing,
        f"{crm1}/OpportunityHistory.csv",
        "Id,OpportunityId,StageName,Amount,Probability,CloseDate,ForecastCategory,CreatedDate\n"
        + history.format(
            h[0], O10, "Negotiation", 1000, 80, "2025-07-20", "Forecast", "2025-06-10T09:00:00.000Z"
        )
        + history.format(
            h[1], O11, "Negotiation", 2000, 70, "2025-07-15", "Forecast", "2025-06-10T09:00:00.000Z"
        )
        + history.format(
            h[2], O12, "Prospecting", 1500, 40, "2025-08-20", "Pipeline", "2025-06-10T09:00:00.000Z"
        )
        + history.format(
            h[3], O13, "Proposal", 3000, 60, "2025-07-10", "BestCase", "2025-06-10T09:00:00.000Z"
        )
        + history.format(
            h[4], O15, "Prospecting", 800, 50, "2025-07-30", "Pipeline", "2025-06-10T09:00:00.000Z"
        )
        + history.format(
            h[5], O16, "Prospecting", 400, 30, "2025-07-05", "Pipeline", "2025-06-10T09:00:00.000Z"
        ),
    )
    put(
        landing,
        f"{crm3}/OpportunityHistory.csv",
        "Id,OpportunityId,StageName,Amount,Probability,CloseDate,ForecastCategory,CreatedDate\n"
        + history.format(
            h[6], O16, "Closed Lost", 400, 0, "2025-07-05", "Omitted", "2025-07-05T10:00:00.000Z"
        )
        + history.format(
            h[7], O13, "Closed Won", 3000, 100, "2025-07-10", "Closed", "2025-07-10T10:00:00.000Z"
        )
        + history.format(
            h[8], O11, "Closed Won", 2000, 100, "2025-07-15", "Closed", "2025-07-15T10:00:00.000Z"
        )
        + history.format(
            h[9], O10, "Closed Won", 1000, 100, "2025-07-20", "Closed", "2025-07-20T10:00:00.000Z"
        )
        + history.format(
            h[10], O15, "Closed Won", 800, 100, "2025-07-30", "Closed", "2025-07-30T10:00:00.000Z"
        ),
    )
    f = [sf("a01", f"G{n}") for n in range(1, 4)]
    put(
        landing,
        f"{crm1}/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,"
        "Submitted_Date__c,Scope__c\n"
        f"{f[0]},{U5},2025-07-01,Commit,2500,EUR,2025-06-27,Own\n"
        f"{f[1]},{U6},2025-07-01,Commit,1000,EUR,2025-06-27,Own\n"
        f"{f[2]},{U7},2025-07-01,Commit,1500,EUR,2025-06-27,\n",
    )
    q = [sf("0J9", f"R{n}") for n in range(1, 5)]
    put(
        landing,
        f"{crm1}/ForecastingQuota.csv",
        quota_header + f"{q[0]},{U5},2025-07-01,4000,EUR\n{q[1]},{U6},2025-07-01,1000,EUR\n"
        f"{q[2]},{U7},2025-07-01,2000,EUR\n{q[3]},{U8},2025-08-01,1500,EUR\n",
    )
    put(
        landing,
        f"{crm3}/User.csv",
        "Id,Name,Email,ManagerId,IsActive,CreatedDate\n"
        f"{U7},Rep Mover,g@x,{U3},true,2024-01-01T00:00:00.000Z\n"
        f"{U8},Rep Leaving,h@x,{U5},false,2024-01-01T00:00:00.000Z\n",
    )
    e = [sf("00U", f"F{n}") for n in range(1, 8)]
    put(
        landing,
        f"{crm3}/Event.csv",
        "Id,AccountId,OwnerId,Subject,Meeting_Mode__c,ActivityDate,IsDeleted\n"
        f"{e[0]},{A1},{U5},Call,Virtual,2025-07-02,false\n"
        f"{e[1]},{A1},{U5},Visit,In Person,2025-07-03,false\n"
        f"{e[2]},{A1},{U6},Call,Virtual,2025-07-04,false\n"
        f"{e[3]},{A1},{U8},Call,Virtual,2025-07-05,false\n"
        f"{e[4]},{A2},{NOT_A_USER},Call,Virtual,2025-07-06,false\n"
        f"{e[5]},{A2},{U9},Lunch,,2025-07-07,false\n",
    )
    t = [sf("a02", f"V{n}") for n in range(1, 2)]
    put(
        landing,
        f"{crm3}/Training_Completion__c.csv",
        "Id,User__c,Course_Name__c,Course_Type__c,Completed_Date__c\n"
        f"{t[0]},{U6},Hybrid 101,Hybrid Selling,2025-07-10\n",
    )


O20, O21, O22, O23, O24, O25, O26, O27, O28, O29, O30, O31 = (
    sf("006", f"O{n}") for n in range(20, 32)
)
PIPELINE_DROPS = ("2025-09-02", "2025-09-20", "2025-10-02", "2025-11-03")
# The September and October deals (pipeline_quirks_landing): id, owner, account,
# currency, created, and each Opportunity version by the drop that exports it.
QUIRK_DEALS = {
    O20: (U1, A1, "EUR", "2025-08-01T09:00:00.000Z"),
    O21: (U1, A1, "EUR", "2025-08-05T09:00:00.000Z"),
    O22: (U2, A2, "EUR", "2025-08-10T09:00:00.000Z"),
    O23: (U6, A1, "EUR", "2025-08-12T09:00:00.000Z"),
    O24: (U1, A1, "EUR", "2025-09-03T09:00:00.000Z"),
    O25: (U2, A2, "EUR", "2025-09-04T09:00:00.000Z"),
    O26: (U2, A2, "EUR", "2025-08-15T09:00:00.000Z"),
    O27: (U1, A1, "EUR", "2025-08-12T09:00:00.000Z"),
    O28: (U2, A2, "EUR", "2025-08-20T09:00:00.000Z"),
    O29: (U2, A2, "USD", "2025-08-25T09:00:00.000Z"),
    O30: (U6, A1, "EUR", "2025-08-01T09:00:00.000Z"),
    O31: (U1, A1, "EUR", "2025-10-10T09:00:00.000Z"),
}
# (drop, opportunity, stage, amount, probability, close, category, deleted)
QUIRK_VERSIONS = (
    ("2025-09-02", O20, "Negotiation", "1200", 60, "2025-09-25", "Commit", False),
    ("2025-09-02", O21, "Prospecting", "2000", 20, "2025-09-15", "Pipeline", False),
    ("2025-09-02", O22, "Prospecting", "1500", 30, "2025-09-18", "Pipeline", False),
    ("2025-09-02", O23, "Proposal", "800", 50, "2025-09-12", "BestCase", False),
    ("2025-09-02", O26, "Prospecting", "700", 30, "2025-09-25", "Pipeline", False),
    ("2025-09-02", O27, "Prospecting", "900", 20, "2025-09-30", "Pipeline", False),
    ("2025-09-02", O28, "Prospecting", "", 10, "2025-09-26", "Pipeline", False),
    ("2025-09-02", O29, "Negotiation", "1000", 70, "2025-09-30", "Forecast", False),
    ("2025-09-02", O30, "Prospecting", "300", 20, "2025-10-10", "Pipeline", False),
    ("2025-09-20", O30, "Closed Won", "300", 100, "2025-09-15", "Closed", False),
    ("2025-09-20", O21, "Negotiation", "2000", 80, "2025-09-28", "Commit", False),
    ("2025-09-20", O22, "Closed Lost", "1500", 0, "2025-09-18", "Omitted", False),
    ("2025-09-20", O23, "Closed Won", "800", 100, "2025-09-12", "Closed", False),
    ("2025-09-20", O24, "Prospecting", "600", 10, "2025-09-22", "Pipeline", False),
    ("2025-09-20", O25, "Prospecting", "400", 10, "2025-09-24", "Pipeline", False),
    ("2025-09-20", O27, "On Hold", "900", 0, "2025-09-30", "Omitted", False),
    ("2025-09-20", O28, "Negotiation", "500", 60, "2025-10-10", "Commit", False),
    ("2025-10-02", O20, "Closed Won", "1200", 100, "2025-09-25", "Closed", False),
    ("2025-10-02", O21, "Closed Won", "2000", 100, "2025-09-28", "Closed", False),
    ("2025-10-02", O23, "Closed Won", "950", 100, "2025-09-12", "Closed", False),
    ("2025-10-02", O24, "Closed Won", "600", 100, "2025-09-22", "Closed", False),
    ("2025-10-02", O25, "Closed Lost", "400", 0, "2025-09-24", "Omitted", False),
    ("2025-10-02", O26, "Prospecting", "700", 30, "2025-09-25", "Pipeline", True),
    ("2025-10-02", O29, "Negotiation", "1000", 70, "2025-10-20", "Commit", False),
    ("2025-11-03", O22, "Closed Won", "1700", 100, "2025-10-20", "Closed", False),
    ("2025-11-03", O29, "Closed Won", "1100", 100, "2025-10-20", "Closed", False),
    ("2025-11-03", O31, "Prospecting", "900", 30, "2025-11-20", "Pipeline", False),
)
# OpportunityHistory: (opportunity, stage, amount, probability, close, category, created),
# Ids in this order; each row lands in the first drop after it was written, the
# files list the newest rows first. O20's two rows of 08-20T10:00 share their
# timestamp: the later Id is the later row.
QUIRK_HISTORY = (
    (O20, "Prospecting", "1000", 10, "2025-09-20", "Pipeline", "2025-08-01T09:00:00.000Z"),
    (O20, "Proposal", "1000", 40, "2025-09-20", "BestCase", "2025-08-20T10:00:00.000Z"),
    (O20, "Negotiation", "1200", 60, "2025-09-25", "Forecast", "2025-08-20T10:00:00.000Z"),
    (O20, "Closed Won", "1200", 100, "2025-09-25", "Closed", "2025-09-25T10:00:00.000Z"),
    (O21, "Prospecting", "2000", 20, "2025-09-15", "Pipeline", "2025-08-05T09:00:00.000Z"),
    (O21, "Prospecting", "2000", 20, "2025-10-15", "Pipeline", "2025-09-05T09:00:00.000Z"),
    (O21, "Negotiation", "2000", 80, "2025-09-28", "Commit", "2025-09-19T09:00:00.000Z"),
    (O21, "Closed Won", "2000", 100, "2025-09-28", "Closed", "2025-09-28T09:00:00.000Z"),
    (O22, "Prospecting", "1500", 30, "2025-09-18", "Pipeline", "2025-08-10T09:00:00.000Z"),
    (O22, "Closed Lost", "1500", 0, "2025-09-18", "Omitted", "2025-09-18T09:00:00.000Z"),
    (O22, "Negotiation", "1500", 50, "2025-10-20", "BestCase", "2025-10-06T09:00:00.000Z"),
    (O22, "Closed Won", "1700", 100, "2025-10-20", "Closed", "2025-10-20T09:00:00.000Z"),
    (O23, "Proposal", "800", 50, "2025-09-12", "BestCase", "2025-08-12T09:00:00.000Z"),
    (O23, "Closed Won", "800", 100, "2025-09-12", "Closed", "2025-09-12T09:00:00.000Z"),
    (O23, "Closed Won", "950", 100, "2025-09-12", "Closed", "2025-10-01T08:00:00.000Z"),
    (O24, "Prospecting", "600", 10, "2025-09-22", "Pipeline", "2025-09-03T09:00:00.000Z"),
    (O24, "Closed Won", "600", 100, "2025-09-22", "Closed", "2025-09-22T09:00:00.000Z"),
    (O25, "Prospecting", "400", 10, "2025-09-24", "Pipeline", "2025-09-04T09:00:00.000Z"),
    (O25, "Closed Lost", "400", 0, "2025-09-24", "Omitted", "2025-09-24T09:00:00.000Z"),
    (O26, "Prospecting", "700", 30, "2025-09-25", "Pipeline", "2025-08-15T09:00:00.000Z"),
    (O27, "Prospecting", "900", 20, "2025-09-30", "Pipeline", "2025-08-12T09:00:00.000Z"),
    (O27, "On Hold", "900", 0, "2025-09-30", "Omitted", "2025-09-10T09:00:00.000Z"),
    (O28, "Prospecting", "", 10, "2025-09-26", "Pipeline", "2025-08-20T09:00:00.000Z"),
    (O28, "Negotiation", "500", 60, "2025-10-10", "Forecast", "2025-09-15T09:00:00.000Z"),
    (O29, "Negotiation", "1000", 70, "2025-09-30", "Forecast", "2025-08-25T09:00:00.000Z"),
    (O29, "Negotiation", "1000", 70, "2025-10-20", "Forecast", "2025-09-26T09:00:00.000Z"),
    (O29, "Closed Won", "1100", 100, "2025-10-20", "Closed", "2025-10-20T09:00:00.000Z"),
    (O30, "Prospecting", "300", 20, "2025-09-10", "Pipeline", "2025-08-01T09:00:00.000Z"),
    (O30, "Prospecting", "300", 20, "2025-10-10", "Pipeline", "2025-08-25T09:00:00.000Z"),
    (O30, "Negotiation", "300", 80, "2025-09-15", "Commit", "2025-09-08T09:00:00.000Z"),
    (O30, "Closed Won", "300", 100, "2025-09-15", "Closed", "2025-09-15T09:00:00.000Z"),
    (O31, "Prospecting", "900", 30, "2025-11-20", "Pipeline", "2025-10-10T09:00:00.000Z"),
)


def pipeline_quirks_landing(landing: Path, opportunity_header: str, quota_header: str) -> None:
    """September and October: the pipeline and its history as real exports have
    them (the comment above test_pipeline_flows_and_history_quirks), Commit calls, quotas, finance forecast versions
    and a USD rate change on 10-01."""
    history_header = (
        "Id,OpportunityId,StageName,Amount,Probability,CloseDate,ForecastCategory,CreatedDate\n"
    )
    for drop in PIPELINE_DROPS:
        rows = "".join(
            f"{id},{QUIRK_DEALS[id][1]},{QUIRK_DEALS[id][0]},Deal {id[-4:]},{stage},{amount},"
            f"{QUIRK_DEALS[id][2]},{probability},{close},{category},"
            f"{str(stage.startswith('Closed')).lower()},{str(stage == 'Closed Won').lower()},"
            f"{QUIRK_DEALS[id][3]},{drop}T06:00:00.000Z,{str(deleted).lower()}\n"
            for at, id, stage, amount, probability, close, category, deleted in QUIRK_VERSIONS
            if at == drop
        )
        put(landing, f"crm/{drop}/Opportunity.csv", opportunity_header + rows)
        earlier = [d for d in PIPELINE_DROPS if d < drop]
        history = "".join(
            f"{sf('00k', f'K{n}')},{row[0]},{','.join(str(v) for v in row[1:])}\n"
            for n, row in reversed(list(enumerate(QUIRK_HISTORY, start=1)))
            if row[6][:10] < drop and not any(row[6][:10] < d for d in earlier)
        )
        put(landing, f"crm/{drop}/OpportunityHistory.csv", history_header + history)
    s = [sf("a01", f"S{n}") for n in range(1, 6)]
    put(
        landing,
        "crm/2025-09-02/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,"
        "Submitted_Date__c,Scope__c\n"
        f"{s[0]},{U1},2025-09-01,Commit,3000,EUR,2025-08-28,Own\n"
        f"{s[1]},{U1},2025-09-01,Commit,3200,EUR,2025-08-30,Own\n"
        f"{s[2]},{U2},2025-09-01,Commit,1000,USD,2025-08-29,Own\n"
        f"{s[3]},{U6},2025-09-01,Commit,500,EUR,2025-09-01T00:00:00.000Z,Own\n",
    )
    put(
        landing,
        "crm/2025-10-02/Forecast_Submission__c.csv",
        "Id,OwnerId,Period_Month__c,Forecast_Category__c,Amount__c,CurrencyIsoCode,"
        "Submitted_Date__c,Scope__c\n"
        f"{s[4]},{U1},2025-10-01,Commit,2000,EUR,2025-09-29,Own\n",
    )
    q = [sf("0J9", f"S{n}") for n in range(1, 3)]
    put(
        landing,
        "crm/2025-09-02/ForecastingQuota.csv",
        quota_header + f"{q[0]},{U1},2025-09-01,3000,EUR\n{q[1]},{U2},2025-09-01,2000,EUR\n",
    )
    fpa_header = (
        "forecast_id,period_month,version_date,bookings_forecast,revenue_forecast,currency\n"
    )
    put(
        landing,
        "erp/2025-09-02/fpa_forecast.csv",
        fpa_header
        + "S1,2025-09-01,2025-08-05,4000,4000,EUR\nS2,2025-09-01,2025-08-20,3500,3500,EUR\n",
    )
    put(
        landing,
        "erp/2025-09-10/fpa_forecast.csv",
        fpa_header
        + "S3,2025-09-01,2025-08-28,3800,3800,EUR\nS4,2025-09-01,2025-09-10,3300,3300,EUR\n",
    )
    # 09-22: a full snapshot, every version again (S1 to S4 as before) and S5, S0 new
    put(
        landing,
        "erp/2025-09-22/fpa_forecast.csv",
        fpa_header
        + "S1,2025-09-01,2025-08-05,4000,4000,EUR\nS2,2025-09-01,2025-08-20,3500,3500,EUR\n"
        + "S3,2025-09-01,2025-08-28,3800,3800,EUR\nS4,2025-09-01,2025-09-10,3300,3300,EUR\n"
        + "S5,2025-09-01,2025-09-20,3100,3100,EUR\n"
        + "S0,2025-09-01,2025-08-28,3700,3700,EUR\n",
    )
    put(
        landing,
        "erp/2025-10-06/fpa_forecast.csv",
        fpa_header + "S6,2025-10-01,2025-10-03,1800,1800,EUR\n",
    )
    put(
        landing,
        "erp/2025-10-02/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n2025-10-01,USD,0.95\n",
    )


# November (relationship_quirks_landing, CRM drops 11-20 and 11-28): assessments,
# meetings and training courses as real exports have them. A3 has meetings and a
# buyer assessment but no invoices; A4 is merged into A2 on 11-28 (IsDeleted with
# MasterRecordId) after its seller assessment and a meeting were exported; A5 is
# deleted outright. Rejected (file, line, reason): RELATIONSHIP_REJECTS.
A3, A4, A5 = (sf("001", f"A{n}") for n in (3, 4, 5))
RELATIONSHIP_DROPS = ("crm/2025-11-20", "crm/2025-11-28")
RELATIONSHIP_REJECTS = [
    ("Event", "crm/2025-11-20", 6, "invalid_value"),
    ("Relationship_Assessment__c", "crm/2025-11-20", 4, "missing_required"),
    ("Relationship_Assessment__c", "crm/2025-11-20", 5, "invalid_value"),
    ("Training_Completion__c", "crm/2025-11-20", 6, "missing_required"),
]


def relationship_quirks_landing(landing: Path) -> None:
    first, second = RELATIONSHIP_DROPS
    account_header = (
        "Id,Name,BillingCountry,MasterRecordId,CreatedDate,LastModifiedDate,IsDeleted\n"
    )
    put(
        landing,
        f"{first}/Account.csv",
        account_header
        + f"{A3},Gamma,France,,2025-10-01T00:00:00.000Z,2025-10-01T00:00:00.000Z,false\n"
        f"{A4},Beta Corp (duplicate),United States,,2025-10-01T00:00:00.000Z,"
        "2025-10-01T00:00:00.000Z,false\n"
        f"{A5},Delta,Spain,,2025-10-01T00:00:00.000Z,2025-10-01T00:00:00.000Z,false\n",
    )
    put(
        landing,
        f"{second}/Account.csv",
        account_header + f"{A4},Beta Corp (duplicate),United States,{A2},2025-10-01T00:00:00.000Z,"
        "2025-11-25T00:00:00.000Z,true\n"
        f"{A5},Delta,Spain,,2025-10-01T00:00:00.000Z,2025-11-25T00:00:00.000Z,true\n",
    )
    r = [sf("a03", f"N{n}") for n in range(1, 11)]
    assessment_header = (
        "Id,Account__c,Assessed_By__c,Assessment_Date__c,Respondent__c,Ladder_Rung__c,"
        "Strategy_Discussion__c,Personal_Trust__c,Extra_Time__c,Executive_Access__c,"
        "Mutual_Value__c,IsDeleted\n"
    )
    put(
        landing,
        f"{first}/Relationship_Assessment__c.csv",
        assessment_header
        # the same day, the same respondent: the later Id (N2) is the later record
        + f"{r[0]},{A1},{U1},2025-11-10,Seller,Professional Peer,6,6,6,6,6,false\n"
        f"{r[1]},{A1},{U1},2025-11-10,Seller,Respected Advisor,9,9,9,9,7,false\n"
        f"{r[2]},{A1},{U1},2025-11-11,Seller,Acquaintance,1,,1,1,1,false\n"
        f"{r[3]},{A1},{U1},2025-11-12,Seller,Acquaintance,1,11,1,1,1,false\n"
        f"{r[4]},{A3},{U2},2025-11-05,Buyer,Professional Peer,4,4,4,4,4,false\n"
        f"{r[5]},{A4},{U2},2025-11-12,Seller,Professional Peer,3,3,3,3,3,false\n"
        f"{r[6]},{A5},{U2},2025-11-08,Seller,Respected Advisor,10,10,10,10,10,false\n"
        f"{r[7]},{A2},{U2},2025-11-15,Buyer,Professional Peer,5,5,5,5,5,false\n",
    )
    put(
        landing,
        f"{second}/Relationship_Assessment__c.csv",
        assessment_header + f"{r[7]},{A2},{U2},2025-11-15,Buyer,Professional Peer,5,5,5,5,5,true\n"
        f"{r[8]},{A2},{U2},2025-12-05,Seller,Respected Advisor,10,10,10,10,10,false\n",
    )
    e = [sf("00U", f"N{n}") for n in range(1, 10)]
    event_header = "Id,AccountId,OwnerId,Subject,Meeting_Mode__c,ActivityDate,IsDeleted\n"
    put(
        landing,
        f"{first}/Event.csv",
        event_header + f"{e[0]},{A1},{U1},Call,Virtual,2025-11-03,false\n"
        f"{e[1]},{A1},{U1},Call,virtual ,2025-11-04,false\n"
        f"{e[2]},{A3},{U2},Visit,In Person,2025-11-05,false\n"
        f"{e[3]},{A3},{U2},Lunch,,2025-11-06,false\n"
        f"{e[4]},{A2},{U2},Call,Video Call,2025-11-06,false\n"
        f"{e[5]},{A2},{U2},Call,Virtual,2025-11-07,false\n"
        f"{e[6]},{A4},{U2},Call,Virtual,2025-11-12,false\n"
        f"{e[7]},{A5},{U2},Visit,In Person,2025-11-09,false\n",
    )
    put(
        landing,
        f"{second}/Event.csv",
        event_header + f"{e[5]},{A2},{U2},Call,Virtual,2025-11-07,true\n",
    )
    t = [sf("a02", f"N{n}") for n in range(1, 8)]
    put(
        landing,
        f"{first}/Training_Completion__c.csv",
        "Id,User__c,Course_Name__c,Course_Type__c,Completed_Date__c\n"
        f"{t[0]},{U7},HYBRID  101 ,hybrid  selling,2025-10-15\n"
        f"{t[1]},{U2},virtual 101,Virtual Selling,2025-10-25\n"
        f"{t[2]},{U2},Virtual 101,Virtual Selling,2025-09-24\n"
        f"{t[3]},{NOT_A_USER},Hybrid 101,Hybrid Selling,2025-08-01\n"
        f"{t[4]},{U9},Hybrid 101,Hybrid Selling,\n",
    )


# December 2025 to May 2026 (finance_quirks_landing, ERP drops 2026-01-05, 03-04 and
# 06-02, and 2024-08-05 for the retention a year and more before): invoices and
# payments as an ERP writes them; see the comment above test_finance_across_months.
# USD is worth 1.00 EUR from 2026-01-15 and 0.80 from 2026-02-27; CHF has no rate.
# C4 is Gamma (A3) by its crm_account_id.
UNKNOWN_OPPORTUNITY = sf("006", "Z9")
FINANCE_PAYMENTS = (
    "erp/2024-08-05/payments.csv",
    "erp/2026-01-05/payments.csv",
    "erp/2026-03-04/payments.csv",
    "erp/2026-06-02/payments.csv",
)
FINANCE_CUSTOMERS = ("erp/2026-01-05/customers.csv",)


def finance_quirks_landing(landing: Path) -> None:
    invoice_header = (
        "invoice_number,customer_number,document_type,invoice_date,due_date,currency,status,"
        "crm_opportunity_id,updated_at\n"
    )
    line_header = (
        "invoice_number,line_number,item_code,quantity,unit_price,net_amount,cost_amount,"
        "updated_at\n"
    )
    payment_header = "payment_id,invoice_number,payment_date,amount,currency\n"
    put(
        landing,
        "erp/2024-08-05/invoices.csv",
        invoice_header + "I24,C2,invoice,2024-07-10,2024-08-09,EUR,posted,,2024-07-10T00:00:00Z\n",
    )
    put(
        landing,
        "erp/2024-08-05/invoice_lines.csv",
        line_header + "I24,1,SUB,1,500,500,100,2024-07-10T00:00:00Z\n",
    )
    put(landing, "erp/2024-08-05/payments.csv", payment_header + "P24,I24,2024-08-01,500,EUR\n")
    first, second, third = "erp/2026-01-05", "erp/2026-03-04", "erp/2026-06-02"
    put(
        landing,
        f"{first}/customers.csv",
        "customer_number,name,vat_number,country_code,crm_account_id,created_at,updated_at\n"
        f"C4,Gamma SARL,,FR,{A3},2025-11-01T00:00:00Z,2025-11-01T00:00:00Z\n",
    )
    put(
        landing,
        f"{first}/invoices.csv",
        invoice_header
        + f"I10,C1,invoice,2025-12-05,2026-01-04,EUR,posted,{O13[:15]},2025-12-05T00:00:00Z\n"
        f"I11,C2,invoice,2025-12-10,2026-01-09,usd,posted,{O3},2025-12-10T00:00:00Z\n"
        "I13,C1,invoice,2025-12-15,2026-01-14,EUR,posted,,2025-12-15T00:00:00Z\n"
        "I14,C1,invoice,2025-12-20,2026-01-19,EUR,draft,,2025-12-20T00:00:00Z\n"
        "I15,C3,invoice,2025-12-22,,EUR,posted,,2025-12-22T00:00:00Z\n"
        "I16,C1,invoice,2025-12-28,2026-01-27,CHF,posted,,2025-12-28T00:00:00Z\n"
        "I23,C1,invoice,2025-12-23,2026-01-22,EUR,draft,,2025-12-23T00:00:00Z\n",
    )
    put(
        landing,
        f"{first}/invoice_lines.csv",
        line_header + "I10,1,SUB,1,1000,1000,300,2025-12-05T00:00:00Z\n"
        "I10,2,HW,1,-100,-100,,2025-12-05T00:00:00Z\n"
        "I11,1,HW,1,1000,1000,,2025-12-10T00:00:00Z\n"
        "I13,1,HW,1,2000,2000,500,2025-12-15T00:00:00Z\n"
        "I14,1,HW,1,700,700,100,2025-12-20T00:00:00Z\n"
        "I15,1,SUB,1,400,400,100,2025-12-22T00:00:00Z\n"
        "I16,1,HW,1,5000,5000,1000,2025-12-28T00:00:00Z\n"
        "I23,1,HW,1,800,800,200,2025-12-23T00:00:00Z\n",
    )
    put(landing, f"{first}/payments.csv", payment_header + "P10,I10,2025-12-31,400,EUR\n")
    put(
        landing,
        f"{second}/invoices.csv",
        invoice_header
        + f"I12,C1,invoice,2026-01-12,2026-02-11,EUR,posted,{O13},2026-01-12T00:00:00Z\n"
        f"I17,C2,invoice,2026-01-20,2026-02-19,USD,posted,{O4},2026-01-20T00:00:00Z\n"
        f"I18,C1,invoice,2026-01-25,2026-02-24,EUR,posted,{UNKNOWN_OPPORTUNITY},"
        "2026-01-25T00:00:00Z\n"
        f"CN10,C1,credit_note,2026-02-10,,EUR,posted,{O13.lower()},2026-02-10T00:00:00Z\n"
        "I19,C4,invoice,2026-02-14,,EUR,posted,,2026-02-14T00:00:00Z\n"
        "I20,C3,invoice,2026-02-20,2026-03-22,EUR,posted,,2026-02-20T00:00:00Z\n"
        "I13,C1,invoice,2025-12-15,2026-01-14,EUR,cancelled,,2026-01-20T00:00:00Z\n"
        "I23,C1,invoice,2025-12-23,2026-01-22,EUR,posted,,2026-01-10T00:00:00Z\n",
    )
    put(
        landing,
        f"{second}/invoice_lines.csv",
        line_header + "I12,1,HW,1,1500,1500,600,2026-01-12T00:00:00Z\n"
        "I17,1,HW,1,2000,2000,500,2026-01-20T00:00:00Z\n"
        "I18,1,SUB,1,600,600,,2026-01-25T00:00:00Z\n"
        "CN10,1,HW,1,200,200,50,2026-02-10T00:00:00Z\n"
        "I19,1,SUB,1,400,400,100,2026-02-14T00:00:00Z\n"
        "I20,1,HW,1,300,300,,2026-02-20T00:00:00Z\n"
        "I20,2,HW,1,-50,-50,,2026-02-20T00:00:00Z\n",
    )
    put(
        landing,
        f"{second}/payments.csv",
        payment_header + "P11,I10,2026-02-01,500,EUR\nP12,I11,2026-01-10,475,EUR\n"
        "P14,I12,2026-02-10,1000,EUR\nP16,I23,2026-01-20,800,EUR\n"
        "P18,I16,2026-01-30,1000,CHF\nP19,I17,2026-02-27,1900,USD\n"
        "P20,I19,2026-02-14,400,EUR\n",
    )
    put(
        landing,
        f"{second}/fx_rates.csv",
        "rate_date,currency,rate_to_eur\n2026-01-15,USD,1.00\n2026-02-27,USD,0.80\n",
    )
    put(
        landing,
        f"{third}/invoices.csv",
        invoice_header + "I21,C1,invoice,2026-03-05,2026-04-04,EUR,posted,,2026-03-05T00:00:00Z\n"
        "CN11,C1,credit_note,2026-04-10,,EUR,posted,,2026-04-10T00:00:00Z\n"
        "I22,C2,invoice,2026-05-05,2026-06-04,USD,posted,,2026-05-05T00:00:00Z\n",
    )
    put(
        landing,
        f"{third}/invoice_lines.csv",
        line_header + "I21,1,SUB,1,300,300,0,2026-03-05T00:00:00Z\n"
        "CN11,1,SUB,1,100,100,,2026-04-10T00:00:00Z\n"
        "I22,1,HW,1,500,500,,2026-05-05T00:00:00Z\n",
    )
    put(
        landing,
        f"{third}/payments.csv",
        payment_header + "P13,I11,2026-03-02,600,USD\nP17,I15,2026-03-15,400,EUR\n"
        "P21,I20,2026-03-22,250,EUR\nP22,I21,2026-04-04,300,EUR\n",
    )


def built(
    root: Path, leave_out: tuple[str, ...] = (), bookings_targets: str | None = None
) -> duckdb.DuckDBPyConnection:
    """The landing set (less the files `leave_out`, with the company's bookings
    targets if given) loaded and built; a read-only connection."""
    landing = root / "landing"
    real_landing(landing)
    for relative in leave_out:
        (landing / relative).unlink()
    if bookings_targets is not None:
        put(root, "company/bookings_targets.csv", bookings_targets)
    warehouse = root / "warehouse.duckdb"
    results = load_landing(landing, warehouse, root / "company")
    assert {r.status for r in results} == {"loaded"}, [
        (r.landing_file.relative_path, r.status, r.error) for r in results
    ]
    with duckdb.connect(str(warehouse), read_only=True) as loaded:
        rejects = loaded.execute(
            "select object, drop_id, line_number, reason from raw_meta.load_rejects order by all"
        ).fetchall()
    assert [(o, f"crm/{d}", n, r) for o, d, n, r in rejects] == [
        (o, d, n, r) for o, d, n, r in RELATIONSHIP_REJECTS if f"{d}/{o}.csv" not in leave_out
    ]
    run_dbt(BUILD_WITHOUT_TESTS, warehouse, target_path=root / "target")
    return duckdb.connect(str(warehouse), read_only=True)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Iterator:
    connection = built(tmp_path_factory.mktemp("real_exports"))
    yield connection
    connection.close()


def company(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, float | None]:
    sql = "select kpi_code, value from marts.kpi_company_monthly where month = ?"
    return dict(con.execute(sql, [month]).fetchall())


def account(con: duckdb.DuckDBPyConnection, month: str, crm_account_id: str) -> dict:
    sql = """
        select k.kpi_code, k.value from marts.kpi_account_monthly as k
        inner join marts.dim_account as a using (account_key)
        where k.month = ? and a.crm_account_id = ?
    """
    return dict(con.execute(sql, [month, crm_account_id]).fetchall())


def check(actual: dict, expected: dict) -> None:
    wrong = {
        code: (actual.get(code), value)
        for code, value in expected.items()
        if not (
            (value is None and actual.get(code) is None)
            or (
                value is not None
                and actual.get(code) is not None
                and abs(actual[code] - value) < 1e-9
            )
        )
    }
    assert not wrong, f"kpi: (warehouse, by hand) {wrong}"


def test_sales_kpis(con: duckdb.DuckDBPyConnection) -> None:
    check(
        company(con, MAY),
        {
            "bookings": 2800,
            "win_rate": 2 / 3,
            "win_rate_value": 2800 / 3300,
            "avg_sales_cycle_days": (39 + 17) / 2,
            "open_pipeline": 5800,
            "weighted_pipeline": 1600,
            "slippage_rate": 3000 / 5800,
            "pipeline_flow_won": 2800,
            "pipeline_flow_won_amount_change": 0,
            "pipeline_flow_added": 0,
            "pipeline_flow_lost": 0,
            "pipeline_flow_pushed": 3000,
            "pipeline_flow_still_open": 0,
        },
    )
    check(company(con, JUNE), {"open_pipeline": 3000, "weighted_pipeline": 2100, "bookings": 0})
    check(account(con, MAY, A2), {"bookings": 1800, "win_rate": 1})
    check(account(con, MAY, A1), {"bookings": 1000, "win_rate": 1 / 2})


def by_user(con: duckdb.DuckDBPyConnection, grain: str, month: str, user_id: str) -> dict:
    key = "team_key" if grain == "team" else "sales_rep_key"
    sql = f"""
        select k.kpi_code, k.value from marts.kpi_{grain}_monthly as k
        inner join marts.dim_sales_rep as r on k.{key} = r.sales_rep_key
        where k.month = ? and r.user_id = ?
    """
    return dict(con.execute(sql, [month, user_id]).fetchall())


def test_team_and_rep_kpis(con: duckdb.DuckDBPyConnection) -> None:
    """U3's team is the company (U1 and U2 name U3, one by its 15-character Id)."""
    check(
        by_user(con, "team", MAY, U3),
        {
            "bookings": 2800,
            "sales_forecast": 2120,
            "open_pipeline": 5800,
            "forecast_accuracy_sales": 1 - 680 / 2800,
            "pipeline_flow_pushed": 3000,
            "quota": 2500 + 1932 + 500,
        },
    )
    check(
        by_user(con, "rep", MAY, U1),
        {
            "bookings": 1000,
            "sales_forecast": 1200,
            "win_rate": 1 / 2,
            "open_pipeline": 4000,
            "weighted_pipeline": 700,
            "virtual_meeting_share": 1 / 2,
        },
    )
    check(
        by_user(con, "rep", MAY, U2),
        {
            "bookings": 1800,
            "sales_forecast": 920,
            "open_pipeline": 1800,
            "weighted_pipeline": 900,
            "virtual_meeting_share": None,  # one meeting of unknown mode (the other deleted)
        },
    )


# ForecastingQuota (Data Loader, CRLF): USD at StartDate's rate (0.92 on 05-01); the
# 06-05 delta re-exports U2's May quota changed (2100 USD) and gives U1's May a new
# Id (2500 EUR: the later drop wins per owner and month); U4 left (inactive) and
# keeps a May quota; U3 has a quota of his own only in June, which replaces his
# team's roll-up.
QUOTA_MAY = {"U1": 2500, "U2": 2100 * 0.92, "U4": 500}
QUOTA_TEAM_MAY = sum(QUOTA_MAY.values())


def test_quota_kpis(con: duckdb.DuckDBPyConnection) -> None:
    check(
        company(con, MAY),
        {
            "quota": QUOTA_TEAM_MAY,
            "quota_attainment": 2800 / QUOTA_TEAM_MAY,
            "pipeline_coverage": 5800 / QUOTA_TEAM_MAY,
        },
    )
    check(company(con, APRIL), {"quota": 1000, "quota_attainment": 0.5, "pipeline_coverage": 0.5})
    check(company(con, JUNE), {"quota": 5000, "quota_attainment": 0, "pipeline_coverage": 0.6})
    check(company(con, MARCH), {"quota": None, "quota_attainment": None, "pipeline_coverage": None})
    check(
        by_user(con, "team", MAY, U3),
        {"quota": QUOTA_TEAM_MAY, "quota_attainment": 2800 / QUOTA_TEAM_MAY},
    )
    check(by_user(con, "team", JUNE, U3), {"quota": 5000, "quota_attainment": 0})
    check(by_user(con, "rep", MAY, U1), {"quota": 2500, "quota_attainment": 1000 / 2500})
    check(
        by_user(con, "rep", MAY, U2),
        {"quota": QUOTA_MAY["U2"], "quota_attainment": 1800 / QUOTA_MAY["U2"]},
    )
    check(by_user(con, "rep", MAY, U4), {"quota": 500, "quota_attainment": 0})
    check(by_user(con, "rep", JUNE, U1), {"quota": 1000, "quota_attainment": 0})


def test_best_case_and_calibrated_forecasts(con: duckdb.DuckDBPyConnection) -> None:
    """Best Case: U3's Team call (4000) replaces U1's 1800 and U2's 1000 USD (920).
    Calibrated: U1 called 1000 in each of February to April and booked 600, 400,
    500: k(U1, May) = 1500 / 3000; U2 has no past call (fewer than 3 months) and
    takes the company ratio over the same rep-months, also 0.5."""
    calibrated = 1200 * 0.5 + 920 * 0.5
    check(
        company(con, MAY),
        {
            "sales_forecast_best_case": 4000,
            "calibrated_sales_forecast": calibrated,
            "forecast_accuracy_calibrated": 1 - abs(2800 - calibrated) / 2800,
        },
    )
    check(
        by_user(con, "team", MAY, U3),
        {"sales_forecast_best_case": 4000, "calibrated_sales_forecast": calibrated},
    )
    check(
        by_user(con, "rep", MAY, U1),
        {"sales_forecast_best_case": 1800, "calibrated_sales_forecast": 600},
    )
    check(
        by_user(con, "rep", MAY, U2),
        {"sales_forecast_best_case": 920, "calibrated_sales_forecast": 460},
    )
    check(
        by_user(con, "rep", MAY, U3),
        {"sales_forecast_best_case": None, "calibrated_sales_forecast": None},
    )
    # February: no past call at all (k = 1); March: one month (company ratio 600 / 1000);
    # April: two months (company ratio 1000 / 2000)
    check(
        company(con, FEBRUARY),
        {"calibrated_sales_forecast": 1000, "sales_forecast": 1000, "bookings": 600},
    )
    check(company(con, MARCH), {"calibrated_sales_forecast": 600, "bookings": 400})
    check(company(con, APRIL), {"calibrated_sales_forecast": 500, "bookings": 500})


def test_relationship_forecast(con: duckdb.DuckDBPyConnection) -> None:
    """p(tier) from the closes of the 12 months before the month, tiers as assessed
    before each close: March p(Unassessed) = 1 (O6); April 2/3 (O6, O7 won, O9 lost);
    May also p(Professional Peer) = 1 (O8, after A1's 04-10 assessment)."""
    check(company(con, MARCH), {"open_pipeline": 1400, "relationship_forecast": 1400})
    # February: O6's 600 open, no close in the 12 months before: no tier has a win
    # rate, nothing to forecast with (it read 0, and its accuracy 0); June: O5's 3000,
    # A1 now a Respected Advisor (05-31), a tier nobody closed in
    nothing = {"relationship_forecast": None, "forecast_accuracy_relationship": None}
    check(company(con, FEBRUARY), {"open_pipeline": 600, "bookings": 600, **nothing})
    check(company(con, JUNE), {"open_pipeline": 3000, **nothing})
    check(company(con, APRIL), {"open_pipeline": 500, "relationship_forecast": 333.33})
    check(
        company(con, MAY),
        {
            "relationship_forecast": 1000 + 1800 * 2 / 3 + 3000,
            "forecast_accuracy_relationship": 1 - abs(2800 - 5200) / 2800,
        },
    )


def test_forecast_kpis(con: duckdb.DuckDBPyConnection) -> None:
    sales, finance, bookings = 1200 + 920, 1500 + 460, 2800
    check(
        company(con, MAY),
        {
            "sales_forecast": sales,
            "finance_forecast": finance,
            "forecast_haircut_pct": 1 - finance / sales,
            "forecast_accuracy_sales": 1 - abs(bookings - sales) / bookings,
            "forecast_accuracy_finance": 1 - abs(bookings - finance) / bookings,
            "forecast_bias_sales": (sales - bookings) / bookings,
        },
    )


# September and October (pipeline_quirks_landing), the pipeline as real exports
# write it, EUR unless said (USD 0.90, 0.95 from 10-01). Opening pipeline as of
# September 1, bucket of the September flow:
#   O20 U1 1200 p60 Commit   two history rows at the same 08-20T10:00 (Proposal
#                            1000 p40, then Negotiation 1200): the later Id -> won 09-25
#   O21 U1 2000 p20          pushed to 10-15 on 09-05, pulled back to 09-28 on
#                            09-19 and won then -> won, not slipped
#   O22 U2 1500 p30          lost 09-18 -> lost; reopened 10-06, won 1700 on 10-20:
#                            October's added (not in its opening pipeline: Omitted)
#   O23 U6  800 p50 Best Case won 09-12; its amount made 950 on 10-01 -> won, +150
#   O27 U1  900 p20          stage On Hold from 09-10, open, forecast category
#                            Omitted (in no forecast) -> lost
#   O28 U2 NULL p10          Amount NULL, set to 500 and pushed to 10-10 on 09-15
#                            -> pushed 0; October 500 p60, still open on Nov 1
#   O29 U2 1000 USD p70 Commit close 09-30 (900), pushed to 10-20 -> pushed, slipped;
#                            October 950 p70, won 1100 USD = 1045 -> won, +95
# not in it: O24 U1 600 created 09-03 and won 09-22, O30 U6 300 pushed to 10-10 on
# 08-25, pulled back and won 09-15 (both added); O25 U2 400 created 09-04 and lost
# 09-24; O26 U2 700 (close 09-25) deleted in the 10-02 drop: nowhere.
# Won deals' days from creation: O20 55, O21 54, O23 31, O24 19, O30 45; O22 71, O29 56.
# Commit calls: September U1 3000 (08-28) then 3200 (08-30), U2 1000 USD (08-29: 900),
# U6 500 at 09-01T00:00Z (in the month: not a call of record); October U1 2000.
# Quotas for September: U1 3000, U2 2000. Finance versions for September: 4000
# (08-05), 3500 (08-20), 3800 dated 08-28 but delivered on 09-10, in-month
# revisions 3300 (09-10) and 3100 (09-20), and on 09-22 another EUR version
# dated 08-28 (3700, a smaller forecast_id) in a full snapshot that delivers
# S3 (3800) again: of two versions of the same day the one first delivered
# later is of record, not their sum nor the higher forecast_id; for October
# only one dated 10-03.
# November: O31 U1 900 (A1), created 10-10, closes 11-20.
SEPTEMBER, OCTOBER, NOVEMBER = "2025-09-01", "2025-10-01", "2025-11-01"
OPENING_SEPTEMBER = 1200 + 2000 + 1500 + 800 + 900 + 0 + 900
BOOKINGS_SEPTEMBER = 1200 + 2000 + 950 + 600 + 300
BOOKINGS_OCTOBER = 1045 + 1700


def test_pipeline_flows_and_history_quirks(con: duckdb.DuckDBPyConnection) -> None:
    sales, finance = 3200 + 900, 3700
    check(
        company(con, SEPTEMBER),
        {
            "open_pipeline": OPENING_SEPTEMBER,
            "weighted_pipeline": 720 + 400 + 450 + 400 + 180 + 0 + 630,
            "pipeline_coverage": OPENING_SEPTEMBER / 5000,
            "slippage_rate": 900 / OPENING_SEPTEMBER,
            "pipeline_flow_won": 1200 + 2000 + 800,
            "pipeline_flow_won_amount_change": 150,
            "pipeline_flow_lost": 1500 + 900,
            "pipeline_flow_pushed": 0 + 900,
            "pipeline_flow_still_open": 0,
            "pipeline_flow_added": 600 + 300,
            "bookings": BOOKINGS_SEPTEMBER,
            # O22's loss is no September close any more: it closed again, won, in October
            "win_rate": 5 / 6,
            "win_rate_value": BOOKINGS_SEPTEMBER / (BOOKINGS_SEPTEMBER + 400),
            "avg_sales_cycle_days": (55 + 54 + 31 + 19 + 45) / 5,
            "sales_forecast": sales,
            "finance_forecast": finance,
            "forecast_haircut_pct": 1 - finance / sales,
            "forecast_accuracy_sales": 1 - abs(BOOKINGS_SEPTEMBER - sales) / BOOKINGS_SEPTEMBER,
            "forecast_accuracy_finance": 1 - abs(BOOKINGS_SEPTEMBER - finance) / BOOKINGS_SEPTEMBER,
            "forecast_bias_sales": (sales - BOOKINGS_SEPTEMBER) / BOOKINGS_SEPTEMBER,
        },
    )
    # Calibrated (Own Commit calls x k): U1 called February to May, booking 2500 on 4200;
    # U2 one month: the company ratio over the rep-months with a call (U1 February to
    # May, U2 May, U5, U6 and U7 July), bookings 10300 on calls 10120. Relationship:
    # September's tiers A1 Respected Advisor (05-31), A2 Acquaintance (06-01); closes
    # of the 12 months before, as known on September 1: Respected Advisor O10, O11,
    # O13 won (1), Acquaintance O15 won, O16 lost (1/2).
    calibrated = 3200 * 2500 / 4200 + 900 * 10300 / 10120
    relationship = (1200 + 2000 + 800 + 900) * 1 + (1500 + 0 + 900) / 2
    check(
        company(con, SEPTEMBER),
        {
            "calibrated_sales_forecast": round(calibrated, 2),
            "forecast_accuracy_calibrated": 1
            - abs(BOOKINGS_SEPTEMBER - round(calibrated, 2)) / BOOKINGS_SEPTEMBER,
            "relationship_forecast": relationship,
            "forecast_accuracy_relationship": 1
            - abs(BOOKINGS_SEPTEMBER - relationship) / BOOKINGS_SEPTEMBER,
        },
    )
    # October: k(U1) adds September (3800 booked on 3200 called); p(Acquaintance) adds
    # O25's loss and O22's, as known on October 1 (its reopening came later): 1/4
    calibrated = 2000 * (2500 + 3800) / (4200 + 3200)
    check(
        company(con, OCTOBER),
        {
            "calibrated_sales_forecast": round(calibrated, 2),
            "forecast_accuracy_calibrated": 1
            - abs(BOOKINGS_OCTOBER - round(calibrated, 2)) / BOOKINGS_OCTOBER,
            "relationship_forecast": 1450 / 4,
            "forecast_accuracy_relationship": 1
            - abs(BOOKINGS_OCTOBER - 1450 / 4) / BOOKINGS_OCTOBER,
        },
    )
    # a sales call and no finance version of record: no haircut, no finance accuracy
    check(
        company(con, OCTOBER),
        {
            "open_pipeline": 500 + 950,
            "weighted_pipeline": 300 + 665,
            "pipeline_coverage": None,  # no quota
            "slippage_rate": 0,
            "pipeline_flow_won": 950,
            "pipeline_flow_won_amount_change": 95,
            "pipeline_flow_lost": 0,
            "pipeline_flow_pushed": 0,
            "pipeline_flow_still_open": 500,
            "pipeline_flow_added": 1700,
            "bookings": BOOKINGS_OCTOBER,
            "win_rate": 1,
            "win_rate_value": 1,
            "avg_sales_cycle_days": (71 + 56) / 2,
            "sales_forecast": 2000,
            "finance_forecast": None,
            "forecast_haircut_pct": None,
            "forecast_accuracy_sales": 1 - abs(BOOKINGS_OCTOBER - 2000) / BOOKINGS_OCTOBER,
            "forecast_accuracy_finance": None,
            "forecast_bias_sales": (2000 - BOOKINGS_OCTOBER) / BOOKINGS_OCTOBER,
        },
    )
    # November: O31's 900 with A1, a Respected Advisor: of the tier's closes, O27 is
    # none (open On Hold, a stage in no forecast); it read as lost: p = 8/9, 800
    check(
        company(con, NOVEMBER),
        {
            "open_pipeline": 900,
            "relationship_forecast": 900,
            "forecast_accuracy_relationship": None,  # nothing booked
        },
    )
    check(
        by_user(con, "team", SEPTEMBER, U3),
        {
            "open_pipeline": 1200 + 2000 + 1500 + 900 + 0 + 900,
            "pipeline_flow_won": 3200,
            "pipeline_flow_won_amount_change": 0,
            "pipeline_flow_lost": 2400,
            "pipeline_flow_pushed": 900,
            "pipeline_flow_still_open": 0,
            "pipeline_flow_added": 600,
            "bookings": 3800,
            "sales_forecast": sales,
            "forecast_accuracy_sales": 1 - 300 / 3800,
            "forecast_bias_sales": 300 / 3800,
        },
    )
    check(
        by_user(con, "team", SEPTEMBER, U5),
        {
            "open_pipeline": 800,
            "pipeline_flow_won": 800,
            "pipeline_flow_won_amount_change": 150,
            "pipeline_flow_added": 300,
            "bookings": 1250,
            "sales_forecast": None,  # U6's call is dated on the 1st
            "forecast_accuracy_sales": None,
        },
    )
    check(
        by_user(con, "rep", SEPTEMBER, U1),
        {
            "open_pipeline": 4100,
            "weighted_pipeline": 1300,
            "bookings": 3800,
            "win_rate": 1,
            "sales_forecast": 3200,
            "forecast_accuracy_sales": 1 - 600 / 3800,
        },
    )
    check(
        by_user(con, "rep", SEPTEMBER, U2),
        {
            "open_pipeline": 2400,
            "weighted_pipeline": 1080,
            "bookings": 0,
            "win_rate": 0,
            "sales_forecast": 900,
            "forecast_accuracy_sales": None,  # nothing booked
            "forecast_bias_sales": None,
        },
    )
    check(
        by_user(con, "team", OCTOBER, U3),
        {
            "open_pipeline": 1450,
            "pipeline_flow_won": 950,
            "pipeline_flow_won_amount_change": 95,
            "pipeline_flow_still_open": 500,
            "pipeline_flow_added": 1700,
            "bookings": BOOKINGS_OCTOBER,
        },
    )
    check(
        by_user(con, "rep", OCTOBER, U2),
        {"open_pipeline": 1450, "weighted_pipeline": 965, "bookings": BOOKINGS_OCTOBER},
    )
    check(account(con, SEPTEMBER, A1), {"bookings": BOOKINGS_SEPTEMBER, "win_rate": 1})
    check(account(con, SEPTEMBER, A2), {"bookings": 0, "win_rate": 0})
    check(account(con, OCTOBER, A2), {"bookings": BOOKINGS_OCTOBER, "win_rate": 1})
    by_category = """
        select forecast_category, value from marts.kpi_pipeline_category_monthly
        where month = ? and kpi_code = 'open_pipeline'
    """
    assert dict(con.execute(by_category, [SEPTEMBER]).fetchall()) == {
        "Commit": 1200 + 900,
        "Best Case": 800,
        "Pipeline": 2000 + 1500 + 900 + 0,
    }


def test_relationship_and_hybrid_kpis(con: duckdb.DuckDBPyConnection) -> None:
    check(
        company(con, MAY),
        {
            "relationship_index": 80,
            "relationship_potential_used": 0.8,
            "relationship_perception_gap": 20,
            "respected_advisor_share": 1,
            "relationship_capital": (300 + 500 - 150) * 0.8,
            "assessed_account_share": 1 / 2,
            "virtual_meeting_share": 1 / 2,
            # active now: U1, U2, U3, U5, U6, U7, U9 (U4 and U8 left); trained by
            # May 31: U1 (05-05) and U5 (Virtual Selling 03-01)
            "trained_rep_share": 2 / 7,
            "win_rate_trained": 1 / 2,
            "win_rate_untrained": 1,
        },
    )
    check(company(con, APRIL), {"relationship_index": 50, "respected_advisor_share": 0})


def test_relationship_and_hybrid_kpis_of_real_exports(con: duckdb.DuckDBPyConnection) -> None:
    """relationship_quirks_landing by hand. September and October have no new
    assessment: A1 seller 80 (05-31), buyer 60 (05-15); A2 seller 20 (06-01), no
    buyer. Trailing gross margins: A1 300 + 500 - 150 = 650, A2 900. Active reps
    now: U1, U2, U3, U5, U6, U7, U9; trained: U5 03-01, U1 05-05, U6 07-10, U2
    09-24 (its first of two Virtual Selling courses), U7 10-15 (`hybrid  selling`);
    the course of a user not in User counts for no rep, U9's without a date is
    rejected."""
    for month in (SEPTEMBER, OCTOBER):
        check(
            company(con, month),
            {
                "relationship_index": (80 + 20) / 2,
                "relationship_potential_used": 0.5,
                "relationship_perception_gap": 20,
                "respected_advisor_share": 1 / 2,
                "relationship_capital": 650 * 0.8 + 900 * 0.2,
                "assessed_account_share": 1,
                "virtual_meeting_share": None,  # no meeting
            },
        )
    # September closes: U1 O20, O21, O24 and U6 O23, O30 won after training; U2's
    # O25 lost on 09-24, the day of U2's course: not before the close
    check(
        company(con, SEPTEMBER),
        {"trained_rep_share": 4 / 7, "win_rate_trained": 1, "win_rate_untrained": 0},
    )
    # October: U2 wins O22 and O29 after training; no untrained close
    check(
        company(con, OCTOBER),
        {"trained_rep_share": 5 / 7, "win_rate_trained": 1, "win_rate_untrained": None},
    )
    # November: A1's two seller assessments of 11-10: the later Id, 86 (9, 9, 9, 9, 7),
    # Respected Advisor; a blank and an 11 score are rejected. A4's 30 (Professional
    # Peer) was merged into A2; A2's 100 of 12-05 is after the month; its buyer
    # assessment was deleted, A3 only has a buyer's; A5's counts nowhere (deleted).
    # Meetings: A1 2 virtual (`virtual `), A3 1 in person and 1 without a mode, A2 one
    # deleted, one rejected (`Video Call`) and A4's virtual one, merged; A5's in person
    # one was held, though its account is gone. No close in November.
    check(
        company(con, NOVEMBER),
        {
            "relationship_index": (86 + 30) / 2,
            "relationship_potential_used": 0.58,
            "relationship_perception_gap": 86 - 60,
            "respected_advisor_share": 1 / 2,
            "relationship_capital": 650 * 0.86 + 900 * 0.3,
            "assessed_account_share": 1,
            "virtual_meeting_share": 3 / 5,
            "trained_rep_share": 5 / 7,
            "win_rate_trained": None,
            "win_rate_untrained": None,
        },
    )
    check(
        account(con, NOVEMBER, A1),
        {
            "relationship_index": 86,
            "relationship_potential_used": 0.86,
            "relationship_perception_gap": 26,
            "relationship_capital": 650 * 0.86,
            "virtual_meeting_share": 1,
        },
    )
    check(
        account(con, NOVEMBER, A2),
        {
            "relationship_index": 30,
            "relationship_potential_used": 0.3,
            "relationship_perception_gap": None,
            "relationship_capital": 900 * 0.3,
            "virtual_meeting_share": 1,
        },
    )
    # A3: no seller view, no invoices: no index, no capital resting on it (not 0)
    check(
        account(con, NOVEMBER, A3),
        {
            "relationship_index": None,
            "relationship_potential_used": None,
            "relationship_perception_gap": None,
            "relationship_capital": None,
            "virtual_meeting_share": 0,
        },
    )
    for merged_or_deleted in (A4, A5):
        assert account(con, NOVEMBER, merged_or_deleted) == {}


def test_finance_and_cash_kpis(con: duckdb.DuckDBPyConnection) -> None:
    check(
        company(con, MAY),
        {
            "invoiced_revenue": 2800,
            "gross_margin": 1450,
            "gross_margin_pct": 1450 / 2800,
            "unmatched_revenue": 300,
            "cash_collected": 2700,
            "invoiced_on_bookings": 2500,
            "invoiced_without_opportunity": 300,
            "booked_not_invoiced": 300 + 600 + 400 + 500,  # O6 to O8 never invoiced
            "recurring_revenue": 800,
            "receivables_open": 100 - 100 - 200 + 300,
            "receivables_overdue": -200 + 300,
            "receivables_overdue_1_30": -200 + 300,  # CN1 11 days, I3 6 days past due
            "receivables_overdue_31_60": 0,
            "dso": 100 / 3200 * 92,
        },
    )
    # June 30: I1 100 (26 days), I2's overpayment -100 (due on its payment date
    # 05-31: 30 days), CN1 -200 (41 days); I3 paid on 06-02
    check(
        company(con, JUNE),
        {
            "receivables_open": -200,
            "receivables_overdue": -200,
            "receivables_overdue_1_30": 0,
            "receivables_overdue_31_60": -200,
            "dso": -200 / 3200 * 91,
            "cash_collected": 300,
            "invoiced_revenue": 0,
        },
    )
    check(company(con, APRIL), {"invoiced_revenue": 400, "cash_collected": 400})
    check(
        account(con, MAY, A2),
        {"invoiced_revenue": 1800, "gross_margin": 900, "cash_collected": 1900},
    )


# December 2025 to May 2026 (finance_quirks_landing), EUR unless said:
#   I10 C1 12-05 due 01-04 names O13 in 15 characters: SUB 1000 (cost 300), HW -100 (no cost)
#   I11 C2 12-10 due 01-09 names O3 (lost): HW 1000 usd (no cost) at 0.95 = 950
#   I13 C1 12-15 2000 posted, cancelled in the 03-04 drop; I14 C1 12-20 700 draft
#   I15 C3 12-22 no due date: SUB 400 (cost 100), unmatched
#   I16 C1 12-28 CHF 5000: no rate, missing-FX bucket (and its CHF payment P18 too)
#   I23 C1 12-23 due 01-22 HW 800 (cost 200): a draft in the 01-05 drop, posted in 03-04's
#   I12 C1 01-12 due 02-11 names O13 in 18 characters: HW 1500 (cost 600)
#   I17 C2 01-20 due 02-19 names O4 (deleted): HW 2000 USD (cost 500) at 1.00
#   I18 C1 01-25 due 02-24 names an unknown Id: SUB 600 (no cost)
#   CN10 C1 02-10 credit note, no due date, names O13 in lower case: HW 200 (cost 50)
#   I19 C4 (A3) 02-14 no due date: SUB 400 (cost 100); I20 C3 02-20 due 03-22: HW 300, -50
#   I21 C1 03-05 due 04-04 SUB 300 (cost 0); CN11 C1 04-10 SUB 100 (no cost), no due date
#   I22 C2 05-05 due 06-04 HW 500 USD (no cost) at 0.80 = 400
#   I24 C2 2024-07-10 SUB 500 (cost 100), paid 08-01: A2's recurring revenue a year before
# Payments: I10 400 on 12-31 and 500 on 02-01; I11 475 EUR on 01-10 (at 0.95: 500 USD)
# and 600 USD on 03-02 (100 USD overpaid, due 03-02); I12 1000 on 02-10; I23 800 on
# 01-20; I17 1900 USD on 02-27 (0.80: 1520 EUR); I19 400 on 02-14; I15 400 on 03-15;
# I20 250 on 03-22; I21 300 on 04-04. Open since May 2025 in every month: I1 100, CN1
# -200 and I2's overpayment of -111.11 USD (at the month end's rate), all over 90 days.
OLD_OPEN = {"2025-12-31": 100 - 200 - 105.55, "2026-01-31": 100 - 200 - 111.11}
OLD_OPEN_AT_080 = 100 - 200 - 88.89
DECEMBER, JANUARY_2026, FEBRUARY_2026 = "2025-12-01", "2026-01-01", "2026-02-01"
MARCH_2026, APRIL_2026, MAY_2026, JUNE_2026 = "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"
# Won deals (not deleted) by their close, in EUR: O6 600, O7 400, O8 500, O1 1000,
# O2 1800; July O10 1000, O11 2000, O13 3000, O15 800 (A2); September O20 1200, O21
# 2000, O23 950, O24 600, O30 300; October O22 1700 (A2), O29 1100 USD = 1045 (A2).
BOOKED_BY_NOVEMBER = 1500 + 2800 + 6800 + 5050 + 2745
BACKLOG_A2 = 800 + 1700 + 1045


def test_finance_across_months(con: duckdb.DuckDBPyConnection) -> None:
    """The finance and cash KPIs of December 2025 to May 2026 by hand."""
    # invoiced on O1 700 (I1 900, CN1 -200) and O2 1800 (I2)
    check(company(con, NOVEMBER), {"booked_not_invoiced": BOOKED_BY_NOVEMBER - 700 - 1800})
    december_open = OLD_OPEN["2025-12-31"] + 500 + 950 + 800 + 400
    check(
        company(con, DECEMBER),
        {
            "invoiced_revenue": 900 + 950 + 400 + 800,
            "gross_margin": 600 + 950 + 300 + 600,
            "gross_margin_pct": 2450 / 3050,
            "unmatched_revenue": 400,
            "recurring_revenue": 1000 + 400,
            "invoiced_on_bookings": 900,
            "invoiced_without_opportunity": 950 + 400 + 800,
            "booked_not_invoiced": BOOKED_BY_NOVEMBER - 2500 - 900,
            "cash_collected": 400,
            # I10 500, I11 1000 USD at 0.95, I23 800 not due; I15 9 days past due
            "receivables_open": december_open,
            "receivables_overdue": OLD_OPEN["2025-12-31"] + 400,
            "receivables_overdue_1_30": 400,
            "receivables_overdue_31_60": 0,
            "receivables_overdue_61_90": 0,
            "receivables_overdue_over_90": OLD_OPEN["2025-12-31"],
            "dso": december_open / 3050 * 92,  # nothing invoiced in October and November
        },
    )
    check(
        account(con, DECEMBER, A1),
        {
            "invoiced_revenue": 1700,
            "gross_margin": 1200,
            "recurring_revenue": 1000,
            "invoiced_on_bookings": 900,
            "invoiced_without_opportunity": 800,
            "cash_collected": 400,
            "booked_not_invoiced": BOOKED_BY_NOVEMBER - BACKLOG_A2 - 2500 - 900,
        },
    )
    check(
        account(con, DECEMBER, A2),
        {
            "invoiced_revenue": 950,
            "gross_margin": 950,
            "invoiced_on_bookings": 0,
            "invoiced_without_opportunity": 950,
            "booked_not_invoiced": BACKLOG_A2,
        },
    )
    # January 31 (USD 1.00): I10 500 and I11 500 USD 1-30 days past due, I15 40 days;
    # I12, I17 and I18 not due; I23 paid
    january_open = OLD_OPEN["2026-01-31"] + 500 + 500 + 400 + 1500 + 2000 + 600
    check(
        company(con, JANUARY_2026),
        {
            "invoiced_revenue": 1500 + 2000 + 600,
            "gross_margin": 900 + 1500 + 600,
            "unmatched_revenue": 0,
            "recurring_revenue": 600,
            "invoiced_on_bookings": 1500,
            "invoiced_without_opportunity": 2000 + 600,
            "booked_not_invoiced": BOOKED_BY_NOVEMBER - 2500 - 900 - 1500,
            "cash_collected": 475 + 800,
            "receivables_open": january_open,
            "receivables_overdue": OLD_OPEN["2026-01-31"] + 500 + 500 + 400,
            "receivables_overdue_1_30": 1000,
            "receivables_overdue_31_60": 400,
            "receivables_overdue_61_90": 0,
            "receivables_overdue_over_90": OLD_OPEN["2026-01-31"],
            "dso": january_open / (3050 + 4100) * 92,
        },
    )
    # February 28 (USD 0.80): I11 400 (50 days), I15 400 (68), I12 500, I17 100 USD,
    # I18 600 and CN10 -200 (1 to 30 days), I20 250 not due
    february_open = OLD_OPEN_AT_080 + 400 + 400 + 500 + 80 + 600 - 200 + 250
    check(
        company(con, FEBRUARY_2026),
        {
            "invoiced_revenue": -200 + 400 + 250,
            "gross_margin": -150 + 300 + 250,
            "unmatched_revenue": 250,
            "recurring_revenue": 400,
            "invoiced_on_bookings": -200,
            "invoiced_without_opportunity": 400 + 250,
            "booked_not_invoiced": BOOKED_BY_NOVEMBER - 2500 - 900 - 1500 + 200,
            "cash_collected": 500 + 1000 + 1520 + 400,
            "receivables_open": february_open,
            "receivables_overdue": february_open - 250,
            "receivables_overdue_1_30": 500 + 80 + 600 - 200,
            "receivables_overdue_31_60": 400,
            "receivables_overdue_61_90": 400,
            "receivables_overdue_over_90": OLD_OPEN_AT_080,
            "dso": february_open / (3050 + 4100 + 450) * 90,
        },
    )
    check(
        account(con, FEBRUARY_2026, A1),
        {
            "invoiced_revenue": -200,
            "gross_margin_pct": 150 / 200,
            "receivables_open": 100 - 200 + 500 + 600 - 200,
            "receivables_overdue": 800,
            "dso": 800 / (1700 + 2100 - 200) * 90,
            "booked_not_invoiced": BOOKED_BY_NOVEMBER - BACKLOG_A2 - 2500 - 900 - 1500 + 200,
        },
    )
    check(
        account(con, FEBRUARY_2026, A2),
        {
            "invoiced_revenue": 0,
            "gross_margin_pct": None,
            "receivables_open": -88.89 + 400 + 80,
            "dso": 391.11 / (950 + 2000) * 90,
            "cash_collected": 1520,
        },
    )
    check(
        account(con, FEBRUARY_2026, A3),
        {
            "invoiced_revenue": 400,
            "gross_margin": 300,
            "recurring_revenue": 400,
            "cash_collected": 400,
        },
    )
    # March 31: I11 overpaid -100 USD (29 days after 03-02); I12, I17, I18, CN10 31-60
    # days; I21 not due; I15 and I20 paid
    check(
        company(con, MARCH_2026),
        {
            "invoiced_revenue": 300,
            "gross_margin": 300,
            "recurring_revenue": 300,
            "cash_collected": 480 + 400 + 250,
            "receivables_open": OLD_OPEN_AT_080 - 80 + 500 + 80 + 600 - 200 + 300,
            "receivables_overdue": OLD_OPEN_AT_080 - 80 + 980,
            "receivables_overdue_1_30": -80,
            "receivables_overdue_31_60": 980,
            "receivables_overdue_61_90": 0,
            "receivables_overdue_over_90": OLD_OPEN_AT_080,
            "dso": 1011.11 / (4100 + 450 + 300) * 90,
        },
    )
    check(
        company(con, APRIL_2026),
        {
            "invoiced_revenue": -100,
            "gross_margin": -100,
            "gross_margin_pct": 1,
            "recurring_revenue": -100,
            "cash_collected": 300,
            "receivables_open": OLD_OPEN_AT_080 - 80 + 980 - 100,
            "receivables_overdue_1_30": -100,
            "receivables_overdue_31_60": -80,
            "receivables_overdue_61_90": 980,
            "receivables_overdue_over_90": OLD_OPEN_AT_080,
        },
    )
    # May 31: I11's overpayment 90 days past due, I22 400 not due. Retention: A1 had
    # 800 recurring in June 2024 to May 2025 and 1000 + 600 + 300 - 100 since; A2 500
    # (I24) and nothing since; A3 is new, C3 no account
    may_open = OLD_OPEN_AT_080 - 80 + 980 - 100 + 400
    check(
        company(con, MAY_2026),
        {
            "invoiced_revenue": 400,
            "gross_margin": 400,
            "recurring_revenue": 0,
            "cash_collected": 0,
            "receivables_open": may_open,
            "receivables_overdue": may_open - 400,
            "receivables_overdue_1_30": 0,
            "receivables_overdue_31_60": -100,
            "receivables_overdue_61_90": -80,
            "receivables_overdue_over_90": OLD_OPEN_AT_080 + 980,
            "dso": may_open / (300 - 100 + 400) * 92,
            "net_revenue_retention": 1800 / (800 + 500),
        },
    )
    check(account(con, MAY_2026, A1), {"net_revenue_retention": 1800 / 800})
    check(account(con, MAY_2026, A2), {"net_revenue_retention": 0})
    check(account(con, MAY_2026, A3), {"net_revenue_retention": None})
    check(company(con, JUNE_2026), {"net_revenue_retention": 1800 / 1300})
    # June 2026, the month of the latest drop (06-02), has no fact dated in it: it is
    # published, so an account without facts there reads 0 for its additive KPIs and
    # the relationship KPIs of the assessments on or before June 30 (there was no row
    # for A3 at all, and every relationship KPI of the company was NULL). A1 seller 86
    # (11-10), buyer 60; A2 seller 100 (12-05, Respected Advisor). Trailing gross
    # margin July 2025 to June 2026: A1 1200 + 1500 - 150 + 300 - 100, A2 950 + 1500
    # + 400; A3 (only a buyer's assessment) has none resting on an index.
    check(
        account(con, JUNE_2026, A3),
        {
            "invoiced_revenue": 0,
            "gross_margin": 0,
            "gross_margin_pct": None,
            "cash_collected": 0,
            "recurring_revenue": 0,
            "receivables_open": 0,
            "receivables_overdue": 0,
            "dso": None,
            "booked_not_invoiced": 0,
            "invoiced_on_bookings": 0,
            "invoiced_without_opportunity": 0,
            "net_revenue_retention": None,
            "relationship_capital": None,
        },
    )
    check(account(con, JUNE_2026, A1), {"invoiced_revenue": 0, "relationship_capital": 2750 * 0.86})
    check(
        company(con, JUNE_2026),
        {
            "invoiced_revenue": 0,
            "relationship_index": (86 + 100) / 2,
            "relationship_potential_used": 0.93,
            "relationship_perception_gap": 26,
            "respected_advisor_share": 1,
            "relationship_capital": 2750 * 0.86 + 2850,
            "assessed_account_share": 1,  # A1, A2, A3 invoiced and assessed in the window
            "trained_rep_share": 5 / 7,
        },
    )
    # February 2026: A2's 500 of July 2024 is in March 2024 to February 2025, nothing since
    check(company(con, FEBRUARY_2026), {"net_revenue_retention": 0})


# July and August (sales_org_landing), a sales organisation as real orgs have it:
#   U3  Boss -- U1, U2, U4 (left), and from the 08-04 User delta U7
#   U5  a manager who also sells (own quota 4000 for July, her team's) -- U6, U8,
#       and U7 until the 08-04 delta moved her to U3 (teams by the current records)
#   U8  deactivated in the 08-04 delta, still owns O12 (open, 1500, closes 08-20)
#   U9  no manager and no reports
#   X   owns O15 and a meeting, and is in no User row
# Deals (EUR, opening pipeline as of July 1 from OpportunityHistory):
#   O10 1000 p80 U8 -> U6 before it closed won 07-20 (08-04 delta): U6's
#   O11 2000 p70 U7, closed won 07-15 (07-20 drop), then given to U9 (08-04 delta):
#       a deal stays with the rep who owned it when it closed: U7's
#   O13 3000 p60 U5 won 07-10; O16 400 p30 U6 lost 07-05; O15 800 p50 X won 07-30
#   O12 1500 p40 U8, August
# Own Commit calls for July: U5 2500, U6 1000, U7 1500 (no Scope: Own). Quotas: July
# U5 4000, U6 1000, U7 2000; August U8 1500. Trainings: U5 Virtual Selling 03-01,
# U6 Hybrid Selling 07-10 (after O16's close, before O10's).
# Calibration for July: nobody but U1 and U2 has a past call; the company ratio over
# the rep-months with a call (U1 February to May, U2 May) is bookings 600 + 400 + 500
# + 1000 + 1800 = 4300 over calls 1000 + 1000 + 1000 + 1200 + 920 = 5120.
K_JULY = 4300 / 5120
CALIBRATED_JULY = {"U5": 2099.61, "U6": 839.84, "U7": 1259.77}  # 2500, 1000, 1500 x K_JULY
REPS_JULY = {
    "U5": {
        "bookings": 3000,
        "win_rate": 1,
        "open_pipeline": 3000,
        "weighted_pipeline": 1800,
        "quota": 4000,
        "quota_attainment": 3000 / 4000,
        "sales_forecast": 2500,
        "sales_forecast_best_case": None,
        "calibrated_sales_forecast": CALIBRATED_JULY["U5"],
        "forecast_accuracy_sales": 1 - 500 / 3000,
        "forecast_bias_sales": -500 / 3000,
        "virtual_meeting_share": 1 / 2,
    },
    "U6": {
        "bookings": 1000,
        "win_rate": 1 / 2,
        "open_pipeline": 1400,
        "weighted_pipeline": 800 + 120,
        "quota": 1000,
        "quota_attainment": 1,
        "sales_forecast": 1000,
        "calibrated_sales_forecast": CALIBRATED_JULY["U6"],
        "forecast_accuracy_sales": 1,
        "forecast_bias_sales": 0,
        "virtual_meeting_share": 1,
    },
    "U7": {
        "bookings": 2000,
        "win_rate": 1,
        "open_pipeline": 2000,
        "weighted_pipeline": 1400,
        "quota": 2000,
        "quota_attainment": 1,
        "sales_forecast": 1500,
        "calibrated_sales_forecast": CALIBRATED_JULY["U7"],
        "forecast_accuracy_sales": 1 - 500 / 2000,
        "forecast_bias_sales": -500 / 2000,
        "virtual_meeting_share": None,
    },
    "U8": {
        "bookings": 0,
        "win_rate": None,
        "open_pipeline": 0,
        "quota": None,
        "quota_attainment": None,
        "sales_forecast": None,
        "virtual_meeting_share": 1,
    },
    "U9": {
        "bookings": 0,
        "win_rate": None,
        "open_pipeline": 0,
        "weighted_pipeline": 0,
        "quota": None,
        "sales_forecast": None,
        "virtual_meeting_share": None,  # one meeting of unknown mode
    },
    "X": {
        "bookings": 800,
        "win_rate": 1,
        "open_pipeline": 800,
        "weighted_pipeline": 400,
        "quota": None,
        "sales_forecast": None,
        "virtual_meeting_share": 1,
    },
    # a manager without a quota of his own: his team's quota (U7's 2000) is not his
    "U3": {"bookings": 0, "quota": None, "quota_attainment": None, "sales_forecast": None},
}
TEAMS_JULY = {
    "U5": {  # U5, U6, U8
        "bookings": 3000 + 1000,
        "open_pipeline": 3000 + 1400,
        "pipeline_flow_won": 4000,
        "pipeline_flow_lost": 400,
        "pipeline_flow_pushed": 0,
        "pipeline_flow_still_open": 0,
        "pipeline_flow_won_amount_change": 0,
        "pipeline_flow_added": 0,
        "quota": 4000,  # her own replaces the roll-up of U6's 1000
        "quota_attainment": 1,
        "sales_forecast": 2500 + 1000,
        "sales_forecast_best_case": None,
        "calibrated_sales_forecast": CALIBRATED_JULY["U5"] + CALIBRATED_JULY["U6"],
        "forecast_accuracy_sales": 1 - 500 / 4000,
        "forecast_bias_sales": -500 / 4000,
    },
    "U3": {  # U1, U2, U4 and now U7
        "bookings": 2000,
        "open_pipeline": 2000,
        "pipeline_flow_won": 2000,
        "pipeline_flow_lost": 0,
        "quota": 2000,
        "quota_attainment": 1,
        "sales_forecast": 1500,
        "calibrated_sales_forecast": CALIBRATED_JULY["U7"],
        "forecast_accuracy_sales": 1 - 500 / 2000,
        "forecast_bias_sales": -500 / 2000,
    },
}
USERS = {"U1": U1, "U3": U3, "U5": U5, "U6": U6, "U7": U7, "U8": U8, "U9": U9, "X": NOT_A_USER}


def test_reps_and_teams_of_a_sales_organisation(con: duckdb.DuckDBPyConnection) -> None:
    """Every rep and team KPI of July and August by hand. Before: O11's 2000 went to U9,
    who was given it after the close (U7 and U3's team read 0 bookings, U7 an attainment
    of 0), and a manager's rep row carried the roll-up of his reports' quotas (U3 2000 in
    July, attainment 0; U5 1500 in August)."""
    for name, expected in REPS_JULY.items():
        check(by_user(con, "rep", JULY, USERS[name]), expected)
    for name, expected in TEAMS_JULY.items():
        check(by_user(con, "team", JULY, USERS[name]), expected)
    # U9 heads no team, and a rep who is no User has none either
    assert by_user(con, "team", JULY, U9) == {} and by_user(con, "team", JULY, NOT_A_USER) == {}
    check(
        company(con, JULY),
        {
            "bookings": 6800,
            "open_pipeline": 7200,
            "weighted_pipeline": 4520,
            "quota": 2000 + 4000,  # top level: U3, U5, U9 (none) and X (none)
            "sales_forecast": 1500 + 3500,
            "calibrated_sales_forecast": sum(CALIBRATED_JULY.values()),
            "virtual_meeting_share": 4 / 5,
            "trained_rep_share": 3 / 7,
            # trained before the close: O13 (U5), O10 (U6 since 07-10); not: O11, O15, O16
            "win_rate_trained": 1,
            "win_rate_untrained": 2 / 3,
        },
    )
    # August: U8 left and still owns O12, with a quota
    check(
        by_user(con, "rep", AUGUST, U8),
        {
            "open_pipeline": 1500,
            "weighted_pipeline": 600,
            "bookings": 0,
            "quota": 1500,
            "quota_attainment": 0,
        },
    )
    check(by_user(con, "rep", AUGUST, U5), {"quota": None, "quota_attainment": None})
    check(
        by_user(con, "team", AUGUST, U5),
        {"open_pipeline": 1500, "pipeline_flow_still_open": 1500, "quota": 1500},
    )
    # May: U3 manages the May sellers without a quota of his own
    check(by_user(con, "rep", MAY, U3), {"quota": None, "quota_attainment": None})


# An ERP extract without payments and items (the finance system's cash and item
# master were not exported): what needs them is NULL, not a number made up
# from what is there (every invoice ever posted open; no revenue recurring).
# Its CRM extract has no User file either (any drop), and the company has
# bookings targets for May and July.
WITHOUT_PAYMENTS_AND_ITEMS = (
    "erp/2025-06-03/payments.csv",
    "erp/2025-06-03/items.csv",
    *FINANCE_PAYMENTS,
)
WITHOUT_USER = ("crm/2025-06-03/User.csv", "crm/2025-08-04/User.csv")
# Relationship_Assessment__c is a custom object: many CRMs have none to export
WITHOUT_ASSESSMENTS = tuple(
    f"{drop}/Relationship_Assessment__c.csv" for drop in ("crm/2025-06-03", *RELATIONSHIP_DROPS)
)
TARGETS = "month,bookings_target,currency\n2025-05-01,5000,EUR\n2025-07-01,6500,EUR\n"


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Iterator:
    connection = built(
        tmp_path_factory.mktemp("real_exports_partial"),
        WITHOUT_PAYMENTS_AND_ITEMS + WITHOUT_USER + WITHOUT_ASSESSMENTS,
        TARGETS,
    )
    yield connection
    connection.close()


def test_reps_without_user(partial: duckdb.DuckDBPyConnection) -> None:
    """Without User every owner is known by their Id alone: each rep value that needs
    no hierarchy still shows (it all sat on one unknown rep), no team is known, and
    the company's calls and quota are not rolled up a hierarchy nobody knows (U3's
    Team call of 4000 would add to U1's and U2's own Best Case calls: 6720)."""
    for name in ("U5", "U6", "U7", "X"):
        check(by_user(partial, "rep", JULY, USERS[name]), REPS_JULY[name])
    check(
        by_user(partial, "rep", MAY, U1),
        {"bookings": 1000, "quota": 2500, "sales_forecast": 1200, "open_pipeline": 4000},
    )
    with_team_rows = "select count(*) from marts.kpi_team_monthly"
    assert partial.execute(with_team_rows).fetchone() == (0,)
    check(
        company(partial, MAY),
        {
            "trained_rep_share": None,  # active reps are Users
            # the owners' trainings are known by their Ids: it read NULL and 2/3
            "win_rate_trained": 1 / 2,
            "win_rate_untrained": 1,
            "sales_forecast": 1200 + 920,
            "sales_forecast_best_case": 1800 + 920,  # the own calls; it read 4000
            "quota": 5000,  # the company's target
        },
    )
    check(company(partial, JULY), {"quota": 6500, "sales_forecast": 5000})


def test_receivables_need_payments(partial: duckdb.DuckDBPyConnection) -> None:
    """Without payments every invoice ever posted would read as open (April: I6's 400,
    paid on 04-20, and a dso of 89 days): the receivables and dso are NULL."""
    never = dict.fromkeys(
        (
            "cash_collected",
            "receivables_open",
            "receivables_overdue",
            "receivables_overdue_1_30",
            "receivables_overdue_31_60",
            "receivables_overdue_61_90",
            "receivables_overdue_over_90",
            "dso",
        )
    )
    for month in (APRIL, MAY, JUNE):
        check(company(partial, month), never)
        check(account(partial, month, A1), never)
    # what the delivered objects make is still there
    check(
        company(partial, MAY),
        {
            "invoiced_revenue": 2800,
            "gross_margin": 1450,
            "bookings": 2800,
            "invoiced_on_bookings": 2500,
        },
    )


def test_accounts_have_their_months_without_assessments(partial: duckdb.DuckDBPyConnection) -> None:
    """Without Relationship_Assessment__c every account still has a row in every month:
    an additive KPI of a month without facts is 0 there, as at company grain (A3, on
    the CRM from the 11-20 drop, has no deal or invoice in 2025; A1 none in August),
    and what needs the assessments is NULL."""
    nothing_happened = {
        "invoiced_revenue": 0,
        "gross_margin": 0,
        "bookings": 0,
        "invoiced_on_bookings": 0,
        "invoiced_without_opportunity": 0,
        "gross_margin_pct": None,
        "win_rate": None,
        "cash_collected": None,  # payments never delivered
        "relationship_index": None,
        "relationship_capital": None,
    }
    for month, crm_account_id in ((AUGUST, A3), (MAY, A3), (AUGUST, A1)):
        seen = account(partial, month, crm_account_id)
        assert seen, f"no row for {crm_account_id} in {month}"
        check(seen, nothing_happened)
    check(
        company(partial, MAY),
        {
            "relationship_index": None,
            "assessed_account_share": None,
            "respected_advisor_share": None,
            "relationship_capital": None,
        },
    )


def test_recurring_revenue_needs_items(partial: duckdb.DuckDBPyConnection) -> None:
    """Which lines recur is read from the item master: without it no line would be
    recurring, and May's 800 of subscriptions read as 0."""
    never = dict.fromkeys(("recurring_revenue", "net_revenue_retention"))
    for month in (APRIL, MAY, JUNE):
        check(company(partial, month), never)
        check(account(partial, month, A1), never)


# A CRM extract without Opportunity (its history only): which deals are deleted
# and which currency their amounts are in is unknown, so the pipeline KPIs are
# NULL over the same set as open_pipeline's, never 0.
WITHOUT_OPPORTUNITY = tuple(
    f"crm/{drop}/Opportunity.csv"
    for drop in (
        "2025-06-03",
        "2025-06-05",
        "2025-07-01",
        "2025-07-20",
        "2025-08-04",
        *PIPELINE_DROPS,
    )
)


@pytest.fixture(scope="module")
def history_only(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Iterator:
    connection = built(tmp_path_factory.mktemp("real_exports_history_only"), WITHOUT_OPPORTUNITY)
    yield connection
    connection.close()


def test_pipeline_kpis_need_opportunity(history_only: duckdb.DuckDBPyConnection) -> None:
    """open_pipeline was NULL while weighted_pipeline and relationship_forecast, over
    the same opportunities, read 0."""
    never = dict.fromkeys(
        (
            "open_pipeline",
            "weighted_pipeline",
            "slippage_rate",
            "relationship_forecast",
            "forecast_accuracy_relationship",
            "bookings",
        )
    )
    for month in (APRIL, MAY, JUNE):
        check(company(history_only, month), never)
        check(
            by_user(history_only, "rep", month, U1),
            dict.fromkeys(("open_pipeline", "weighted_pipeline")),
        )
    check(company(history_only, MAY), {"sales_forecast": 2120, "invoiced_revenue": 2800})


def test_what_reads_the_opportunities_needs_them(history_only: duckdb.DuckDBPyConnection) -> None:
    """Without Opportunity no history row is of a known, not deleted deal and no
    document names a known won deal: the calibrated forecast read 0 from March
    (every factor 0: no bookings known) and 1000 in February (k = 1), all of
    invoiced_revenue read as invoiced without opportunity and 0 on bookings."""
    never = dict.fromkeys(
        (
            "calibrated_sales_forecast",
            "forecast_accuracy_calibrated",
            "invoiced_on_bookings",
            "invoiced_without_opportunity",
        )
    )
    u1_calls = {FEBRUARY: 1000, MARCH: 1000, APRIL: 1000, MAY: 1200, JUNE: None}
    for month, call in u1_calls.items():
        check(company(history_only, month), never)
        check(
            by_user(history_only, "rep", month, U1),
            {"calibrated_sales_forecast": None, "sales_forecast": call},
        )
        check(account(history_only, month, A1), dict.fromkeys(("invoiced_on_bookings",)))
    # invoice lines, customers and submissions need no Opportunity
    check(
        company(history_only, MAY),
        {"invoiced_revenue": 2800, "unmatched_revenue": 300, "sales_forecast": 2120},
    )
    check(account(history_only, MAY, A2), {"invoiced_revenue": 1800})


# An ERP extract without its customer master, a CRM one without meetings and
# trainings. ERP customers are matched to accounts from their rows: without
# customers.csv the company figures stand (every invoice unmatched, the named
# exception bucket) but no account's finance figure is known. It showed 0 for
# every account, and relationship capital 0.
NEVER_DELIVERED = (
    "erp/2025-06-03/customers.csv",
    *FINANCE_CUSTOMERS,
    "crm/2025-06-03/Event.csv",
    "crm/2025-08-04/Event.csv",
    "crm/2025-06-03/Training_Completion__c.csv",
    "crm/2025-08-04/Training_Completion__c.csv",
    "crm/2025-11-20/Event.csv",
    "crm/2025-11-28/Event.csv",
    "crm/2025-11-20/Training_Completion__c.csv",
)


@pytest.fixture(scope="module")
def never(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: None) -> Iterator:
    connection = built(tmp_path_factory.mktemp("real_exports_never"), NEVER_DELIVERED)
    yield connection
    connection.close()


ACCOUNT_FINANCE = (
    "invoiced_revenue",
    "gross_margin",
    "gross_margin_pct",
    "cash_collected",
    "receivables_open",
    "receivables_overdue",
    "receivables_overdue_1_30",
    "dso",
    "recurring_revenue",
    "net_revenue_retention",
    "relationship_capital",
    "invoiced_on_bookings",
    "invoiced_without_opportunity",
)


def test_account_finance_needs_customers(never: duckdb.DuckDBPyConnection) -> None:
    for month in (APRIL, MAY, JUNE):
        check(account(never, month, A1), dict.fromkeys(ACCOUNT_FINANCE))
        check(account(never, month, A2), dict.fromkeys(ACCOUNT_FINANCE))
    # the backlog is the opportunity's account's: O1 1000 less 900 - 200 invoiced on it, O6 to O8
    check(account(never, MAY, A1), {"bookings": 1000, "booked_not_invoiced": 300 + 1500})
    check(
        company(never, MAY),
        {
            "invoiced_revenue": 2800,
            "gross_margin": 1450,
            "cash_collected": 2700,
            "receivables_open": 100,
            "dso": 100 / 3200 * 92,
            "recurring_revenue": 800,
            "unmatched_revenue": 2800,
            "relationship_index": 80,
            "relationship_capital": None,  # the margin of accounts with an index
            "net_revenue_retention": None,
            "assessed_account_share": None,
            "invoiced_on_bookings": 2500,
            "invoiced_without_opportunity": 300,
        },
    )


def test_hybrid_kpis_need_their_objects(never: duckdb.DuckDBPyConnection) -> None:
    """No Event: no meeting share (company, account, rep); no Training_Completion__c:
    no trained share nor trained or untrained win rate."""
    hybrid = dict.fromkeys(
        ("virtual_meeting_share", "trained_rep_share", "win_rate_trained", "win_rate_untrained")
    )
    for month in (APRIL, MAY, JUNE):
        check(company(never, month), hybrid)
        check(account(never, month, A1), {"virtual_meeting_share": None})
        check(by_user(never, "rep", month, U1), {"virtual_meeting_share": None})
    check(company(never, MAY), {"bookings": 2800, "win_rate": 2 / 3})


def unknown_member(con: duckdb.DuckDBPyConnection, month: str) -> dict:
    sql = """
        select kpi_code, value from marts.kpi_account_monthly
        where month = ? and account_key = '-1'
    """
    return dict(con.execute(sql, [month]).fetchall())


def test_the_published_tables_agree_at_every_grain(con: duckdb.DuckDBPyConnection) -> None:
    """One set of numbers (tests/kpi_invariants.py): the accounts and the unknown member
    add up to the company, the top-level teams and the reps too, the forecast categories
    to open_pipeline, every ratio is its parts'. Before: the unknown member (unmatched
    ERP customers) had no rows in a month without facts of its own (July 2024 to April
    2025 and others: unmatched_revenue 0 with no account row beside it), and a forecast
    category without opening pipeline had no row (May's Commit: the categories did not
    cover open_pipeline's months)."""
    found = kpi_invariants.breaks(con)
    assert found == [], "\n".join(found)
    # May: C3's I3 300 (cost 100); April 2025 only I6, C1's (A1): the unknown member has
    # 0 there (before: no row); January 2026: no unmatched customer is invoiced
    check(unknown_member(con, MAY), {"invoiced_revenue": 300, "gross_margin": 200})
    for month in (APRIL, JANUARY_2026):
        check(
            unknown_member(con, month),
            {"invoiced_revenue": 0, "gross_margin": 0, "recurring_revenue": 0},
        )
    # May's opening pipeline: O1 Pipeline 1000, O5 Pipeline 3000, O2 Best Case 1800 USD;
    # O3's Commit row is written on May 1st UTC, not before it: no Commit (0, not no row)
    categories = con.execute(
        "select forecast_category, value from marts.kpi_pipeline_category_monthly "
        "where month = ? and kpi_code = 'open_pipeline'",
        [MAY],
    ).fetchall()
    assert dict(categories) == {"Pipeline": 4000, "Best Case": 1800, "Commit": 0}


def test_the_published_tables_agree_without_user_payments_or_assessments(
    partial: duckdb.DuckDBPyConnection,
) -> None:
    found = kpi_invariants.breaks(partial)
    assert found == [], "\n".join(found)


def test_the_published_tables_agree_with_objects_never_delivered(
    history_only: duckdb.DuckDBPyConnection, never: duckdb.DuckDBPyConnection
) -> None:
    """NULL parts (a source never delivered) are no data, not a break: the company
    values stand where the account grain or the opportunities are unknown."""
    for connection in (history_only, never):
        found = kpi_invariants.breaks(connection)
        assert found == [], "\n".join(found)
