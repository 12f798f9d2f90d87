"""Options of one generator run and the plan derived from them (sizes, dates, drops, mess rates)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from orchestration.sample_extracts import params
from orchestration.sql_text import sql_literal

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class Options:
    """What the user asked for (the CLI arguments)."""

    landing_dir: Path
    seed: int = 42
    scale: float = 1.0
    drops: int = params.DEFAULT_DROPS
    clean: bool = False
    mess_rate: float = params.DEFAULT_MESS_RATE
    fmt: str = "csv"
    start: date | None = None
    end: date | None = None
    quiet: bool = False
    wipe: bool = False


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


@dataclass(frozen=True)
class Plan:
    """Everything the SQL needs: resolved dates, drop moments, row counts and mess rates."""

    options: Options
    start: date
    end: date
    drop_dates: tuple[date, ...]
    n_seats: int
    n_accounts: int
    n_duplicates: int
    n_opportunities: int
    n_events: int
    n_webshop: int
    mess: dict[str, float] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def drop_ids(self) -> tuple[str, ...]:
        return tuple(day.isoformat() for day in self.drop_dates)

    @property
    def last_drop(self) -> date:
        return self.drop_dates[-1]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _scaled(base: int, scale: float, minimum: int) -> int:
    return max(minimum, round(base * scale))


def make_plan(options: Options) -> Plan:
    """Validate the options and derive sizes, dates and drop moments."""
    if options.scale <= 0:
        raise ValueError("--scale must be positive")
    if options.drops < 1:
        raise ValueError("--drops must be at least 1")
    if not 0 <= options.mess_rate <= 0.2:
        raise ValueError("--mess-rate must be between 0 and 0.2")
    if options.fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}")
    end = options.end or params.DEFAULT_END
    start = options.start or add_months(end + timedelta(days=1), -12 * params.HISTORY_YEARS)
    if (end - start).days < 180:
        raise ValueError("the history (--start to --end) must cover at least 180 days")
    last_drop = end + timedelta(days=1)
    drops = tuple(add_months(last_drop, -k) for k in range(options.drops - 1, -1, -1))
    if (drops[0] - start).days < 60:
        raise ValueError("too many --drops: the first drop must be at least 60 days after --start")
    rate = 0.0 if options.clean else options.mess_rate
    n_accounts = _scaled(params.ACCOUNTS, options.scale, params.MIN_ACCOUNTS)
    return Plan(
        options=options,
        start=start,
        end=end,
        drop_dates=drops,
        n_seats=_scaled(params.REPS, options.scale, params.MIN_REPS),
        n_accounts=n_accounts,
        n_duplicates=max(1, math.ceil(n_accounts * params.DUPLICATE_ACCOUNT_RATE)),
        n_opportunities=_scaled(params.OPPORTUNITIES, options.scale, params.MIN_OPPORTUNITIES),
        n_events=_scaled(params.EVENTS, options.scale, params.MIN_EVENTS),
        n_webshop=max(3, round(n_accounts * params.WEBSHOP_CUSTOMER_SHARE)),
        mess={kind: rate * factor for kind, factor in params.MESS_MULTIPLIERS.items()},
    )


def sql_list(values: tuple[object, ...] | list[object]) -> str:
    """A DuckDB list literal of strings or numbers."""
    items = [sql_literal(v) if isinstance(v, str) else repr(v) for v in values]
    return "[" + ", ".join(items) + "]"


def sql_date(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def sql_ts(day: date) -> str:
    return f"TIMESTAMP '{datetime(day.year, day.month, day.day).isoformat(sep=' ')}'"


def sql_context(plan: Plan) -> dict[str, str]:
    """Named values for the SQL templates: every numeric knob of params plus the plan."""
    ctx: dict[str, str] = {
        name: repr(value)
        for name, value in vars(params).items()
        if name.isupper() and isinstance(value, int | float) and not isinstance(value, bool)
    }
    drops = plan.drop_dates
    ctx.update(
        seed=str(plan.seed),
        start=sql_date(plan.start),
        end=sql_date(plan.end),
        days=str(plan.days),
        years=str(math.ceil(plan.days / 365)),
        months=str((plan.end.year - plan.start.year) * 12 + plan.end.month - plan.start.month + 1),
        last_drop=sql_ts(plan.last_drop),
        last_drop_date=sql_date(plan.last_drop),
        penultimate_drop=sql_ts(drops[-2]) if len(drops) > 1 else "NULL::timestamp",
        fx_start=sql_date(plan.start - timedelta(days=14)),
        fx_until=sql_date(plan.last_drop + timedelta(days=500)),
        n_seats=str(plan.n_seats),
        n_accounts=str(plan.n_accounts),
        n_duplicates=str(plan.n_duplicates),
        n_opportunities=str(plan.n_opportunities),
        n_events=str(plan.n_events),
        n_webshop=str(plan.n_webshop),
        name_space=str(
            len(params.NAME_PREFIXES) * len(params.NAME_CORES) * len(params.NAME_SUFFIXES)
        ),
        seed_mod=str(plan.seed % 1_000_000_007),
        WIN_RATES=sql_list(params.WIN_RATE_BY_RUNG),
        MARGINS=sql_list(params.GROSS_MARGIN_BY_RUNG),
        RUNG_T1=repr(params.RUNG_THRESHOLDS[0]),
        RUNG_T2=repr(params.RUNG_THRESHOLDS[1]),
        STAGE_NAMES=sql_list([s[0] for s in params.STAGES]),
        STAGE_PROBS=sql_list([s[1] for s in params.STAGES]),
        STAGE_CATS=sql_list([s[2] for s in params.STAGES]),
        FX_USD=repr(params.FX_BASE["USD"]),
        FX_GBP=repr(params.FX_BASE["GBP"]),
        FX_CHF=repr(params.FX_BASE["CHF"]),
        LEAD_SOURCES=sql_list(params.LEAD_SOURCES),
        TOPICS=sql_list(params.OPPORTUNITY_TOPICS),
        SUBJECTS=sql_list(params.MEETING_SUBJECTS),
        DURATIONS=sql_list(params.MEETING_DURATIONS),
        FIRST_NAMES=sql_list(params.FIRST_NAMES),
        LAST_NAMES=sql_list(params.LAST_NAMES),
        PREFIXES=sql_list(params.NAME_PREFIXES),
        CORES=sql_list(params.NAME_CORES),
        SUFFIXES=sql_list([s[0] for s in params.NAME_SUFFIXES]),
        INDUSTRIES=sql_list([s[1] for s in params.NAME_SUFFIXES]),
        n_prefixes=str(len(params.NAME_PREFIXES)),
        n_cores=str(len(params.NAME_CORES)),
        n_suffixes=str(len(params.NAME_SUFFIXES)),
        n_first=str(len(params.FIRST_NAMES)),
        n_last=str(len(params.LAST_NAMES)),
    )
    for family in ("Platform", "Add-on", "Support", "Services", "Hardware", "Training"):
        codes = [item[0] for item in params.ITEMS if item[2] == family]
        ctx[f"ITEMS_{family.upper().replace('-', '')}"] = sql_list(codes)
    ctx["RENAMED_ITEMS"] = "(" + ", ".join(sql_literal(code) for code in params.RENAMED_ITEMS) + ")"
    ctx.update({f"mess_{kind}": repr(rate) for kind, rate in plan.mess.items()})
    return ctx
