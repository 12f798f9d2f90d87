"""An independent reading of the extract contract, and a generator of messy files.

Written from docs/contract.md alone, not from the loader's code, for a
differential test (tests/test_loader_differential.py): seeded files with
RFC 4180 quoting, line breaks in values, CRLF/LF/CR, a BOM, trailing
delimiters, `,,,,` rows, blank lines, header spellings, and values in the
accepted and refused forms of each type go through the real loader and
through `read_file` below, and the two must agree row by row.

Where docs/contract.md leaves a case open, this reading takes what the
loader does and a user would expect: a date alone in a datetime column is its
midnight UTC; fraction digits past microseconds are cut; decimals are stored
with six places (an FX rate with twelve), rounded half up; a row rejected for
a bad value is compared with other versions of its key by its raw values; a
row whose key did not parse is no version of any key.

read_file(data, obj, drop_id) -> dict with
  refused: None, or why the whole file is refused
  loaded: {line: {column: typed value}}
  rejects: {line: (action, frozenset((field, reason)))}
  records: how many records the file holds
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

ALPH = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

# type, required, extra constraint
SPEC = {
    "invoices": (
        "erp",
        ["invoice_number"],
        [
            ("invoice_number", "ident", True, None),
            ("customer_number", "ident", True, None),
            ("document_type", "enum", True, ["invoice", "credit_note"]),
            ("invoice_date", "date", True, None),
            ("due_date", "date", False, None),
            ("currency", "currency", True, None),
            ("status", "enum", True, ["posted", "draft", "cancelled"]),
            ("crm_opportunity_id", "sfhint", False, None),
            ("updated_at", "datetime", True, None),
        ],
    ),
    "invoice_lines": (
        "erp",
        ["invoice_number", "line_number"],
        [
            ("invoice_number", "ident", True, None),
            ("line_number", "integer", True, None),
            ("item_code", "ident", False, None),
            ("quantity", "decimal", True, ("abs", 1e11)),
            ("unit_price", "decimal", True, ("abs", 1e11)),
            ("net_amount", "decimal", True, ("abs", 1e11)),
            ("cost_amount", "decimal", False, ("abs", 1e11)),
            ("updated_at", "datetime", True, None),
        ],
    ),
    "payments": (
        "erp",
        ["payment_id"],
        [
            ("payment_id", "ident", True, None),
            ("invoice_number", "ident", True, None),
            ("payment_date", "date", True, None),
            ("amount", "decimal", True, ("abs", 1e11)),
            ("currency", "currency", True, None),
        ],
    ),
    "fx_rates": (
        "erp",
        ["rate_date", "currency"],
        [
            ("rate_date", "date", True, None),
            ("currency", "currency", True, None),
            ("rate_to_eur", "decimal", True, ("fx", None)),
        ],
    ),
    "Opportunity": (
        "crm",
        ["Id"],
        [
            ("Id", "sfid", True, None),
            ("AccountId", "sfid", True, None),
            ("OwnerId", "sfid", True, None),
            ("Name", "string", False, None),
            ("Type", "string", False, None),
            ("StageName", "string", True, None),
            ("Amount", "decimal", False, ("amount", None)),
            ("CurrencyIsoCode", "currency", True, None),
            ("Probability", "decimal", False, ("range", (0, 100))),
            ("CloseDate", "date", True, None),
            ("ForecastCategoryName", "fc", True, None),
            ("IsClosed", "bool", True, None),
            ("IsWon", "bool", True, None),
            ("LeadSource", "string", False, None),
            ("CreatedDate", "datetime", True, None),
            ("LastModifiedDate", "datetime", True, None),
            ("IsDeleted", "bool", False, None),
        ],
    ),
    "Account": (
        "crm",
        ["Id"],
        [
            ("Id", "sfid", True, None),
            ("Name", "string", True, None),
            ("Website", "string", False, None),
            ("BillingCountry", "string", False, None),
            ("Industry", "string", False, None),
            ("NumberOfEmployees", "integer", False, ("range", (0, None))),
            ("AnnualRevenue", "decimal", False, None),
            ("OwnerId", "sfid", False, None),
            ("ParentId", "sfid", False, None),
            ("Type", "string", False, None),
            ("VAT_Number__c", "string", False, None),
            ("ERP_Customer_Number__c", "string", False, None),
            ("CreatedDate", "datetime", True, None),
            ("LastModifiedDate", "datetime", True, None),
            ("IsDeleted", "bool", False, None),
            ("MasterRecordId", "sfid", False, None),
        ],
    ),
    "Relationship_Assessment__c": (
        "crm",
        ["Id"],
        [
            ("Id", "sfid", True, None),
            ("Account__c", "sfid", True, None),
            ("Assessed_By__c", "sfid", True, None),
            ("Assessment_Date__c", "date", True, None),
            ("Respondent__c", "enum", True, ["Seller", "Buyer"]),
            (
                "Ladder_Rung__c",
                "enum",
                True,
                ["Acquaintance", "Professional Peer", "Respected Advisor"],
            ),
        ]
        + [
            (c, "integer", True, ("range", (0, 10)))
            for c in [
                "Strategy_Discussion__c",
                "Personal_Trust__c",
                "Extra_Time__c",
                "Executive_Access__c",
                "Mutual_Value__c",
            ]
        ]
        + [("IsDeleted", "bool", False, None)],
    ),
}

FC = {
    "pipeline": "Pipeline",
    "bestcase": "Best Case",
    "commit": "Commit",
    "forecast": "Commit",
    "mostlikely": "Best Case",
    "closed": "Closed",
    "omitted": "Omitted",
}


def norm_name(s: str) -> str:
    return re.sub(r"[_ ]", "", s).lower()


def norm_enum(s: str) -> str:
    return re.sub(r"[^0-9a-z]", "", s.lower())


# ------------------------------------------------------------------ CSV reading (RFC 4180)


def split_records(text: str, delim: str = ","):
    """Yield (start_line, fields) for each record; blank lines are skipped."""
    i, n, line = 0, len(text), 1
    while i < n:
        start = line
        fields, field, quoted_any = [], [], False
        in_q = False
        at_field_start = True
        while True:
            if i >= n:
                fields.append("".join(field) if (field or quoted_any) else "")
                break
            c = text[i]
            if in_q:
                if c == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        field.append('"')
                        i += 2
                        continue
                    in_q = False
                    i += 1
                    continue
                if c == "\r":
                    line += 1
                    if i + 1 < n and text[i + 1] == "\n":
                        field.append("\r\n")
                        i += 2
                        continue
                elif c == "\n":
                    line += 1
                field.append(c)
                i += 1
                continue
            if c == '"' and at_field_start:
                in_q = True
                quoted_any = True
                at_field_start = False
                i += 1
                continue
            if c == delim:
                fields.append("".join(field))
                field, quoted_any, at_field_start = [], False, True
                i += 1
                continue
            if c in "\r\n":
                fields.append("".join(field))
                if c == "\r" and i + 1 < n and text[i + 1] == "\n":
                    i += 1
                i += 1
                line += 1
                break
            field.append(c)
            at_field_start = False
            i += 1
        # blank line: exactly one empty unquoted field made of spaces/tabs
        if len(fields) == 1 and fields[0].strip(" \t\x1a") == "":
            continue
        yield start, fields


# ------------------------------------------------------------------ value parsing

DT_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})?)?$"
)


def parse_dt(s: str, allow_date_only: bool):
    """-> (kind, aware utc datetime, written date, is_midnight) or raise ValueError."""
    m = DT_RE.match(s)
    if not m:
        raise ValueError
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    base = date(int(y), int(mo), int(d))  # raises ValueError
    if hh is None:
        # a date alone in a datetime column is its midnight, UTC
        return "date", datetime(base.year, base.month, base.day), base, True
    seconds_written = ss
    hh, mi, ss = int(hh), int(mi), int(ss or 0)
    us = int(frac[:6].ljust(6, "0")) if frac else 0  # microseconds: further digits cut
    if mi > 59 or ss > 60 or hh > 24:
        raise ValueError
    if hh == 24 and (mi or ss or us):
        raise ValueError
    if ss == 60:
        ss = 59  # leap second: the second before it
    if zone is None or zone in "Zz":
        off = timedelta(0)
    else:
        sign = -1 if zone[0] == "-" else 1
        z = zone[1:].replace(":", "")
        oh, om = int(z[:2]), int(z[2:])
        if oh > 23 or om > 59:
            raise ValueError
        off = sign * timedelta(hours=oh, minutes=om)
    midnight = (hh in (0, 24)) and mi == 0 and ss == 0 and us == 0 and seconds_written != "60"
    wall = datetime(base.year, base.month, base.day) + timedelta(
        hours=hh, minutes=mi, seconds=ss, microseconds=us
    )
    utc = wall - off
    written = wall.date()
    return "dt", utc, written, midnight


DEC_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
DEC_COMMA_RE = re.compile(r"^[+-]?(\d+,\d+|\d{1,3}(\.\d{3})+,\d+)$")
THOUSANDS_COMMA_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
THOUSANDS_DOT_RE = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")


def marks_decimal_comma(s: str) -> bool:
    s = s.strip()
    return bool(DEC_COMMA_RE.match(s)) and not THOUSANDS_COMMA_RE.match(s)


class Problem(Exception):
    def __init__(self, reason):
        self.reason = reason


def parse_value(typ, extra, raw, ctx):
    s = raw
    if typ in ("decimal", "integer"):
        t = s.strip()
        if ctx["dec_comma"] and THOUSANDS_DOT_RE.match(t):
            raise Problem("invalid_type")
        if typ == "decimal":
            if not DEC_RE.match(t):
                raise Problem("invalid_type")
            # stored with six decimals (an FX rate with twelve), rounded half up
            places = Decimal("1e-12") if extra and extra[0] == "fx" else Decimal("0.000001")
            v = Decimal(t)
            if abs(v) >= Decimal("1e32"):  # no number the warehouse reads
                raise Problem("invalid_type")
            if abs(v) >= Decimal("1e12"):  # beyond any bound and the stored type
                raise Problem("invalid_value" if extra else "invalid_type")
            v = v.quantize(places, rounding=ROUND_HALF_UP)
            if extra:
                k, arg = extra
                if k == "abs" and abs(v) >= Decimal("1e11"):
                    raise Problem("invalid_value")
                if k == "amount" and (v < 0 or abs(v) >= Decimal("1e11")):
                    raise Problem("invalid_value")
                if k == "fx" and (v <= 0 or v >= Decimal("1e8")):
                    raise Problem("invalid_value")
                if k == "range" and not (arg[0] <= v <= arg[1]):
                    raise Problem("invalid_value")
            return v
        if not re.match(r"^[+-]?\d+(\.0+)?$", t):
            raise Problem("invalid_type")
        v = int(Decimal(t))
        if extra:
            lo, hi = extra[1]
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise Problem("invalid_value")
        return v
    if typ == "bool":
        t = s.strip().lower()
        if t in ("true", "t", "y", "yes", "1") or re.match(r"^1\.0+$", t):
            return True
        if t in ("false", "f", "n", "no", "0") or re.match(r"^0\.0+$", t):
            return False
        raise Problem("invalid_type")
    if typ == "currency":
        return s.strip().upper()
    if typ == "enum":
        t = norm_enum(s)
        for a in extra:
            if norm_enum(a) == t:
                return a
        raise Problem("invalid_value")
    if typ == "fc":
        t = norm_enum(s)
        if t in FC:
            return FC[t]
        raise Problem("invalid_value")
    if typ in ("date", "datetime"):
        t = s.strip()
        try:
            kind, utc, written, midnight = parse_dt(t, allow_date_only=(typ == "date"))
        except ValueError:
            raise Problem("invalid_type") from None
        if typ == "date":
            v = written if kind == "date" or midnight else utc.date()
            check = v
        else:
            v = utc
            check = utc.date()
        drop = ctx["drop_date"]
        hi = date(drop.year + 10, drop.month, drop.day)
        if check < date(1990, 1, 1) or check > hi:
            raise Problem("invalid_value")
        return v
    if typ == "ident":
        t = s.strip()
        if re.match(r"^\d(\.\d+)?[eE]\+\d+$", t):
            raise Problem("invalid_value")
        return unicodedata.normalize("NFC", t)
    if typ in ("sfid", "sfhint"):
        t = s.strip()
        canon = canonical_id(t)
        if canon is None:
            if len(t) in (15, 18) and typ == "sfid":
                raise Problem("invalid_type")
            return s if typ == "sfhint" else t
        return canon
    if typ == "string":
        if "\x00" in s:
            raise Problem("invalid_value")
        return unicodedata.normalize("NFC", s)
    raise AssertionError(typ)


def canonical_id(t: str):
    if len(t) not in (15, 18) or not re.match(r"^[A-Za-z0-9]+$", t):
        return None
    if len(t) == 15:
        suf = ""
        for b in range(3):
            chunk = t[5 * b : 5 * b + 5]
            suf += ALPH[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]
        return t + suf
    suf = t[15:].upper()
    if any(ch not in ALPH for ch in suf):
        return None
    out = []
    for b in range(3):
        bits = ALPH.index(suf[b])
        for i in range(5):
            ch = t[5 * b + i]
            if bits >> i & 1:
                if not ch.isalpha():
                    return None
                out.append(ch.upper())
            else:
                out.append(ch.lower() if ch.isalpha() else ch)
    return "".join(out) + suf


# ------------------------------------------------------------------ file reading


def read_file(data: bytes, obj: str, drop_id: str):
    _system, key, cols = SPEC[obj]
    res = {"refused": None, "loaded": {}, "rejects": {}, "records": 0, "extras": {}}
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    delim = max([",", ";", "\t", "|"], key=lambda d: first.count(d))
    recs = list(split_records(text, delim))
    if not recs:
        res["refused"] = "empty"
        return res
    _, header = recs[0]
    recs = recs[1:]
    by_norm = {norm_name(c[0]): i for i, c in enumerate(cols)}
    col_pos = {}
    extra_names = []
    for pos, h in enumerate(header):
        hn = norm_name(h.strip())
        if hn in by_norm:
            cname = cols[by_norm[hn]][0]
            if cname in col_pos:
                res["refused"] = "duplicate column " + cname
                return res
            col_pos[cname] = pos
        else:
            extra_names.append((pos, h if h.strip() else f"unnamed_{pos + 1}"))
    missing = [c[0] for c in cols if c[2] and c[0] not in col_pos]
    if missing:
        res["refused"] = "missing " + ",".join(missing)
        return res
    nh = len(header)
    trailing_unnamed = header[-1].strip() == ""
    if recs and not text.endswith(("\n", "\r")):
        last_fields = recs[-1][1]
        if len(last_fields) < nh - (1 if trailing_unnamed else 0) and not all(
            f == "" for f in last_fields
        ):
            res["refused"] = "truncated last record"
            return res
    ctx = {"drop_date": date.fromisoformat(drop_id[:10]), "dec_comma": False}
    good = []
    for line, fields in recs:
        if all(f.strip(" \t\r\n\u00a0\x1a") == "" for f in fields):
            continue
        res["records"] += 1
        if len(fields) == nh - 1 and trailing_unnamed:
            fields = [*fields, ""]
        if len(fields) == nh + 1 and fields[-1] == "":
            fields = fields[:-1]  # a trailing delimiter on the row only: the row's end
        if len(fields) != nh:
            res["rejects"][line] = ("row_rejected", frozenset({("", "malformed_record")}))
            continue
        good.append((line, fields))
        for c in cols:
            if c[1] == "decimal" and c[0] in col_pos and marks_decimal_comma(fields[col_pos[c[0]]]):
                ctx["dec_comma"] = True
    candidates = []
    for line, fields in good:
        values, probs, rejected, content, keyvals = {}, set(), False, {}, {}
        for cname, typ, req, extra in cols:
            if cname not in col_pos:
                values[cname] = None
                continue
            raw = fields[col_pos[cname]]
            if raw.strip(" \t\r\n") == "":
                values[cname] = None
                if req:
                    probs.add((cname, "missing_required"))
                    rejected = True
                continue
            try:
                values[cname] = parse_value(typ, extra, raw, ctx)
            except Problem as p:
                values[cname] = None
                content[cname] = ("raw", raw)
                if p.reason == "invalid_value" and cname in key:
                    keyvals[cname] = raw.strip()
                probs.add((cname, p.reason))
                if req:
                    rejected = True
        ex = {name: (fields[pos] if fields[pos] != "" else None) for pos, name in extra_names}
        res.setdefault("raw", {})[line] = {
            c[0]: fields[col_pos[c[0]]] for c in cols if c[0] in col_pos
        }
        kv = {c: (values[c] if values[c] is not None else keyvals.get(c)) for c in key}
        candidates.append((line, values, ex, probs, rejected, content, kv))
    # identical rows (same parsed content, extra columns included) count once;
    # the remaining distinct versions of one key conflict
    seen_content = {}
    dropped = set()
    for item in candidates:
        line, values, ex, _probs, rejected, _content, kv = item
        if any(kv[c] is None for c in key):
            continue  # a row without its key is no version of anything
        if rejected:
            # a rejected row compares by its raw values
            sig = (
                "raw",
                tuple(sorted(res["raw"][line].items())),
                tuple(sorted(ex.items(), key=str)),
            )
        else:
            # a row that loads by what it loads: a field nulled is NULL (an
            # unreadable optional value and an empty one load the same row)
            sig = ("typed", tuple(sorted((k, str(v)) for k, v in values.items())))
            sig += (tuple(sorted(ex.items(), key=str)),)
        if sig in seen_content:
            dropped.add(line)
        else:
            seen_content[sig] = line
    groups = {}
    for item in candidates:
        line, kv = item[0], item[6]
        if line in dropped or any(kv[c] is None for c in key):
            continue
        groups.setdefault(tuple(kv[c] for c in key), []).append(line)
    conflict = {line for lines in groups.values() if len(lines) > 1 for line in lines}
    for line, values, ex, probs, rejected, _content, _kv in candidates:
        if line in dropped:
            continue
        if line in conflict:
            res["rejects"][line] = (
                "row_rejected",
                frozenset(probs | {("", "duplicate_key_conflict")}),
            )
            continue
        if rejected:
            res["rejects"][line] = ("row_rejected", frozenset(probs))
            continue
        if probs:
            res["rejects"][line] = ("field_nulled", frozenset(probs))
        res["loaded"][line] = values
        res["extras"][line] = ex
    return res


# ------------------------------------------------------------------ generator

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def id15(r, prefix):
    return prefix + "".join(r.choice(ALNUM) for _ in range(15 - len(prefix)))


def id18(t):
    suf = ""
    for b in range(3):
        chunk = t[5 * b : 5 * b + 5]
        suf += ALPH[sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")]
    return t + suf


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        self.pools = {
            p: [id15(r, p + "Dn0000") for _ in range(40)] for p in ("001", "005", "006", "a0X")
        }
        self.idents = [f"INV-{i:03d}" for i in range(1, 60)] + ["000123", "123", "C-7"]

    def p(self, x):
        return self.r.random() < x

    def sfid(self, prefix, messy):
        r = self.r
        t = r.choice(self.pools[prefix])
        if not messy:
            return r.choice([t, id18(t)])
        return r.choice(
            [
                t,
                id18(t),
                id18(t).lower(),
                id18(t).upper(),
                t.lower() if self.p(0.2) else t,
                " " + id18(t) + " ",
                t[:-1] + "!",
                t + "ZZ9",
                t[:14] + "-" + "AAA",
                "abc",
                "",
            ]
        )

    def ident(self, messy):
        r = self.r
        t = r.choice(self.idents)
        if not messy:
            return t
        return r.choice(
            [t, " " + t + " ", t + "\t", "1.23457E+11", "1E5", "1E+11", "", "  ", "12345678901"]
        )

    def enum(self, allowed, messy):
        r = self.r
        a = r.choice(allowed)
        if not messy:
            return a
        return r.choice(
            [
                a,
                a.upper(),
                a.lower(),
                " " + a + " ",
                a.replace("_", " ").title(),
                a.replace("_", "-"),
                a.replace(" ", "_"),
                "paid",
                "Unknown",
                "",
                "n/a",
            ]
        )

    def date(self, messy):
        r = self.r
        y, m, d = r.choice([2024, 2025, 2026]), r.randint(1, 12), r.randint(1, 28)
        base = f"{y:04d}-{m:02d}-{d:02d}"
        if not messy:
            return base
        return r.choice(
            [
                base,
                base + "T00:00:00Z",
                base + "T00:00:00.000Z",
                base + "T00:00:00.000+0000",
                base + " 00:00:00",
                base + "T00:00:00+05:00",
                base + "t00:00:00z",
                base + "T24:00:00+01:00",
                base + "T10:30:00Z",
                base + "T23:30:00-02:00",
                base + "T01:30:00+03:00",
                base + "T23:59:60Z",
                f"{m:02d}/{d:02d}/{y:04d}",
                "2026-02-30",
                "2025-13-01",
                "1989-12-31",
                "1990-01-01",
                "2035-06-30",
                "2035-07-01",
                "0001-01-01",
                "9999-12-31",
                " " + base + " ",
                base + "T12:00",
                "20250301",
                "",
            ]
        )

    def datetime(self, messy):
        r = self.r
        y, m, d = r.choice([2024, 2025]), r.randint(1, 12), r.randint(1, 28)
        base = f"{y:04d}-{m:02d}-{d:02d}"
        hms = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
        if not messy:
            return base + "T" + hms + ".000Z"
        frac = "." + "".join(r.choice("0123456789") for _ in range(r.randint(1, 6)))
        return r.choice(
            [
                base + "T" + hms + "Z",
                base + "T" + hms + frac + "Z",
                base + "T" + hms + frac + "+0000",
                base + "T" + hms + "+02:00",
                base + "T" + hms + "-0530",
                base + " " + hms,
                base + "t" + hms + "z",
                base + "T23:59:60Z",
                base + "T" + hms + ".123456789Z",
                base + "T25:00:00Z",
                base + "T24:00:00Z",
                base + "T" + hms + "+2",
                base,
                f"{d:02d}.{m:02d}.{y:04d} {hms}",
                "1989-06-01T00:00:00Z",
                "2099-01-01T00:00:00Z",
                " " + base + "T" + hms + "Z ",
                "",
            ]
        )

    def decimal(self, messy, small=False):
        r = self.r
        v = f"{r.randint(0, 99999)}.{r.randint(0, 99):02d}"
        if small:
            v = f"{r.randint(0, 3)}.{r.randint(0, 9999)}"
        if not messy:
            return v
        return r.choice(
            [
                v,
                "-" + v,
                "+" + v,
                "1.5E+3",
                "2e-2",
                "-7.25e1",
                "1,234.56",
                "€100",
                "(50)",
                "1_000",
                "1234,56",
                "0,5",
                "1.234,56",
                "1.234",
                "1.000",
                "12.50",
                "0.925",
                " 42 ",
                "1e11",
                "99999999999.99",
                "100000000000",
                ".5",
                "5.",
                "0.0000001",
                "0.12345678",
                "abc",
                "-0",
                "1,234",
                "0",
                "100.0",
                "101",
                "0.000001",
                "",
            ]
        )

    def integer(self, messy):
        r = self.r
        v = str(r.randint(0, 10))
        if not messy:
            return v
        return r.choice(
            [
                v,
                v + ".0",
                v + ".00",
                "7.5",
                "-1",
                "11",
                " 4 ",
                "+2",
                "1.000",
                "1,000",
                "10",
                "0",
                "x",
                "1e1",
                "",
            ]
        )

    def boolean(self, messy):
        r = self.r
        if not messy:
            return r.choice(["true", "false"])
        return r.choice(
            [
                "true",
                "FALSE",
                "True",
                "1",
                "0",
                "T",
                "f",
                "Y",
                "n",
                "yes",
                "NO",
                "1.0",
                "0.00",
                "maybe",
                "2",
                " true ",
                "",
            ]
        )

    def currency(self, messy):
        r = self.r
        c = r.choice(["EUR", "USD", "GBP", "CHF"])
        if not messy:
            return c
        return r.choice([c, c.lower() + " ", " " + c.title(), c, ""])

    def string(self, messy):
        r = self.r
        base = r.choice(
            ["Acme", "Globex", "Initech", "Umbrella", "Müller GmbH", "Prospecting", "Web"]
        )
        if not messy:
            return base
        return r.choice(
            [
                base,
                base + ", Inc.",
                'He said "hi"',
                "line1\nline2",
                "line1\r\nline2",
                "  " + base + "  ",
                "Mu\u0308ller",
                "",
                "   ",
                "\t",
                'a,b,"c"\nd',
            ]
        )

    def fc(self, messy):
        r = self.r
        v = r.choice(["Pipeline", "Best Case", "Commit", "Closed", "Omitted"])
        if not messy:
            return v
        return r.choice(
            [
                v,
                "BestCase",
                "best_case",
                "Forecast",
                "MostLikely",
                "most likely",
                "COMMIT",
                " closed ",
                "Upside",
                "",
            ]
        )

    def value(self, obj, col, typ, extra, messy):
        if typ == "sfid":
            prefix = {
                "Id": {"Opportunity": "006", "Account": "001", "Relationship_Assessment__c": "a0X"}[
                    obj
                ]
            }.get(col)
            if prefix is None:
                prefix = "005" if col in ("OwnerId", "Assessed_By__c") else "001"
            return self.sfid(prefix, messy)
        if typ == "sfhint":
            if self.p(0.5):
                return ""
            return self.r.choice([self.sfid("006", messy), " see opp ", "n/a"])
        if typ == "ident":
            return self.ident(messy)
        if typ == "enum":
            return self.enum(extra, messy)
        if typ == "date":
            return self.date(messy)
        if typ == "datetime":
            return self.datetime(messy)
        if typ == "decimal":
            return self.decimal(
                messy, small=(extra and extra[0] in ("fx",)) or col == "Probability"
            )
        if typ == "integer":
            if col == "line_number":
                return self.integer(messy) if messy else str(self.r.randint(1, 4))
            return self.integer(messy)
        if typ == "bool":
            return self.boolean(messy)
        if typ == "currency":
            return self.currency(messy)
        if typ == "string":
            return self.string(messy)
        if typ == "fc":
            return self.fc(messy)
        raise AssertionError(typ)

    def header_name(self, name):
        r = self.r
        snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
        return r.choice([name, name, name.lower(), name.upper(), snake, snake.replace("_", " ")])

    def file(self, obj):
        """-> bytes of a CSV file for obj, and a description."""
        r = self.r
        _system, _key, cols = SPEC[obj]
        present = [c for c in cols if c[2] or self.p(0.8)]
        if self.p(0.3):
            r.shuffle(present)
        header = [self.header_name(c[0]) for c in present]
        extras = []
        if self.p(0.3):
            extras.append("Notes")
            header.append("Notes")
        notes = []
        if self.p(0.03):
            i = r.choice([i for i, c in enumerate(present) if c[2]])
            del header[i]
            present = present[:i] + present[i + 1 :]
            notes.append("dropped required column")
        if self.p(0.03):
            i = r.randrange(len(present))
            header.append(present[i][0].upper())
            present = [*present, present[i]]
            notes.append("duplicate column")
        messiness = r.choice([0.05, 0.15, 0.3])
        rows = []
        for _ in range(r.randint(5, 30)):
            row = [self.value(obj, c[0], c[1], c[3], self.p(messiness)) for c in present]
            if "Notes" in extras:
                row.append(self.string(self.p(0.3)))
            rows.append(row)
            if self.p(0.1) and rows:  # duplicate a row (identical or conflicting)
                dup = list(r.choice(rows))
                if self.p(0.5):
                    j = r.randrange(len(dup))
                    dup[j] = (
                        self.value(obj, present[j][0], present[j][1], present[j][3], True)
                        if j < len(present)
                        else "x"
                    )
                rows.append(dup)
        trailing = r.choice([None] * 6 + ["both", "header", "rows"])
        eol_kind = r.choice(["\n", "\r\n", "\r\n", "mixed"])
        out = []

        def eol():
            return r.choice(["\n", "\r\n", "\r"]) if eol_kind == "mixed" else eol_kind

        D = r.choice([","] * 17 + [";", ";", "\t"])

        def enc(f):
            if any(ch in f for ch in D + '"\r\n') or (f and self.p(0.2)):
                return '"' + f.replace('"', '""') + '"'
            if f == "" and self.p(0.05):
                return '""'
            return f

        h = D.join(enc(x) for x in header)
        if trailing in ("both", "header"):
            h += D
        out.append(h + eol())
        for row in rows:
            if self.p(0.04):
                out.append(r.choice(["", "  ", D * 4, D * (len(header) - 1)]) + eol())
            line = D.join(enc(x) for x in row)
            if trailing == "both" or (trailing == "rows"):
                line += D
            if self.p(0.02) and not any("\n" in x or "\r" in x for x in row):
                line = D.join(enc(x) for x in row[:-1])  # a short record
            out.append(line + eol())
        text = "".join(out)
        if self.p(0.15):
            text = text.rstrip("\r\n")
        data = text.encode("utf-8")
        if self.p(0.2):
            data = b"\xef\xbb\xbf" + data
        return data, {"trailing": trailing, "eol": eol_kind, "notes": notes}
