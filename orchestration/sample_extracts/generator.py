"""Sample CRM and ERP extracts of a made-up mid-market company, in the landing layout.

    handshake-sample-extracts --scale 1 --seed 42 --drops 6
    python -m orchestration.sample_extracts --landing-dir /tmp/landing --scale 0.05 --clean

The company ("Northwind", a B2B software + services vendor)
----------------------------------------------------------
* Sales: a Head of Sales, 4 regional managers (DACH, Western Europe, UK & Nordics, North
  America) and 40 rep seats at scale 1. ~15% of reps leave during the history; a successor takes
  over their seat, accounts and open deals (owner changes appear in later drops).
* 2,000 accounts in 13 countries; EUR, GBP (UK) and USD (US) deals. Each account has a latent
  relationship strength that grows slowly; it decides the ladder rung (Acquaintance <
  Professional Peer < Respected Advisor), and the rung decides win rate and gross margin.
  ~40% of accounts are assessed every ~7 months by the seller, often also by the buyer, who
  rates the relationship lower (perception gap). The five 0-10 indicator scores follow the rung.
* ~25,000 opportunities over 3 years. Each deal walks Prospecting -> Qualification -> Proposal
  -> Negotiation (lost deals stop earlier), its amount drifts, ~30% slip their close date by
  1-2 months (some twice), ~45% plan to close at quarter end (quarter-end peaks), and it closes
  won or lost. Every change is an OpportunityHistory row; the Opportunity row is its latest
  state. Owners who completed a Hybrid or Virtual Selling course before the close date win a
  bit more often.
* Reps submit Commit and Best Case calls for each month in the month before (some restate: an
  earlier call, one dated exactly on the 1st, one mid-month). Commit is ~25% above what is then
  won. Finance's fpa_forecast takes ~75% of the sales call (several versions per month).
* Won deals are invoiced in the ERP (subscriptions monthly or quarterly for a year, projects in
  1-3 milestones), with discount lines, drafts, cancellations, credit notes and payments
  (~94% paid, some in two parts). Webshop customers exist only in the ERP (unmatched revenue).
  FX: daily (business-day) rates for USD and GBP; EUR is written too, with rate 1.
* Meetings (Event): ~20,000, a rising share virtual (20% -> 60%), ~7% of unknown mode.

Every knob is a named constant in :mod:`orchestration.sample_extracts.params`; the SQL that
uses them is in :mod:`~orchestration.sample_extracts.model` (the company as tables) and
:mod:`~orchestration.sample_extracts.render` (drops, mess and the contract's text format).

Drops
-----
``--drops N`` monthly extract moments, the last one the day after ``--end``
(default 2025-12-31, so 2026-01-01; the history does not depend on today's date). The first
drop holds the full history up to its moment, each later drop only the records created or
changed since the previous one (deals progress, invoices get posted or cancelled, forecasts get
restated, reps leave). A key missing from a later drop is not a delete; deletes are explicit
(CRM ``IsDeleted = true`` on some duplicate accounts, opportunities and events; ERP status
``cancelled``). Every object is in the first drop; a later drop omits objects without changes.

``--daily-drop`` adds ONE delta drop to a landing folder written before, dated the day after
its last drop, with about 1% new or changed rows of the big objects (see
:mod:`~orchestration.sample_extracts.daily`); run it again for the next day.

Mess (``--mess-rate``, default 0.01; ``--clean`` for none)
---------------------------------------------------------
Soft mess that still loads: VAT numbers spelled differently in ERP and CRM, VAT missing on one
side, ERP names in upper case or with the legal form the CRM lacks, blank / wrong / unknown ERP
``crm_account_id`` hints, blank CRM ``ERP_Customer_Number__c``, Swiss customers invoiced in CHF
(there is no CHF rate), invoice lines without cost. Contract-breaking rows (well under 1%):
impossible or non-ISO dates, scores of 11 or -1, a blank required field, a value outside the
allowed set, conflicting duplicate keys and identical duplicate rows in one file. Each kind
appears at least once whenever the rate is positive. ``--clean`` keeps normal business
(credit notes, cancellations, drafts, deletes, webshop customers, +02:00 offsets) but writes
none of the mess above.

Output is deterministic: the same options give byte-identical files. The data is built with
DuckDB SQL only (hash-based randomness, no Python row loops) in a temporary database file, so
memory stays bounded at large ``--scale``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb

from orchestration import progress
from orchestration.extracts import contract
from orchestration.sample_extracts.model import statements
from orchestration.sample_extracts.plan import FORMATS, Options, Plan, make_plan
from orchestration.sample_extracts.render import Extract, emit_sql, extracts, render_sql
from orchestration.sample_extracts.workspace import Summary, connect_workspace, copy_options
from orchestration.sql_text import sql_literal


def _prepare_landing(plan: Plan) -> None:
    """Create the drop folders; remove contract files a previous run left in them."""
    landing = plan.options.landing_dir
    if plan.options.wipe:
        for system in contract.SYSTEMS:
            shutil.rmtree(landing / system, ignore_errors=True)
    for system in contract.SYSTEMS:
        for drop_id in plan.drop_ids:
            folder = landing / system / drop_id
            folder.mkdir(parents=True, exist_ok=True)
            for obj in contract.OBJECTS:
                if obj.system == system:
                    for fmt in FORMATS:
                        (folder / f"{obj.name}.{fmt}").unlink(missing_ok=True)


def _foreign_drops(plan: Plan) -> list[str]:
    landing = plan.options.landing_dir
    found: list[str] = []
    for system in contract.SYSTEMS:
        folder = landing / system
        if folder.is_dir():
            found += [
                f"{system}/{p.name}"
                for p in sorted(folder.iterdir())
                if p.is_dir() and p.name not in plan.drop_ids
            ]
    return found


def _write_extract(
    con: duckdb.DuckDBPyConnection, plan: Plan, extract: Extract, summary: Summary
) -> None:
    rows_per_drop = dict(
        con.execute(f"select _drop, count(*) from {extract.table} group by _drop").fetchall()
    )
    for index, drop_id in enumerate(plan.drop_ids):
        if index > 0 and not rows_per_drop.get(index):
            continue  # a delta without changes to this object: no file
        relative = f"{extract.system}/{drop_id}/{extract.name}.{plan.options.fmt}"
        target = sql_literal(str(plan.options.landing_dir / relative))
        select = render_sql(extract, plan, index)
        result = con.execute(f"COPY ({select}) TO {target} {copy_options(plan.options.fmt)}")
        row = result.fetchone()
        summary.files.append((relative, int(row[0]) if row else 0))


def generate(options: Options) -> Summary:
    """Build the company in DuckDB and write every drop of every contract object."""
    plan = make_plan(options)
    summary = Summary(landing_dir=options.landing_dir)
    with progress.steps(options.quiet) as run:
        run.step(
            f"sample company: scale {options.scale:g}, seed {options.seed}, {plan.start} to "
            f"{plan.end}, drops {', '.join(plan.drop_ids)}, "
            f"{'clean' if options.clean else f'mess rate {options.mess_rate:g}'}",
            advance=0,
        )
        foreign = _foreign_drops(plan)
        if foreign and not options.wipe:
            run.step(f"warning: other drops in the landing folder stay: {', '.join(foreign)}", 0)
        _prepare_landing(plan)
        company, files = statements(plan), extracts()
        run.total(len(company) + len(files))
        with tempfile.TemporaryDirectory(prefix="handshake-sample-") as tmp:
            con = connect_workspace(Path(tmp), options.quiet)
            try:
                for label, sql in company:
                    run.step(f"building {label}")
                    con.execute(sql)
                for extract in files:
                    run.step(f"writing {extract.system}/{extract.name}")
                    con.execute(emit_sql(extract, plan))
                    _write_extract(con, plan, extract, summary)
            finally:
                con.close()
        summary.seconds = run.elapsed
        run.done(
            f"wrote {len(summary.files)} files, {summary.rows:,} rows to {options.landing_dir} "
            f"in {summary.seconds:.1f}s"
        )
    return summary


SAMPLE_COMPANY_SETTINGS = Path(__file__).parent / "company"


def write_company_settings(company_dir: Path) -> list[Path]:
    """The sample company's own settings files (orchestration/company_settings.py)."""
    company_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(SAMPLE_COMPANY_SETTINGS.glob("*.csv")):
        target = company_dir / source.name
        shutil.copyfile(source, target)
        written.append(target)
    return written
